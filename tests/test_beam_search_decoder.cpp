// BeamSearchDecoder: against TensorFlow Addons 0.23's fixtures (tests/golden/decode_beam_*), and
// properties tying it to greedy decoding and to its own rules (no allocation per step, errors).
#include <gtest/gtest.h>

#include <cmath>

#include "alloc_counter.hpp"
#include "decode_golden.hpp"
#include "decode_models.hpp"
#include "throws_error.hpp"

using namespace seq2seq;
using namespace decode_models;

namespace {

template <class T>
class BeamTyped : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
// The empty third argument (the name generator, defaulted) keeps Clang's -Wpedantic quiet.
TYPED_TEST_SUITE(BeamTyped, Scalars, );

}  // namespace

// Every BeamSearchDecoder fixture of TFA 0.23 (widths 1 and 3; length penalty 0, 0.6, 1.0;
// coverage 0.4; ties; never EOS; LSTM with a cloned state): back-tracked and raw ids, parents,
// scores, the final state (log-probs, finished, lengths, accumulated attention, every cell-state
// field) and the re-ordered alignment history.
template <class T, class Wrapper>
void check_beam(const io::SafetensorsFile& f, const Wrapper& wrapper) {
  const auto decoder = decode_golden::beam_decoder<T>(f, wrapper);
  decode_golden::expect_beam_decode<T>(f, dynamic_decode(decoder, decode_golden::options(f)),
                                       decoder.options());
}

TEST(BeamSearchDecoderGolden, MatchesTensorFlowAddons) {
  const auto names = golden::cases("decode_beam_");
  ASSERT_GE(names.size(), 10u);
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto zero, const io::SafetensorsFile& f) {
      using T = decltype(zero);
      decode_golden::with_wrapper<T>(f, golden::meta_int(f, "beam_width"),
                                     [&](const auto& wrapper) { check_beam<T>(f, wrapper); });
    });
  }
}

// With one beam and no penalties, beam search is greedy search: same ids step by step until
// the end token, and the beam's log-probability is the sum of the chosen ids' log-softmax.
TYPED_TEST(BeamTyped, WidthOneIsGreedy) {
  using T = TypeParam;
  const auto wrapper = gru_wrapper<T>(memory<T>(), memory_lengths());
  const std::vector<int64_t> start{1, 2, 0};
  DynamicDecodeOptions options;
  options.maximum_iterations = 7;
  for (int64_t eos : {3, 5, 6}) {
    const BasicDecoder greedy(wrapper, GreedyEmbeddingHelper<T>(embedding<T>(), start, eos),
                              wrapper.zero_state(Sizes::B), output_layer<T>());
    const auto g = dynamic_decode(greedy, options);
    BeamSearchDecoderOptions<T> beam_options;
    beam_options.output_layer = output_layer<T>();
    const BeamSearchDecoder beam(wrapper, embedding<T>(), start, eos, wrapper.zero_state(Sizes::B),
                                 1, beam_options);
    const auto r = dynamic_decode(beam, options);
    for (Index b = 0; b < Sizes::B; ++b) {
      EXPECT_EQ(r.final_sequence_lengths(b, 0), g.final_sequence_lengths(b)) << "eos " << eos;
      T log_prob = 0;
      for (Index t = 0; t < g.final_sequence_lengths(b); ++t) {
        const int32_t id = g.outputs.sample_id(b, t);
        EXPECT_EQ(r.outputs.predicted_ids(b, t, 0), id) << "eos " << eos << " b " << b;
        T max = g.outputs.rnn_output(b, t, 0), sum = 0;
        for (Index v = 1; v < Sizes::V; ++v) max = std::max(max, g.outputs.rnn_output(b, t, v));
        for (Index v = 0; v < Sizes::V; ++v) sum += std::exp(g.outputs.rnn_output(b, t, v) - max);
        log_prob += g.outputs.rnn_output(b, t, id) - max - std::log(sum);
      }
      EXPECT_NEAR(r.final_state.log_probs(b, 0), log_prob, 1e-5 * (1 + std::abs(log_prob)));
    }
  }
}

// Width 1 = greedy for every state structure the beam gathers: an LSTM wrapper
// (LSTMStateTuple), two mechanisms (MultiAttentionWrapperState) and a bare MultiRNNCell (tuple).
template <class Cell>
void expect_width_one_is_greedy(const Cell& cell, const std::string& what) {
  const std::vector<int64_t> start{1, 2, 0};
  DynamicDecodeOptions options;
  options.maximum_iterations = 6;
  const BasicDecoder greedy(cell, GreedyEmbeddingHelper<double>(embedding<double>(), start, 4),
                            cell.zero_state(Sizes::B), output_layer<double>());
  const auto g = dynamic_decode(greedy, options);
  BeamSearchDecoderOptions<double> beam_options;
  beam_options.output_layer = output_layer<double>();
  const BeamSearchDecoder beam(cell, embedding<double>(), start, 4, cell.zero_state(Sizes::B), 1,
                               beam_options);
  const auto r = dynamic_decode(beam, options);
  for (Index b = 0; b < Sizes::B; ++b) {
    EXPECT_EQ(r.final_sequence_lengths(b, 0), g.final_sequence_lengths(b)) << what;
    for (Index t = 0; t < g.final_sequence_lengths(b); ++t) {
      EXPECT_EQ(r.outputs.predicted_ids(b, t, 0), g.outputs.sample_id(b, t)) << what;
    }
  }
}

