// GRUCell: TensorFlow 1.x tf.nn.rnn_cell.GRUCell (reset gate applied before the candidate matmul),
// and, as an option, the reset-after form of Keras GRU (reset_after=True), PyTorch and cuDNN.
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

/// The four variables of a TF 1.x GRUCell, named and laid out as TensorFlow stores them
/// (`rnn/gru_cell/gates/kernel` ...). Kernel rows are [input ; state]; gate columns are r then u.
template <class T>
struct GRUCellWeights {
  Tensor2<T> gates_kernel;      ///< gates/kernel [input_size + num_units, 2 * num_units]
  Tensor1<T> gates_bias;        ///< gates/bias [2 * num_units]
  Tensor2<T> candidate_kernel;  ///< candidate/kernel [input_size + num_units, num_units]
  Tensor1<T> candidate_bias;    ///< candidate/bias [num_units]
  /// Reset-after form only: the bias of the candidate's recurrent product, [num_units] (Keras
  /// bias[1, 2H:], PyTorch bias_hh_n). Leave empty for the TF 1.x form.
  Tensor1<T> candidate_recurrent_bias{};

  GRUCellWeights() = default;
  /// The variables in this order, each a tensor, TensorMap or expression of its rank (another
  /// rank, scalar type or layout does not compile, and the message names the field).
  template <class GK, class GB, class CK, class CB, class CRB = Tensor1<T>>
  GRUCellWeights(GK&& gk, GB&& gb, CK&& ck, CB&& cb, CRB&& crb = CRB())
      : gates_kernel(detail::ranked_arg<T, 2>(std::forward<GK>(gk))),
        gates_bias(detail::ranked_arg<T, 1>(std::forward<GB>(gb))),
        candidate_kernel(detail::ranked_arg<T, 2>(std::forward<CK>(ck))),
        candidate_bias(detail::ranked_arg<T, 1>(std::forward<CB>(cb))),
        candidate_recurrent_bias(detail::ranked_arg<T, 1>(std::forward<CRB>(crb))) {
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<GK>, T, 2,
                                "GRUCellWeights: gates_kernel must be rank 2 [input_size + "
                                "num_units, 2 * num_units]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<GB>, T, 1,
                                "GRUCellWeights: gates_bias must be rank 1 [2 * num_units]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<CK>, T, 2,
                                "GRUCellWeights: candidate_kernel must be rank 2 [input_size + "
                                "num_units, num_units]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<CB>, T, 1,
                                "GRUCellWeights: candidate_bias must be rank 1 [num_units]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<CRB>, T, 1,
                                "GRUCellWeights: candidate_recurrent_bias must be rank 1 "
                                "[num_units] (or empty)");
  }
};

/// Gated recurrent unit with TF 1.x math, activation tanh:
///   [r, u] = sigmoid([x, h] · gates/kernel + gates/bias)
///   c      = tanh([x, r ⊙ h] · candidate/kernel + candidate/bias)
///   h'     = u ⊙ h + (1 − u) ⊙ c          (output == new state == h')
/// With reset_after = true (Keras reset_after=True, PyTorch nn.GRU, cuDNN) the candidate is
///   c      = tanh(x · Wc[:I] + candidate/bias + r ⊙ (h · Wc[I:] + candidate_recurrent_bias))
/// State: Tensor2 [batch, num_units]. The input size is the kernels' row count minus num_units.
template <class T>
class GRUCell {
 public:
  using Scalar = T;               ///< float or double.
  using state_type = Tensor2<T>;  ///< State h (== output) [batch, num_units].

  /// Scratch buffers for one call of `step` at a fixed batch size; sized once, reused each step.
  struct Workspace {
    RowMatrix<T> projected;  ///< [B, 3H]  the input projection, then gates (r, u) and candidate
    RowMatrix<T> reset_h;    ///< [B, H]   r ⊙ h, or h · Wc[I:] + b when reset_after
  };

