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

/// bias_ih and bias_hh [gates*H], or zeros when the module was built with bias=False.
template <class T, class File>
std::pair<Tensor1<T>, Tensor1<T>> biases(const File& file, const std::string& prefix, int layer,
                                         bool reverse, Index size) {
  std::pair<Tensor1<T>, Tensor1<T>> b{Tensor1<T>(size), Tensor1<T>(size)};
  const std::string ih = name(prefix, "bias_ih", layer, reverse);
  const std::string hh = name(prefix, "bias_hh", layer, reverse);
  if (file.contains(ih) || file.contains(hh)) {
    b.first = file.template tensor<T, 1>(ih, {size});
    b.second = file.template tensor<T, 1>(hh, {size});
  } else {
    b.first.setZero();
    b.second.setZero();
  }
  return b;
}

}  // namespace detail

/// GRUCell (reset-after form, which is nn.GRU's) for layer `layer` of an nn.GRU, backward
/// direction when `reverse`: weight_ih [3H, I] and weight_hh [3H, H] with row blocks r, z, n,
/// bias_ih and bias_hh [3H]. `prefix` is the module's state_dict prefix, e.g. "encoder.rnn.".
template <class T, class File>
GRUCell<T> gru_cell(const File& file, int layer = 0, bool reverse = false,
                    const std::string& prefix = "") {
  namespace d = seq2seq::io::detail;
  const std::string wih = detail::name(prefix, "weight_ih", layer, reverse);
  const std::string whh = detail::name(prefix, "weight_hh", layer, reverse);
  const Index h = d::dim(file, whh, 2, 1);
  const Index in = d::dim(file, wih, 2, 1);
  const auto w_ih = file.template tensor<T, 2>(wih, {3 * h, in});
  const auto w_hh = file.template tensor<T, 2>(whh, {3 * h, h});
  const auto [b_ih, b_hh] = detail::biases<T>(file, prefix, layer, reverse, 3 * h);
  GRUCellWeights<T> w{Tensor2<T>(in + h, 2 * h), Tensor1<T>(2 * h), Tensor2<T>(in + h, h),
                      d::slice(b_ih, 2 * h, h), d::slice(b_hh, 2 * h, h)};
  // PyTorch row blocks r = [0, H), z = [H, 2H), n = [2H, 3H); ours are (r, u = z) and candidate n.
  d::copy_block(w_ih, 0, 2 * h, w.gates_kernel, 0, 0, true);
  d::copy_block(w_hh, 0, 2 * h, w.gates_kernel, in, 0, true);
  d::copy_block(w_ih, 2 * h, h, w.candidate_kernel, 0, 0, true);
  d::copy_block(w_hh, 2 * h, h, w.candidate_kernel, in, 0, true);
  for (Index i = 0; i < 2 * h; ++i) w.gates_bias(i) = b_ih(i) + b_hh(i);
  return GRUCell<T>(h, std::move(w), /*reset_after=*/true);
}

/// LSTMCell for layer `layer` of an nn.LSTM (backward direction when `reverse`): weight_ih
/// [4H, I] and weight_hh [4H, H] with row blocks i, f, g, o; bias_ih + bias_hh. PyTorch has no
/// separate forget bias, so forget_bias is 0. nn.LSTM's (h, c) is our LSTMStateTuple{c, h}.
template <class T, class File>
LSTMCell<T> lstm_cell(const File& file, int layer = 0, bool reverse = false,
                      const std::string& prefix = "") {
  namespace d = seq2seq::io::detail;
  const std::string wih = detail::name(prefix, "weight_ih", layer, reverse);
  const std::string whh = detail::name(prefix, "weight_hh", layer, reverse);
  const Index h = d::dim(file, whh, 2, 1);
  const Index in = d::dim(file, wih, 2, 1);
  const auto w_ih = file.template tensor<T, 2>(wih, {4 * h, in});
  const auto w_hh = file.template tensor<T, 2>(whh, {4 * h, h});
  const auto [b_ih, b_hh] = detail::biases<T>(file, prefix, layer, reverse, 4 * h);
  LSTMCellWeights<T> w{Tensor2<T>(in + h, 4 * h), Tensor1<T>(4 * h)};
  // PyTorch block k goes to our block order[k]: i -> i, f -> f, g -> j, o -> o.
  const Index order[4] = {0, 2, 1, 3};
  for (Index k = 0; k < 4; ++k) {
    d::copy_block(w_ih, k * h, h, w.kernel, 0, order[k] * h, true);
    d::copy_block(w_hh, k * h, h, w.kernel, in, order[k] * h, true);
    for (Index i = 0; i < h; ++i) w.bias(order[k] * h + i) = b_ih(k * h + i) + b_hh(k * h + i);
  }
  return LSTMCell<T>(h, std::move(w), T(0));
}

}  // namespace seq2seq::io::pytorch
