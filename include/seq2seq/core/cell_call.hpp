// TensorFlow's one-step `cell(inputs, state)` for any cell of the library, and what the cell
// concept may optionally provide.
#pragma once

#include <string>
#include <type_traits>
#include <utility>

#include <seq2seq/core/tensor.hpp>

namespace seq2seq::detail {

// Cells that can project their inputs for many steps at once (input_projection_size,
// project_input, step_projected): dynamic_rnn then runs that GEMM once, outside the time loop.
template <class Cell, class = void>
struct has_input_projection : std::false_type {};
template <class Cell>
struct has_input_projection<
    Cell, std::void_t<decltype(std::declval<const Cell&>().input_projection_size())>>
    : std::true_type {};

// Cells whose state grows per step (an AttentionWrapper's alignment_history) and can make room
// for many steps at once: reserve_steps(state, n).
template <class Cell, class = void>
struct has_reserve_steps : std::false_type {};
template <class Cell>
struct has_reserve_steps<Cell, std::void_t<decltype(std::declval<const Cell&>().reserve_steps(
                                   std::declval<typename Cell::state_type&>(), Index{}))>>
    : std::true_type {};

// Cells whose state can be cut into row ranges and put back (state_rows, copy_state_rows).
template <class Cell, class = void>
struct has_state_row_ranges : std::false_type {};
template <class Cell>
struct has_state_row_ranges<
    Cell, std::void_t<decltype(std::declval<const Cell&>().state_rows(
              std::declval<const typename Cell::state_type&>(), Index{}, Index{}))>>
    : std::true_type {};

// Cells whose rows read rows of a memory (an AttentionWrapper): they cannot run on a prefix of
// sorted rows. When Cell::splits_memory_rows, a part of a batch split steps on its rows of the
// state and tells its workspace which memory rows they are (set_memory_rows(workspace, first)).
template <class Cell, class = void>
struct has_memory_rows : std::false_type {};
template <class Cell>
struct has_memory_rows<Cell, std::void_t<decltype(std::declval<const Cell&>().set_memory_rows(
                                 std::declval<typename Cell::Workspace&>(), Index{}))>>
    : std::true_type {};

// Cells whose state can be cut into row ranges and whose step runs on the first rows of a larger
// state and workspace (the bare cells): dynamic_rnn can then split the batch between threads,
// each running whole steps on its rows, and run rows of different lengths on the prefix of rows
// still running.
template <class Cell>
struct has_state_rows
    : std::bool_constant<has_state_row_ranges<Cell>::value && !has_memory_rows<Cell>::value> {};

// Can dynamic_rnn split a batch of this cell between threads, each running whole steps on its
// rows? The bare cells, and wrappers whose mechanisms align a range of memory rows.
template <class Cell>
constexpr bool splits_batch() {
  if constexpr (has_state_rows<Cell>::value) {
    return true;
  } else if constexpr (has_memory_rows<Cell>::value) {
    return Cell::splits_memory_rows;
  } else {
    return false;
  }
}

// Cells that can describe the kernel shapes they need for a given input depth (messages):
// kernel_shapes(input_desc, input_size).
template <class Cell, class = void>
struct has_kernel_shapes : std::false_type {};
template <class Cell>
struct has_kernel_shapes<Cell, std::void_t<decltype(std::declval<const Cell&>().kernel_shapes(
                                   std::declval<const std::string&>(), Index{}))>>
    : std::true_type {};

// Cells that can explain their input size to a caller whose inputs have another depth
// (AttentionWrapper: the cell's input minus the attention): input_size_note(depth).
template <class Cell, class = void>
struct has_input_size_note : std::false_type {};
template <class Cell>
struct has_input_size_note<Cell, std::void_t<decltype(std::declval<const Cell&>().input_size_note(
                                     Index{}))>> : std::true_type {};

// Cells (and attention mechanisms) that can size an existing workspace in place:
// prepare_workspace(ws, batch) (mechanisms: prepare_workspace(ws)). Sessions keep workspaces
// from one call to the next this way; other cells get a new make_workspace(batch).
template <class Cell, class = void>
struct has_prepare_workspace : std::false_type {};
template <class Cell>
struct has_prepare_workspace<
    Cell, std::void_t<decltype(std::declval<const Cell&>().prepare_workspace(
              std::declval<typename Cell::Workspace&>(), Index{}))>> : std::true_type {};
template <class Mechanism, class = void>
struct has_prepare_mechanism_workspace : std::false_type {};
template <class Mechanism>
struct has_prepare_mechanism_workspace<
    Mechanism, std::void_t<decltype(std::declval<const Mechanism&>().prepare_workspace(
                   std::declval<typename Mechanism::Workspace&>()))>> : std::true_type {};

/// Sizes `ws` for `batch` rows of `cell`: in place (no allocation when its buffers already have
/// those sizes) for the library's cells, a new make_workspace(batch) for others.
template <class Cell>
void prepare_workspace(const Cell& cell, typename Cell::Workspace& ws, Index batch) {
  if constexpr (has_prepare_workspace<Cell>::value) {
    cell.prepare_workspace(ws, batch);
  } else {
    ws = cell.make_workspace(batch);
  }
}

/// The same for an attention mechanism's workspace (its batch is the memory's).
template <class Mechanism>
void prepare_mechanism_workspace(const Mechanism& m, typename Mechanism::Workspace& ws) {
  if constexpr (has_prepare_mechanism_workspace<Mechanism>::value) {
    m.prepare_workspace(ws);
  } else {
    ws = m.make_workspace();
  }
}

/// What a message about inputs of depth `depth` that do not fit `cell` adds: the cell's own
/// note ("; an AttentionWrapper's input size is ..."), or nothing.
template <class Cell>
std::string input_size_note(const Cell& cell, Index depth) {
  if constexpr (has_input_size_note<Cell>::value) {
    return cell.input_size_note(depth);
  } else {
    return "";
  }
}

/// One step of `cell` from `inputs` [B, cell.input_size()] and `state`: checks both shapes
/// (errors name `name`), then returns (output [B, cell.output_size()], new state). Allocates its
/// results and a workspace every call; loops should use dynamic_rnn, which allocates once.
/// (The cells' operator() checks the ranks at compile time, then calls this.)
template <class Cell>
std::pair<Tensor2<typename Cell::Scalar>, typename Cell::state_type> call_cell(
    const Cell& cell, const EigenTensor<typename Cell::Scalar, 2>& inputs,
    typename Cell::state_type state, const std::string& name) {
  using T = typename Cell::Scalar;
  const Index batch = inputs.dimension(0);
  if (inputs.dimension(1) != cell.input_size()) {  // (the note is built only for the message)
    check_shape(inputs, {batch, cell.input_size()}, name + ": inputs",
                input_size_note(cell, inputs.dimension(1)));
  }
  cell.check_state(state, batch, name + ": state");
  std::pair<Tensor2<T>, typename Cell::state_type> result{Tensor2<T>(batch, cell.output_size()),
                                                          std::move(state)};
  if (batch == 0) return result;  // nothing to compute (and no row to point into)
  auto workspace = cell.make_workspace(batch);
  cell.step(as_matrix(inputs), result.second, as_matrix(result.first), workspace);
  return result;
}

}  // namespace seq2seq::detail
