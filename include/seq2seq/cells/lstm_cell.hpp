// LSTMCell: TensorFlow 1.x tf.nn.rnn_cell.LSTMCell, with its options use_peepholes, cell_clip,
// num_proj, proj_clip and forget_bias (activation tanh, state_is_tuple=True, no shards).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <seq2seq/core/activations.hpp>
#include <seq2seq/core/cell_call.hpp>
#include <seq2seq/core/gemm.hpp>
#include <seq2seq/core/tensor.hpp>

namespace seq2seq {

/// TF 1.x LSTMStateTuple: `c` (memory cell) [batch, num_units] first, then `h` (TF's `m`, the
/// output) [batch, P] where P = num_proj, or num_units without a projection.
template <class T>
struct LSTMStateTuple {
  Tensor2<T> c;  ///< Memory cell c [batch, num_units].
  Tensor2<T> h;  ///< Output h (TF's m) [batch, P], P = num_proj or num_units.

  LSTMStateTuple() = default;
  /// Each a tensor, TensorMap or expression of rank 2 (another rank does not compile, and the
  /// message names the field).
  template <class C, class H>
  LSTMStateTuple(C&& c_arg, H&& h_arg)
      : c(detail::ranked_arg<T, 2>(std::forward<C>(c_arg))),
        h(detail::ranked_arg<T, 2>(std::forward<H>(h_arg))) {
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<C>, T, 2,
                                "LSTMStateTuple: c must be rank 2 [batch, num_units]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<H>, T, 2,
                                "LSTMStateTuple: h must be rank 2 [batch, num_proj or num_units]");
  }
};

/// "LSTMStateTuple(c=[3,6], h=[3,6])": how messages and clone checks describe this state.
template <class T>
std::string shape_string(const LSTMStateTuple<T>& s) {
  return "LSTMStateTuple(c=" + shape_string(s.c) + ", h=" + shape_string(s.h) + ")";
}

/// The variables of a TF 1.x LSTMCell, named as TF names them under the cell's scope
/// (`rnn/lstm_cell/kernel`, `.../bias`, `.../w_f_diag`, `.../projection/kernel`). With
/// P = num_proj (or num_units H without a projection), kernel rows are [input ; h_prev] = I + P;
/// column blocks of width H are i, j, f, o (input gate, candidate, forget gate, output gate).
/// The forget bias is not part of `bias` (TF adds it at run time). The optional variables stay
/// empty (their `{}` default) unless the matching option is on.
template <class T>
struct LSTMCellWeights {
  Tensor2<T> kernel;               ///< kernel [input_size + P, 4 * num_units]
  Tensor1<T> bias;                 ///< bias [4 * num_units]
  Tensor1<T> w_f_diag{};           ///< use_peepholes only: w_f_diag [num_units]
  Tensor1<T> w_i_diag{};           ///< use_peepholes only: w_i_diag [num_units]
  Tensor1<T> w_o_diag{};           ///< use_peepholes only: w_o_diag [num_units]
  Tensor2<T> projection_kernel{};  ///< num_proj only: projection/kernel [num_units, num_proj]

  LSTMCellWeights() = default;
  /// The variables in this order (the optional ones may be left out), each a tensor, TensorMap
  /// or expression of its rank (another rank does not compile, and the message names the field).
  template <class K, class B, class WF = Tensor1<T>, class WI = Tensor1<T>, class WO = Tensor1<T>,
            class P = Tensor2<T>>
  LSTMCellWeights(K&& k, B&& b, WF&& wf = WF(), WI&& wi = WI(), WO&& wo = WO(), P&& p = P())
      : kernel(detail::ranked_arg<T, 2>(std::forward<K>(k))),
        bias(detail::ranked_arg<T, 1>(std::forward<B>(b))),
        w_f_diag(detail::ranked_arg<T, 1>(std::forward<WF>(wf))),
        w_i_diag(detail::ranked_arg<T, 1>(std::forward<WI>(wi))),
        w_o_diag(detail::ranked_arg<T, 1>(std::forward<WO>(wo))),
        projection_kernel(detail::ranked_arg<T, 2>(std::forward<P>(p))) {
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<K>, T, 2,
                                "LSTMCellWeights: kernel must be rank 2 [input_size + num_proj "
                                "or num_units, 4 * num_units]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<B>, T, 1,
                                "LSTMCellWeights: bias must be rank 1 [4 * num_units]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<WF>, T, 1,
                                "LSTMCellWeights: w_f_diag must be rank 1 [num_units]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<WI>, T, 1,
                                "LSTMCellWeights: w_i_diag must be rank 1 [num_units]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<WO>, T, 1,
                                "LSTMCellWeights: w_o_diag must be rank 1 [num_units]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<P>, T, 2,
                                "LSTMCellWeights: projection_kernel must be rank 2 [num_units, "
                                "num_proj]");
  }
};

