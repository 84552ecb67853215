// Test support for the TFA 0.23 decoding fixtures (tests/golden/decode_*.safetensors, written by
// tools/reference/golden_decode.py, whose docstring documents every tensor): builds the
// fixture's AttentionWrapper(GRU | LSTM, Bahdanau) decoder cell, output layer and initial state,
// tiled to batch * beam_width for the beam cases as TF tiled them.
#pragma once

#include <array>
#include <cmath>
#include <optional>
#include <type_traits>
#include <string>
#include <vector>

#include "golden.hpp"

namespace decode_golden {

using namespace seq2seq;
using golden::meta_int;

/// int32 tensor of the fixture with the given shape.
template <int Rank>
IntTensor<Rank> ints(const io::SafetensorsFile& f, const std::string& name,
                     const std::array<Index, Rank>& shape) {
  const std::vector<int64_t> v = f.integers(name);
  IntTensor<Rank> out(shape);
  EXPECT_EQ(static_cast<Index>(v.size()), out.size()) << name;
  for (Index i = 0; i < out.size() && i < static_cast<Index>(v.size()); ++i) {
    out.data()[i] = static_cast<int32_t>(v[static_cast<std::size_t>(i)]);
  }
  return out;
}

template <int Rank>
void expect_equal(const IntTensor<Rank>& actual, const IntTensor<Rank>& expected,
                  const std::string& what) {
  ASSERT_EQ(shape_string(actual), shape_string(expected)) << what;
  long bad = 0;
  for (Index i = 0; i < expected.size(); ++i) {
    if (actual.data()[i] != expected.data()[i] && bad++ < 5) {
      ADD_FAILURE() << what << "[" << i << "]: got " << actual.data()[i] << ", TensorFlow "
                    << expected.data()[i];
    }
  }
  EXPECT_EQ(bad, 0) << what;
}

/// The fixture's decoder cell over its memory, tiled `tile` times (1: as stored).
template <class Cell, class T>
auto make_wrapper(const io::SafetensorsFile& f, Cell cell, Index tile) {
  const bool normalize = meta_int(f, "normalize") != 0;
  BahdanauAttentionWeights<T> w{f.tensor<T, 2>("mechanism/memory_layer/kernel"),
                                f.tensor<T, 2>("mechanism/query_layer/kernel"),
                                f.tensor<T, 1>("mechanism/attention_v"), T(0), {}};
  if (normalize) {
    w.attention_g = static_cast<T>(f.scalar("mechanism/attention_g"));
    w.attention_b = f.tensor<T, 1>("mechanism/attention_b");
  }
  BahdanauAttention<T> mech(meta_int(f, "attention_units"),
                            tile_batch(f.tensor<T, 3>("memory"), tile),
                            tile_batch(f.integers("memory_sequence_length"), tile), std::move(w),
                            normalize);
  AttentionWrapperConfig<T> config;
  if (meta_int(f, "attention_layer_size") > 0) {
    config.attention_layer_size = meta_int(f, "attention_layer_size");
    config.attention_layer_kernel = f.tensor<T, 2>("attention_layer/kernel");
  }
  config.alignment_history = true;
  config.output_attention = true;
  return AttentionWrapper(std::move(cell), std::move(mech), std::move(config));
}

template <class T>
std::optional<Dense<T>> output_layer(const io::SafetensorsFile& f) {
  if (meta_int(f, "output_layer") == 0) return std::nullopt;
  return Dense<T>(f.tensor<T, 2>("output_layer/kernel"), f.tensor<T, 1>("output_layer/bias"));
}

/// wrapper.zero_state(rows), with the fixture's initial_cell_state (tiled) when clone = 1.
template <class Wrapper, class T>
typename Wrapper::state_type initial_state(const io::SafetensorsFile& f, const Wrapper& wrapper,
                                           Index rows, Index tile) {
  auto state = wrapper.zero_state(rows);
  if (meta_int(f, "clone") != 0) {
    using CellState = typename Wrapper::cell_state_type;
    state = state.clone(
        tile_batch(golden::load_state<CellState, T>(f, "initial_cell_state/"), tile));
  }
  return state;
}

/// Calls body(wrapper) with the fixture's decoder cell (GRU or LSTM) tiled `tile` times.
template <class T, class Body>
void with_wrapper(const io::SafetensorsFile& f, Index tile, Body&& body) {
  if (f.metadata("kind") == "gru") {
    body(make_wrapper<GRUCell<T>, T>(f, golden::make_gru<T>(f), tile));
  } else {
    body(make_wrapper<LSTMCell<T>, T>(f, golden::make_lstm<T>(f), tile));
  }
}

/// The fixture's dynamic_decode options.
inline DynamicDecodeOptions options(const io::SafetensorsFile& f) {
  DynamicDecodeOptions o;
  if (meta_int(f, "maximum_iterations") > 0) o.maximum_iterations = meta_int(f, "maximum_iterations");
  o.impute_finished = meta_int(f, "impute_finished") != 0;
  o.output_time_major = meta_int(f, "output_time_major") != 0;
  return o;
}

/// Calls body(decoder) with the fixture's BasicDecoder (training or greedy sampler) over
/// `wrapper`.
template <class T, class Wrapper, class Body>
void with_basic_decoder(const io::SafetensorsFile& f, const Wrapper& wrapper, Body&& body) {
  const Index batch = meta_int(f, "batch");
  const auto init = initial_state<Wrapper, T>(f, wrapper, batch, 1);
  const auto layer = output_layer<T>(f);
  if (f.metadata("sampler") == "training") {
    const bool time_major = meta_int(f, "output_time_major") != 0;
    body(BasicDecoder(wrapper, TrainingHelper<T>(f.tensor<T, 3>("inputs"), f.integers("sequence_length"), time_major),
                      init, layer));
  } else {
    const int64_t end_token = meta_int(f, "end_token");
    body(BasicDecoder(wrapper, GreedyEmbeddingHelper<T>(f.tensor<T, 2>("embedding"), f.integers("start_tokens"), end_token),
                      init, layer));
  }
}

/// A BasicDecoder fixture's expected outputs, ids, lengths and every final state field against
/// `r` (a dynamic_decode result).
template <class T, class Result>
void expect_basic_decode(const io::SafetensorsFile& f, const Result& r) {
  const Index batch = meta_int(f, "batch"), steps = meta_int(f, "steps");
  const bool time_major = meta_int(f, "output_time_major") != 0;
  const std::array<Index, 2> ids_shape =
      time_major ? std::array<Index, 2>{steps, batch} : std::array<Index, 2>{batch, steps};
  expect_equal(r.outputs.sample_id, ints<2>(f, "expected/sample_id", ids_shape), "sample_id");
  golden::expect_close(r.outputs.rnn_output, f.tensor<T, 3>("expected/rnn_output"), "rnn_output");
  expect_equal(r.final_sequence_lengths, ints<1>(f, "expected/sequence_lengths", {batch}),
               "sequence_lengths");
  golden::expect_state(r.final_state.cell_state, f, "expected/final_state/cell_state/");
  golden::expect_close(r.final_state.attention, f.tensor<T, 2>("expected/final_state/attention"),
                       "attention");
  golden::expect_close(r.final_state.alignments, f.tensor<T, 2>("expected/final_state/alignments"),
                       "alignments");
  golden::expect_close(r.final_state.attention_state,
                       f.tensor<T, 2>("expected/final_state/attention_state"), "attention_state");
  golden::expect_close(r.final_state.alignment_history,
                       f.tensor<T, 3>("expected/final_state/alignment_history"), "alignment_history");
}

/// The fixture's BeamSearchDecoder over `wrapper` (tiled beam_width times), all scores kept.
template <class T, class Wrapper>
BeamSearchDecoder<Wrapper> beam_decoder(const io::SafetensorsFile& f, const Wrapper& wrapper) {
  const Index batch = meta_int(f, "batch"), k = meta_int(f, "beam_width");
  BeamSearchDecoderOptions<T> options;
  options.output_layer = output_layer<T>(f);
  options.length_penalty_weight = std::stod(f.metadata("length_penalty_weight"));
  options.coverage_penalty_weight = std::stod(f.metadata("coverage_penalty_weight"));
  options.output_all_scores = true;
  return BeamSearchDecoder(wrapper, f.tensor<T, 2>("embedding"), f.integers("start_tokens"),
                           meta_int(f, "end_token"), initial_state<Wrapper, T>(f, wrapper, batch * k, k),
                           k, options);
}

/// A [B, K, ...] fixture tensor against our [B*K, ...] one: the same values in the same order.
template <class T, int Rank, int ExpectedRank>
void expect_same_values(const Eigen::Tensor<T, Rank, Eigen::RowMajor, Index>& actual,
                        const io::SafetensorsFile& f, const std::string& name) {
  const auto expected = f.tensor<T, ExpectedRank>(name);
  ASSERT_EQ(actual.size(), expected.size()) << name;
  Eigen::TensorMap<const Eigen::Tensor<T, Rank, Eigen::RowMajor, Index>> reshaped(expected.data(), actual.dimensions());
  golden::expect_close(actual, Eigen::Tensor<T, Rank, Eigen::RowMajor, Index>(reshaped), name);
}

/// A BeamSearchDecoder fixture's expected ids, parents, scores, lengths and final state against
/// `r` (a dynamic_decode result of a decoder with `options`).
template <class T, class Result>
void expect_beam_decode(const io::SafetensorsFile& f, const Result& r,
                        const BeamSearchDecoderOptions<T>& options) {
  const Index batch = meta_int(f, "batch"), k = meta_int(f, "beam_width");
  const Index steps = meta_int(f, "steps");
  const std::array<Index, 3> shape{batch, steps, k};
  expect_equal(r.outputs.predicted_ids, ints<3>(f, "expected/predicted_ids", shape), "predicted_ids");
  const auto& raw = r.outputs.beam_search_decoder_output;
  expect_equal(raw.predicted_ids, ints<3>(f, "expected/beam/predicted_ids", shape), "beam/predicted_ids");
  expect_equal(raw.parent_ids, ints<3>(f, "expected/beam/parent_ids", shape), "beam/parent_ids");
  const double alpha = options.length_penalty_weight;
  if (std::is_same_v<T, double> && alpha != 0.0 && alpha != 1.0) {
    // TF computes the length penalty in float32 with its own pow (spec §5.4), which can differ
    // from ours by one float ulp: in float64 the scores then agree to float32 precision only.
    const auto expected = f.tensor<T, 3>("expected/beam/scores");
    ASSERT_EQ(shape_string(raw.scores), shape_string(expected));
    for (Index i = 0; i < expected.size(); ++i) {
      EXPECT_NEAR(raw.scores.data()[i], expected.data()[i], 3e-7 * std::abs(expected.data()[i])) << i;
    }
  } else {
    golden::expect_close(raw.scores, f.tensor<T, 3>("expected/beam/scores"), "beam/scores");
  }
  if (!(std::is_same_v<T, double> && alpha != 0.0 && alpha != 1.0)) {
    // Every candidate's penalised score before top_k (TFA's output_all_scores).
    golden::expect_close(raw.all_scores, f.tensor<T, 4>("expected/all_scores"), "all_scores");
  }
  expect_equal(r.final_sequence_lengths, ints<2>(f, "expected/sequence_lengths", {batch, k}), "sequence_lengths");
  const auto& st = r.final_state;
  golden::expect_close(st.log_probs, f.tensor<T, 2>("expected/final_state/log_probs"), "log_probs");
  IntTensor<2> finished(batch, k), lengths(batch, k);
  for (Index i = 0; i < finished.size(); ++i) {
    finished.data()[i] = st.finished.data()[i] ? 1 : 0;
    lengths.data()[i] = static_cast<int32_t>(st.lengths.data()[i]);
  }
  expect_equal(finished, ints<2>(f, "expected/final_state/finished", {batch, k}), "finished");
  expect_equal(lengths, ints<2>(f, "expected/final_state/lengths", {batch, k}), "lengths");
  if (options.coverage_penalty_weight != 0) {
    golden::expect_close(st.accumulated_attention_probs,
                         f.tensor<T, 3>("expected/final_state/accumulated_attention_probs"), "accumulated_attention_probs");
  }
  const auto& cs = st.cell_state;
  if constexpr (std::is_same_v<std::decay_t<decltype(cs.cell_state)>, Tensor2<T>>) {
    expect_same_values<T, 2, 3>(cs.cell_state, f, "expected/final_state/cell_state/h");
  } else {
    expect_same_values<T, 2, 3>(cs.cell_state.c, f, "expected/final_state/cell_state/c");
    expect_same_values<T, 2, 3>(cs.cell_state.h, f, "expected/final_state/cell_state/h");
  }
  expect_same_values<T, 2, 3>(cs.attention, f, "expected/final_state/attention");
  expect_same_values<T, 2, 3>(cs.alignments, f, "expected/final_state/alignments");
  expect_same_values<T, 2, 3>(cs.attention_state, f, "expected/final_state/attention_state");
  golden::expect_close(cs.alignment_history, f.tensor<T, 3>("expected/final_state/alignment_history"),
                       "alignment_history");
}

}  // namespace decode_golden