TEST(BeamSearchDecoder, WidthOneIsGreedyForEveryStateType) {
  expect_width_one_is_greedy(lstm_wrapper<double>(memory<double>(), memory_lengths()), "lstm");
  expect_width_one_is_greedy(multi_wrapper<double>(memory<double>(), memory_lengths()), "multi");
  expect_width_one_is_greedy(stacked_cell<double>(), "stacked");
}

// With several beams the gathers move every field of every state type with its beam: the
// (LSTM, two mechanisms) decoders run with coverage (mean of the mechanisms' alignments) and
// their final states have B*K rows everywhere.
TEST(BeamSearchDecoder, GathersEveryStateType) {
  const Index K = 3;
  BeamSearchDecoderOptions<double> options;
  options.output_layer = output_layer<double>();
  options.coverage_penalty_weight = 0.4;
  DynamicDecodeOptions run;
  run.maximum_iterations = 5;
  const auto lstm = lstm_wrapper<double>(tile_batch(memory<double>(), K), tile_batch(memory_lengths(), K));
  const auto r1 = dynamic_decode(BeamSearchDecoder(lstm, embedding<double>(), {1, 2, 0}, 4, lstm.zero_state(9), K, options), run);
  EXPECT_EQ(r1.final_state.cell_state.cell_state.c.dimension(0), 9);
  EXPECT_EQ(r1.final_state.accumulated_attention_probs.dimension(2), Sizes::Tm);
  const auto multi = multi_wrapper<double>(tile_batch(memory<double>(), K), tile_batch(memory_lengths(), K));
  const auto r2 = dynamic_decode(BeamSearchDecoder(multi, embedding<double>(), {1, 2, 0}, 4, multi.zero_state(9), K, options), run);
  ASSERT_EQ(r2.final_state.cell_state.alignment_history.size(), 2u);
  EXPECT_EQ(r2.final_state.cell_state.alignment_history[1].dimension(0), r2.outputs.predicted_ids.dimension(1));
  // A beam's accumulated attention sums its (mean) alignments over the steps it was alive (not
  // finished before the step), which its length counts too; every alignment row sums to 1.
  for (Index b = 0; b < Sizes::B; ++b) {
    for (Index k = 0; k < K; ++k) {
      double sum = 0;
      for (Index j = 0; j < Sizes::Tm; ++j) sum += r2.final_state.accumulated_attention_probs(b, k, j);
      EXPECT_NEAR(sum, static_cast<double>(r2.final_state.lengths(b, k)), 1e-9) << b << "," << k;
    }
  }
}

// Beams come out best first: at every step the scores are non-increasing across beams, and
// back-tracked beams start from the start of the search (a parent chain exists for each).
TEST(BeamSearchDecoder, ScoresSortedAndBeamsDistinct) {
  const Index K = 3;
  const auto wrapper = gru_wrapper<double>(tile_batch(memory<double>(), K),
                                           tile_batch(memory_lengths(), K));
  BeamSearchDecoderOptions<double> options;
  options.output_layer = output_layer<double>();
  options.length_penalty_weight = 0.6;
  const BeamSearchDecoder beam(wrapper, embedding<double>(), {1, 2, 0}, 3,
                               wrapper.zero_state(Sizes::B * K), K, options);
  DynamicDecodeOptions run;
  run.maximum_iterations = 6;
  const auto r = dynamic_decode(beam, run);
  const auto& scores = r.outputs.beam_search_decoder_output.scores;
  for (Index b = 0; b < Sizes::B; ++b) {
    for (Index t = 0; t < scores.dimension(1); ++t) {
      for (Index k = 1; k < K; ++k) EXPECT_GE(scores(b, t, k - 1), scores(b, t, k));
    }
    // Two beams never hold the same (parent, id) pair at a step: top_k picks distinct candidates.
    const auto& ids = r.outputs.beam_search_decoder_output.predicted_ids;
    const auto& parents = r.outputs.beam_search_decoder_output.parent_ids;
    for (Index t = 0; t < ids.dimension(1); ++t)
      for (Index i = 0; i < K; ++i)
        for (Index j = i + 1; j < K; ++j)
          EXPECT_FALSE(ids(b, t, i) == ids(b, t, j) && parents(b, t, i) == parents(b, t, j) &&
                       std::isfinite(scores(b, t, j)));
  }
  // The reordered alignment history has one entry per step for every beam.
  EXPECT_EQ(r.final_state.cell_state.alignment_history.dimension(0), scores.dimension(1));
  EXPECT_EQ(r.final_state.cell_state.alignment_history.dimension(1), Sizes::B * K);
}

