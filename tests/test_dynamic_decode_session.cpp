// DynamicDecodeSession: TensorFlow Addons' results on every BasicDecoder and BeamSearchDecoder
// fixture, run after run (the kept buffers carry nothing from one call to the next), the same
// results as dynamic_decode across decoders, options and state types, and no allocation in a
// warmed-up call.
#include <seq2seq/decode/dynamic_decode_session.hpp>

#include <gtest/gtest.h>

#include "alloc_counter.hpp"
#include "decode_golden.hpp"
#include "decode_models.hpp"

using namespace seq2seq;
using namespace decode_models;

namespace {

// Beam options with an output layer, a length penalty and a coverage penalty.
template <class T>
BeamSearchDecoderOptions<T> penalised(double length_penalty) {
  BeamSearchDecoderOptions<T> options;
  options.output_layer = output_layer<T>();
  options.length_penalty_weight = length_penalty;
  options.coverage_penalty_weight = 0.3;
  return options;
}

// A first run with other options leaves other outputs, lengths and a longer or shorter state
// in the session; the fixture's runs must see nothing of them.
DynamicDecodeOptions other_options(const DynamicDecodeOptions& o) {
  DynamicDecodeOptions other;
  other.maximum_iterations = 1;
  other.impute_finished = false;
  other.output_time_major = !o.output_time_major;
  return other;
}

TEST(DynamicDecodeSessionGolden, BasicDecoderEqualsTensorFlowAddonsRunAfterRun) {
  auto names = golden::cases("decode_training_");
  const auto greedy = golden::cases("decode_greedy_");
  names.insert(names.end(), greedy.begin(), greedy.end());
  ASSERT_GE(names.size(), 18u);
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    golden::with_dtype(name, [](auto zero, const io::SafetensorsFile& f) {
      using T = decltype(zero);
      decode_golden::with_wrapper<T>(f, 1, [&](const auto& wrapper) {
        decode_golden::with_basic_decoder<T>(f, wrapper, [&](const auto& decoder) {
          const auto options = decode_golden::options(f);
          DynamicDecodeSession<std::decay_t<decltype(decoder)>> session;
          session.run(decoder, other_options(options));
          for (int run = 0; run < 2; ++run) {
            decode_golden::expect_basic_decode<T>(f, session.run(decoder, options));
          }
        });
      });
    });
  }
}

TEST(DynamicDecodeSessionGolden, BeamSearchEqualsTensorFlowAddonsRunAfterRun) {
  const auto names = golden::cases("decode_beam_");
  ASSERT_GE(names.size(), 10u);
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    golden::with_dtype(name, [](auto zero, const io::SafetensorsFile& f) {
      using T = decltype(zero);
      decode_golden::with_wrapper<T>(f, golden::meta_int(f, "beam_width"), [&](const auto& w) {
        const auto decoder = decode_golden::beam_decoder<T>(f, w);
        const auto options = decode_golden::options(f);
        DynamicDecodeSession<std::decay_t<decltype(decoder)>> session;
        session.run(decoder, other_options(options));
        for (int run = 0; run < 2; ++run) {
          decode_golden::expect_beam_decode<T>(f, session.run(decoder, options),
                                               decoder.options());
        }
      });
    });
  }
}

template <int Rank, class V>
void expect_same(const Eigen::Tensor<V, Rank, Eigen::RowMajor, Index>& a,
                 const Eigen::Tensor<V, Rank, Eigen::RowMajor, Index>& b, const char* what) {
  ASSERT_EQ(shape_string(a), shape_string(b)) << what;
  for (Index i = 0; i < a.size(); ++i) ASSERT_EQ(a.data()[i], b.data()[i]) << what << "[" << i << "]";
}

template <class Wrapper>
auto greedy(const Wrapper& w, std::vector<int64_t> start, int64_t end) {
  return BasicDecoder(w, GreedyEmbeddingHelper<double>(embedding<double>(), start, end),
                      w.zero_state(static_cast<Index>(start.size())), output_layer<double>());
}