/// TF 1.x LSTMCell's constructor options (same names, same defaults). In C++17, set the fields
/// one by one: `LSTMCellOptions<float> o; o.use_peepholes = true; o.num_proj = 4;`.
template <class T>
struct LSTMCellOptions {
  bool use_peepholes = false;       ///< diagonal peephole terms w_i/f/o_diag ⊙ c
  std::optional<T> cell_clip{};     ///< clip c to [-cell_clip, cell_clip] (>= 0) before output
  std::optional<Index> num_proj{};  ///< project h to num_proj (> 0) columns, no bias
  std::optional<T> proj_clip{};     ///< clip projected h to [-proj_clip, proj_clip]; num_proj only
  T forget_bias = T(1);             ///< added to the f gate at every step, never folded into bias
};

/// Long short-term memory cell with TF 1.x math (activation tanh), in TF's op order:
///   [i, j, f, o] = [x, h] · kernel + bias
///   c' = sigmoid(f + forget_bias [+ w_f_diag ⊙ c]) ⊙ c + sigmoid(i [+ w_i_diag ⊙ c]) ⊙ tanh(j)
///   c' = clip(c', ±cell_clip)                          (if cell_clip)
///   h' = sigmoid(o [+ w_o_diag ⊙ c']) ⊙ tanh(c')      (peephole o uses the new, clipped c')
///   h' = clip(h' · projection/kernel, ±proj_clip)      (if num_proj; clip if proj_clip)
/// Bracketed terms only with use_peepholes. output == h'.
/// State: LSTMStateTuple{c [B, H], h [B, P]}, P = num_proj or H.
template <class T>
class LSTMCell {
 public:
  using Scalar = T;                      ///< float or double.
  using state_type = LSTMStateTuple<T>;  ///< c [batch, num_units], h [batch, P] (P: num_proj or H).

  /// Scratch for one call of `step` at a fixed batch size.
  struct Workspace {
    RowMatrix<T> projected;    ///< [B, 4H] the input projection, then the gates i, j, f, o
    RowMatrix<T> unprojected;  ///< [B, H] h before the projection ([B, 0] without num_proj)
  };

  /// TF's `LSTMCell(num_units, forget_bias=forget_bias)`: no peepholes, clipping or projection.
  /// Throws seq2seq::Error if a weight does not have the shape above; `forget_bias` defaults to
  /// TF's 1.0.
  LSTMCell(Index num_units, LSTMCellWeights<T> weights, T forget_bias = T(1))
      : LSTMCell(num_units, std::move(weights), with_forget_bias(forget_bias)) {}

  /// TF's `LSTMCell(num_units, use_peepholes, cell_clip, num_proj=num_proj, proj_clip,
  /// forget_bias)`. Throws seq2seq::Error if num_units or num_proj is not positive, a clip is
  /// negative (or NaN), proj_clip is set without num_proj, or a weight does not have the shape
  /// above (the peephole and projection weights must be empty when their option is off).
  LSTMCell(Index num_units, LSTMCellWeights<T> weights, LSTMCellOptions<T> options)
      : units_(num_units), opt_(std::move(options)), w_(std::move(weights)) {
    if (units_ <= 0) detail::fail("LSTMCell: num_units=", units_, " must be positive");
    detail::check_units("LSTMCell", units_, 4);
    if (opt_.num_proj && *opt_.num_proj <= 0) {
      detail::fail("LSTMCell: num_proj=", *opt_.num_proj, " must be positive");
    }
    // TF clips with minimum(c, clip) then maximum(., -clip): a negative clip would make every
    // value -clip, so it can only be a mistake.
    if (opt_.cell_clip && !(*opt_.cell_clip >= T(0))) {
      detail::fail("LSTMCell: cell_clip=", *opt_.cell_clip, " must be >= 0");
    }
    if (opt_.proj_clip && !opt_.num_proj) {
      detail::fail("LSTMCell: proj_clip=", *opt_.proj_clip,
                   " needs num_proj (TF ignores proj_clip without a projection)");
    }
    if (opt_.proj_clip && !(*opt_.proj_clip >= T(0))) {
      detail::fail("LSTMCell: proj_clip=", *opt_.proj_clip, " must be >= 0");
    }
    proj_ = opt_.num_proj ? *opt_.num_proj : units_;
    detail::check_not_transposed(w_.kernel, 4 * units_, "LSTMCell: kernel");
    const Index rows = w_.kernel.dimension(0);
    if (rows <= proj_) {
      detail::fail("LSTMCell: kernel has shape ", shape_string(w_.kernel),
                   ", expected [input_size + ", proj_, ", ", 4 * units_, "] with input_size > 0",
                   opt_.num_proj ? " (rows are [input ; h] and h has num_proj columns)" : "");
    }
    input_size_ = rows - proj_;
    detail::check_shape(w_.kernel, {rows, 4 * units_}, "LSTMCell: kernel");
    detail::check_shape(w_.bias, {4 * units_}, "LSTMCell: bias");
    const Index diag = opt_.use_peepholes ? units_ : 0;
    const std::string peep = opt_.use_peepholes ? " (use_peepholes)" : " (only for use_peepholes)";
    detail::check_shape(w_.w_f_diag, {diag}, "LSTMCell: w_f_diag" + peep);
    detail::check_shape(w_.w_i_diag, {diag}, "LSTMCell: w_i_diag" + peep);
    detail::check_shape(w_.w_o_diag, {diag}, "LSTMCell: w_o_diag" + peep);
    if (opt_.num_proj) {
      detail::check_shape(w_.projection_kernel, {units_, proj_},
                          "LSTMCell: projection/kernel (num_proj=" + std::to_string(proj_) + ")");
    } else {
      detail::check_shape(w_.projection_kernel, {0, 0},
                          "LSTMCell: projection/kernel (only for num_proj)");
    }
  }