  /// Throws seq2seq::Error if a weight does not have the shape above.
  GRUCell(Index num_units, GRUCellWeights<T> weights, bool reset_after = false)
      : units_(num_units), reset_after_(reset_after), w_(std::move(weights)) {
    if (units_ <= 0) detail::fail("GRUCell: num_units=", units_, " must be positive");
    detail::check_units("GRUCell", units_, 3);
    detail::check_not_transposed(w_.gates_kernel, 2 * units_, "GRUCell: gates/kernel");
    detail::check_not_transposed(w_.candidate_kernel, units_, "GRUCell: candidate/kernel");
    const Index rows = w_.gates_kernel.dimension(0);
    if (rows <= units_) {
      detail::fail("GRUCell: gates/kernel has shape ", shape_string(w_.gates_kernel),
                   ", expected [input_size + ", units_, ", ", 2 * units_, "] with input_size > 0");
    }
    input_size_ = rows - units_;
    detail::check_shape(w_.gates_kernel, {rows, 2 * units_}, "GRUCell: gates/kernel");
    detail::check_shape(w_.gates_bias, {2 * units_}, "GRUCell: gates/bias");
    detail::check_shape(w_.candidate_kernel, {rows, units_}, "GRUCell: candidate/kernel");
    detail::check_shape(w_.candidate_bias, {units_}, "GRUCell: candidate/bias");
    detail::check_shape(w_.candidate_recurrent_bias, {reset_after_ ? units_ : 0},
                        reset_after_ ? "GRUCell: candidate_recurrent_bias (reset_after)"
                                     : "GRUCell: candidate_recurrent_bias (only for reset_after)");
  }

  /// Number of units (the state's and output's depth).
  Index num_units() const { return units_; }
  /// Depth of the inputs: the kernels' row count minus num_units.
  Index input_size() const { return input_size_; }
  /// For messages: the kernel shapes this cell needs for inputs of depth `input_size`, whose
  /// make-up `input_desc` names (AttentionWrapper: "input_depth + attention_size").
  std::string kernel_shapes(const std::string& input_desc, Index input_size) const {
    const std::string rows = input_desc + " + num_units, ";
    return "gates/kernel [" + rows + "2*num_units] = " +
           detail::dims_string(std::array<Index, 2>{input_size + units_, 2 * units_}) +
           " and candidate/kernel [" + rows + "num_units] = " +
           detail::dims_string(std::array<Index, 2>{input_size + units_, units_});
  }
  /// Depth of the output: num_units.
  Index output_size() const { return units_; }
  /// Whether the candidate uses the reset-after form (Keras reset_after=True, PyTorch, cuDNN).
  bool reset_after() const { return reset_after_; }
  /// The cell's variables, as given to the constructor.
  const GRUCellWeights<T>& weights() const { return w_; }