// One session, many decoders of one type: end token, start tokens, memory lengths, steps and
// options change from call to call; every result is dynamic_decode's, bit for bit.
TEST(DynamicDecodeSession, EqualsDynamicDecodeAcrossDecodersAndOptions) {
  const auto wrapper = gru_wrapper<double>(memory<double>(), memory_lengths());
  const auto shorter = gru_wrapper<double>(memory<double>(), {2, 2, 1});
  const auto first = greedy(wrapper, {1, 2, 0}, 3);
  DynamicDecodeSession<decltype(first)> session;
  std::vector<std::pair<decltype(first), DynamicDecodeOptions>> calls;
  DynamicDecodeOptions capped, imputed, time_major;
  capped.maximum_iterations = 6;
  imputed.maximum_iterations = 9;
  imputed.impute_finished = true;
  time_major.maximum_iterations = 4;
  time_major.output_time_major = true;
  calls.emplace_back(first, capped);
  calls.emplace_back(greedy(wrapper, {4, 5, 6}, 2), imputed);
  calls.emplace_back(greedy(shorter, {0, 1, 2}, 5), time_major);
  calls.emplace_back(first, imputed);
  calls.emplace_back(first, capped);
  for (const auto& [decoder, options] : calls) {
    const auto expected = dynamic_decode(decoder, options);
    const auto& r = session.run(decoder, options);
    expect_same(r.outputs.rnn_output, expected.outputs.rnn_output, "rnn_output");
    expect_same(r.outputs.sample_id, expected.outputs.sample_id, "sample_id");
    expect_same(r.final_sequence_lengths, expected.final_sequence_lengths, "lengths");
    expect_same(r.final_state.cell_state, expected.final_state.cell_state, "cell_state");
    expect_same(r.final_state.attention, expected.final_state.attention, "attention");
    expect_same(r.final_state.alignments, expected.final_state.alignments, "alignments");
    expect_same(r.final_state.alignment_history, expected.final_state.alignment_history,
                "alignment_history");
    EXPECT_EQ(r.final_state.time, expected.final_state.time);
  }
}

TEST(DynamicDecodeSession, BeamSearchEqualsDynamicDecodeForEveryStateType) {
  const Index K = 3;
  const auto mem = tile_batch(memory<double>(), K);
  const auto lengths = tile_batch(memory_lengths(), K);
  const auto options = penalised<double>(0.6);
  DynamicDecodeOptions capped;
  capped.maximum_iterations = 7;
  auto check = [&](const auto& cell, const auto& beam_options) {
    const BeamSearchDecoder decoder(cell, embedding<double>(), {1, 2, 0}, 4,
                                    cell.zero_state(Sizes::B * K), K, beam_options);
    DynamicDecodeSession<std::decay_t<decltype(decoder)>> session;
    for (int run = 0; run < 2; ++run) {
      const auto expected = dynamic_decode(decoder, capped);
      const auto& r = session.run(decoder, capped);
      expect_same(r.outputs.predicted_ids, expected.outputs.predicted_ids, "predicted_ids");
      const auto &raw = r.outputs.beam_search_decoder_output,
                 &want = expected.outputs.beam_search_decoder_output;
      expect_same(raw.scores, want.scores, "scores");
      expect_same(raw.parent_ids, want.parent_ids, "parent_ids");
      expect_same(r.final_sequence_lengths, expected.final_sequence_lengths, "lengths");
      expect_same(r.final_state.log_probs, expected.final_state.log_probs, "log_probs");
      expect_same(r.final_state.accumulated_attention_probs,
                  expected.final_state.accumulated_attention_probs, "accumulated");
      // Every alignment_history, re-ordered with the beams and trimmed to the steps run.
      auto histories = [](auto state) {
        std::vector<Tensor3<double>> all;
        detail::for_each_history(state, [&](const auto& h, Index) { all.push_back(h); });
        return all;
      };
      const auto got = histories(r.final_state.cell_state);
      const auto want_histories = histories(expected.final_state.cell_state);
      ASSERT_EQ(got.size(), want_histories.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        expect_same(got[i], want_histories[i], "alignment_history");
      }
    }
  };
  check(gru_wrapper<double>(mem, lengths), options);
  check(multi_wrapper<double>(mem, lengths), options);
  BeamSearchDecoderOptions<double> plain = options;
  plain.coverage_penalty_weight = 0;  // a bare cell has no alignments
  check(stacked_cell<double>(), plain);
}

