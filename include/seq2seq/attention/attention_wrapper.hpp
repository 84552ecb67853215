// AttentionWrapper and AttentionWrapperState, as tf.contrib.seq2seq (TF 1.x) defines them:
// one mechanism (AttentionWrapper<Cell, Mechanism>) or TF's "multi" mode, a list of mechanisms
// (AttentionWrapper<Cell, std::tuple<Mechanisms...>>, even a list of one).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <seq2seq/attention/attention_memory.hpp>
#include <seq2seq/core/cell_call.hpp>
#include <seq2seq/core/gemm.hpp>
#include <seq2seq/core/tensor.hpp>

namespace seq2seq {
namespace detail {

/// The `cell_state` argument of clone as the wrapped cell's state type, checked at compile time.
template <class CellState, class T, class Given>
CellState cell_state_arg(const Given& given) {
  if constexpr (tensor_info<CellState>::is_tensor) {
    SEQ2SEQ_STATIC_CHECK_TENSOR(Given, T, 2,
                                "AttentionWrapperState::clone: cell_state must be rank 2 "
                                "[batch, num_units], the wrapped cell's state");
    return CellState(tensor_arg<T, 2>(given));
  } else {
    static_assert(std::is_convertible_v<const Given&, CellState>,
                  "AttentionWrapperState::clone: cell_state must have the wrapped cell's state "
                  "type (LSTMStateTuple<T> for LSTMCell, a std::tuple of the layers' states for "
                  "MultiRNNCell)");
    if constexpr (std::is_convertible_v<const Given&, CellState>) {
      return given;
    } else {
      return CellState{};
    }
  }
}

}  // namespace detail

/// The per-step state of an AttentionWrapper, with TF 1.x's fields and meanings.
template <class CellState, class T>
struct AttentionWrapperState {
  CellState cell_state;          ///< the wrapped cell's state
  Tensor2<T> attention;          ///< [batch, attention_size], emitted at the previous step
  int64_t time = 0;              ///< steps taken; dynamic_rnn never masks it (TF semantics)
  Tensor2<T> alignments;         ///< [batch, memory_time], the latest alignments
  Tensor3<T> alignment_history;  ///< [time, batch, memory_time]; size 0 when disabled
  Tensor2<T> attention_state;    ///< [batch, memory_time], the mechanism's state

  /// TF's `state.clone(cell_state=...)`: a copy with the cell state replaced, e.g. by an
  /// encoder's final state. Throws seq2seq::Error unless the new cell state has the old shape.
  /// (Also takes a braced `{c, h}`; any other argument type is checked at compile time.)
  AttentionWrapperState clone(CellState new_cell_state) const {
    if (shape_string(new_cell_state) != shape_string(cell_state)) {
      detail::fail("AttentionWrapperState::clone: cell_state has shape ",
                   shape_string(new_cell_state), ", expected ", shape_string(cell_state));
    }
    AttentionWrapperState copy = *this;
    copy.cell_state = std::move(new_cell_state);
    return copy;
  }
  /// The same from any cell-state-like argument: a rank-2 tensor, TensorMap or expression for a
  /// tensor cell state, else anything convertible to CellState (checked at compile time).
  template <class NewCellState>
  AttentionWrapperState clone(const NewCellState& cell_state_arg) const {
    return clone(detail::cell_state_arg<CellState, T>(cell_state_arg));
  }
};

/// The state of an AttentionWrapper over several mechanisms (TF's multi mode: `alignments`,
/// `alignment_history` and `attention_state` become tuples with one entry per mechanism, in the
/// mechanisms' order; `attention` is their attentions concatenated).
template <class CellState, class T>
struct MultiAttentionWrapperState {
  CellState cell_state;                       ///< the wrapped cell's state
  Tensor2<T> attention;                       ///< [batch, Σ_i attention_size_i]
  int64_t time = 0;                           ///< steps taken; never masked by dynamic_rnn
  std::vector<Tensor2<T>> alignments;         ///< mechanism i: [batch, memory_time_i]
  std::vector<Tensor3<T>> alignment_history;  ///< mechanism i: [time, batch, memory_time_i]
                                              ///< ([0, batch, memory_time_i] when disabled)
  std::vector<Tensor2<T>> attention_state;    ///< mechanism i: [batch, memory_time_i]

  /// The fields TF's `clone(**kwargs)` may replace; unset ones are kept.
  struct Fields {
    /// The wrapped cell's state.
    std::optional<CellState> cell_state;
    /// [batch, Σ_i attention_size_i].
    std::optional<Tensor2<T>> attention;
    /// Mechanism i: [batch, memory_time_i].
    std::optional<std::vector<Tensor2<T>>> alignments;
    /// Mechanism i: [batch, memory_time_i].
    std::optional<std::vector<Tensor2<T>>> attention_state;
  };

  /// TF's `state.clone(cell_state=...)`. Throws unless the new cell state has the old shape.
  MultiAttentionWrapperState clone(CellState new_cell_state) const {
    Fields fields;
    fields.cell_state = std::move(new_cell_state);
    return clone(std::move(fields));
  }
  /// The same from any cell-state-like argument: a rank-2 tensor, TensorMap or expression for a
  /// tensor cell state, else anything convertible to CellState (checked at compile time).
  template <class NewCellState,
            std::enable_if_t<!std::is_same_v<NewCellState, Fields>, int> = 0>
  MultiAttentionWrapperState clone(const NewCellState& cell_state_arg) const {
    return clone(detail::cell_state_arg<CellState, T>(cell_state_arg));
  }

  /// TF's `state.clone(**kwargs)`: a copy with the given fields replaced. As in TF, every new
  /// field must have the structure (one entry per mechanism) and the shapes of the old one;
  /// throws seq2seq::Error naming the field otherwise.
  MultiAttentionWrapperState clone(Fields fields) const {
    const std::string where = "MultiAttentionWrapperState::clone: ";
    if (fields.cell_state && shape_string(*fields.cell_state) != shape_string(cell_state)) {
      detail::fail(where, "cell_state has shape ", shape_string(*fields.cell_state),
                   ", expected ", shape_string(cell_state));
    }
    if (fields.attention) {
      detail::check_shape(*fields.attention, {attention.dimension(0), attention.dimension(1)},
                          where + "attention");
    }
    check_entries(fields.alignments, alignments, where + "alignments");
    check_entries(fields.attention_state, attention_state, where + "attention_state");
    MultiAttentionWrapperState copy = *this;
    if (fields.cell_state) copy.cell_state = std::move(*fields.cell_state);
    if (fields.attention) copy.attention = std::move(*fields.attention);
    if (fields.alignments) copy.alignments = std::move(*fields.alignments);
    if (fields.attention_state) copy.attention_state = std::move(*fields.attention_state);
    return copy;
  }

