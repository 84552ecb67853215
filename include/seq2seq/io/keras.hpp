// Build cells and attention from Keras weights (tf.keras GRU / LSTM layers, Keras 2 and 3, and
// tfa.seq2seq layers inside a Keras model), converting gate order, the split kernel /
// recurrent_kernel and the bias layout to ours. Keras must have used
// its defaults activation='tanh', recurrent_activation='sigmoid' (the TF1-era "v1" cells with
// hard_sigmoid are not these functions).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <seq2seq/attention/bahdanau_attention.hpp>
#include <seq2seq/cells/gru_cell.hpp>
#include <seq2seq/cells/lstm_cell.hpp>
#include <seq2seq/io/layout.hpp>
#include <seq2seq/io/tf1.hpp>

namespace seq2seq::io::keras {

namespace detail {

using namespace seq2seq::io::detail;

/// A Keras recurrent cell's `<scope>/kernel [I, gates*H]` and `<scope>/recurrent_kernel
/// [H, gates*H]` with the sizes they imply.
template <class T>
struct Kernels {
  Index units, input_size;
  Tensor2<T> kernel, recurrent;
};

template <class T, class File>
Kernels<T> kernels(const File& file, const std::string& p, Index gates) {
  const Index h = dim(file, p + "recurrent_kernel", 2, 0);
  const Index in = dim(file, p + "kernel", 2, 0);
  return {h, in, file.template tensor<T, 2>(p + "kernel", {in, gates * h}),
          file.template tensor<T, 2>(p + "recurrent_kernel", {h, gates * h})};
}

}  // namespace detail

/// GRUCell from `<scope>/kernel [I, 3H]`, `<scope>/recurrent_kernel [H, 3H]` (columns z, r, h)
/// and `<scope>/bias`: [3H] for reset_after=False (exactly TF 1.x's GRUCell) or [2, 3H] (input
/// bias, recurrent bias) for reset_after=True, Keras 2's default, which gives a reset-after
/// GRUCell. Our gates are (r, u) with u = Keras z. The state is h, as in Keras.
template <class T, class File>
GRUCell<T> gru_cell(const File& file, const std::string& scope = "gru/gru_cell") {
  const std::string p = scope + "/";
  const auto [h, in, kernel, recurrent] = detail::kernels<T>(file, p, 3);
  const bool reset_after = file.shape(p + "bias").size() == 2;
  Tensor1<T> b_in(3 * h), b_rec(3 * h);
  if (reset_after) {
    const auto bias = file.template tensor<T, 2>(p + "bias", {2, 3 * h});
    for (Index i = 0; i < 3 * h; ++i) {
      b_in(i) = bias(0, i);
      b_rec(i) = bias(1, i);
    }
  } else {
    b_in = file.template tensor<T, 1>(p + "bias", {3 * h});
    b_rec.setZero();
  }
  GRUCellWeights<T> w{Tensor2<T>(in + h, 2 * h), Tensor1<T>(2 * h), Tensor2<T>(in + h, h),
                      detail::slice(b_in, 2 * h, h), {}};
  // Keras column blocks: z = [0, H), r = [H, 2H), h = [2H, 3H). Ours: r, u.
  detail::copy_block(kernel, h, h, w.gates_kernel, 0, 0);
  detail::copy_block(kernel, 0, h, w.gates_kernel, 0, h);
  detail::copy_block(recurrent, h, h, w.gates_kernel, in, 0);
  detail::copy_block(recurrent, 0, h, w.gates_kernel, in, h);
  detail::copy_block(kernel, 2 * h, h, w.candidate_kernel, 0, 0);
  detail::copy_block(recurrent, 2 * h, h, w.candidate_kernel, in, 0);
  for (Index i = 0; i < h; ++i) {
    w.gates_bias(i) = b_in(h + i) + b_rec(h + i);  // r
    w.gates_bias(h + i) = b_in(i) + b_rec(i);      // u = z
  }
  if (reset_after) w.candidate_recurrent_bias = detail::slice(b_rec, 2 * h, h);
  return GRUCell<T>(h, std::move(w), reset_after);
}

/// LSTMCell from `<scope>/kernel [I, 4H]`, `<scope>/recurrent_kernel [H, 4H]` (columns i, f, c,
/// o) and `<scope>/bias [4H]`. Keras bakes the forget bias into `bias` (unit_forget_bias), so
/// the cell's forget_bias is 0. Keras orders the state [h, c]; ours is LSTMStateTuple{c, h}.
template <class T, class File>
LSTMCell<T> lstm_cell(const File& file, const std::string& scope = "lstm/lstm_cell") {
  const std::string p = scope + "/";
  const auto [h, in, kernel, recurrent] = detail::kernels<T>(file, p, 4);
  const auto bias = file.template tensor<T, 1>(p + "bias", {4 * h});
  LSTMCellWeights<T> w{Tensor2<T>(in + h, 4 * h), Tensor1<T>(4 * h)};
  // Keras block k goes to our block order[k]: i -> i, f -> f, c -> j, o -> o.
  const Index order[4] = {0, 2, 1, 3};
  for (Index k = 0; k < 4; ++k) {
    detail::copy_block(kernel, k * h, h, w.kernel, 0, order[k] * h);
    detail::copy_block(recurrent, k * h, h, w.kernel, in, order[k] * h);
    for (Index i = 0; i < h; ++i) w.bias(order[k] * h + i) = bias(k * h + i);
  }
  return LSTMCell<T>(h, std::move(w), T(0));
}

/// BahdanauAttention over `memory` [B, Tm, Dm] from TFA's Keras weight names (TF2 eager): the
/// query layer is `<scope>/kernel [Hq, U]` (TFA does not call it query_layer), `<scope>/attention_v
/// [U]`, with normalize when `<scope>/attention_g` exists (`attention_g []`, `attention_b [U]`), and
/// the memory layer `<memory_layer_scope>/kernel [Dm, U]`. The defaults are the names inside a model
/// whose RNN layer is called "rnn", with the model's own name prefix removed.
template <class T, class File, class Memory>
BahdanauAttention<T> bahdanau_attention(
    const File& file, const Memory& memory, std::vector<int64_t> memory_sequence_length = {},
    const std::string& scope = "rnn/attention_wrapper/BahdanauAttention",
    const std::string& memory_layer_scope = "BahdanauAttention/memory_layer") {
  SEQ2SEQ_STATIC_CHECK_TENSOR(Memory, T, 3,
                              "io::keras::bahdanau_attention: memory must be rank 3 [batch, "
                              "memory_time, memory_depth]");
  return detail::bahdanau_attention<T>(file, seq2seq::detail::tensor_arg<T, 3>(memory),
                                       std::move(memory_sequence_length),
                                    memory_layer_scope + "/kernel", scope + "/kernel", scope);
}

/// TFA's attention layer is `<wrapper scope>/attention_layer/kernel` in Keras too, so the TF 1.x
/// reader applies (e.g. scope "rnn/attention_wrapper").
using tf1::attention_wrapper_config;

}  // namespace seq2seq::io::keras