  /// Number of units H (the depth of c, and of h without a projection).
  Index num_units() const { return units_; }
  /// Depth of the inputs: the kernel's row count minus P.
  Index input_size() const { return input_size_; }
  /// For messages: the kernel shapes this cell needs for inputs of depth `input_size`, whose
  /// make-up `input_desc` names (AttentionWrapper: "input_depth + attention_size").
  std::string kernel_shapes(const std::string& input_desc, Index input_size) const {
    return "kernel [" + input_desc + (opt_.num_proj ? " + num_proj" : " + num_units") +
           ", 4*num_units] = " +
           detail::dims_string(std::array<Index, 2>{input_size + proj_, 4 * units_});
  }
  /// P: num_proj, or num_units without a projection (the width of the output and of state.h).
  Index output_size() const { return proj_; }
  /// Added to the f gate at every step (options().forget_bias).
  T forget_bias() const { return opt_.forget_bias; }
  /// The options, as given to the constructor (or the forget_bias-only form's).
  const LSTMCellOptions<T>& options() const { return opt_; }
  /// The cell's variables, as given to the constructor.
  const LSTMCellWeights<T>& weights() const { return w_; }

  /// All-zero state: c [batch, num_units], h [batch, P].
  state_type zero_state(Index batch) const {
    detail::check_batch_size("LSTMCell::zero_state", batch, std::max(units_, proj_));
    return {detail::zeros<T, 2>({batch, units_}), detail::zeros<T, 2>({batch, proj_})};
  }

  /// Throws unless c is [batch, num_units] and h [batch, P]; `where` names the caller's argument.
  void check_state(const state_type& state, Index batch, const std::string& where) const {
    detail::check_shape(state.c, {batch, units_}, where + ".c");
    detail::check_shape(state.h, {batch, proj_}, where + ".h");
  }

  /// Copies batch row `b` of c and h (dynamic_rnn's copy-through of finished rows).
  void copy_state_row(const state_type& from, state_type& to, Index b) const {
    detail::copy_row(from.c, to.c, b);
    detail::copy_row(from.h, to.h, b);
  }

  /// A copy of rows [first, first + rows) of c and h (dynamic_rnn's batch split and ragged
  /// rows).
  state_type state_rows(const state_type& s, Index first, Index rows) const {
    state_type part;
    part.c = detail::copy_rows(s.c, first, rows);
    part.h = detail::copy_rows(s.h, first, rows);
    return part;
  }
  /// Copies rows [from_first, from_first + rows) of `from`'s c and h to rows [to_first,
  /// to_first + rows) of `to`'s, in place (dynamic_rnn's batch split and ragged rows).
  void copy_state_rows(const state_type& from, Index from_first, state_type& to, Index to_first,
                       Index rows) const {
    detail::copy_rows(from.c, from_first, to.c, to_first, rows);
    detail::copy_rows(from.h, from_first, to.h, to_first, rows);
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
    ws.projected.resize(batch, 4 * units_);
    ws.unprojected.resize(batch, opt_.num_proj ? units_ : 0);
  }

  /// Width of the input projection: 4H (gates i, j, f, o).
  Index input_projection_size() const { return 4 * units_; }

