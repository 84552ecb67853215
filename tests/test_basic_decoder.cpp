// BasicDecoder with the Training and GreedyEmbedding helpers, run by dynamic_decode: against
// TensorFlow Addons 0.23's fixtures (tests/golden/decode_*), and properties that tie it to the
// independently verified pieces (dynamic_rnn, the step API, no allocation per step).
#include <gtest/gtest.h>

#include "alloc_counter.hpp"
#include "decode_golden.hpp"
#include "decode_models.hpp"
#include "throws_error.hpp"

using namespace seq2seq;
using namespace decode_models;

namespace {

template <class T>
class BasicDecoderTyped : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
// The empty third argument (the name generator, defaulted) keeps Clang's -Wpedantic quiet.
TYPED_TEST_SUITE(BasicDecoderTyped, Scalars, );

template <class T>
Tensor3<T> decoder_inputs(Index batch, Index time) {
  Tensor3<T> x(batch, time, Sizes::E);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<T>(std::sin(0.45 * i + 0.2));
  return x;
}

}  // namespace

// Every BasicDecoder fixture of TFA 0.23 (training and greedy samplers; impute_finished,
// output_time_major, maximum_iterations, EOS at step 0, never EOS, cloned LSTM state, no output
// layer): outputs, ids, lengths and every final state field.
template <class T, class Wrapper>
void check_basic_decoder(const io::SafetensorsFile& f, const Wrapper& wrapper) {
  decode_golden::with_basic_decoder<T>(f, wrapper, [&](const auto& decoder) {
    decode_golden::expect_basic_decode<T>(f, dynamic_decode(decoder, decode_golden::options(f)));
  });
}

TEST(BasicDecoderGolden, MatchesTensorFlowAddons) {
  auto names = golden::cases("decode_training_");
  const auto greedy = golden::cases("decode_greedy_");
  names.insert(names.end(), greedy.begin(), greedy.end());
  ASSERT_GE(names.size(), 18u);
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto zero, const io::SafetensorsFile& f) {
      using T = decltype(zero);
      decode_golden::with_wrapper<T>(f, 1, [&](const auto& wrapper) { check_basic_decoder<T>(f, wrapper); });
    });
  }
}

// Teacher forcing is dynamic_rnn with an output layer: for every row and step within its length
// the logits must be Dense(dynamic_rnn outputs), and the ids their argmax.
TYPED_TEST(BasicDecoderTyped, TrainingHelperEqualsDynamicRnnPlusDense) {
  using T = TypeParam;
  const auto wrapper = gru_wrapper<T>(memory<T>(), memory_lengths());
  const auto x = decoder_inputs<T>(Sizes::B, 4);
  const std::vector<int64_t> lengths{4, 1, 3};
  const auto layer = output_layer<T>();
  const BasicDecoder decoder(wrapper, TrainingHelper<T>(x, lengths), wrapper.zero_state(Sizes::B),
                             layer);
  const auto decoded = dynamic_decode(decoder);
  const auto rnn = dynamic_rnn(wrapper, x, lengths);
  ASSERT_EQ(decoded.outputs.rnn_output.dimension(1), 4);
  for (Index b = 0; b < Sizes::B; ++b) {
    EXPECT_EQ(decoded.final_sequence_lengths(b), lengths[b]);
    for (Index t = 0; t < lengths[b]; ++t) {
      Tensor2<T> h(1, Sizes::A);
      for (Index a = 0; a < Sizes::A; ++a) h(0, a) = rnn.outputs(b, t, a);
      const Tensor2<T> logits = layer(h);
      Index best = 0;
      for (Index v = 0; v < Sizes::V; ++v) {
        EXPECT_NEAR(decoded.outputs.rnn_output(b, t, v), logits(0, v), 1e-5 * (1 + std::abs(logits(0, v))));
        if (logits(0, v) > logits(0, best)) best = v;
      }
      EXPECT_EQ(decoded.outputs.sample_id(b, t), best);
    }
  }
}

// The one-token-at-a-time API gives what dynamic_decode gives.
TYPED_TEST(BasicDecoderTyped, StepApiMatchesDynamicDecode) {
  using T = TypeParam;
  const auto wrapper = gru_wrapper<T>(memory<T>(), memory_lengths());
  const BasicDecoder decoder(wrapper, GreedyEmbeddingHelper<T>(embedding<T>(), {1, 2, 0}, 3),
                             wrapper.zero_state(Sizes::B), output_layer<T>());
  DynamicDecodeOptions options;
  options.maximum_iterations = 6;
  const auto whole = dynamic_decode(decoder, options);
  auto s = decoder.initialize();
  for (Index t = 0; t < whole.outputs.sample_id.dimension(1); ++t) {
    decoder.step(s);
    for (Index b = 0; b < Sizes::B; ++b) {
      EXPECT_EQ(s.sample_id(b), whole.outputs.sample_id(b, t));
      for (Index v = 0; v < Sizes::V; ++v) {
        EXPECT_EQ(s.rnn_output(b, v), whole.outputs.rnn_output(b, t, v));
      }
    }
  }
  decoder.finalize(s);
  const auto& history = s.state.alignment_history;
  ASSERT_EQ(history.dimension(0), whole.outputs.sample_id.dimension(1));
  for (Index i = 0; i < history.size(); ++i) {
    EXPECT_EQ(history.data()[i], whole.final_state.alignment_history.data()[i]);
  }
}

