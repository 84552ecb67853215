// Test support for the TFA 0.23 decoding fixtures (tests/golden/decode_*.safetensors, written by
// tools/reference/golden_decode.py, whose docstring documents every tensor): builds the
// fixture's AttentionWrapper(GRU | LSTM, Bahdanau) decoder cell, output layer and initial state,
// tiled to batch * beam_width for the beam cases as TF tiled them.
#pragma once

#include <optional>
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

}  // namespace decode_golden