  /// The part of a step that depends only on the input, for many steps at once (dynamic_rnn
  /// hoists it out of the time loop): `projected` [N, 4H] = input [N, cols] · kernel rows
  /// first_row .. first_row + cols; added to `projected` when `accumulate`.
  void project_input(ConstMatrixRef<T> input, MatrixRef<T> projected, Index first_row = 0,
                     bool accumulate = false) const {
    detail::gemm<T>(input, detail::as_matrix(w_.kernel).middleRows(first_row, input.cols()),
                    projected, accumulate);
  }

  /// One step for the whole batch: `input` [B, input_size], `state` updated in place,
  /// `output` [B, P]. Shapes are the caller's contract (checked once by dynamic_rnn / operator());
  /// `state` and the workspace may have more rows than B, as in step_projected.
  void step(ConstMatrixRef<T> input, state_type& state, MatrixRef<T> output, Workspace& ws) const {
    auto projected = ws.projected.topRows(input.rows());
    project_input(input, projected);
    step_projected(projected, state, output, ws);
  }

  /// One step from its input projection `projected` [B, 4H] (used as scratch: overwritten),
  /// `state` updated in place, `output` [B, P]. `state` and the workspace may have more rows
  /// than B: the step runs on their first B (dynamic_rnn's rows still running).
  void step_projected(MatrixRef<T> gates, state_type& state, MatrixRef<T> output,
                      Workspace& ws) const {
    const Index H = units_, P = proj_, B = gates.rows();
    auto c = detail::as_matrix(state.c).topRows(B);
    auto h = detail::as_matrix(state.h).topRows(B);
    detail::gemm<T>(h, detail::as_matrix(w_.kernel).bottomRows(P), gates, true);
    gates.rowwise() += detail::as_row(w_.bias);
    auto i = gates.middleCols(0, H).array();
    const auto j = gates.middleCols(H, H).array();
    auto f = gates.middleCols(2 * H, H).array();
    auto o = gates.middleCols(3 * H, H).array();
    if (opt_.use_peepholes) {
      // TF's (f + forget_bias) + w_f_diag ⊙ c_prev and i + w_i_diag ⊙ c_prev, same rounding,
      // added in place before c is overwritten.
      f += opt_.forget_bias;
      f += c.array().rowwise() * detail::as_row(w_.w_f_diag).array();
      i += c.array().rowwise() * detail::as_row(w_.w_i_diag).array();
      c.array() = detail::sigmoid(f) * c.array() + detail::sigmoid(i) * detail::tanh(j);
    } else {
      c.array() = detail::sigmoid(f + opt_.forget_bias) * c.array() +
                  detail::sigmoid(i) * detail::tanh(j);
    }
    if (opt_.cell_clip) clip(c, *opt_.cell_clip);
    if (opt_.use_peepholes) o += c.array().rowwise() * detail::as_row(w_.w_o_diag).array();
    if (opt_.num_proj) {
      auto unprojected = ws.unprojected.topRows(B);
      unprojected.array() = detail::sigmoid(o) * detail::tanh(c.array());
      detail::gemm<T>(unprojected, detail::as_matrix(w_.projection_kernel), h);
      if (opt_.proj_clip) clip(h, *opt_.proj_clip);
    } else {
      h.array() = detail::sigmoid(o) * detail::tanh(c.array());
    }
    output = h;
  }

  /// TensorFlow's `cell(inputs, state)`: inputs [B, input_size] -> (output [B, P], new state).
  /// `inputs` may be a tensor, TensorMap or expression of rank 2. Allocates; for loops use
  /// dynamic_rnn.
  template <class Inputs>
  std::pair<Tensor2<T>, state_type> operator()(const Inputs& inputs, state_type state) const {
    SEQ2SEQ_STATIC_CHECK_TENSOR(Inputs, T, 2,
                                "LSTMCell(inputs, state): inputs must be rank 2 [batch, "
                                "input_size]");
    return detail::call_cell(*this, detail::tensor_arg<T, 2>(inputs), std::move(state),
                             "LSTMCell");
  }

 private:
  static LSTMCellOptions<T> with_forget_bias(T forget_bias) {
    LSTMCellOptions<T> options;
    options.forget_bias = forget_bias;
    return options;
  }

  /// TF's clip_by_value(x, -limit, limit), a NaN staying NaN as in TF's minimum/maximum kernels.
  template <class Matrix>
  static void clip(Matrix& x, T limit) {
    x = x.unaryExpr([limit](T v) { return v > limit ? limit : v < -limit ? -limit : v; });
  }

  Index units_;
  Index proj_ = 0;
  Index input_size_ = 0;
  LSTMCellOptions<T> opt_;
  LSTMCellWeights<T> w_;
};

}  // namespace seq2seq
