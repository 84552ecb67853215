// BasicRNNCell: TensorFlow 1.x tf.nn.rnn_cell.BasicRNNCell (the plain tanh recurrence).
#pragma once

#include <array>
#include <string>
#include <type_traits>
#include <utility>

#include <seq2seq/core/activations.hpp>
#include <seq2seq/core/cell_call.hpp>
#include <seq2seq/core/gemm.hpp>
#include <seq2seq/core/tensor.hpp>

namespace seq2seq {

/// The two variables of a TF 1.x BasicRNNCell, named and laid out as TensorFlow stores them
/// (`rnn/basic_rnn_cell/kernel`, `.../bias`). Kernel rows are [input ; state].
template <class T>
struct BasicRNNCellWeights {
  Tensor2<T> kernel;  ///< kernel [input_size + num_units, num_units]
  Tensor1<T> bias;    ///< bias [num_units]

  BasicRNNCellWeights() = default;
  /// Each a tensor, TensorMap or expression of its rank (another rank does not compile, and the
  /// message names the field).
  template <class K, class B>
  BasicRNNCellWeights(K&& k, B&& b)
      : kernel(detail::ranked_arg<T, 2>(std::forward<K>(k))),
        bias(detail::ranked_arg<T, 1>(std::forward<B>(b))) {
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<K>, T, 2,
                                "BasicRNNCellWeights: kernel must be rank 2 [input_size + "
                                "num_units, num_units]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<B>, T, 1,
                                "BasicRNNCellWeights: bias must be rank 1 [num_units]");
  }
};

/// Vanilla RNN cell with TF 1.x math, activation tanh:
///   h' = tanh([x, h] · kernel + bias)          (output == new state == h')
/// State: Tensor2 [batch, num_units]. The input size is the kernel's row count minus num_units.
template <class T>
class BasicRNNCell {
 public:
  using Scalar = T;               ///< float or double.
  using state_type = Tensor2<T>;  ///< State h (== output) [batch, num_units].

  /// No scratch: the pre-activation is built in the output block itself.
  struct Workspace {};

  /// Throws seq2seq::Error if num_units is not positive or a weight does not have the shape
  /// above.
  BasicRNNCell(Index num_units, BasicRNNCellWeights<T> weights)
      : units_(num_units), w_(std::move(weights)) {
    if (units_ <= 0) detail::fail("BasicRNNCell: num_units=", units_, " must be positive");
    detail::check_units("BasicRNNCell", units_, 1);
    detail::check_not_transposed(w_.kernel, units_, "BasicRNNCell: kernel");
    const Index rows = w_.kernel.dimension(0);
    if (rows <= units_) {
      detail::fail("BasicRNNCell: kernel has shape ", shape_string(w_.kernel),
                   ", expected [input_size + ", units_, ", ", units_, "] with input_size > 0");
    }
    input_size_ = rows - units_;
    detail::check_shape(w_.kernel, {rows, units_}, "BasicRNNCell: kernel");
    detail::check_shape(w_.bias, {units_}, "BasicRNNCell: bias");
  }

  /// Number of units (the state's and output's depth).
  Index num_units() const { return units_; }
  /// Depth of the inputs: the kernel's row count minus num_units.
  Index input_size() const { return input_size_; }
  /// For messages: the kernel shapes this cell needs for inputs of depth `input_size`, whose
  /// make-up `input_desc` names (AttentionWrapper: "input_depth + attention_size").
  std::string kernel_shapes(const std::string& input_desc, Index input_size) const {
    return "kernel [" + input_desc + " + num_units, num_units] = " +
           detail::dims_string(std::array<Index, 2>{input_size + units_, units_});
  }
  /// Depth of the output: num_units.
  Index output_size() const { return units_; }
  /// The cell's variables, as given to the constructor.
  const BasicRNNCellWeights<T>& weights() const { return w_; }

  /// All-zero state [batch, num_units].
  state_type zero_state(Index batch) const {
    detail::check_batch_size("BasicRNNCell::zero_state", batch, units_);
    return detail::zeros<T, 2>({batch, units_});
  }