 private:
  static void check_entries(const std::optional<std::vector<Tensor2<T>>>& given,
                            const std::vector<Tensor2<T>>& old, const std::string& where) {
    if (!given) return;
    if (given->size() != old.size()) {
      detail::fail(where, " has ", given->size(), " entries, expected ", old.size(),
                   " (one per attention mechanism): the structures differ");
    }
    for (std::size_t i = 0; i < old.size(); ++i) {
      detail::check_shape((*given)[i], {old[i].dimension(0), old[i].dimension(1)},
                          where + "[" + std::to_string(i) + "]");
    }
  }
};

/// TF's `attention_layer` argument: any layer from [cell_output ; context] [B, H + Dm] to the
/// attention [B, size], e.g. Luong's tanh(W_c [h ; c]), which TF's attention_layer_size (linear)
/// cannot give. `fn` must write every element of `output`; it runs at every step, so it should
/// not allocate. An empty `fn` means no layer.
template <class T>
struct AttentionLayerFn {
  /// Writes `output` [B, size] from `input` [B, H + Dm] = [cell_output ; context].
  std::function<void(ConstMatrixRef<T> input, MatrixRef<T> output)> fn;
  Index size = 0;  ///< the output width (TF: layer.compute_output_shape([None, H + Dm])[-1])
};

/// TF's `cell_input_fn` argument: the cell's input [B, output_size] from the wrapper's inputs
/// [B, input_size] and the previous attention [B, attention_size]. An empty `fn` means TF's
/// default concat([inputs, attention], -1). `fn` runs at every step: it should not allocate.
template <class T>
struct CellInputFn {
  /// Writes `cell_inputs` [B, output_size] from `inputs` [B, input_size] and `attention`
  /// [B, attention_size].
  std::function<void(ConstMatrixRef<T> inputs, ConstMatrixRef<T> attention,
                     MatrixRef<T> cell_inputs)>
      fn;
  Index input_size = 0;   ///< depth of the wrapper's inputs (not derivable from the cell)
  Index output_size = 0;  ///< the width `fn` writes: must be the cell's input size
};

/// Options of an AttentionWrapper beyond the cell and the mechanism (TF's constructor arguments).
template <class T>
struct AttentionWrapperConfig {
  /// TF's attention_layer_size: none (attention = context, width memory_depth) or the width of a
  /// linear, bias-free layer over [cell_output ; context].
  std::optional<Index> attention_layer_size;
  /// attention_layer/kernel [cell_output_size + memory_depth, attention_layer_size]; rows are
  /// [cell_output ; context]. Required exactly when attention_layer_size is set.
  Tensor2<T> attention_layer_kernel;
  bool alignment_history = false;  ///< keep every step's alignments in the state
  bool output_attention = true;    ///< emit the attention (true) or the cell output (false)
  /// TF's attention_layer: a user layer instead of attention_layer_size (not both).
  AttentionLayerFn<T> attention_layer;
  /// TF's cell_input_fn; empty: concat([inputs, attention]).
  CellInputFn<T> cell_input_fn;
};

/// Options of an AttentionWrapper over several mechanisms: TF's arguments as lists with one
/// entry per mechanism, in the mechanisms' order.
template <class T>
struct MultiAttentionWrapperConfig {
  /// TF's attention_layer_size list: empty (none: attention_i = context_i) or one width per
  /// mechanism, each a linear, bias-free layer over [cell_output ; context_i].
  std::vector<Index> attention_layer_size;
  /// TF's attention_layer/kernel, attention_layer_1/kernel, ...: mechanism i's
  /// [cell_output_size + memory_depth_i, attention_layer_size[i]]; given exactly when
  /// attention_layer_size is.
  std::vector<Tensor2<T>> attention_layer_kernel;
  /// TF's attention_layer list: empty or one user layer per mechanism (not with
  /// attention_layer_size).
  std::vector<AttentionLayerFn<T>> attention_layer;
  CellInputFn<T> cell_input_fn;    ///< TF's cell_input_fn; empty: concat([inputs, attention])
  bool alignment_history = false;  ///< keep every step's alignments of every mechanism
  bool output_attention = true;    ///< emit the attention (true) or the cell output (false)
};

namespace detail {

// "[3,5,7]": a mechanism's memory [batch, memory_time, memory_depth], for messages.
template <class Mechanism>
std::string memory_string(const Mechanism& m) {
  return dims_string(std::array<Index, 3>{m.batch_size(), m.alignments_size(), m.memory_depth()});
}

// Checks one mechanism's attention layer (TF's attention_layer_size with its kernel, or a user
// layer, or neither) and returns the attention width it gives. `layer` is null when none was
// given. `i` numbers the mechanism in multi mode: names become attention_layer_size[i],
// attention_layer_<i>/kernel (TF's uniquified layer names) and attention_layer[i].
template <class T>
Index attention_width(std::optional<std::size_t> i, Index cell_output_size, Index memory_depth,
                      std::optional<Index> size, const Tensor2<T>* kernel,
                      const AttentionLayerFn<T>* layer) {
  const std::string n = i ? std::to_string(*i) : "";
  const std::string size_name = i ? "attention_layer_size[" + n + "]" : "attention_layer_size";
  const std::string kernel_name =
      (i && *i > 0 ? "attention_layer_" + n : std::string("attention_layer")) + "/kernel";
  const std::string layer_name = i ? "attention_layer[" + n + "]" : "attention_layer";
  if (size && layer) {
    detail::fail("AttentionWrapper: only one of ", size_name, "=", *size, " and ", layer_name,
                 " (size ", layer->size, ") may be set (TF: attention_layer_size or "
                 "attention_layer)");
  }
  if (size) {
    if (*size <= 0) detail::fail("AttentionWrapper: ", size_name, "=", *size, " must be positive");
    detail::check_shape(*kernel, {cell_output_size + memory_depth, *size},
                        "AttentionWrapper: " + kernel_name);
    return *size;
  }
  if (kernel && kernel->size() != 0) {
    detail::fail("AttentionWrapper: ", kernel_name, " ", shape_string(*kernel), " given without ",
                 size_name);
  }
  if (layer) {
    if (!layer->fn) {
      detail::fail("AttentionWrapper: ", layer_name, ".size=", layer->size, " given without ",
                   layer_name, ".fn");
    }
    if (layer->size <= 0) {
      detail::fail("AttentionWrapper: ", layer_name, ".size=", layer->size,
                   " must be positive (the layer's output width)");
    }
    return layer->size;
  }
  return memory_depth;
}

// Checks a cell_input_fn against the cell and returns the wrapper's input depth. Without one,
// TF's concat needs cell input size = input depth + attention size, with input depth > 0.
// "for inputs of depth D, build the cell with <its kernels for D + attention_size>", or ""
// when the cell cannot describe its kernels: what the wrapper's input-size messages suggest.
template <class Cell>
std::string wrapped_kernels_hint(const Cell& cell, Index depth, Index attention_size) {
  if constexpr (has_kernel_shapes<Cell>::value) {
    return "for inputs of depth " + std::to_string(depth) + ", build the cell with " +
           cell.kernel_shapes("input_depth + attention_size", depth + attention_size);
  } else {
    return "";
  }
}

// input_size_note of both wrappers: why the wrapper's input size is what it is, and the cell
// kernels that inputs of depth `depth` need.
template <class T, class Cell>
std::string wrapper_input_note(const Cell& cell, const CellInputFn<T>& f, Index attention_size,
                               Index depth) {
  if (f.fn) return "; an AttentionWrapper with a cell_input_fn takes cell_input_fn.input_size";
  const std::string hint = depth > 0 ? wrapped_kernels_hint(cell, depth, attention_size) : "";
  return "; an AttentionWrapper's input size is its cell's input size " +
         std::to_string(cell.input_size()) + " minus the attention size " +
         std::to_string(attention_size) + " (the cell reads [inputs ; attention])" +
         (hint.empty() ? "" : ": " + hint);
}

// Errors about the cell's input size name the kernels to resize: their shapes for inputs of
// the depth the cell has now (a cell built for the raw inputs, without room for the attention).
template <class T, class Cell>
Index wrapper_input_size(const CellInputFn<T>& f, const Cell& cell, Index attention_size) {
  const Index cell_input_size = cell.input_size();
  if (!f.fn) {
    if (f.input_size != 0 || f.output_size != 0) {
      detail::fail("AttentionWrapper: cell_input_fn.input_size=", f.input_size,
                   " / output_size=", f.output_size, " given without cell_input_fn.fn");
    }
    if (cell_input_size <= attention_size) {
      const std::string hint = wrapped_kernels_hint(cell, cell_input_size, attention_size);
      detail::fail("AttentionWrapper: the cell's input size ", cell_input_size,
                   " leaves no room for the inputs: a wrapped cell reads [inputs ; attention], so "
                   "its input size must be input_depth + attention_size (",
                   attention_size, ") with input_depth > 0", hint.empty() ? "" : "; " + hint);
    }
    return cell_input_size - attention_size;
  }
  if (f.input_size <= 0) {
    detail::fail("AttentionWrapper: cell_input_fn.input_size=", f.input_size,
                 " must be positive (the depth of the wrapper's inputs)");
  }
  if (f.output_size != cell_input_size) {
    detail::fail("AttentionWrapper: cell_input_fn.output_size=", f.output_size,
                 " must equal the cell's input size ", cell_input_size, " (inputs [B,",
                 f.input_size, "], attention [B,", attention_size, "])");
  }
  return f.input_size;
}

// Throws unless `s` is a cell state at the memory's batch, naming the memory.
template <class Cell>
void check_initial_cell_state(const Cell& cell, const typename Cell::state_type& s, Index batch,
                              const std::string& memory) {
  try {
    cell.check_state(s, batch, "AttentionWrapper: initial_cell_state");
  } catch (const Error& e) {
    detail::fail(e.what(), "; initial_cell_state must have the memory batch ", batch,
                 " (memory ", memory, ") and the cell's widths");
  }
}

// Both wrappers' hoisted input projection (dynamic_rnn): the cell's, when it has one and the
// cell input is the default [inputs ; attention]; 0 otherwise (dynamic_rnn then calls step).
template <class Cell, class T>
Index wrapper_projection_size(const Cell& cell, const CellInputFn<T>& f) {
  if constexpr (has_input_projection<Cell>::value) {
    if (!f.fn) return cell.input_projection_size();
  }
  return 0;
}

// projected (+)= rows first_row.. of the cell's input projection; only reached when
// wrapper_projection_size is not 0.
template <class Cell>
void project_cell_input(const Cell& cell, ConstMatrixRef<typename Cell::Scalar> input,
                        MatrixRef<typename Cell::Scalar> projected, Index first_row,
                        bool accumulate) {
  if constexpr (has_input_projection<Cell>::value) {
    cell.project_input(input, projected, first_row, accumulate);
  } else {
    fail("AttentionWrapper: the cell has no input projection");
  }
}

// Step 1 of TF's call(): the cell input from the inputs and the previous attention.
template <class T>
void cell_input(const CellInputFn<T>& f, ConstMatrixRef<T> inputs, const Tensor2<T>& attention,
                RowMatrix<T>& out) {
  if (f.fn) {
    f.fn(inputs, as_matrix(attention), out);
  } else {
    out.leftCols(inputs.cols()) = inputs;
    out.rightCols(attention.dimension(1)) = as_matrix(attention);
  }
}

// TF's _compute_attention for one mechanism, allocation-free: alignments for the query
// `cell_output` [B, H] given the previous attention state, context = alignments · values
// [B, Dm], attention [B, size] = layer([cell_output ; context]) (a kernel or a user layer) or
// the context. Every TF mechanism's next state is its alignments.
template <class Mechanism, class T = typename Mechanism::Scalar>
void compute_attention(const Mechanism& mech, const RowMatrix<T>& cell_output,
                       Tensor2<T>& alignments, Tensor2<T>& attention_state,
                       const Tensor2<T>* kernel, const AttentionLayerFn<T>* layer,
                       RowMatrix<T>& context, RowMatrix<T>& layer_input,
                       MatrixRef<typename Mechanism::Scalar> attention,
                       typename Mechanism::Workspace& ws) {
  const Index batch = cell_output.rows(), h = cell_output.cols();
  const Index tm = mech.alignments_size(), dm = mech.memory_depth();
  auto al = as_matrix(alignments);
  mech.align(cell_output, as_matrix(attention_state), al, ws);
  const Index first = first_row_of(ws);
  parallel_for(batch, 2.0 * double(tm * dm), [&](Index b) {
    const Eigen::Map<const RowMatrix<T>> values(mech.values().data() + (first + b) * tm * dm,
                                                tm, dm);
    context.row(b).noalias() = al.row(b) * values;
  });
  if (layer && layer->fn) {
    layer_input.leftCols(h) = cell_output;
    layer_input.rightCols(dm) = context;
    layer->fn(layer_input, attention);
  } else if (kernel && kernel->size() != 0) {
    // [cell_output ; context] · K as two products over the kernel's row blocks.
    const auto k = as_matrix(*kernel);
    gemm<T>(cell_output, k.topRows(h), attention);
    gemm<T>(context, k.bottomRows(dm), attention, true);
  } else {
    attention = context;
  }
  attention_state = alignments;
}

// Reallocates a [n, B, Tm] history to `steps` entries, keeping the first `kept`.
template <class T>
void grow_history(Tensor3<T>& history, Index kept, Index steps) {
  const Index batch = history.dimension(1), tm = history.dimension(2);
  if (history.dimension(0) >= steps) return;
  Tensor3<T> grown(steps, batch, tm);
  std::copy_n(history.data(), kept * batch * tm, grown.data());
  history = std::move(grown);
}

// Rows [first, first + rows) of every entry of a history [n, B, Tm].
template <class T>
Tensor3<T> history_rows(const Tensor3<T>& h, Index first, Index rows) {
  const Index batch = h.dimension(1), tm = h.dimension(2);
  Tensor3<T> part(h.dimension(0), rows, tm);
  for (Index t = 0; t < h.dimension(0); ++t) {
    std::copy_n(h.data() + (t * batch + first) * tm, rows * tm, part.data() + t * rows * tm);
  }
  return part;
}

// Rows [from_first, from_first + rows) of the first `entries` entries of `from` into rows
// [to_first, ...) of `to`, which grows to `entries` entries (keeping its own) when shorter.
template <class T>
void copy_history_rows(const Tensor3<T>& from, Index from_first, Tensor3<T>& to, Index to_first,
                       Index rows, Index entries) {
  entries = std::min(entries, from.dimension(0));
  if (to.dimension(0) < entries) grow_history(to, to.dimension(0), entries);
  const Index from_batch = from.dimension(1), to_batch = to.dimension(1), tm = from.dimension(2);
  for (Index t = 0; t < entries; ++t) {
    std::copy_n(from.data() + (t * from_batch + from_first) * tm, rows * tm,
                to.data() + (t * to_batch + to_first) * tm);
  }
}

// Writes `alignments` [B, Tm] as history entry `time` (TF 1.x writes at index state.time).
template <class T>
void write_history(Tensor3<T>& history, int64_t time, const Tensor2<T>& alignments) {
  const Index t = static_cast<Index>(time), batch = alignments.dimension(0);
  const Index tm = alignments.dimension(1);
  if (history.dimension(0) <= t) grow_history(history, t, t + 1);
  Eigen::Map<RowMatrix<T>>(history.data() + t * batch * tm, batch, tm) = as_matrix(alignments);
}

}  // namespace detail

/// Wraps a cell with an attention mechanism; itself a cell, so dynamic_rnn runs it. Each step:
///   cell_input          = cell_input_fn(input, state.attention)   (default [input ; attention])
///   cell_output, cs'    = cell(cell_input, state.cell_state)
///   alignments          = mechanism(query = cell_output, state.attention_state)
///   context             = alignments · values                      [B, memory_depth]
///   attention           = [cell_output ; context] · attention_layer/kernel, or
///                         attention_layer([cell_output ; context]), or context
///   output              = output_attention ? attention : cell_output
/// Inputs are [B, input_size] with input_size = cell.input_size() − attention_size(), or
/// cell_input_fn.input_size. For several mechanisms see AttentionWrapper<Cell, std::tuple<...>>.
template <class Cell, class Mechanism>
class AttentionWrapper {
 public:
  using Scalar = typename Cell::Scalar;               ///< The cell's scalar: float or double.
  using T = Scalar;                                   ///< Shorthand for Scalar.
  using cell_state_type = typename Cell::state_type;  ///< The wrapped cell's state_type.
  /// AttentionWrapperState: the cell state, attention [batch, attention_size], alignments and
  /// attention_state [batch, memory_time], alignment_history [time, batch, memory_time].
  using state_type = AttentionWrapperState<cell_state_type, T>;

