// AttentionWrapper and AttentionWrapperState, as tf.contrib.seq2seq (TF 1.x) defines them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <seq2seq/core/tensor.hpp>

namespace seq2seq {

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
  AttentionWrapperState clone(CellState new_cell_state) const {
    if (shape_string(new_cell_state) != shape_string(cell_state)) {
      detail::fail("AttentionWrapperState::clone: cell_state has shape ",
                   shape_string(new_cell_state), ", expected ", shape_string(cell_state));
    }
    AttentionWrapperState copy = *this;
    copy.cell_state = std::move(new_cell_state);
    return copy;
  }
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
};

/// Wraps a cell with an attention mechanism; itself a cell, so dynamic_rnn runs it. Each step:
///   cell_input          = [input ; state.attention]               (TF's default cell_input_fn)
///   cell_output, cs'    = cell(cell_input, state.cell_state)
///   alignments          = mechanism(query = cell_output, state.attention_state)
///   context             = alignments · values                      [B, memory_depth]
///   attention           = [cell_output ; context] · attention_layer/kernel, or context
///   output              = output_attention ? attention : cell_output
/// Inputs are [B, input_size] with input_size = cell.input_size() − attention_size().
template <class Cell, class Mechanism>
class AttentionWrapper {
 public:
  using Scalar = typename Cell::Scalar;
  using T = Scalar;
  using cell_state_type = typename Cell::state_type;
  using state_type = AttentionWrapperState<cell_state_type, T>;

  /// Scratch for one call of `step` at the memory's batch size.
  struct Workspace {
    RowMatrix<T> cell_input;   // [B, input_size + attention_size]
    RowMatrix<T> cell_output;  // [B, cell output size]
    RowMatrix<T> context;      // [B, memory_depth]
    typename Cell::Workspace cell;
    typename Mechanism::Workspace mechanism;
  };

  /// Throws seq2seq::Error when the pieces do not fit: the query depth of the mechanism must be
  /// the cell's output size, the attention layer kernel must be [cell out + memory depth, size],
  /// and the cell's input size must leave room for an input next to the attention.
  AttentionWrapper(Cell cell, Mechanism mechanism, AttentionWrapperConfig<T> config = {})
      : cell_(std::move(cell)), mech_(std::move(mechanism)), config_(std::move(config)) {
    const Index cell_out = cell_.output_size();
    if (mech_.query_depth() != cell_out) {
      detail::fail("AttentionWrapper: the mechanism's query depth ", mech_.query_depth(),
                   " (query_layer/kernel ", shape_string(mech_.weights().query_layer_kernel),
                   ") must equal the cell output size ", cell_out);
    }
    if (config_.attention_layer_size) {
      attention_size_ = *config_.attention_layer_size;
      if (attention_size_ <= 0) {
        detail::fail("AttentionWrapper: attention_layer_size=", attention_size_,
                     " must be positive");
      }
      detail::check_shape(config_.attention_layer_kernel,
                          {cell_out + mech_.memory_depth(), attention_size_},
                          "AttentionWrapper: attention_layer/kernel");
    } else {
      if (config_.attention_layer_kernel.size() != 0) {
        detail::fail("AttentionWrapper: attention_layer/kernel ",
                     shape_string(config_.attention_layer_kernel),
                     " given without attention_layer_size");
      }
      attention_size_ = mech_.memory_depth();
    }
    if (cell_.input_size() <= attention_size_) {
      detail::fail("AttentionWrapper: the cell's input size ", cell_.input_size(),
                   " must be input depth + attention size ", attention_size_,
                   " with input depth > 0");
    }
  }

  const Cell& cell() const { return cell_; }
  const Mechanism& attention_mechanism() const { return mech_; }
  const AttentionWrapperConfig<T>& config() const { return config_; }
  /// Width of the attention vector: attention_layer_size, or the memory depth.
  Index attention_size() const { return attention_size_; }
  /// Depth of the wrapper's own inputs (the cell input minus the attention fed back).
  Index input_size() const { return cell_.input_size() - attention_size_; }
  Index output_size() const {
    return config_.output_attention ? attention_size_ : cell_.output_size();
  }

