// MultiRNNCell: TensorFlow 1.x tf.nn.rnn_cell.MultiRNNCell (state_is_tuple=True), a stack of
// cells of any kinds run one after the other within each time step.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <seq2seq/core/cell_call.hpp>
#include <seq2seq/core/tensor.hpp>
#include <seq2seq/rnn/dynamic_rnn.hpp>

namespace seq2seq {

/// A stack of cells, TF's `MultiRNNCell([cell_0, cell_1, ...])` with state_is_tuple=True. Each
/// step, for k = 0, 1, ...:   input_k+1, state[k] = cell_k(input_k, state[k])   (input_0 = x)
/// and the output is the last layer's output. Layers may be of different kinds and widths, e.g.
/// `MultiRNNCell<LSTMCell<float>, GRUCell<float>>`; layer k's input size must be layer k-1's
/// output size. State: `std::tuple` of the layers' states, layer 0 first (TF's tuple). In TF the
/// layers' variables live under `multi_rnn_cell/cell_<k>/`.
template <class... Cells>
class MultiRNNCell {
  static_assert(sizeof...(Cells) >= 1, "MultiRNNCell needs at least one cell");
  using First = std::tuple_element_t<0, std::tuple<Cells...>>;

 public:
  using Scalar = typename First::Scalar;  ///< The layers' scalar type (the same for all).
  using T = Scalar;                       ///< Short name for Scalar.
  /// Every layer's state, layer 0 first (TF's tuple).
  using state_type = std::tuple<typename Cells::state_type...>;
  static constexpr std::size_t num_layers = sizeof...(Cells);  ///< Number of layers.
  static_assert((std::is_same_v<typename Cells::Scalar, T> && ...),
                "every MultiRNNCell layer must have the same Scalar type");

  /// Scratch for one call of `step` at a fixed batch size: each layer's own workspace, and the
  /// outputs of every layer but the last (the last writes the caller's output).
  struct Workspace {
    std::tuple<typename Cells::Workspace...> cells;  ///< Each layer's workspace, layer 0 first.
    std::array<RowMatrix<T>, num_layers - 1> outputs;  ///< layer k: [B, cells[k].output_size()]
  };

  /// TF's `MultiRNNCell([cells...])`. Throws seq2seq::Error unless each layer's input size is
  /// the previous layer's output size.
  explicit MultiRNNCell(Cells... cells) : cells_(std::move(cells)...) {
    for_each_layer([&](auto index, const auto& cell) {
      constexpr std::size_t k = decltype(index)::value;
      if constexpr (k > 0) {
        const auto& below = std::get<k - 1>(cells_);
        if (cell.input_size() != below.output_size()) {
          detail::fail("MultiRNNCell: cells[", k, "] has input size ", cell.input_size(),
                       ", but cells[", k - 1, "] outputs ", below.output_size(),
                       " (layer k's input is layer k-1's output)");
        }
      }
    });
  }

  /// Layer K (TF's `cells[K]`).
  template <std::size_t K>
  const auto& cell() const {
    return std::get<K>(cells_);
  }
  /// All layers, layer 0 first (TF's `cells`).
  const std::tuple<Cells...>& cells() const { return cells_; }
  /// Layer 0's input size.
  Index input_size() const { return std::get<0>(cells_).input_size(); }
  /// For messages: the first layer's kernel shapes for inputs of depth `input_size`.
  std::string kernel_shapes(const std::string& input_desc, Index input_size) const {
    using First = std::tuple_element_t<0, std::tuple<Cells...>>;
    if constexpr (detail::has_kernel_shapes<First>::value) {
      return "layer 0's " + std::get<0>(cells_).kernel_shapes(input_desc, input_size);
    } else {
      return "layer 0's kernels";
    }
  }
  /// The last layer's output size.
  Index output_size() const { return std::get<num_layers - 1>(cells_).output_size(); }

  /// Every layer's zero state, layer 0 first.
  state_type zero_state(Index batch) const {
    return std::apply([batch](const auto&... c) { return state_type{c.zero_state(batch)...}; },
                      cells_);
  }

  /// Throws unless every layer's state fits that layer at `batch`; layer k's part is named
  /// `where[k]` (e.g. "dynamic_rnn: initial_state[1].c").
  void check_state(const state_type& s, Index batch, const std::string& where) const {
    for_each_layer([&](auto index, const auto& cell) {
      constexpr std::size_t k = decltype(index)::value;
      cell.check_state(std::get<k>(s), batch, where + "[" + std::to_string(k) + "]");
    });
  }

  /// Copies batch row `b` of every layer's state (dynamic_rnn's copy-through).
  void copy_state_row(const state_type& from, state_type& to, Index b) const {
    for_each_layer([&](auto index, const auto& cell) {
      constexpr std::size_t k = decltype(index)::value;
      cell.copy_state_row(std::get<k>(from), std::get<k>(to), b);
    });
  }