  /// Scratch buffers for one call of `step` at the memory's batch size: sized once by
  /// make_workspace and reused at every step (the library allocates nothing per step).
  struct Workspace {
    RowMatrix<T> cell_input;   ///< [B, cell input size]
    RowMatrix<T> cell_output;  ///< [B, cell output size]
    RowMatrix<T> context;      ///< [B, memory_depth]
    typename Cell::Workspace cell;            ///< the cell's scratch for its step
    typename Mechanism::Workspace mechanism;  ///< the mechanism's scratch for align
    RowMatrix<T> layer_input;  ///< [B, cell output size + memory_depth] with a user layer, else 0
  };

  /// Throws seq2seq::Error when the pieces do not fit: the query depth of the mechanism must be
  /// the cell's output size, the attention layer kernel must be [cell out + memory depth, size],
  /// attention_layer_size and attention_layer are exclusive, the cell's input size must leave
  /// room for an input next to the attention (or equal cell_input_fn.output_size), and
  /// `initial_cell_state` (TF's ctor argument, used by zero_state) must be a cell state at the
  /// memory's batch.
  AttentionWrapper(Cell cell, Mechanism mechanism, AttentionWrapperConfig<T> config = {},
                   std::optional<cell_state_type> initial_cell_state = std::nullopt)
      : cell_(std::move(cell)),
        mech_(std::move(mechanism)),
        config_(std::move(config)),
        initial_cell_state_(std::move(initial_cell_state)) {
    const Index cell_out = cell_.output_size();
    if (mech_.query_depth() != cell_out) {
      detail::fail("AttentionWrapper: the mechanism's query depth ", mech_.query_depth(),
                   " must equal the cell output size ", cell_out,
                   " (the query is the cell output; memory ", detail::memory_string(mech_), ")");
    }
    const auto& layer = config_.attention_layer;
    attention_size_ = detail::attention_width<T>(
        std::nullopt, cell_out, mech_.memory_depth(), config_.attention_layer_size,
        &config_.attention_layer_kernel, layer.fn || layer.size != 0 ? &layer : nullptr);
    input_size_ = detail::wrapper_input_size(config_.cell_input_fn, cell_,
                                             attention_size_);
    if (initial_cell_state_) {
      detail::check_initial_cell_state(cell_, *initial_cell_state_, mech_.batch_size(),
                                       detail::memory_string(mech_));
    }
  }