TEST(BasicDecoder, TimeMajorIsTheTransposeAndZeroIterationsRunsNothing) {
  const auto wrapper = gru_wrapper<double>(memory<double>(), memory_lengths());
  const BasicDecoder decoder(wrapper, GreedyEmbeddingHelper<double>(embedding<double>(), {1, 2, 0}, 3),
                             wrapper.zero_state(Sizes::B), output_layer<double>());
  DynamicDecodeOptions options;
  options.maximum_iterations = 5;
  const auto bm = dynamic_decode(decoder, options);
  options.output_time_major = true;
  const auto tm = dynamic_decode(decoder, options);
  const Index steps = bm.outputs.sample_id.dimension(1);
  ASSERT_EQ(tm.outputs.rnn_output.dimension(0), steps);
  for (Index b = 0; b < Sizes::B; ++b)
    for (Index t = 0; t < steps; ++t) {
      EXPECT_EQ(tm.outputs.sample_id(t, b), bm.outputs.sample_id(b, t));
      for (Index v = 0; v < Sizes::V; ++v) EXPECT_EQ(tm.outputs.rnn_output(t, b, v), bm.outputs.rnn_output(b, t, v));
    }
  options.maximum_iterations = 0;
  const auto none = dynamic_decode(decoder, options);
  EXPECT_EQ(none.outputs.rnn_output.dimension(0), 0);
  EXPECT_EQ(none.outputs.sample_id.size(), 0);
  for (Index b = 0; b < Sizes::B; ++b) EXPECT_EQ(none.final_sequence_lengths(b), 0);
  EXPECT_EQ(none.final_state.time, 0);
}

#ifdef SEQ2SEQ_COUNTS_ALLOCATIONS
// The step loop allocates nothing: the same count at 2 and at 40 steps (the outputs and the
// history grow geometrically, a few allocations in all, not one per step).
TEST(BasicDecoder, StepsAllocateNothing) {
  SEQ2SEQ_SKIP_UNLESS_EIGEN_GEMM();
  const auto wrapper = gru_wrapper<float>(memory<float>(), memory_lengths());
  const BasicDecoder decoder(wrapper, GreedyEmbeddingHelper<float>(embedding<float>(), {1, 2, 0}, 7),
                             wrapper.zero_state(Sizes::B), output_layer<float>());
  auto s = decoder.initialize();
  decoder.step(s);
  const long per_steps = steady_allocations_during([&] {
    for (int i = 0; i < 8; ++i) decoder.step(s);
  });
  EXPECT_LE(per_steps, 1);  // at most one geometric growth of alignment_history
  const long more = allocations_during([&] {
    for (int i = 0; i < 8; ++i) decoder.step(s);
  });
  EXPECT_EQ(more, 0);
}
#endif

TEST(BasicDecoder, Errors) {
  const auto wrapper = gru_wrapper<float>(memory<float>(), memory_lengths());
  const auto helper = GreedyEmbeddingHelper<float>(embedding<float>(), {1, 2, 0}, 3);
  EXPECT_TRUE(throws_error([&] { BasicDecoder(wrapper, helper, wrapper.zero_state(Sizes::B), Dense<float>(wave2<float>(4, 7, 1))); },
                           {"BasicDecoder: output_layer kernel has shape [4,7]", "cell output size 5"}));
  EXPECT_TRUE(throws_error([&] { BasicDecoder(wrapper, helper, wrapper.zero_state(Sizes::B), Dense<float>(wave2<float>(5, 9, 1))); },
                           {"BasicDecoder: outputs have 9 classes", "only 7 rows"}));
  EXPECT_TRUE(throws_error([&] { BasicDecoder(wrapper, GreedyEmbeddingHelper<float>(wave2<float>(7, 3, 1), {1, 2, 0}, 3), wrapper.zero_state(Sizes::B)); },
                           {"BasicDecoder: the helper's inputs have depth 3", "input size is 4"}));
  EXPECT_TRUE(throws_error([&] { BasicDecoder(wrapper, GreedyEmbeddingHelper<float>(embedding<float>(), {1, 2}, 3), wrapper.zero_state(Sizes::B)); },
                           {"BasicDecoder: initial_state batch 2 does not match the memory batch 3"}));
  const BasicDecoder decoder(wrapper, helper, wrapper.zero_state(Sizes::B), output_layer<float>());
  DynamicDecodeOptions options;
  options.maximum_iterations = -1;
  EXPECT_TRUE(throws_error([&] { dynamic_decode(decoder, options); },
                           {"dynamic_decode: maximum_iterations=-1 must be >= 0"}));
}