  /// All-zero state [batch, num_units].
  state_type zero_state(Index batch) const {
    detail::check_batch_size("GRUCell::zero_state", batch, units_);
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

  /// A workspace for `batch` rows, made once and reused at every step (the library allocates
  /// nothing per step).
  Workspace make_workspace(Index batch) const {
    Workspace ws;
    prepare_workspace(ws, batch);
    return ws;
  }
  /// Sizes `ws` for `batch` rows in place (allocates only when a size changes).
  void prepare_workspace(Workspace& ws, Index batch) const {
    ws.projected.resize(batch, 3 * units_);
    ws.reset_h.resize(batch, units_);
  }

  /// Width of the input projection: 3H (the gates' 2H columns, then the candidate's H).
  Index input_projection_size() const { return 3 * units_; }

  /// The part of a step that depends only on the input, for many steps at once (dynamic_rnn
  /// hoists it out of the time loop): `projected` [N, 3H] = input [N, cols] · the kernels' input
  /// rows first_row .. first_row + cols, [gates | candidate]; added to `projected` when
  /// `accumulate` (AttentionWrapper adds the attention's rows this way).
  void project_input(ConstMatrixRef<T> input, MatrixRef<T> projected, Index first_row = 0,
                     bool accumulate = false) const {
    const Index rows = input.cols(), H = units_;
    detail::gemm<T>(input, detail::as_matrix(w_.gates_kernel).middleRows(first_row, rows),
                    projected.leftCols(2 * H), accumulate);
    detail::gemm<T>(input, detail::as_matrix(w_.candidate_kernel).middleRows(first_row, rows),
                    projected.rightCols(H), accumulate);
  }

  /// One step for the whole batch from its input projection `projected` [B, 3H] (used as
  /// scratch: overwritten), `state` [B, H] updated in place, `output` [B, H]. `state` and the
  /// workspace may have more rows than B: the step runs on their first B (dynamic_rnn's rows
  /// still running).
  void step_projected(MatrixRef<T> projected, state_type& state, MatrixRef<T> output,
                      Workspace& ws) const {
    const Index H = units_, B = projected.rows();
    auto h = detail::as_matrix(state).topRows(B);
    auto reset_h = ws.reset_h.topRows(B);
    const auto wg = detail::as_matrix(w_.gates_kernel);
    const auto wc = detail::as_matrix(w_.candidate_kernel);
    auto gates = projected.leftCols(2 * H);
    auto candidate = projected.rightCols(H);
    // [x, h] · W as x · W[:I] + h · W[I:]: no concatenation in memory.
    detail::gemm<T>(h, wg.bottomRows(H), gates, true);
    gates.rowwise() += detail::as_row(w_.gates_bias);
    gates.array() = detail::sigmoid(gates.array());
    const auto r = gates.leftCols(H).array();
    const auto u = gates.rightCols(H).array();
    if (reset_after_) {
      detail::gemm<T>(h, wc.bottomRows(H), reset_h);
      reset_h.rowwise() += detail::as_row(w_.candidate_recurrent_bias);
      candidate.rowwise() += detail::as_row(w_.candidate_bias);
      candidate.array() += r * reset_h.array();
    } else {
      reset_h.array() = r * h.array();
      detail::gemm<T>(reset_h, wc.bottomRows(H), candidate, true);
      candidate.rowwise() += detail::as_row(w_.candidate_bias);
    }
    // TF's form u⊙h + (1−u)⊙c, not c + u⊙(h−c): same rounding as the reference.
    h.array() = u * h.array() + (T(1) - u) * detail::tanh(candidate.array());
    output = h;
  }

  /// One step for the whole batch: `input` [B, input_size], `state` [B, H] updated in place,
  /// `output` [B, H]. Shapes are the caller's contract (checked once by dynamic_rnn / operator());
  /// `state` and the workspace may have more rows than B, as in step_projected.
  void step(ConstMatrixRef<T> input, state_type& state, MatrixRef<T> output, Workspace& ws) const {
    auto projected = ws.projected.topRows(input.rows());
    project_input(input, projected);
    step_projected(projected, state, output, ws);
  }

  /// TensorFlow's `cell(inputs, state)`: inputs [B, input_size], state [B, H] -> (output, new
  /// state). Both may be tensors, TensorMaps or expressions of rank 2. Allocates; for loops use
  /// dynamic_rnn.
  template <class Inputs, class State>
  std::pair<Tensor2<T>, state_type> operator()(const Inputs& inputs, const State& state) const {
    SEQ2SEQ_STATIC_CHECK_TENSOR(Inputs, T, 2,
                                "GRUCell(inputs, state): inputs must be rank 2 [batch, "
                                "input_size]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(State, T, 2,
                                "GRUCell(inputs, state): state must be rank 2 [batch, num_units]");
    return detail::call_cell(*this, detail::tensor_arg<T, 2>(inputs),
                             state_type(detail::tensor_arg<T, 2>(state)), "GRUCell");
  }

 private:
  Index units_;
  bool reset_after_;
  Index input_size_ = 0;
  GRUCellWeights<T> w_;
};

}  // namespace seq2seq