  /// The wrapped cell.
  const Cell& cell() const { return cell_; }
  /// The attention mechanism (TF's attention_mechanism).
  const Mechanism& attention_mechanism() const { return mech_; }
  /// The options this wrapper was built with.
  const AttentionWrapperConfig<T>& config() const { return config_; }
  /// TF's initial_cell_state: what zero_state uses as the cell state (unset: the cell's zeros).
  const std::optional<cell_state_type>& initial_cell_state() const { return initial_cell_state_; }
  /// Width of the attention vector: attention_layer_size, the layer's size, or the memory depth.
  Index attention_size() const { return attention_size_; }
  /// Depth of the wrapper's own inputs (the cell input minus the attention fed back, or
  /// cell_input_fn.input_size).
  Index input_size() const { return input_size_; }
  /// For messages about inputs of depth `depth` that do not fit: what the input size is made of
  /// and the cell kernels such inputs need.
  std::string input_size_note(Index depth) const {
    return detail::wrapper_input_note(cell_, config_.cell_input_fn, attention_size_, depth);
  }
  /// Width of each step's output: attention_size() when output_attention, else the cell's
  /// output size.
  Index output_size() const {
    return config_.output_attention ? attention_size_ : cell_.output_size();
  }

  /// TF's zero_state(batch): initial_cell_state (or the cell's zero state), zero attention,
  /// the mechanism's initial alignments and state, time 0, empty history. Throws unless
  /// `batch` is the memory's batch.
  state_type zero_state(Index batch) const {
    check_batch(batch, "AttentionWrapper::zero_state: batch_size");
    const Index tm = mech_.alignments_size();
    state_type s{initial_cell_state_ ? *initial_cell_state_ : cell_.zero_state(batch),
                 detail::zeros<T, 2>({batch, attention_size_}), 0,
                 mech_.initial_alignments(batch), detail::zeros<T, 3>({0, batch, tm}),
                 mech_.initial_state(batch)};
    return s;
  }