TEST(DynamicDecodeSession, ErrorsLeaveTheSessionUsable) {
  const auto wrapper = gru_wrapper<double>(memory<double>(), memory_lengths());
  const BasicDecoder decoder(wrapper, GreedyEmbeddingHelper<double>(embedding<double>(), {1, 2, 0}, 3),
                             wrapper.zero_state(Sizes::B), output_layer<double>());
  DynamicDecodeSession<std::decay_t<decltype(decoder)>> session;
  DynamicDecodeOptions options;
  options.maximum_iterations = 5;
  const auto expected = dynamic_decode(decoder, options);
  session.run(decoder, options);
  DynamicDecodeOptions bad;
  bad.maximum_iterations = -2;
  golden::expect_error([&] { session.run(decoder, bad); },
                       {"dynamic_decode: maximum_iterations=-2 must be >= 0"});
  const auto& r = session.run(decoder, options);
  expect_same(r.outputs.rnn_output, expected.outputs.rnn_output, "rnn_output after the error");
  expect_same(r.outputs.sample_id, expected.outputs.sample_id, "sample_id after the error");
}

#ifdef SEQ2SEQ_COUNTS_ALLOCATIONS
// Greedy, teacher-forced and beam decoding through a session, alignment_history kept (and
// re-ordered with the beams): a warmed-up call allocates nothing.
TEST(DynamicDecodeSession, AWarmedUpCallAllocatesNothing) {
  SEQ2SEQ_SKIP_UNLESS_EIGEN_GEMM();
  const int threads = num_threads();
  set_num_threads(1);
  const Index K = 4;
  const auto wrapper = gru_wrapper<float>(memory<float>(), memory_lengths());
  ASSERT_TRUE(wrapper.config().alignment_history);
  const BasicDecoder greedy(wrapper, GreedyEmbeddingHelper<float>(embedding<float>(), {1, 2, 0}, 3),
                            wrapper.zero_state(Sizes::B), output_layer<float>());
  const auto inputs = wave2<float>(Sizes::B * 6, Sizes::E, 4);
  const BasicDecoder training(
      wrapper,
      TrainingHelper<float>(Eigen::TensorMap<const Tensor3<float>>(inputs.data(), Sizes::B, 6, Sizes::E), {6, 2, 4}),
      wrapper.zero_state(Sizes::B), output_layer<float>());
  const auto mem = tile_batch(memory<float>(), K);
  const auto lengths = tile_batch(memory_lengths(), K);
  const auto beam_options = penalised<float>(1.0);
  const auto tiled = gru_wrapper<float>(mem, lengths);
  const BeamSearchDecoder beam(tiled, embedding<float>(), {1, 2, 0}, 6, tiled.zero_state(Sizes::B * K), K,
                               beam_options);
  const auto multi = multi_wrapper<float>(mem, lengths);
  const BeamSearchDecoder beam_multi(multi, embedding<float>(), {1, 2, 0}, 6, multi.zero_state(Sizes::B * K), K,
                                     beam_options);
  DynamicDecodeOptions capped, imputed;
  capped.maximum_iterations = 12;
  imputed.maximum_iterations = 12;
  imputed.impute_finished = true;
  DynamicDecodeSession<decltype(greedy)> g;
  DynamicDecodeSession<decltype(training)> t;
  DynamicDecodeSession<decltype(beam)> b;
  DynamicDecodeSession<decltype(beam_multi)> m;
  // The counter works: the first call of a session allocates its buffers.
  EXPECT_GT(allocations_during([&] { g.run(greedy, capped); }), 0);
  EXPECT_EQ(steady_allocations_during([&] { g.run(greedy, capped); }), 0) << "greedy";
  EXPECT_EQ(steady_allocations_during([&] { g.run(greedy, imputed); }), 0) << "greedy, impute";
  EXPECT_EQ(steady_allocations_during([&] { t.run(training, imputed); }), 0) << "training";
  EXPECT_EQ(steady_allocations_during([&] { b.run(beam, capped); }), 0) << "beam";
  EXPECT_EQ(steady_allocations_during([&] { m.run(beam_multi, capped); }), 0) << "beam, 2 mechanisms";
  EXPECT_GT(g.run(greedy, capped).final_state.alignment_history.size(), 0);
  EXPECT_GT(b.run(beam, capped).final_state.cell_state.alignment_history.size(), 0);
  // And the same call without a session allocates (what the session saves).
  EXPECT_GT(allocations_during([&] { dynamic_decode(beam, capped); }), 0);
  set_num_threads(threads);
}
#endif

}  // namespace