  /// A copy of rows [first, first + rows) of every layer's state (dynamic_rnn's batch split and
  /// ragged rows); only when every layer can (an AttentionWrapper layer cannot).
  template <bool All = (detail::has_state_rows<Cells>::value && ...),
            std::enable_if_t<All, int> = 0>
  state_type state_rows(const state_type& s, Index first, Index rows) const {
    state_type part;
    for_each_layer([&](auto index, const auto& cell) {
      constexpr std::size_t k = decltype(index)::value;
      std::get<k>(part) = cell.state_rows(std::get<k>(s), first, rows);
    });
    return part;
  }
  /// Copies rows [from_first, from_first + rows) of every layer's state in `from` to rows
  /// [to_first, to_first + rows) of `to`'s, in place (dynamic_rnn's batch split and ragged
  /// rows); only when every layer can, as state_rows.
  template <bool All = (detail::has_state_rows<Cells>::value && ...),
            std::enable_if_t<All, int> = 0>
  void copy_state_rows(const state_type& from, Index from_first, state_type& to, Index to_first,
                       Index rows) const {
    for_each_layer([&](auto index, const auto& cell) {
      constexpr std::size_t k = decltype(index)::value;
      cell.copy_state_rows(std::get<k>(from), from_first, std::get<k>(to), to_first, rows);
    });
  }

  /// Forwards to the layers that reserve room per step (e.g. an AttentionWrapper layer's
  /// alignment_history), so that `step` need not allocate.
  void reserve_steps(state_type& s, Index steps) const {
    for_each_layer([&](auto index, const auto& cell) {
      using Cell = std::decay_t<decltype(cell)>;
      if constexpr (detail::has_reserve_steps<Cell>::value) {
        cell.reserve_steps(std::get<decltype(index)::value>(s), steps);
      }
    });
  }

  /// A workspace for `batch` rows (every layer's, and the outputs between layers), made once
  /// and reused at every step (the library allocates nothing per step).
  Workspace make_workspace(Index batch) const {
    Workspace ws;
    prepare_workspace(ws, batch);
    return ws;
  }
  /// Sizes `ws` for `batch` rows in place (allocates only when a size changes).
  void prepare_workspace(Workspace& ws, Index batch) const {
    for_each_layer([&](auto index, const auto& cell) {
      constexpr std::size_t k = decltype(index)::value;
      detail::prepare_workspace(cell, std::get<k>(ws.cells), batch);
      if constexpr (k + 1 < num_layers) ws.outputs[k].resize(batch, cell.output_size());
    });
  }

  /// One step for the whole batch: `input` [B, input_size], every layer's state updated in
  /// place, `output` [B, output_size]. Shapes are the caller's contract (checked once by
  /// dynamic_rnn / operator()).
  void step(ConstMatrixRef<T> input, state_type& s, MatrixRef<T> output, Workspace& ws) const {
    step_from<0>(input, s, output, ws);
  }

  /// TensorFlow's `cell(inputs, state)`: inputs [B, input_size] -> (output [B, output_size],
  /// new state). Allocates; for loops use dynamic_rnn.
  template <class Inputs>
  std::pair<Tensor2<T>, state_type> operator()(const Inputs& inputs, state_type state) const {
    SEQ2SEQ_STATIC_CHECK_TENSOR(Inputs, T, 2,
                                "MultiRNNCell(inputs, state): inputs must be rank 2 [batch, "
                                "input_size]");
    return detail::call_cell(*this, detail::tensor_arg<T, 2>(inputs), std::move(state),
                             "MultiRNNCell");
  }

 private:
  // Layer K reads `input` and writes ws.outputs[K] (the last layer: `output`), then layer K+1
  // reads that.
  template <std::size_t K>
  void step_from(ConstMatrixRef<T> input, state_type& s, MatrixRef<T> output,
                 Workspace& ws) const {
    const auto& cell = std::get<K>(cells_);
    if constexpr (K + 1 == num_layers) {
      cell.step(input, std::get<K>(s), output, std::get<K>(ws.cells));
    } else {
      // The workspace may have more rows than the batch (dynamic_rnn's rows still running).
      auto layer_output = ws.outputs[K].topRows(input.rows());
      cell.step(input, std::get<K>(s), layer_output, std::get<K>(ws.cells));
      step_from<K + 1>(layer_output, s, output, ws);
    }
  }

  // Calls f(std::integral_constant<size_t, k>, cells[k]) for every layer, in order.
  template <class F>
  void for_each_layer(F&& f) const {
    for_each_layer(f, std::index_sequence_for<Cells...>{});
  }
  template <class F, std::size_t... K>
  void for_each_layer(F& f, std::index_sequence<K...>) const {
    (f(std::integral_constant<std::size_t, K>{}, std::get<K>(cells_)), ...);
  }

  std::tuple<Cells...> cells_;
};

}  // namespace seq2seq
