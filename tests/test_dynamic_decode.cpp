// dynamic_decode end to end on a model trained in TensorFlow (examples/date_model.hpp, trained by
// tools/train/train_date_attention.py): greedy and beam decoding of eight held-out dates, every
// tensor TensorFlow returned (ids, logits, lengths, alignment history, beam scores, parents,
// log-probs) against tests/golden/trained/date_attention_expected.safetensors. The 500 held-out
// strings are checked by the example_translate_heldout test. The model is loaded both ways the
// training script saves it: the TensorFlow checkpoint (TensorFlow Addons' graph names) and the
// .safetensors export (TF 1.x names).
#include <gtest/gtest.h>

#include "date_model.hpp"
#include "decode_golden.hpp"

using namespace seq2seq;
using decode_golden::expect_equal;
using decode_golden::ints;

namespace {

struct TrainedDecode : ::testing::TestWithParam<const char*> {
  TrainedDecode()
      : model(std::string(SEQ2SEQ_GOLDEN_DIR "/trained/") + GetParam()), expected(golden::open("trained/date_attention_expected.safetensors")) {
    const auto ids = expected.integers("source_ids");
    const auto lengths = expected.integers("source_length");
    const auto width = static_cast<std::size_t>(golden::meta_int(expected, "source_time"));
    for (std::size_t b = 0; b < lengths.size(); ++b) {
      sources.emplace_back(ids.begin() + static_cast<long>(b * width),
                           ids.begin() + static_cast<long>(b * width + lengths[b]));
    }
    batch = static_cast<Index>(lengths.size());
  }

  template <class Result>
  void expect_greedy(const Result& g) {
    const Index steps = golden::meta_int(expected, "greedy_time");
    expect_equal(g.outputs.sample_id, ints<2>(expected, "greedy/sample_id", {batch, steps}),
                 "greedy/sample_id");
    expect_equal(g.final_sequence_lengths, ints<1>(expected, "greedy/lengths", {batch}),
                 "greedy/lengths");
    golden::expect_close(g.outputs.rnn_output, expected.tensor<float, 3>("greedy/rnn_output"),
                         "greedy/rnn_output");
    // TF's history covers the batch's longest source (its padding); ours the longest source too.
    golden::expect_close(g.final_state.alignment_history,
                         expected.tensor<float, 3>("greedy/final_state/alignment_history"),
                         "greedy/final_state/alignment_history");
    // And the strings are the targets.
    const auto targets = expected.integers("target_ids");
    for (Index b = 0; b < batch; ++b) {
      for (Index t = 0; t < steps; ++t) {
        EXPECT_EQ(g.outputs.sample_id(b, t), targets[static_cast<std::size_t>(b * steps + t)]);
      }
  }
  }

  template <class Result>
  void expect_beam(const Result& r) {
    const Index steps = golden::meta_int(expected, "beam_time"), k = model.beam_width;
    const std::array<Index, 3> shape{batch, steps, k};
    expect_equal(r.outputs.predicted_ids, ints<3>(expected, "beam/predicted_ids", shape),
                 "beam/predicted_ids");
    const auto& raw = r.outputs.beam_search_decoder_output;
    expect_equal(raw.predicted_ids, ints<3>(expected, "beam/step_predicted_ids", shape),
                 "beam/step_predicted_ids");
    expect_equal(raw.parent_ids, ints<3>(expected, "beam/parent_ids", shape), "beam/parent_ids");
    golden::expect_close(raw.scores, expected.tensor<float, 3>("beam/scores"), "beam/scores");
    golden::expect_close(r.final_state.log_probs, expected.tensor<float, 2>("beam/log_probs"),
                         "beam/log_probs");
    expect_equal(r.final_sequence_lengths, ints<2>(expected, "beam/lengths", {batch, k}),
                 "beam/lengths");
  }

  date_model::DateModel model;
  io::SafetensorsFile expected;
  std::vector<std::vector<int64_t>> sources;
  Index batch = 0;
};

}  // namespace

TEST_P(TrainedDecode, GreedyMatchesTensorFlow) {
  const auto enc = date_model::encode(model, sources);
  golden::expect_close(enc.final_state, expected.tensor<float, 2>("encoder/final_state"),
                       "encoder/final_state");
  expect_greedy(date_model::greedy(model, enc));
}

TEST_P(TrainedDecode, BeamSearchMatchesTensorFlow) {
  expect_beam(date_model::beam(model, date_model::encode(model, sources)));
}

// The example's Server (sessions kept between requests) after other requests of other sizes.
TEST_P(TrainedDecode, ServerMatchesTensorFlowRequestAfterRequest) {
  date_model::Server server(model);
  server.greedy({sources[0], sources[1]});
  server.beam({sources[2]});
  for (int request = 0; request < 2; ++request) {
    expect_greedy(server.greedy(sources));
    expect_beam(server.beam(sources));
  }
}

INSTANTIATE_TEST_SUITE_P(DateModel, TrainedDecode,
                         ::testing::Values("date_attention_checkpoint",
                                           "date_attention_model.safetensors"),
                         [](const auto& info) {
                           return std::string(info.index == 0 ? "TensorFlowCheckpoint" : "Safetensors");
                         });
