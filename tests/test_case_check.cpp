// Tests for seq2seq::io::check_case (case_check.hpp): cases written by TensorFlow
// (tools/export/write_case.py, run by tools/reference/gen_checkpoints.py) next to TensorFlow
// checkpoints; a model built from the right weights matches within the golden tolerance, one
// built from other weights does not, and a file that is not a case is refused.
#include <seq2seq/io/case_check.hpp>
#include <seq2seq/io/load_status.hpp>
#include <seq2seq/io/tf_checkpoint.hpp>

#include <gtest/gtest.h>

#include "throws_error.hpp"

#include <string>

namespace {

using seq2seq::io::SafetensorsFile;
using seq2seq::io::TFCheckpoint;

const std::string kDir = std::string(SEQ2SEQ_GOLDEN_DIR) + "/checkpoints/";

TEST(CheckCase, TF1CheckpointMatchesItsCase) {
  const auto ckpt = TFCheckpoint::load(kDir + "tf1_saver/model.ckpt-1");
  const auto c = SafetensorsFile::load(kDir + "tf1_saver/case.safetensors");
  const auto r = seq2seq::io::check_case(ckpt, c);
  EXPECT_EQ(r.builder, "tf1::gru_cell");
  EXPECT_EQ(r.scope, "rnn/gru_cell");
  EXPECT_EQ(r.values, 3 * 5 * 6);
  EXPECT_TRUE(r.matches()) << r.max_error;
  EXPECT_GT(r.max_error, 0.0) << "float sums in another order differ a little";
  // In double the same weights give TensorFlow's float results to float precision.
  EXPECT_TRUE(seq2seq::io::check_case<double>(ckpt, c).matches(1e-5));
}

TEST(CheckCase, KerasCheckpointMatchesItsCase) {
  const auto ckpt = TFCheckpoint::load(kDir + "keras_weights/weights");
  seq2seq::io::LoadStatus status(ckpt);
  const auto r = seq2seq::io::check_case(status, SafetensorsFile::load(kDir + "keras_weights/case.safetensors"));
  EXPECT_EQ(r.builder, "keras::gru_cell");
  EXPECT_EQ(r.scope, "encoder/gru_cell");
  EXPECT_TRUE(r.matches()) << r.max_error;
  EXPECT_EQ(status.unused(), (std::vector<std::string>{"dense/bias", "dense/kernel"}));
}

TEST(CheckCase, OtherWeightsDoNotMatch) {
  // The TF2 checkpoint holds the same Keras architecture with other weights.
  const auto other = TFCheckpoint::load(kDir + "tf2_checkpoint/ckpt");
  const auto r = seq2seq::io::check_case(other, SafetensorsFile::load(kDir + "keras_weights/case.safetensors"));
  EXPECT_FALSE(r.matches());
  EXPECT_GT(r.max_error, 1e-3);
  EXPECT_LT(r.worst, r.values);
}

TEST(CheckCase, NotACase) {
  const auto ckpt = TFCheckpoint::load(kDir + "tf1_saver/model.ckpt-1");
  const auto model = SafetensorsFile::load(std::string(SEQ2SEQ_GOLDEN_DIR) + "/trained/date_attention_model.safetensors");
  EXPECT_TRUE(throws_error([&] { seq2seq::io::check_case(ckpt, model); },
                           {"date_attention_model.safetensors': not a case file"}));
}

}  // namespace