  /// Throws unless every field of `state` fits this wrapper at `batch`.
  void check_state(const state_type& s, Index batch, const std::string& where) const {
    check_batch(batch, where + " batch");
    const Index tm = mech_.alignments_size();
    cell_.check_state(s.cell_state, batch, where + ".cell_state");
    detail::check_shape(s.attention, {batch, attention_size_}, where + ".attention");
    detail::check_shape(s.alignments, {batch, tm}, where + ".alignments");
    detail::check_shape(s.attention_state, {batch, tm}, where + ".attention_state");
    if (s.time < 0) detail::fail(where, ".time=", s.time, " is negative");
    // Far beyond any real decode, and leaves room to count steps without overflow.
    if (s.time > std::numeric_limits<int64_t>::max() / 2) {
      detail::fail(where, ".time=", s.time, " is too large");
    }
    const Index steps = config_.alignment_history ? static_cast<Index>(s.time) : 0;
    detail::check_shape(s.alignment_history, {steps, batch, tm}, where + ".alignment_history");
  }

  /// Copies batch row `b` of every masked field (not time, not alignment_history: TF never
  /// copies those through).
  void copy_state_row(const state_type& from, state_type& to, Index b) const {
    cell_.copy_state_row(from.cell_state, to.cell_state, b);
    detail::copy_row(from.attention, to.attention, b);
    detail::copy_row(from.alignments, to.alignments, b);
    detail::copy_row(from.attention_state, to.attention_state, b);
  }

  /// dynamic_rnn can split the batch between threads, each part stepping on its rows of the
  /// state and of the memory: the mechanism aligns a range of memory rows (the library's do)
  /// and the cell's state cuts into rows.
  static constexpr bool splits_memory_rows =
      detail::has_first_row<typename Mechanism::Workspace>::value &&
      detail::has_state_row_ranges<Cell>::value;

  /// Rows [first, first + rows) of every batch-indexed field (alignment_history: of every
  /// entry); time kept.
  state_type state_rows(const state_type& s, Index first, Index rows) const {
    return {cell_.state_rows(s.cell_state, first, rows), detail::copy_rows(s.attention, first, rows),
            s.time, detail::copy_rows(s.alignments, first, rows),
            detail::history_rows(s.alignment_history, first, rows),
            detail::copy_rows(s.attention_state, first, rows)};
  }

  /// Rows [from_first, from_first + rows) of `from` into rows [to_first, ...) of `to`, with
  /// from's time and its alignment_history entries (to's history grows to them).
  void copy_state_rows(const state_type& from, Index from_first, state_type& to, Index to_first,
                       Index rows) const {
    cell_.copy_state_rows(from.cell_state, from_first, to.cell_state, to_first, rows);
    detail::copy_rows(from.attention, from_first, to.attention, to_first, rows);
    detail::copy_rows(from.alignments, from_first, to.alignments, to_first, rows);
    detail::copy_rows(from.attention_state, from_first, to.attention_state, to_first, rows);
    to.time = from.time;
    detail::copy_history_rows(from.alignment_history, from_first, to.alignment_history, to_first,
                              rows, static_cast<Index>(from.time));
  }

  /// Points a workspace at the memory rows from `first` on: a part of a batch split steps on
  /// state rows that are memory rows first, first + 1, ... (0 otherwise).
  void set_memory_rows(Workspace& ws, Index first) const {
    detail::set_first_row(ws.mechanism, first);
  }

  /// Makes room for `steps` more alignment_history entries at once, so that `step` need not
  /// allocate. dynamic_rnn calls it with the number of steps it will run.
  void reserve_steps(state_type& s, Index steps) const {
    if (config_.alignment_history) {
      const Index t = static_cast<Index>(s.time);
      detail::grow_history(s.alignment_history, t, t + steps);
    }
  }

  /// Scratch buffers for `step` at `batch` rows, made once and reused at every step (the
  /// library allocates nothing per step).
  Workspace make_workspace(Index batch) const {
    Workspace ws;
    prepare_workspace(ws, batch);
    return ws;
  }
  /// Sizes `ws` for `batch` rows in place (allocates only when a size changes).
  void prepare_workspace(Workspace& ws, Index batch) const {
    const Index h = cell_.output_size(), dm = mech_.memory_depth();
    ws.cell_input.resize(batch, cell_.input_size());
    ws.cell_output.resize(batch, h);
    ws.context.resize(batch, dm);
    detail::prepare_workspace(cell_, ws.cell, batch);
    detail::prepare_mechanism_workspace(mech_, ws.mechanism);
    ws.layer_input.resize(batch, config_.attention_layer.fn ? h + dm : 0);
  }

  /// The cell's input projection of the wrapper's inputs (see dynamic_rnn): its width, 0 when
  /// the cell has none or a cell_input_fn builds the cell input (then dynamic_rnn calls step).
  Index input_projection_size() const {
    return detail::wrapper_projection_size(cell_, config_.cell_input_fn);
  }

  /// `projected` [N, input_projection_size()] (+)= input [N, input_size] · the cell kernel's
  /// input rows: the inputs' share of the cell input [input ; attention].
  void project_input(ConstMatrixRef<T> input, MatrixRef<T> projected, Index first_row = 0,
                     bool accumulate = false) const {
    detail::project_cell_input(cell_, input, projected, first_row, accumulate);
  }

  /// `step` from the inputs' projection `projected` [B, input_projection_size()] (overwritten):
  /// adds the attention's share, then runs the cell and the attention.
  void step_projected(MatrixRef<T> projected, state_type& s, MatrixRef<T> output,
                      Workspace& ws) const {
    detail::project_cell_input(cell_, detail::as_matrix(s.attention), projected, input_size_,
                               true);
    if constexpr (detail::has_input_projection<Cell>::value) {
      cell_.step_projected(projected, s.cell_state, ws.cell_output, ws.cell);
    }
    attend(s, output, ws);
  }

  /// One step for the whole batch: `input` [B, input_size], `state` updated in place, `output`
  /// [B, output_size]. Shapes are the caller's contract (checked once by dynamic_rnn).
  void step(ConstMatrixRef<T> input, state_type& s, MatrixRef<T> output, Workspace& ws) const {
    detail::cell_input(config_.cell_input_fn, input, s.attention, ws.cell_input);
    cell_.step(ws.cell_input, s.cell_state, ws.cell_output, ws.cell);
    attend(s, output, ws);
  }

  /// TensorFlow's `wrapper(inputs, state)` for one step: inputs [B, input_size] -> (output
  /// [B, output_size], next state). Allocates; for loops use dynamic_rnn.
  template <class Inputs>
  std::pair<Tensor2<T>, state_type> operator()(const Inputs& inputs, state_type state) const {
    SEQ2SEQ_STATIC_CHECK_TENSOR(
        Inputs, T, 2, "AttentionWrapper(inputs, state): inputs must be rank 2 [batch, input_size]");
    return detail::call_cell(*this, detail::tensor_arg<T, 2>(inputs), std::move(state),
                             "AttentionWrapper");
  }

 private:
  // The rest of a step once the cell has run: attention, history, time, output.
  void attend(state_type& s, MatrixRef<T> output, Workspace& ws) const {
    auto attention = detail::as_matrix(s.attention);
    detail::compute_attention(mech_, ws.cell_output, s.alignments, s.attention_state,
                              &config_.attention_layer_kernel, &config_.attention_layer,
                              ws.context, ws.layer_input, attention, ws.mechanism);
    if (config_.alignment_history) detail::write_history(s.alignment_history, s.time, s.alignments);
    ++s.time;
    if (config_.output_attention) {
      output = attention;
    } else {
      output = ws.cell_output;
    }
  }