#ifdef SEQ2SEQ_COUNTS_ALLOCATIONS
TEST(BeamSearchDecoder, StepsAllocateNothing) {
  SEQ2SEQ_SKIP_UNLESS_EIGEN_GEMM();
  const Index K = 4;
  const auto wrapper = gru_wrapper<float>(tile_batch(memory<float>(), K),
                                          tile_batch(memory_lengths(), K));
  BeamSearchDecoderOptions<float> options;
  options.output_layer = output_layer<float>();
  options.coverage_penalty_weight = 0.3;
  options.length_penalty_weight = 1.0;
  const BeamSearchDecoder beam(wrapper, embedding<float>(), {1, 2, 0}, 6,
                               wrapper.zero_state(Sizes::B * K), K, options);
  auto s = beam.initialize();
  s.scores.reserve(1000);  // the kept step outputs grow geometrically; reserve to see the rest
  s.predicted_ids.reserve(1000);
  s.parent_ids.reserve(1000);
  for (int i = 0; i < 17; ++i) beam.step(s);  // past the first growth of alignment_history
  EXPECT_EQ(allocations_during([&] {
              for (int i = 0; i < 8; ++i) beam.step(s);
            }),
            0);
}
#endif

TEST(BeamSearchDecoder, Errors) {
  const Index K = 3;
  const auto untiled = gru_wrapper<float>(memory<float>(), memory_lengths());
  const auto tiled = gru_wrapper<float>(tile_batch(memory<float>(), K),
                                        tile_batch(memory_lengths(), K));
  BeamSearchDecoderOptions<float> options;
  options.output_layer = output_layer<float>();
  const std::vector<int64_t> start{1, 2, 0};
  // Memory not tiled: the state of B*K rows does not match the memory batch.
  EXPECT_TRUE(throws_error([&] { BeamSearchDecoder(untiled, embedding<float>(), start, 3, tiled.zero_state(9), K, options); },
                           {"BeamSearchDecoder: initial_state", "tile_batch", "batch 9 does not match the memory batch 3"}));
  // Memory tiled, the initial cell state not.
  auto state = tiled.zero_state(9);
  state.cell_state = Tensor2<float>(3, Sizes::H);
  EXPECT_TRUE(throws_error([&] { BeamSearchDecoder(tiled, embedding<float>(), start, 3, state, K, options); },
                           {"BeamSearchDecoder: initial_state", "tile_batch", ".cell_state has shape [3,6], expected [9,6]"}));
  // Memory lengths not tiled: the mechanism itself refuses them.
  EXPECT_TRUE(throws_error([&] { gru_wrapper<float>(tile_batch(memory<float>(), K), memory_lengths()); },
                           {"memory_sequence_length", "3", "9"}));
  EXPECT_TRUE(throws_error([&] { BeamSearchDecoder(tiled, embedding<float>(), start, 3, tiled.zero_state(9), 0, options); },
                           {"beam_width=0 must be positive"}));
  EXPECT_TRUE(throws_error([&] { BeamSearchDecoder(tiled, embedding<float>(), start, 3, tiled.zero_state(9), Index{1} << 40, options); },
                           {"beam_width=1099511627776 is too large: times batch 3"}));
  EXPECT_TRUE(throws_error([&] { BeamSearchDecoder(tiled, embedding<float>(), {1, 9, 0}, 3, tiled.zero_state(9), K, options); },
                           {"start_tokens[1]=9"}));
  auto penalty = options;
  penalty.length_penalty_weight = std::nan("");
  EXPECT_TRUE(throws_error([&] { BeamSearchDecoder(tiled, embedding<float>(), start, 3, tiled.zero_state(9), K, penalty); },
                           {"length_penalty_weight=nan", "finite"}));
  // Coverage needs attention alignments.
  GRUCell<float> bare(Sizes::V, {wave2<float>(Sizes::E + Sizes::V, 2 * Sizes::V, 1), wave1<float>(2 * Sizes::V, 2),
                                 wave2<float>(Sizes::E + Sizes::V, Sizes::V, 3), wave1<float>(Sizes::V, 4), {}});
  BeamSearchDecoderOptions<float> coverage;
  coverage.coverage_penalty_weight = 0.5;
  EXPECT_TRUE(throws_error([&] { BeamSearchDecoder(bare, embedding<float>(), start, 3, bare.zero_state(9), K, coverage); },
                           {"coverage_penalty_weight must be 0.0 if no cell is attentional"}));
  const BeamSearchDecoder beam(tiled, embedding<float>(), start, 3, tiled.zero_state(9), K, options);
  DynamicDecodeOptions impute;
  impute.impute_finished = true;
  EXPECT_TRUE(throws_error([&] { dynamic_decode(beam, impute); },
                           {"impute_finished=true is not supported with BeamSearchDecoder"}));
}
