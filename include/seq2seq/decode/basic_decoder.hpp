// BasicDecoder: TF's decoder that runs a cell one step at a time, applies an optional output
// layer, and asks a helper (TrainingHelper, GreedyEmbeddingHelper) for the sampled ids and the
// next inputs. dynamic_decode (dynamic_decode.hpp) runs it to the end.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <seq2seq/core/cell_call.hpp>
#include <seq2seq/core/tensor.hpp>
#include <seq2seq/decode/decoder_state.hpp>
#include <seq2seq/decode/dense.hpp>
#include <seq2seq/decode/helpers.hpp>

namespace seq2seq {

namespace detail {

/// Makes room in a growing state (alignment_history) before step `time`: geometric growth, so
/// that decoding allocates O(log steps) times, never once per step. `reserved` counts the steps
/// room was made for; finalize trims the spare entries.
template <class Cell>
void reserve_ahead(const Cell& cell, typename Cell::state_type& state, Index time,
                   Index& reserved) {
  if constexpr (has_reserve_steps<Cell>::value) {
    if (time >= reserved) {
      const Index more = std::max<Index>(16, reserved);
      cell.reserve_steps(state, more);
      reserved = time + more;
    }
  }
}

}  // namespace detail

/// TF's BasicDecoder(cell, helper, initial_state, output_layer). Each step, as TF's step():
///   cell_output, state' = cell(inputs, state)
///   rnn_output          = output_layer(cell_output), or cell_output without a layer
///   sample_id           = helper.sample(time, rnn_output)
///   finished, inputs'   = helper.next_inputs(time, rnn_output, sample_id)
/// The cell is any cell of the library (an AttentionWrapper for attention decoders); its batch
/// is the helper's. `step` is the one-token-at-a-time API; dynamic_decode runs the loop.
template <class Cell, class Helper>
class BasicDecoder {
 public:
  using Scalar = typename Cell::Scalar;  ///< The cell's scalar: float or double.
  using T = Scalar;                       ///< Shorthand for Scalar.
  using state_type = typename Cell::state_type;  ///< The cell's state, at the helper's batch B.

  /// Everything one step reads and writes, sized once by initialize(): step() updates it in
  /// place and allocates nothing (alignment_history grows geometrically, see finalize).
  struct Step {
    Index time = 0;               ///< the step that step() runs next
    Tensor2<T> inputs;            ///< [B, input_size]: the inputs of step `time`
    state_type state;             ///< the cell state before step `time`
    Tensor1<bool> finished;       ///< [B]: the helper's flags from initialize / the last step
    Tensor2<T> rnn_output;        ///< [B, output_size]: the last step's output (logits)
    Tensor1<int32_t> sample_id;   ///< [B]: the last step's ids
    typename Cell::Workspace workspace;  ///< the cell's scratch for one step at batch B
    RowMatrix<T> cell_output;     ///< [B, cell output size] when there is an output layer
    Index reserved = 0;           ///< steps alignment_history has room for
  };

  /// Throws seq2seq::Error unless the helper's inputs fit the cell, `initial_state` is a state
  /// of the cell at the helper's batch, the output layer reads the cell's output, and (greedy)
  /// every id the outputs can give is a row of the embedding.
  BasicDecoder(Cell cell, Helper helper, state_type initial_state,
               std::optional<Dense<T>> output_layer = std::nullopt)
      : cell_(std::move(cell)),
        helper_(std::move(helper)),
        initial_state_(std::move(initial_state)),
        layer_(std::move(output_layer)) {
    const Index batch = helper_.batch_size();
    if (helper_.input_size() != cell_.input_size()) {
      detail::fail("BasicDecoder: the helper's inputs have depth ", helper_.input_size(),
                   " but the cell's input size is ", cell_.input_size());
    }
    cell_.check_state(initial_state_, batch, "BasicDecoder: initial_state");
    if (layer_ && layer_->input_size() != cell_.output_size()) {
      detail::fail("BasicDecoder: output_layer kernel has shape ", shape_string(layer_->kernel()),
                   ", expected [cell output size ", cell_.output_size(), ", units]");
    }
    helper_.check_output_size(output_size(), "BasicDecoder");
  }

  /// The cell given at construction.
  const Cell& cell() const { return cell_; }
  /// The helper given at construction.
  const Helper& helper() const { return helper_; }
  /// The output layer given at construction, or none.
  const std::optional<Dense<T>>& output_layer() const { return layer_; }
  /// B: the helper's batch size.
  Index batch_size() const { return helper_.batch_size(); }
  /// Width of rnn_output: the output layer's units, or the cell's output size.
  Index output_size() const { return layer_ ? layer_->units() : cell_.output_size(); }

  /// TF's initialize(): time 0, the helper's first inputs and finished flags, the initial state.
  Step initialize() const {
    Step s;
    initialize(s);
    return s;
  }

  /// initialize() into an existing Step, reusing its buffers: nothing is allocated when `s`
  /// last held a decode of the same sizes (a DynamicDecodeSession's Step). An alignment_history
  /// keeps the room reserved by the last decode (finalize trims it).
  void initialize(Step& s) const {
    const Index batch = batch_size();
    s.time = 0;
    s.reserved = 0;
    s.inputs.resize(batch, helper_.input_size());
    detail::copy_state(initial_state_, s.state, detail::HistoryCopy::kKeepRoom);
    s.finished.resize(batch);
    s.rnn_output.resize(batch, output_size());
    s.rnn_output.setZero();
    s.sample_id.resize(batch);
    s.sample_id.setZero();
    detail::prepare_workspace(cell_, s.workspace, batch);
    if (layer_) s.cell_output.resize(batch, cell_.output_size());
    helper_.initialize(s.finished, detail::as_matrix(s.inputs));
  }

  /// TF's step(): runs step `s.time` and advances `s` (outputs, state, next inputs, the
  /// helper's finished flags, time). Finished rows are decoded too, as in TF.
  void step(Step& s) const {
    if (batch_size() == 0) {  // nothing to decode (and no row to point into)
      ++s.time;
      return;
    }
    detail::reserve_ahead(cell_, s.state, s.time, s.reserved);
    auto output = detail::as_matrix(s.rnn_output);
    if (layer_) {
      cell_.step(detail::as_matrix(s.inputs), s.state, s.cell_output, s.workspace);
      layer_->apply(s.cell_output, output);
    } else {
      cell_.step(detail::as_matrix(s.inputs), s.state, output, s.workspace);
    }
    helper_.sample(s.time, output, s.sample_id);
    helper_.next_inputs(s.time, output, s.sample_id, s.finished, detail::as_matrix(s.inputs));
    ++s.time;
  }

  /// Drops the spare alignment_history entries that step() reserved ahead, so that the state
  /// is exactly TF's. dynamic_decode calls it; call it after your own step() loop.
  void finalize(Step& s) const { detail::trim_history(s.state); }

 private:
  Cell cell_;
  Helper helper_;
  state_type initial_state_;
  std::optional<Dense<T>> layer_;
};

}  // namespace seq2seq