  void check_batch(Index batch, const std::string& what) const {
    if (batch != mech_.batch_size()) {
      detail::fail(what, " ", batch, " does not match the memory batch ", mech_.batch_size(),
                   " (memory ", detail::memory_string(mech_), ")");
    }
  }

  Cell cell_;
  Mechanism mech_;
  AttentionWrapperConfig<T> config_;
  std::optional<cell_state_type> initial_cell_state_;
  Index attention_size_ = 0;
  Index input_size_ = 0;
};

/// TF's multi mode: a cell wrapped with a list of mechanisms, possibly of different types (e.g.
/// `AttentionWrapper(cell, std::tuple{bahdanau, luong}, config)`), even a list of one. Each
/// step, as TF's call():
///   cell_input         = cell_input_fn(input, state.attention)     (default [input ; attention])
///   cell_output, cs'   = cell(cell_input, state.cell_state)
///   for each mechanism i, in order, with the same query cell_output:
///     alignments_i     = mechanism_i(cell_output, state.attention_state[i])
///     context_i        = alignments_i · values_i                   [B, memory_depth_i]
///     attention_i      = layer_i([cell_output ; context_i]) or context_i   [B, size_i]
///   attention          = [attention_0 ; attention_1 ; ...]         [B, Σ_i size_i]
///   output             = output_attention ? attention : cell_output
/// Every mechanism must have the same memory batch and a query depth equal to the cell's
/// output size. Each mechanism provides Scalar, batch_size(), alignments_size(), memory_depth(),
/// query_depth(), values(), initial_alignments(B), initial_state(B), make_workspace() and
/// align(query, previous_state, alignments_out, workspace).
template <class Cell, class... Mechanisms>
class AttentionWrapper<Cell, std::tuple<Mechanisms...>> {
 public:
  using Scalar = typename Cell::Scalar;               ///< The cell's scalar: float or double.
  using T = Scalar;                                   ///< Shorthand for Scalar.
  using cell_state_type = typename Cell::state_type;  ///< The wrapped cell's state_type.
  /// MultiAttentionWrapperState: the cell state, attention [batch, Σ_i attention_size(i)] and,
  /// per mechanism i, alignments and attention_state [batch, memory_time_i] and
  /// alignment_history [time, batch, memory_time_i].
  using state_type = MultiAttentionWrapperState<cell_state_type, T>;
  /// Number of attention mechanisms (at least one).
  static constexpr std::size_t num_mechanisms = sizeof...(Mechanisms);
  static_assert(num_mechanisms >= 1, "AttentionWrapper needs at least one attention mechanism");
  static_assert((std::is_same_v<typename Mechanisms::Scalar, T> && ...),
                "every attention mechanism must have the cell's Scalar type");

  /// Scratch buffers for one call of `step` at the memory's batch size: sized once by
  /// make_workspace and reused at every step (the library allocates nothing per step).
  struct Workspace {
    RowMatrix<T> cell_input;                ///< [B, cell input size]
    RowMatrix<T> cell_output;               ///< [B, cell output size]
    std::vector<RowMatrix<T>> context;      ///< mechanism i: [B, memory_depth_i]
    std::vector<RowMatrix<T>> layer_input;  ///< mechanism i: [B, H + memory_depth_i] for a user
                                            ///< layer, else empty
    typename Cell::Workspace cell;          ///< the cell's scratch for its step
    std::tuple<typename Mechanisms::Workspace...> mechanisms;  ///< mechanism i's align scratch
  };

  /// Throws seq2seq::Error when the pieces do not fit: every mechanism's memory batch must be
  /// the first one's and its query depth the cell's output size; attention_layer_size (with one
  /// kernel each) and attention_layer are exclusive lists of one entry per mechanism; the cell's
  /// input size must leave room for an input next to the attention (or equal
  /// cell_input_fn.output_size); `initial_cell_state` must be a cell state at the memory batch.
  AttentionWrapper(Cell cell, std::tuple<Mechanisms...> mechanisms,
                   MultiAttentionWrapperConfig<T> config = {},
                   std::optional<cell_state_type> initial_cell_state = std::nullopt)
      : cell_(std::move(cell)),
        mechs_(std::move(mechanisms)),
        config_(std::move(config)),
        initial_cell_state_(std::move(initial_cell_state)) {
    const Index cell_out = cell_.output_size();
    const Index batch = std::get<0>(mechs_).batch_size();
    const std::string memory0 = detail::memory_string(std::get<0>(mechs_));
    const auto& c = config_;
    if (!c.attention_layer_size.empty() && !c.attention_layer.empty()) {
      detail::fail("AttentionWrapper: only one of attention_layer_size (",
                   c.attention_layer_size.size(), " entries) and attention_layer (",
                   c.attention_layer.size(), " entries) may be set");
    }
    check_count(c.attention_layer_size.size(), "attention_layer_size");
    check_count(c.attention_layer.size(), "attention_layer");
    if (c.attention_layer_size.empty() && !c.attention_layer_kernel.empty()) {
      detail::fail("AttentionWrapper: attention_layer_kernel (", c.attention_layer_kernel.size(),
                   " entries) given without attention_layer_size");
    }
    if (c.attention_layer_kernel.size() != c.attention_layer_size.size()) {
      detail::fail("AttentionWrapper: attention_layer_kernel has ",
                   c.attention_layer_kernel.size(), " entries, expected one per "
                   "attention_layer_size entry (", c.attention_layer_size.size(), ")");
    }
    for_each_mechanism([&](auto index, const auto& mech) {
      constexpr std::size_t i = decltype(index)::value;
      if (mech.batch_size() != batch) {
        detail::fail("AttentionWrapper: attention mechanism ", i, " has memory batch ",
                     mech.batch_size(), " (memory ", detail::memory_string(mech),
                     "), but mechanism 0 has memory batch ", batch, " (memory ", memory0,
                     "); every mechanism's memory batch must match");
      }
      if (mech.query_depth() != cell_out) {
        detail::fail("AttentionWrapper: attention mechanism ", i, "'s query depth ",
                     mech.query_depth(), " must equal the cell output size ", cell_out,
                     " (the query is the cell output; memory ", detail::memory_string(mech),
                     ")");
      }
      const std::optional<Index> size =
          c.attention_layer_size.empty() ? std::nullopt
                                         : std::optional<Index>(c.attention_layer_size[i]);
      sizes_[i] = detail::attention_width<T>(i, cell_out, mech.memory_depth(), size, kernel(i),
                                             layer(i));
      offsets_[i] = attention_size_;
      attention_size_ += sizes_[i];
    });
    input_size_ = detail::wrapper_input_size(c.cell_input_fn, cell_,
                                             attention_size_);
    if (initial_cell_state_) {
      detail::check_initial_cell_state(cell_, *initial_cell_state_, batch, memory0);
    }
  }

