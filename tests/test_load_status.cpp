// Tests for seq2seq::io::LoadStatus (load_status.hpp): which variables of a weight file the
// builders read, on checkpoints TensorFlow wrote (tests/golden/checkpoints) and a safetensors
// file. The variable lists come from TensorFlow's reader (expected.json), not from ours.
#include <seq2seq/io/load_status.hpp>
#include <seq2seq/io/keras.hpp>
#include <seq2seq/io/safetensors.hpp>
#include <seq2seq/io/tf1.hpp>
#include <seq2seq/io/tf_checkpoint.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "throws_error.hpp"

#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace {

using seq2seq::io::LoadStatus;
using seq2seq::io::TFCheckpoint;

const std::string kDir = std::string(SEQ2SEQ_GOLDEN_DIR) + "/checkpoints/";

nlohmann::json expected(const std::string& name) {
  std::ifstream in(kDir + name + "/expected.json");
  return nlohmann::json::parse(in);
}

TFCheckpoint load(const std::string& name) {
  return TFCheckpoint::load(kDir + name + "/" + expected(name)["prefix"].get<std::string>());
}

std::vector<std::string> sorted(std::set<std::string> s) { return {s.begin(), s.end()}; }

TEST(LoadStatus, TF1SaverCheckpoint) {
  const TFCheckpoint ckpt = load("tf1_saver");
  LoadStatus status(ckpt);
  (void)seq2seq::io::tf1::gru_cell<float>(status, "rnn/gru_cell");
  EXPECT_EQ(sorted(status.used()), (std::vector<std::string>{
                                        "rnn/gru_cell/candidate/bias", "rnn/gru_cell/candidate/kernel",
                                        "rnn/gru_cell/gates/bias", "rnn/gru_cell/gates/kernel"}));
  // Unused: every key TensorFlow lists, less the GRU's, the Adam slots, beta powers and
  // global_step, and the string tensor (not a variable LoadStatus can read).
  std::set<std::string> want;
  const nlohmann::json tensors = expected("tf1_saver")["tensors"];
  for (const auto& [key, t] : tensors.items()) {
    if (key.rfind("rnn/gru_cell/", 0) == 0 || key == "global_step" || key.find("_power") != std::string::npos ||
        key.find("/Adam") != std::string::npos || t["dtype"] == "string") {
      continue;
    }
    want.insert(key);
  }
  EXPECT_EQ(status.unused(), sorted(want));
  EXPECT_TRUE(throws_error([&] { status.assert_consumed(); },
                           {"model.ckpt-1.index': ", std::to_string(want.size()) + " model variable(s)",
                            "'dense/kernel' [6,4]", "'dense/bias' [4]"}));
}

TEST(LoadStatus, ConsumedWhenEverythingIsRead) {
  const TFCheckpoint ckpt = load("tf1_saver");
  LoadStatus status(ckpt);
  (void)seq2seq::io::tf1::gru_cell<float>(status, "rnn/gru_cell");
  (void)status.tensor<float, 2>("dense/kernel", {6, 4});
  (void)status.tensor<float, 1>("dense/bias");
  for (const auto& name : status.unused()) {
    if (status.dtype(name) == "I32" || status.dtype(name) == "I64") {
      (void)status.integers(name);
    } else if (status.dtype(name) == "BOOL") {
      continue;  // no bool accessor: stays unused
    } else if (status.shape(name).empty()) {
      (void)status.scalar(name);
    } else if (status.shape(name).size() == 1) {
      (void)status.tensor<double, 1>(name);
    } else {
      (void)status.tensor<double, 2>(name);
    }
  }
  EXPECT_EQ(status.unused(), std::vector<std::string>{"extras/flag"});
}

TEST(LoadStatus, TF2NamesCountOnce) {
  const TFCheckpoint ckpt = load("keras_weights");
  LoadStatus status(ckpt);
  (void)seq2seq::io::keras::gru_cell<float>(status, "encoder/gru_cell");
  // Reported by TensorFlow name, not by key, and not twice.
  EXPECT_EQ(status.unused(), (std::vector<std::string>{"dense/bias", "dense/kernel"}));
  // Read by its checkpoint key, the Dense kernel counts for its TensorFlow name too.
  (void)status.tensor<float, 2>(ckpt.variables().at("dense/kernel"));
  EXPECT_EQ(status.unused(), std::vector<std::string>{"dense/bias"});
  (void)status.tensor<float, 1>("dense/bias");
  EXPECT_NO_THROW(status.assert_consumed());
}

TEST(LoadStatus, TF2OptimizerVariablesAreNotModelVariables) {
  const TFCheckpoint ckpt = load("tf2_checkpoint");
  LoadStatus status(ckpt);
  (void)seq2seq::io::keras::gru_cell<float>(status, "encoder/gru_cell");
  EXPECT_EQ(status.unused(), (std::vector<std::string>{"dense/bias", "dense/kernel"}));
}

TEST(LoadStatus, MissingNameSuggestsTheClosest) {
  const TFCheckpoint ckpt = load("tf1_saver");
  LoadStatus status(ckpt);
  EXPECT_TRUE(throws_error([&] { (void)seq2seq::io::tf1::gru_cell<float>(status, "rnn/gru_cel"); },
                           {"no tensor named 'rnn/gru_cel/", "closest: 'rnn/gru_cell/"}));
  EXPECT_TRUE(status.used().empty());
}

TEST(LoadStatus, SafetensorsFile) {
  std::string header = R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
                       R"("w/Adam":{"dtype":"F32","shape":[2,3],"data_offsets":[24,48]}})";
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  bytes += header + std::string(48, '\0');
  const auto file = seq2seq::io::SafetensorsFile::parse(bytes);
  LoadStatus status(file);
  EXPECT_EQ(status.unused(), std::vector<std::string>{"w"});  // w/Adam is a slot
  (void)status.tensor<float, 2>("w");
  EXPECT_NO_THROW(status.assert_consumed());
}

}  // namespace