  /// TF's zero_state(batch): zero cell state, attention, alignments and attention state, time 0,
  /// empty history. Throws unless `batch` is the memory's batch.
  state_type zero_state(Index batch) const {
    check_batch(batch, "AttentionWrapper::zero_state: batch_size");
    const Index tm = mech_.alignments_size();
    state_type s{cell_.zero_state(batch), detail::zeros<T, 2>({batch, attention_size_}), 0,
                 mech_.initial_alignments(batch),
                 detail::zeros<T, 3>({0, batch, tm}), mech_.initial_state(batch)};
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

  /// Makes room for `steps` more alignment_history entries at once, so that `step` need not
  /// allocate. dynamic_rnn calls it with the number of steps it will run.
  void reserve_steps(state_type& s, Index steps) const {
    if (config_.alignment_history) grow_history(s, static_cast<Index>(s.time) + steps);
  }

  Workspace make_workspace(Index batch) const {
    return {RowMatrix<T>(batch, cell_.input_size()), RowMatrix<T>(batch, cell_.output_size()),
            RowMatrix<T>(batch, mech_.memory_depth()), cell_.make_workspace(batch),
            mech_.make_workspace()};
  }

  /// One step for the whole batch: `input` [B, input_size], `state` updated in place, `output`
  /// [B, output_size]. Shapes are the caller's contract (checked once by dynamic_rnn).
  void step(ConstMatrixRef<T> input, state_type& s, MatrixRef<T> output, Workspace& ws) const {
    const Index in = input_size(), batch = input.rows();
    const Index tm = mech_.alignments_size(), dm = mech_.memory_depth();
    auto attention = detail::as_matrix(s.attention);
    auto alignments = detail::as_matrix(s.alignments);
    ws.cell_input.leftCols(in) = input;
    ws.cell_input.rightCols(attention_size_) = attention;
    cell_.step(ws.cell_input, s.cell_state, ws.cell_output, ws.cell);
    mech_.align(ws.cell_output, detail::as_matrix(s.attention_state), alignments, ws.mechanism);
    for (Index b = 0; b < batch; ++b) {
      const Eigen::Map<const RowMatrix<T>> values(mech_.values().data() + b * tm * dm, tm, dm);
      ws.context.row(b).noalias() = alignments.row(b) * values;
    }
    if (config_.attention_layer_size) {
      // [cell_output ; context] · K as two products over the kernel's row blocks.
      const auto k = detail::as_matrix(config_.attention_layer_kernel);
      const Index h = cell_.output_size();
      attention.noalias() = ws.cell_output * k.topRows(h);
      attention.noalias() += ws.context * k.bottomRows(dm);
    } else {
      attention = ws.context;
    }
    s.attention_state = s.alignments;
    if (config_.alignment_history) {
      if (s.alignment_history.dimension(0) <= s.time) grow_history(s, s.time + 1);
      Eigen::Map<RowMatrix<T>>(s.alignment_history.data() + s.time * batch * tm, batch, tm) =
          alignments;
    }
    ++s.time;
    if (config_.output_attention) {
      output = attention;
    } else {
      output = ws.cell_output;
    }
  }

  /// TensorFlow's `wrapper(inputs, state)` for one step: inputs [B, input_size] -> (output
  /// [B, output_size], next state). Allocates; for loops use dynamic_rnn.
  std::pair<Tensor2<T>, state_type> operator()(const Tensor2<T>& inputs,
                                               const state_type& state) const {
    const Index batch = inputs.dimension(0);
    detail::check_shape(inputs, {batch, input_size()}, "AttentionWrapper: inputs");
    check_state(state, batch, "AttentionWrapper: state");
    std::pair<Tensor2<T>, state_type> result{Tensor2<T>(batch, output_size()), state};
    Workspace ws = make_workspace(batch);
    step(detail::as_matrix(inputs), result.second, detail::as_matrix(result.first), ws);
    return result;
  }

 private:
  void check_batch(Index batch, const std::string& what) const {
    if (batch != mech_.batch_size()) {
      detail::fail(what, " ", batch, " does not match the memory batch ", mech_.batch_size(),
                   " (memory [", mech_.batch_size(), ",", mech_.alignments_size(), ",",
                   mech_.memory_depth(), "])");
    }
  }

  // Reallocates alignment_history to `steps` entries, keeping the first s.time.
  static void grow_history(state_type& s, Index steps) {
    const Index batch = s.alignment_history.dimension(1), tm = s.alignment_history.dimension(2);
    if (s.alignment_history.dimension(0) >= steps) return;
    Tensor3<T> grown(steps, batch, tm);
    std::copy_n(s.alignment_history.data(), s.time * batch * tm, grown.data());
    s.alignment_history = std::move(grown);
  }

  Cell cell_;
  Mechanism mech_;
  AttentionWrapperConfig<T> config_;
  Index attention_size_ = 0;
};

}  // namespace seq2seq