  /// The wrapped cell.
  const Cell& cell() const { return cell_; }
  /// The mechanisms, in order (TF's attention_mechanisms).
  const std::tuple<Mechanisms...>& attention_mechanisms() const { return mechs_; }
  /// Mechanism I (TF's `attention_mechanisms[I]`).
  template <std::size_t I>
  const auto& attention_mechanism() const {
    return std::get<I>(mechs_);
  }
  /// The options this wrapper was built with.
  const MultiAttentionWrapperConfig<T>& config() const { return config_; }
  /// TF's initial_cell_state: what zero_state uses as the cell state (unset: the cell's zeros).
  const std::optional<cell_state_type>& initial_cell_state() const { return initial_cell_state_; }
  /// The memory batch, the same for every mechanism.
  Index batch_size() const { return std::get<0>(mechs_).batch_size(); }
  /// Width of the whole attention vector, Σ_i attention_size(i).
  Index attention_size() const { return attention_size_; }
  /// Width of mechanism i's attention: attention_layer_size[i], its layer's size or its memory
  /// depth. It sits at columns [Σ_{j<i} attention_size(j), ...) of `attention`.
  Index attention_size(std::size_t i) const { return sizes_.at(i); }
  /// Depth of the wrapper's own inputs.
  Index input_size() const { return input_size_; }
  /// For messages about inputs of depth `depth` that do not fit: what the input size is made of
  /// and the cell kernels such inputs need.
  std::string input_size_note(Index depth) const {
    return detail::wrapper_input_note(cell_, config_.cell_input_fn, attention_size_, depth);
  }
  /// Width of each step's output: attention_size() when output_attention, else the cell's
  /// output size.
  Index output_size() const {
    return config_.output_attention ? attention_size_ : cell_.output_size();
  }

  /// TF's zero_state(batch): initial_cell_state (or the cell's zero state), zero attention,
  /// each mechanism's initial alignments and state, time 0, empty histories. Throws unless
  /// `batch` is the memory batch.
  state_type zero_state(Index batch) const {
    check_batch(batch, "AttentionWrapper::zero_state: batch_size");
    state_type s;
    s.cell_state = initial_cell_state_ ? *initial_cell_state_ : cell_.zero_state(batch);
    s.attention = detail::zeros<T, 2>({batch, attention_size_});
    for_each_mechanism([&](auto, const auto& mech) {
      s.alignments.push_back(mech.initial_alignments(batch));
      s.alignment_history.push_back(detail::zeros<T, 3>({0, batch, mech.alignments_size()}));
      s.attention_state.push_back(mech.initial_state(batch));
    });
    return s;
  }

  /// Throws unless every field of `state` fits this wrapper at `batch`: one entry per
  /// mechanism in each per-mechanism field, each of that mechanism's shape.
  void check_state(const state_type& s, Index batch, const std::string& where) const {
    check_batch(batch, where + " batch");
    cell_.check_state(s.cell_state, batch, where + ".cell_state");
    detail::check_shape(s.attention, {batch, attention_size_}, where + ".attention");
    if (s.time < 0) detail::fail(where, ".time=", s.time, " is negative");
    // Far beyond any real decode, and leaves room to count steps without overflow.
    if (s.time > std::numeric_limits<int64_t>::max() / 2) {
      detail::fail(where, ".time=", s.time, " is too large");
    }
    check_entries(s.alignments.size(), where + ".alignments");
    check_entries(s.alignment_history.size(), where + ".alignment_history");
    check_entries(s.attention_state.size(), where + ".attention_state");
    const Index steps = config_.alignment_history ? static_cast<Index>(s.time) : 0;
    for_each_mechanism([&](auto index, const auto& mech) {
      constexpr std::size_t i = decltype(index)::value;
      const std::string at = "[" + std::to_string(i) + "]";
      const Index tm = mech.alignments_size();
      detail::check_shape(s.alignments[i], {batch, tm}, where + ".alignments" + at);
      detail::check_shape(s.attention_state[i], {batch, tm}, where + ".attention_state" + at);
      detail::check_shape(s.alignment_history[i], {steps, batch, tm},
                          where + ".alignment_history" + at);
    });
  }

  /// Copies batch row `b` of every masked field (not time, not alignment_history).
  void copy_state_row(const state_type& from, state_type& to, Index b) const {
    cell_.copy_state_row(from.cell_state, to.cell_state, b);
    detail::copy_row(from.attention, to.attention, b);
    for (std::size_t i = 0; i < num_mechanisms; ++i) {
      detail::copy_row(from.alignments[i], to.alignments[i], b);
      detail::copy_row(from.attention_state[i], to.attention_state[i], b);
    }
  }

  /// dynamic_rnn can split the batch between threads (see the one-mechanism wrapper): every
  /// mechanism aligns a range of memory rows and the cell's state cuts into rows.
  static constexpr bool splits_memory_rows =
      (detail::has_first_row<typename Mechanisms::Workspace>::value && ...) &&
      detail::has_state_row_ranges<Cell>::value;

  /// Rows [first, first + rows) of every batch-indexed field (alignment_history: of every
  /// entry); time kept.
  state_type state_rows(const state_type& s, Index first, Index rows) const {
    state_type part;
    part.cell_state = cell_.state_rows(s.cell_state, first, rows);
    part.attention = detail::copy_rows(s.attention, first, rows);
    part.time = s.time;
    for (std::size_t i = 0; i < s.alignments.size(); ++i) {
      part.alignments.push_back(detail::copy_rows(s.alignments[i], first, rows));
      part.alignment_history.push_back(detail::history_rows(s.alignment_history[i], first, rows));
      part.attention_state.push_back(detail::copy_rows(s.attention_state[i], first, rows));
    }
    return part;
  }

  /// Rows [from_first, from_first + rows) of `from` into rows [to_first, ...) of `to`, with
  /// from's time and its alignment_history entries (to's histories grow to them).
  void copy_state_rows(const state_type& from, Index from_first, state_type& to, Index to_first,
                       Index rows) const {
    cell_.copy_state_rows(from.cell_state, from_first, to.cell_state, to_first, rows);
    detail::copy_rows(from.attention, from_first, to.attention, to_first, rows);
    to.time = from.time;
    for (std::size_t i = 0; i < from.alignments.size(); ++i) {
      detail::copy_rows(from.alignments[i], from_first, to.alignments[i], to_first, rows);
      detail::copy_rows(from.attention_state[i], from_first, to.attention_state[i], to_first,
                        rows);
      detail::copy_history_rows(from.alignment_history[i], from_first, to.alignment_history[i],
                                to_first, rows, static_cast<Index>(from.time));
    }
  }

  /// Points a workspace at the memory rows from `first` on (see the one-mechanism wrapper).
  void set_memory_rows(Workspace& ws, Index first) const {
    std::apply([first](auto&... m) { (detail::set_first_row(m, first), ...); }, ws.mechanisms);
  }

  /// Makes room for `steps` more entries in every alignment_history, so that `step` need not
  /// allocate. dynamic_rnn calls it with the number of steps it will run.
  void reserve_steps(state_type& s, Index steps) const {
    if (!config_.alignment_history) return;
    const Index t = static_cast<Index>(s.time);
    for (auto& history : s.alignment_history) detail::grow_history(history, t, t + steps);
  }

