// dynamic_rnn: unrolls a cell over time with TensorFlow 1.x graph-mode semantics.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <seq2seq/core/cell_call.hpp>
#include <seq2seq/core/tensor.hpp>
#include <seq2seq/core/threads.hpp>
#include <seq2seq/rnn/rnn_loop.hpp>

namespace seq2seq {

/// What dynamic_rnn returns: TF's `(outputs, state)` pair, usable with structured bindings.
template <class T, class State>
struct DynamicRnnResult {
  Tensor3<T> outputs;  ///< [B, T, output_size], or [T, B, output_size] when time_major
  State final_state;   ///< each row's state after its last step (copy-through past its length)
};

namespace detail {

/// dynamic_rnn into `result`, working in `buf` (both kept between calls by a DynamicRnnSession:
/// once they have served a call of the same sizes, this one allocates nothing at one thread).
/// `initial_state`: nullptr for the cell's zero state. `where` names the caller in messages.
template <class Cell>
void run_dynamic_rnn(const Cell& cell, TensorView<typename Cell::Scalar, 3> inputs,
                     const std::vector<int64_t>& sequence_length,
                     const typename Cell::state_type* initial_state, bool time_major,
                     DynamicRnnResult<typename Cell::Scalar, typename Cell::state_type>& result,
                     DynamicRnnBuffers<Cell>& buf, const char* where) {
  using T = typename Cell::Scalar;
  const Index batch = inputs.dimension(time_major ? 1 : 0);
  const Index max_time = inputs.dimension(time_major ? 0 : 1);
  const Index depth = inputs.dimension(2);
  const char* layout = time_major ? "[max_time, batch, depth]" : "[batch, max_time, depth]";
  if (batch <= 0 || max_time <= 0) {
    fail(where, ": inputs has shape ", dims_string(inputs.dimensions()), " (", layout,
         "); batch and max_time must be positive");
  }
  if (depth != cell.input_size()) {
    fail(where, ": inputs has shape ", dims_string(inputs.dimensions()), " (", layout,
         "), depth ", depth, " != the cell's input size ", cell.input_size(),
         input_size_note(cell, depth));
  }

  Index steps = max_time;
  if (!sequence_length.empty()) {
    if (static_cast<Index>(sequence_length.size()) != batch) {
      fail(where, ": sequence_length has ", sequence_length.size(), " entries, expected batch ",
           batch, " (inputs ", dims_string(inputs.dimensions()), ")");
    }
    for (std::size_t b = 0; b < sequence_length.size(); ++b) {
      if (sequence_length[b] < 0) {
        fail(where, ": sequence_length[", b, "]=", sequence_length[b], " is negative");
      }
      if (sequence_length[b] > max_time) {
        fail(where, ": sequence_length[", b, "]=", sequence_length[b], " exceeds max_time=",
             max_time, " (inputs ", dims_string(inputs.dimensions()), ")");
      }
    }
    const int64_t longest = *std::max_element(sequence_length.begin(), sequence_length.end());
    steps = std::max<Index>(1, static_cast<Index>(longest));
  }

  if (initial_state) {
    // The argument's name for messages, built once (a warmed-up session allocates nothing).
    if (buf.initial_state_name.empty()) {
      buf.initial_state_name = std::string(where) + ": initial_state";
    }
    cell.check_state(*initial_state, batch, buf.initial_state_name);
    result.final_state = *initial_state;  // same size as last time: no allocation
  } else {
    if (buf.zero_rows != batch) {
      try {
        buf.zero = cell.zero_state(batch);
      } catch (const Error& e) {  // e.g. a wrapper whose memory batch is not the inputs' batch
        fail(where, ": inputs has shape ", dims_string(inputs.dimensions()), " (", layout,
             "), batch ", batch, ": ", e.what());
      }
      buf.zero_rows = batch;
    }
    result.final_state = buf.zero;
  }
  auto& state = result.final_state;
  const Index out_depth = cell.output_size();
  if (time_major) {
    result.outputs.resize(max_time, batch, out_depth);
  } else {
    result.outputs.resize(batch, max_time, out_depth);
  }
  result.outputs.setZero();
  // Step t of row b sits at b*T*D + t*D (batch-major) or t*B*D + b*D (time-major).
  const RnnRows<T> whole{inputs.data(),
                         time_major ? batch * depth : depth,
                         time_major ? depth : max_time * depth,
                         depth,
                         result.outputs.data(),
                         time_major ? batch * out_depth : out_depth,
                         time_major ? out_depth : max_time * out_depth,
                         out_depth,
                         sequence_length.empty() ? nullptr : sequence_length.data(),
                         batch,
                         steps};
  Index gates = 4 * out_depth;  // the recurrent kernel's width, when the cell does not say
  if constexpr (has_input_projection<Cell>::value) {
    gates = std::max<Index>(cell.input_projection_size(), out_depth);
  }
  const double recurrent_bytes = double(out_depth) * double(gates) * sizeof(T);
  if constexpr (splits_batch<Cell>()) {
    const int parts = batch_split_parts(batch, steps, depth, out_depth, recurrent_bytes);
    if constexpr (has_state_rows<Cell>::value) {
      if (worth_ragged(whole.lengths, batch, steps)) {
        rnn_ragged(cell, whole, state, parts, buf);
        return;
      }
    }
    if (parts > 1) {
      // Each thread runs every step on its own rows (of the state and, for a wrapper, of the
      // memory: its workspace says which), with its own state and workspace: no
      // synchronisation inside the time loop. Rows are independent: the results are those of
      // one thread. The state goes back once every part has ended (a wrapper's time and
      // alignment_history are shared by its rows).
      auto rows_of = [batch, parts](int p) {
        const Index first = batch * p / parts;
        return std::pair<Index, Index>(first, batch * (p + 1) / parts - first);
      };
      buf.reserve_parts(parts);
      for (int p = 0; p < parts; ++p) {
        const auto [first, rows] = rows_of(p);
        cell.copy_state_rows(state, first, buf.part_state(cell, p, state, rows), 0, rows);
      }
      run_parts(parts, [&](int p) {
        const auto r = rows_of(p);
        auto& loop = buf.loops[static_cast<std::size_t>(p)];
        if constexpr (has_memory_rows<Cell>::value) {
          cell.set_memory_rows(loop.workspace_for(cell, r.second), r.first);
        }
        rnn_loop(cell, whole.rows(r.first, r.second),
                 buf.part_states[static_cast<std::size_t>(p)], loop);
      });
      for (int p = 0; p < parts; ++p) {
        const auto [first, rows] = rows_of(p);
        cell.copy_state_rows(buf.part_states[static_cast<std::size_t>(p)], 0, state, first, rows);
      }
      return;
    }
  }
  buf.reserve_parts(1);
  rnn_loop(cell, whole, state, buf.loops[0]);
}

}  // namespace detail

/// Runs `cell` over `inputs` [B, T, D] ([T, B, D] when `time_major`), like
/// tf.compat.v1.nn.dynamic_rnn in graph mode:
///  - `sequence_length`: empty (every row runs T steps) or B lengths in 0..T. A row's outputs at
///    t >= its length are exactly 0 and its state is carried through unchanged; fields TF does not
///    mask (AttentionWrapperState::time and alignment_history) keep advancing for every row.
///  - the loop runs min(T, max(1, max(sequence_length))) steps (T without lengths), as TF's
///    while_loop does; outputs of the steps not run are 0.
///  - `initial_state`: the cell's zero_state(B) when not given.
/// A cell provides Scalar, state_type, input_size(), output_size(), zero_state(B),
/// check_state(s, B, where), copy_state_row(from, to, b), make_workspace(B) and
/// step(input, state&, output, workspace); optionally reserve_steps(state&, n), and
/// input_projection_size() (0: not available), project_input(inputs, projected) and
/// step_projected(projected, state&, output, workspace), which hoist the input GEMM out of the
/// loop: one [16*B, depth] x [depth, G] product per 16 steps, 16*B*G values of workspace.
/// With set_num_threads(n > 1), a cell whose state can be cut into rows (state_rows,
/// copy_state_rows: the bare cells and stacks of them) and a batch of at least 16 rows, the batch
/// is split into up to n parts, each run whole, every step, on a thread of its own (no barrier
/// inside the time loop); the results do not depend on the split. An AttentionWrapper over the
/// library's mechanisms splits the same way (set_memory_rows: each part reads its rows of the
/// memory). For the bare cells, rows of different lengths cost only their own steps: they are
/// sorted by length and run in segments on the rows still running (detail::rnn_ragged), with
/// TensorFlow's outputs and states.
/// `inputs` may be a Tensor3, an Eigen::Tensor<T, 3, Eigen::RowMajor>, a TensorMap (no copy) or
/// an Eigen expression (evaluated once); another rank, scalar type or layout does not compile.
/// Throws seq2seq::Error on any shape or length mismatch; allocates nothing per step. To call it
/// again and again without allocating at all, keep a DynamicRnnSession (dynamic_rnn_session.hpp).
template <class Cell, class Inputs>
DynamicRnnResult<typename Cell::Scalar, typename Cell::state_type> dynamic_rnn(
    const Cell& cell, const Inputs& inputs, const std::vector<int64_t>& sequence_length = {},
    std::optional<typename Cell::state_type> initial_state = std::nullopt,
    bool time_major = false) {
  using T = typename Cell::Scalar;
  SEQ2SEQ_STATIC_CHECK_TENSOR(Inputs, T, 3,
                              "dynamic_rnn: inputs must be rank 3 [batch, time, depth] (or "
                              "[time, batch, depth] with time_major)");
  DynamicRnnResult<T, typename Cell::state_type> result;
  detail::DynamicRnnBuffers<Cell> buffers;
  detail::with_tensor_view<T, 3>(inputs, [&](detail::TensorView<T, 3> view) {
    detail::run_dynamic_rnn(cell, view, sequence_length, initial_state ? &*initial_state : nullptr,
                            time_major, result, buffers, "dynamic_rnn");
  });
  return result;
}

}  // namespace seq2seq
