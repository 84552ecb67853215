// Test support for the decoder tests: a small attention decoder (GRU or LSTM + Bahdanau,
// attention layer, alignment history) with deterministic weights, for the property tests that
// need no TensorFlow fixture.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include <seq2seq/seq2seq.hpp>

namespace decode_models {

using namespace seq2seq;

template <class T>
Tensor2<T> wave2(Index rows, Index cols, double salt, double scale = 0.6) {
  Tensor2<T> t(rows, cols);
  for (Index i = 0; i < t.size(); ++i) t.data()[i] = static_cast<T>(scale * std::sin(0.7 * i + salt));
  return t;
}
template <class T>
Tensor1<T> wave1(Index n, double salt, double scale = 0.5) {
  Tensor1<T> t(n);
  for (Index i = 0; i < n; ++i) t(i) = static_cast<T>(scale * std::sin(1.3 * i + salt));
  return t;
}

/// Sizes: batch 3, memory [3, 5, 3] with lengths (5, 3, 2), embedding [V=7, E=4], GRU 6 units,
/// Bahdanau 4 units, attention layer 5, output layer [5, 7] with bias.
struct Sizes {
  static constexpr Index B = 3, Tm = 5, Dm = 3, V = 7, E = 4, H = 6, U = 4, A = 5;
};

template <class T>
Tensor3<T> memory() {
  Tensor3<T> m(Sizes::B, Sizes::Tm, Sizes::Dm);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<T>(std::cos(0.37 * i));
  return m;
}
inline std::vector<int64_t> memory_lengths() { return {5, 3, 2}; }

/// AttentionWrapper(GRUCell, BahdanauAttention) over `memory`, attention layer 5, history on.
template <class T>
auto gru_wrapper(const Tensor3<T>& mem, std::vector<int64_t> lengths) {
  using S = Sizes;
  const Index rows = S::E + S::A + S::H;
  GRUCell<T> gru(S::H, {wave2<T>(rows, 2 * S::H, 1), wave1<T>(2 * S::H, 2), wave2<T>(rows, S::H, 3),
                        wave1<T>(S::H, 4), {}});
  BahdanauAttention<T> mech(S::U, mem, std::move(lengths),
                            {wave2<T>(S::Dm, S::U, 5), wave2<T>(S::H, S::U, 6), wave1<T>(S::U, 7)});
  AttentionWrapperConfig<T> config;
  config.attention_layer_size = S::A;
  config.attention_layer_kernel = wave2<T>(S::H + S::Dm, S::A, 8);
  config.alignment_history = true;
  return AttentionWrapper(std::move(gru), std::move(mech), std::move(config));
}

/// The same decoder with an LSTMCell (state LSTMStateTuple).
template <class T>
auto lstm_wrapper(const Tensor3<T>& mem, std::vector<int64_t> lengths) {
  using S = Sizes;
  LSTMCell<T> lstm(S::H, {wave2<T>(S::E + S::A + S::H, 4 * S::H, 12), wave1<T>(4 * S::H, 13)});
  BahdanauAttention<T> mech(S::U, mem, std::move(lengths),
                            {wave2<T>(S::Dm, S::U, 5), wave2<T>(S::H, S::U, 6), wave1<T>(S::U, 7)});
  AttentionWrapperConfig<T> config;
  config.attention_layer_size = S::A;
  config.attention_layer_kernel = wave2<T>(S::H + S::Dm, S::A, 8);
  config.alignment_history = true;
  return AttentionWrapper(std::move(lstm), std::move(mech), std::move(config));
}

/// Two Bahdanau mechanisms over the same memory (TF's multi mode), attention layers 3 + 2 = A.
template <class T>
auto multi_wrapper(const Tensor3<T>& mem, const std::vector<int64_t>& lengths) {
  using S = Sizes;
  const Index rows = S::E + S::A + S::H;
  GRUCell<T> gru(S::H, {wave2<T>(rows, 2 * S::H, 1), wave1<T>(2 * S::H, 2), wave2<T>(rows, S::H, 3),
                        wave1<T>(S::H, 4), {}});
  BahdanauAttention<T> first(S::U, mem, lengths,
                             {wave2<T>(S::Dm, S::U, 5), wave2<T>(S::H, S::U, 6), wave1<T>(S::U, 7)});
  BahdanauAttention<T> second(2, mem, lengths,
                              {wave2<T>(S::Dm, 2, 15), wave2<T>(S::H, 2, 16), wave1<T>(2, 17)});
  MultiAttentionWrapperConfig<T> config;
  config.attention_layer_size = {3, 2};
  config.attention_layer_kernel = {wave2<T>(S::H + S::Dm, 3, 8), wave2<T>(S::H + S::Dm, 2, 18)};
  config.alignment_history = true;
  return AttentionWrapper(std::move(gru), std::tuple{std::move(first), std::move(second)},
                          std::move(config));
}

/// A bare two-layer decoder cell (no attention): MultiRNNCell(GRU(6), LSTM(5)), output 5 = A.
template <class T>
auto stacked_cell() {
  using S = Sizes;
  GRUCell<T> gru(S::H, {wave2<T>(S::E + S::H, 2 * S::H, 21), wave1<T>(2 * S::H, 22),
                        wave2<T>(S::E + S::H, S::H, 23), wave1<T>(S::H, 24), {}});
  LSTMCell<T> lstm(S::A, {wave2<T>(S::H + S::A, 4 * S::A, 25), wave1<T>(4 * S::A, 26)});
  return MultiRNNCell(std::move(gru), std::move(lstm));
}

template <class T>
Tensor2<T> embedding() {
  return wave2<T>(Sizes::V, Sizes::E, 9, 1.0);
}
template <class T>
Dense<T> output_layer(double scale = 1.5) {
  return Dense<T>(wave2<T>(Sizes::A, Sizes::V, 10, scale), wave1<T>(Sizes::V, 11));
}

}  // namespace decode_models
