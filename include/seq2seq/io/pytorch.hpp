// Build cells from PyTorch nn.GRU / nn.LSTM state_dict names (weight_ih_l0, weight_hh_l0,
// bias_ih_l0, bias_hh_l0; suffix _reverse for the backward direction of a bidirectional RNN),
// converting the [out, in] weights, gate order and the two biases to ours.
#pragma once

#include <string>

#include <seq2seq/cells/gru_cell.hpp>
#include <seq2seq/cells/lstm_cell.hpp>
#include <seq2seq/io/layout.hpp>

namespace seq2seq::io::pytorch {

namespace detail {

/// "<prefix>weight_ih_l<layer>[_reverse]" and friends.
inline std::string name(const std::string& prefix, const char* what, int layer, bool reverse) {
  return prefix + what + "_l" + std::to_string(layer) + (reverse ? "_reverse" : "");
}

/// One layer and direction of an nn.GRU / nn.LSTM: weight_ih [gates*H, I], weight_hh
/// [gates*H, H], and bias_ih, bias_hh [gates*H] (zeros when the module was built with bias=False).
template <class T>
struct Layer {
  Index units, input_size;
  Tensor2<T> w_ih, w_hh;
  Tensor1<T> b_ih, b_hh;
};

template <class T, class File>
Layer<T> layer(const File& file, const std::string& prefix, int index, bool reverse, Index gates) {
  namespace d = seq2seq::io::detail;
  const std::string wih = name(prefix, "weight_ih", index, reverse);
  const std::string whh = name(prefix, "weight_hh", index, reverse);
  const Index h = d::dim(file, whh, 2, 1);
  const Index in = d::dim(file, wih, 2, 1);
  Layer<T> l{h, in, file.template tensor<T, 2>(wih, {gates * h, in}),
             file.template tensor<T, 2>(whh, {gates * h, h}), Tensor1<T>(gates * h),
             Tensor1<T>(gates * h)};
  const std::string ih = name(prefix, "bias_ih", index, reverse);
  const std::string hh = name(prefix, "bias_hh", index, reverse);
  if (file.contains(ih) || file.contains(hh)) {
    l.b_ih = file.template tensor<T, 1>(ih, {gates * h});
    l.b_hh = file.template tensor<T, 1>(hh, {gates * h});
  } else {
    l.b_ih.setZero();
    l.b_hh.setZero();
  }
  return l;
}

}  // namespace detail

/// GRUCell (reset-after form, which is nn.GRU's) for layer `layer` of an nn.GRU, backward
/// direction when `reverse`: weight_ih [3H, I] and weight_hh [3H, H] with row blocks r, z, n,
/// bias_ih and bias_hh [3H]. `prefix` is the module's state_dict prefix, e.g. "encoder.rnn.".
template <class T, class File>
GRUCell<T> gru_cell(const File& file, int layer = 0, bool reverse = false,
                    const std::string& prefix = "") {
  namespace d = seq2seq::io::detail;
  const auto l = detail::layer<T>(file, prefix, layer, reverse, 3);
  const Index h = l.units, in = l.input_size;
  GRUCellWeights<T> w{Tensor2<T>(in + h, 2 * h), Tensor1<T>(2 * h), Tensor2<T>(in + h, h),
                      d::slice(l.b_ih, 2 * h, h), d::slice(l.b_hh, 2 * h, h)};
  // PyTorch row blocks r = [0, H), z = [H, 2H), n = [2H, 3H); ours are (r, u = z) and candidate n.
  d::copy_block(l.w_ih, 0, 2 * h, w.gates_kernel, 0, 0, true);
  d::copy_block(l.w_hh, 0, 2 * h, w.gates_kernel, in, 0, true);
  d::copy_block(l.w_ih, 2 * h, h, w.candidate_kernel, 0, 0, true);
  d::copy_block(l.w_hh, 2 * h, h, w.candidate_kernel, in, 0, true);
  for (Index i = 0; i < 2 * h; ++i) w.gates_bias(i) = l.b_ih(i) + l.b_hh(i);
  return GRUCell<T>(h, std::move(w), /*reset_after=*/true);
}

/// LSTMCell for layer `layer` of an nn.LSTM (backward direction when `reverse`): weight_ih
/// [4H, I] and weight_hh [4H, H] with row blocks i, f, g, o; bias_ih + bias_hh. PyTorch has no
/// separate forget bias, so forget_bias is 0. nn.LSTM's (h, c) is our LSTMStateTuple{c, h}.
template <class T, class File>
LSTMCell<T> lstm_cell(const File& file, int layer = 0, bool reverse = false,
                      const std::string& prefix = "") {
  namespace d = seq2seq::io::detail;
  const auto l = detail::layer<T>(file, prefix, layer, reverse, 4);
  const Index h = l.units, in = l.input_size;
  LSTMCellWeights<T> w{Tensor2<T>(in + h, 4 * h), Tensor1<T>(4 * h)};
  // PyTorch block k goes to our block order[k]: i -> i, f -> f, g -> j, o -> o.
  const Index order[4] = {0, 2, 1, 3};
  for (Index k = 0; k < 4; ++k) {
    d::copy_block(l.w_ih, k * h, h, w.kernel, 0, order[k] * h, true);
    d::copy_block(l.w_hh, k * h, h, w.kernel, in, order[k] * h, true);
    for (Index i = 0; i < h; ++i) w.bias(order[k] * h + i) = l.b_ih(k * h + i) + l.b_hh(k * h + i);
  }
  return LSTMCell<T>(h, std::move(w), T(0));
}

}  // namespace seq2seq::io::pytorch
