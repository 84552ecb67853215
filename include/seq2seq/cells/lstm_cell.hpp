// LSTMCell: TensorFlow 1.x tf.nn.rnn_cell.LSTMCell (no peepholes, clipping or projection yet).
#pragma once

#include <string>
#include <utility>

#include <seq2seq/core/activations.hpp>
#include <seq2seq/core/tensor.hpp>

namespace seq2seq {

/// TF 1.x LSTMStateTuple: `c` (memory cell) first, then `h` (output), each [batch, num_units].
template <class T>
struct LSTMStateTuple {
  Tensor2<T> c;
  Tensor2<T> h;
};

/// "LSTMStateTuple(c=[3,6], h=[3,6])": how messages and clone checks describe this state.
template <class T>
std::string shape_string(const LSTMStateTuple<T>& s) {
  return "LSTMStateTuple(c=" + shape_string(s.c) + ", h=" + shape_string(s.h) + ")";
}

/// The variables of a TF 1.x LSTMCell (`rnn/lstm_cell/kernel`, `.../bias`). Kernel rows are
/// [input ; h]; column blocks of width num_units are i, j, f, o (input gate, candidate, forget
/// gate, output gate). The forget bias is not part of `bias` (TF adds it at run time).
template <class T>
struct LSTMCellWeights {
  Tensor2<T> kernel;  ///< kernel [input_size + num_units, 4 * num_units]
  Tensor1<T> bias;    ///< bias [4 * num_units]
};

/// Long short-term memory cell with TF 1.x math, activation tanh:
///   [i, j, f, o] = [x, h] · kernel + bias
///   c' = sigmoid(f + forget_bias) ⊙ c + sigmoid(i) ⊙ tanh(j)
///   h' = sigmoid(o) ⊙ tanh(c')                  (output == h')
/// State: LSTMStateTuple{c, h}, each [batch, num_units].
template <class T>
class LSTMCell {
 public:
  using Scalar = T;
  using state_type = LSTMStateTuple<T>;

  /// Scratch for one call of `step` at a fixed batch size.
  struct Workspace {
    RowMatrix<T> gates;  // [B, 4H]
  };

  /// Throws seq2seq::Error if a weight does not have the shape above. `forget_bias` defaults to
  /// TF's 1.0 and is added to the f gate at every step, never folded into `bias`.
  LSTMCell(Index num_units, LSTMCellWeights<T> weights, T forget_bias = T(1))
      : units_(num_units), forget_bias_(forget_bias), w_(std::move(weights)) {
    if (units_ <= 0) detail::fail("LSTMCell: num_units=", units_, " must be positive");
    const Index rows = w_.kernel.dimension(0);
    if (rows <= units_) {
      detail::fail("LSTMCell: kernel has shape ", shape_string(w_.kernel),
                   ", expected [input_size + ", units_, ", ", 4 * units_, "] with input_size > 0");
    }
    input_size_ = rows - units_;
    detail::check_shape(w_.kernel, {rows, 4 * units_}, "LSTMCell: kernel");
    detail::check_shape(w_.bias, {4 * units_}, "LSTMCell: bias");
  }

  Index num_units() const { return units_; }
  Index input_size() const { return input_size_; }
  Index output_size() const { return units_; }
  T forget_bias() const { return forget_bias_; }
  const LSTMCellWeights<T>& weights() const { return w_; }

  /// All-zero state: c and h [batch, num_units].
  state_type zero_state(Index batch) const {
    return {detail::zeros<T, 2>({batch, units_}), detail::zeros<T, 2>({batch, units_})};
  }

  /// Throws unless c and h are [batch, num_units]; `where` names the caller's argument.
  void check_state(const state_type& state, Index batch, const std::string& where) const {
    detail::check_shape(state.c, {batch, units_}, where + ".c");
    detail::check_shape(state.h, {batch, units_}, where + ".h");
  }

  /// Copies batch row `b` of c and h (dynamic_rnn's copy-through of finished rows).
  void copy_state_row(const state_type& from, state_type& to, Index b) const {
    detail::copy_row(from.c, to.c, b);
    detail::copy_row(from.h, to.h, b);
  }

  Workspace make_workspace(Index batch) const { return {RowMatrix<T>(batch, 4 * units_)}; }

  /// One step for the whole batch: `input` [B, input_size], `state` updated in place,
  /// `output` [B, H]. Shapes are the caller's contract (checked once by dynamic_rnn / operator()).
  void step(ConstMatrixRef<T> input, state_type& state, MatrixRef<T> output, Workspace& ws) const {
    const Index I = input_size_, H = units_;
    auto c = detail::as_matrix(state.c);
    auto h = detail::as_matrix(state.h);
    const auto w = detail::as_matrix(w_.kernel);
    ws.gates.noalias() = input * w.topRows(I);
    ws.gates.noalias() += h * w.bottomRows(H);
    ws.gates.rowwise() += detail::as_row(w_.bias);
    const auto i = ws.gates.middleCols(0, H).array();
    const auto j = ws.gates.middleCols(H, H).array();
    const auto f = ws.gates.middleCols(2 * H, H).array();
    const auto o = ws.gates.middleCols(3 * H, H).array();
    c.array() = detail::sigmoid(f + forget_bias_) * c.array() + detail::sigmoid(i) * detail::tanh(j);
    h.array() = detail::sigmoid(o) * detail::tanh(c.array());
    output = h;
  }

  /// TensorFlow's `cell(inputs, state)`: inputs [B, input_size] -> (output [B, H], new state).
  /// Allocates; for loops use dynamic_rnn.
  std::pair<Tensor2<T>, state_type> operator()(const Tensor2<T>& inputs,
                                               const state_type& state) const {
    const Index batch = inputs.dimension(0);
    detail::check_shape(inputs, {batch, input_size_}, "LSTMCell: inputs");
    check_state(state, batch, "LSTMCell: state");
    std::pair<Tensor2<T>, state_type> result{Tensor2<T>(batch, units_), state};
    Workspace ws = make_workspace(batch);
    step(detail::as_matrix(inputs), result.second, detail::as_matrix(result.first), ws);
    return result;
  }

 private:
  Index units_;
  Index input_size_ = 0;
  T forget_bias_;
  LSTMCellWeights<T> w_;
};

}  // namespace seq2seq