  /// Throws unless `state` is [batch, num_units]; `where` names the caller's argument.
  void check_state(const state_type& state, Index batch, const std::string& where) const {
    detail::check_shape(state, {batch, units_}, where);
  }

  /// Copies batch row `b` of a state (dynamic_rnn's copy-through of finished rows).
  void copy_state_row(const state_type& from, state_type& to, Index b) const {
    detail::copy_row(from, to, b);
  }

  /// A copy of rows [first, first + rows) of a state (dynamic_rnn's batch split and ragged
  /// rows).
  state_type state_rows(const state_type& s, Index first, Index rows) const {
    return detail::copy_rows(s, first, rows);
  }
  /// Copies rows [from_first, from_first + rows) of `from` to rows [to_first, to_first +
  /// rows) of `to`, in place (dynamic_rnn's batch split and ragged rows).
  void copy_state_rows(const state_type& from, Index from_first, state_type& to, Index to_first,
                       Index rows) const {
    detail::copy_rows(from, from_first, to, to_first, rows);
  }

  /// The empty workspace: this cell needs no scratch, at any batch size.
  Workspace make_workspace(Index /*batch*/) const { return {}; }
  /// Nothing to size: the workspace is empty.
  void prepare_workspace(Workspace& /*ws*/, Index /*batch*/) const {}

  /// Width of the input projection: H.
  Index input_projection_size() const { return units_; }

  /// The part of a step that depends only on the input, for many steps at once (dynamic_rnn
  /// hoists it out of the time loop): `projected` [N, H] = input [N, cols] · kernel rows
  /// first_row .. first_row + cols; added to `projected` when `accumulate`.
  void project_input(ConstMatrixRef<T> input, MatrixRef<T> projected, Index first_row = 0,
                     bool accumulate = false) const {
    detail::gemm<T>(input, detail::as_matrix(w_.kernel).middleRows(first_row, input.cols()),
                    projected, accumulate);
  }

  /// One step from its input projection `projected` [B, H] (overwritten; may be `output`
  /// itself), `state` [B, H] updated in place, `output` [B, H] (must not alias `state`). `state`
  /// may have more rows than B: the step runs on its first B (dynamic_rnn's rows still running).
  void step_projected(MatrixRef<T> projected, state_type& state, MatrixRef<T> output,
                      Workspace& /*ws*/) const {
    auto h = detail::as_matrix(state).topRows(projected.rows());
    // [x, h] · W as x · W[:I] + h · W[I:]; TF adds the bias after the matmul (bias_add).
    detail::gemm<T>(h, detail::as_matrix(w_.kernel).bottomRows(units_), projected, true);
    projected.rowwise() += detail::as_row(w_.bias);
    output.array() = detail::tanh(projected.array());
    h = output;
  }

  /// One step for the whole batch: `input` [B, input_size], `state` [B, H] updated in place,
  /// `output` [B, H] (must not alias `state`). Shapes are the caller's contract (checked once by
  /// dynamic_rnn / operator()).
  void step(ConstMatrixRef<T> input, state_type& state, MatrixRef<T> output,
            Workspace& ws) const {
    project_input(input, output);
    step_projected(output, state, output, ws);
  }

  /// TensorFlow's `cell(inputs, state)`: inputs [B, input_size], state [B, H] -> (output, new
  /// state). Both may be tensors, TensorMaps or expressions of rank 2. Allocates; for loops use
  /// dynamic_rnn.
  template <class Inputs, class State>
  std::pair<Tensor2<T>, state_type> operator()(const Inputs& inputs, const State& state) const {
    SEQ2SEQ_STATIC_CHECK_TENSOR(Inputs, T, 2,
                                "BasicRNNCell(inputs, state): inputs must be rank 2 [batch, "
                                "input_size]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(State, T, 2,
                                "BasicRNNCell(inputs, state): state must be rank 2 [batch, "
                                "num_units]");
    return detail::call_cell(*this, detail::tensor_arg<T, 2>(inputs),
                             state_type(detail::tensor_arg<T, 2>(state)), "BasicRNNCell");
  }

 private:
  Index units_;
  Index input_size_ = 0;
  BasicRNNCellWeights<T> w_;
};

}  // namespace seq2seq