  /// Scratch buffers for `step` at `batch` rows, made once and reused at every step (the
  /// library allocates nothing per step).
  Workspace make_workspace(Index batch) const {
    Workspace ws;
    prepare_workspace(ws, batch);
    return ws;
  }
  /// Sizes `ws` for `batch` rows in place (allocates only when a size changes).
  void prepare_workspace(Workspace& ws, Index batch) const {
    const Index h = cell_.output_size();
    ws.cell_input.resize(batch, cell_.input_size());
    ws.cell_output.resize(batch, h);
    ws.context.resize(num_mechanisms);
    ws.layer_input.resize(num_mechanisms);
    detail::prepare_workspace(cell_, ws.cell, batch);
    for_each_mechanism([&](auto index, const auto& mech) {
      constexpr std::size_t i = decltype(index)::value;
      const Index dm = mech.memory_depth();
      ws.context[i].resize(batch, dm);
      ws.layer_input[i].resize(batch, layer(i) ? h + dm : 0);
      detail::prepare_mechanism_workspace(mech, std::get<i>(ws.mechanisms));
    });
  }

  /// The cell's input projection of the wrapper's inputs (see dynamic_rnn): its width, 0 when
  /// the cell has none or a cell_input_fn builds the cell input (then dynamic_rnn calls step).
  Index input_projection_size() const {
    return detail::wrapper_projection_size(cell_, config_.cell_input_fn);
  }

  /// `projected` [N, input_projection_size()] (+)= input [N, input_size] · the cell kernel's
  /// input rows: the inputs' share of the cell input [input ; attention].
  void project_input(ConstMatrixRef<T> input, MatrixRef<T> projected, Index first_row = 0,
                     bool accumulate = false) const {
    detail::project_cell_input(cell_, input, projected, first_row, accumulate);
  }

  /// `step` from the inputs' projection `projected` [B, input_projection_size()] (overwritten):
  /// adds the attention's share, then runs the cell and the attention.
  void step_projected(MatrixRef<T> projected, state_type& s, MatrixRef<T> output,
                      Workspace& ws) const {
    detail::project_cell_input(cell_, detail::as_matrix(s.attention), projected, input_size_,
                               true);
    if constexpr (detail::has_input_projection<Cell>::value) {
      cell_.step_projected(projected, s.cell_state, ws.cell_output, ws.cell);
    }
    attend(s, output, ws);
  }

  /// One step for the whole batch: `input` [B, input_size], `state` updated in place, `output`
  /// [B, output_size]. Shapes are the caller's contract (checked once by dynamic_rnn).
  void step(ConstMatrixRef<T> input, state_type& s, MatrixRef<T> output, Workspace& ws) const {
    detail::cell_input(config_.cell_input_fn, input, s.attention, ws.cell_input);
    cell_.step(ws.cell_input, s.cell_state, ws.cell_output, ws.cell);
    attend(s, output, ws);
  }

  /// TensorFlow's `wrapper(inputs, state)` for one step: inputs [B, input_size] -> (output
  /// [B, output_size], next state). Allocates; for loops use dynamic_rnn.
  template <class Inputs>
  std::pair<Tensor2<T>, state_type> operator()(const Inputs& inputs, state_type state) const {
    SEQ2SEQ_STATIC_CHECK_TENSOR(
        Inputs, T, 2, "AttentionWrapper(inputs, state): inputs must be rank 2 [batch, input_size]");
    return detail::call_cell(*this, detail::tensor_arg<T, 2>(inputs), std::move(state),
                             "AttentionWrapper");
  }

 private:
  // The rest of a step once the cell has run: every attention, histories, time, output.
  void attend(state_type& s, MatrixRef<T> output, Workspace& ws) const {
    auto attention = detail::as_matrix(s.attention);
    for_each_mechanism([&](auto index, const auto& mech) {
      constexpr std::size_t i = decltype(index)::value;
      detail::compute_attention(mech, ws.cell_output, s.alignments[i], s.attention_state[i],
                                kernel(i), layer(i), ws.context[i], ws.layer_input[i],
                                attention.middleCols(offsets_[i], sizes_[i]),
                                std::get<i>(ws.mechanisms));
      if (config_.alignment_history) {
        detail::write_history(s.alignment_history[i], s.time, s.alignments[i]);
      }
    });
    ++s.time;
    if (config_.output_attention) {
      output = attention;
    } else {
      output = ws.cell_output;
    }
  }

  // Calls f(std::integral_constant<size_t, i>, mechanism i) for every mechanism, in order.
  template <class F>
  void for_each_mechanism(F&& f) const {
    for_each_mechanism(f, std::index_sequence_for<Mechanisms...>{});
  }
  template <class F, std::size_t... I>
  void for_each_mechanism(F& f, std::index_sequence<I...>) const {
    (f(std::integral_constant<std::size_t, I>{}, std::get<I>(mechs_)), ...);
  }

  // Mechanism i's attention_layer_size kernel or user layer; nullptr when there is none.
  const Tensor2<T>* kernel(std::size_t i) const {
    return config_.attention_layer_kernel.empty() ? nullptr : &config_.attention_layer_kernel[i];
  }
  const AttentionLayerFn<T>* layer(std::size_t i) const {
    return config_.attention_layer.empty() ? nullptr : &config_.attention_layer[i];
  }

  // A per-mechanism list of the config: empty (none) or one entry per mechanism.
  static void check_count(std::size_t count, const char* what) {
    if (count != 0 && count != num_mechanisms) {
      detail::fail("AttentionWrapper: ", what, " has ", count, " entries, expected exactly one "
                   "per attention mechanism (", num_mechanisms, ")");
    }
  }

  static void check_entries(std::size_t count, const std::string& where) {
    if (count != num_mechanisms) {
      detail::fail(where, " has ", count, " entries, expected one per attention mechanism (",
                   num_mechanisms, ")");
    }
  }

  void check_batch(Index batch, const std::string& what) const {
    if (batch != batch_size()) {
      detail::fail(what, " ", batch, " does not match the memory batch ", batch_size(),
                   " (memory ", detail::memory_string(std::get<0>(mechs_)), ")");
    }
  }

  Cell cell_;
  std::tuple<Mechanisms...> mechs_;
  MultiAttentionWrapperConfig<T> config_;
  std::optional<cell_state_type> initial_cell_state_;
  std::array<Index, num_mechanisms> sizes_{};    // attention width per mechanism
  std::array<Index, num_mechanisms> offsets_{};  // first column of each in `attention`
  Index attention_size_ = 0;
  Index input_size_ = 0;
};

/// `AttentionWrapper(cell, std::tuple{m0, m1, ...}, config)` deduces the multi form.
template <class Cell, class... Mechanisms>
AttentionWrapper(Cell, std::tuple<Mechanisms...>,
                 MultiAttentionWrapperConfig<typename Cell::Scalar> = {},
                 std::optional<typename Cell::state_type> = std::nullopt)
    -> AttentionWrapper<Cell, std::tuple<Mechanisms...>>;

}  // namespace seq2seq
