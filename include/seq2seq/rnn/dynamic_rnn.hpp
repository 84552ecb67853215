// dynamic_rnn: unrolls a cell over time with TensorFlow 1.x graph-mode semantics.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <seq2seq/core/cell_call.hpp>
#include <seq2seq/core/tensor.hpp>
#include <seq2seq/core/threads.hpp>

/// dynamic_rnn splits a batch between threads only into parts of at least this many rows, and
/// only for calls of at least this many flops (about 0.2 ms of one core). The test suite sets both
/// so that its small golden cases split too.
#ifndef SEQ2SEQ_BATCH_SPLIT_MIN_ROWS
#define SEQ2SEQ_BATCH_SPLIT_MIN_ROWS 8
#endif
#ifndef SEQ2SEQ_BATCH_SPLIT_MIN_FLOPS
#define SEQ2SEQ_BATCH_SPLIT_MIN_FLOPS 20000000
#endif
/// ... and, when the GEMM can use the threads itself, only if the weights multiplied at every
/// step take at most this many bytes (4 MiB: a GRU or LSTM of 512 units splits, one of 1024 does
/// not).
#ifndef SEQ2SEQ_BATCH_SPLIT_MAX_WEIGHT_BYTES
#define SEQ2SEQ_BATCH_SPLIT_MAX_WEIGHT_BYTES 4194304
#endif

namespace seq2seq {

/// What dynamic_rnn returns: TF's `(outputs, state)` pair, usable with structured bindings.
template <class T, class State>
struct DynamicRnnResult {
  Tensor3<T> outputs;  ///< [B, T, output_size], or [T, B, output_size] when time_major
  State final_state;   ///< each row's state after its last step (copy-through past its length)
};

namespace detail {

/// Where dynamic_rnn's time loop reads and writes some batch rows: input (t, b) starts at
/// in + t * in_t + b * in_b, output (t, b) at out + t * out_t + b * out_b.
template <class T>
struct RnnRows {
  const T* in;
  Index in_t, in_b, depth;
  T* out;
  Index out_t, out_b, out_depth;
  const int64_t* lengths;  // per row, or nullptr: every row runs every step
  Index batch, steps;

  /// Rows [first, first + n) of these.
  RnnRows rows(Index first, Index n) const {
    RnnRows r = *this;
    r.in += first * in_b;
    r.out += first * out_b;
    if (r.lengths) r.lengths += first;
    r.batch = n;
    return r;
  }
};

/// How many parts dynamic_rnn splits a batch into, one per thread: threads_here(), at least
/// SEQ2SEQ_BATCH_SPLIT_MIN_ROWS rows each, and only for calls of at least
/// SEQ2SEQ_BATCH_SPLIT_MIN_FLOPS (rough GEMM flops), where starting threads costs little.
/// `recurrent_bytes` is the size of the weights every step multiplies by: when the GEMM can use
/// the threads itself (oneDNN, or Eigen with OpenMP) and they exceed
/// SEQ2SEQ_BATCH_SPLIT_MAX_WEIGHT_BYTES, the GEMM's own split of the columns is faster (each
/// thread then reads half the weights per step, not all of them; measured in BENCHMARKS.md).
/// One on the OpenBLAS backend, whose thread count is process-wide.
inline int batch_split_parts(Index batch, Index steps, Index depth, Index out_depth,
                             double recurrent_bytes = 0) {
#if defined(SEQ2SEQ_GEMM_OPENBLAS)
  (void)batch, (void)steps, (void)depth, (void)out_depth, (void)recurrent_bytes;
  return 1;
#else
  const int threads = threads_here();
  if (threads <= 1) return 1;
#if defined(SEQ2SEQ_GEMM_ONEDNN) || defined(_OPENMP)
  if (recurrent_bytes > double(SEQ2SEQ_BATCH_SPLIT_MAX_WEIGHT_BYTES)) return 1;
#else
  (void)recurrent_bytes;
#endif
  const double flops = 6.0 * double(batch) * double(steps) * double(out_depth) *
                       double(depth + out_depth);
  if (flops < double(SEQ2SEQ_BATCH_SPLIT_MIN_FLOPS)) return 1;
  const Index min_rows = std::max<Index>(1, SEQ2SEQ_BATCH_SPLIT_MIN_ROWS);
  return static_cast<int>(std::max<Index>(1, std::min<Index>(threads, batch / min_rows)));
#endif
}

/// dynamic_rnn's time loop over the rows `r` (all of them, or one part of a batch split), from
/// and into `state` [r.batch, ...]. Allocates its workspaces once, nothing per step.
template <class Cell>
void rnn_loop(const Cell& cell, const RnnRows<typename Cell::Scalar>& r,
              typename Cell::state_type& state) {
  using T = typename Cell::Scalar;
  const Index batch = r.batch, steps = r.steps, depth = r.depth;
  const bool masked = r.lengths != nullptr;
  // Rows that have finished keep their state here and get it back after every step.
  typename Cell::state_type finished = masked ? state : typename Cell::state_type{};
  if constexpr (has_reserve_steps<Cell>::value) cell.reserve_steps(state, steps);
  auto workspace = cell.make_workspace(batch);
  using Stride = Eigen::OuterStride<>;
  // Hoisted input projection, for up to kChunk steps at a time (a bounded workspace that the
  // time loop reuses): rows (t % kChunk) * B + b. Unless those rows are already consecutive in
  // the inputs (time-major, every row), they are first gathered into `gathered`, so that each
  // chunk is one GEMM.
  constexpr Index kChunk = 16;
  const Index chunk = std::min(steps, kChunk);
  const bool consecutive = r.in_b == depth && r.in_t == batch * depth;
  RowMatrix<T> projected, gathered;
  Index proj_depth = 0;
  if constexpr (has_input_projection<Cell>::value) {
    proj_depth = cell.input_projection_size();
    if (proj_depth > 0) {
      projected.resize(chunk * batch, proj_depth);
      if (!consecutive) gathered.resize(chunk * batch, depth);
    }
  }
  for (Index t = 0; t < steps; ++t) {
    if (masked) {
      for (Index b = 0; b < batch; ++b) {
        if (r.lengths[b] == t) cell.copy_state_row(state, finished, b);
      }
    }
    Eigen::Map<const RowMatrix<T>, 0, Stride> x(r.in + t * r.in_t, batch, depth, Stride(r.in_b));
    Eigen::Map<RowMatrix<T>, 0, Stride> out(r.out + t * r.out_t, batch, r.out_depth,
                                            Stride(r.out_b));
    bool stepped = false;
    if constexpr (has_input_projection<Cell>::value) {
      if (proj_depth > 0) {
        if (t % chunk == 0) {
          const Index rows = std::min(chunk, steps - t) * batch;
          if (consecutive) {
            cell.project_input(Eigen::Map<const RowMatrix<T>>(r.in + t * r.in_t, rows, depth),
                               projected.topRows(rows));
          } else {
            for (Index i = 0; i < rows; ++i) {  // row (k, b) of the chunk = input (t + k, b)
              gathered.row(i) = Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>(
                  r.in + (t + i / batch) * r.in_t + (i % batch) * r.in_b, depth);
            }
            cell.project_input(gathered.topRows(rows), projected.topRows(rows));
          }
        }
        cell.step_projected(projected.middleRows((t % chunk) * batch, batch), state, out,
                            workspace);
        stepped = true;
      }
    }
    if (!stepped) cell.step(x, state, out, workspace);
    if (masked) {
      for (Index b = 0; b < batch; ++b) {
        if (r.lengths[b] <= t) {
          cell.copy_state_row(finished, state, b);
          out.row(b).setZero();
        }
      }
    }
  }
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
/// set_state_rows: the bare cells and stacks of them) and a batch of at least 16 rows, the batch
/// is split into up to n parts, each run whole, every step, on a thread of its own (no barrier
/// inside the time loop); the results do not depend on the split.
/// `inputs` may be a Tensor3, an Eigen::Tensor<T, 3, Eigen::RowMajor>, a TensorMap (no copy) or
/// an Eigen expression (evaluated once); another rank, scalar type or layout does not compile.
/// Throws seq2seq::Error on any shape or length mismatch; allocates nothing per step.
template <class Cell, class Inputs>
DynamicRnnResult<typename Cell::Scalar, typename Cell::state_type> dynamic_rnn(
    const Cell& cell, const Inputs& inputs_arg, const std::vector<int64_t>& sequence_length = {},
    std::optional<typename Cell::state_type> initial_state = std::nullopt,
    bool time_major = false) {
  using T = typename Cell::Scalar;
  SEQ2SEQ_STATIC_CHECK_TENSOR(Inputs, T, 3,
                              "dynamic_rnn: inputs must be rank 3 [batch, time, depth] (or "
                              "[time, batch, depth] with time_major)");
  const detail::EigenTensor<T, 3>& inputs = detail::tensor_arg<T, 3>(inputs_arg);
  const Index batch = inputs.dimension(time_major ? 1 : 0);
  const Index max_time = inputs.dimension(time_major ? 0 : 1);
  const Index depth = inputs.dimension(2);
  const char* layout = time_major ? "[max_time, batch, depth]" : "[batch, max_time, depth]";
  if (batch <= 0 || max_time <= 0) {
    detail::fail("dynamic_rnn: inputs has shape ", shape_string(inputs), " (", layout,
                 "); batch and max_time must be positive");
  }
  if (depth != cell.input_size()) {
    detail::fail("dynamic_rnn: inputs has shape ", shape_string(inputs), " (", layout,
                 "), depth ", depth, " != the cell's input size ", cell.input_size(),
                 detail::input_size_note(cell, depth));
  }

  Index steps = max_time;
  if (!sequence_length.empty()) {
    if (static_cast<Index>(sequence_length.size()) != batch) {
      detail::fail("dynamic_rnn: sequence_length has ", sequence_length.size(),
                   " entries, expected batch ", batch, " (inputs ", shape_string(inputs), ")");
    }
    for (std::size_t b = 0; b < sequence_length.size(); ++b) {
      if (sequence_length[b] < 0) {
        detail::fail("dynamic_rnn: sequence_length[", b, "]=", sequence_length[b],
                     " is negative");
      }
      if (sequence_length[b] > max_time) {
        detail::fail("dynamic_rnn: sequence_length[", b, "]=", sequence_length[b],
                     " exceeds max_time=", max_time, " (inputs ", shape_string(inputs), ")");
      }
    }
    const int64_t longest = *std::max_element(sequence_length.begin(), sequence_length.end());
    steps = std::max<Index>(1, static_cast<Index>(longest));
  }

  typename Cell::state_type state;
  if (initial_state) {
    cell.check_state(*initial_state, batch, "dynamic_rnn: initial_state");
    state = std::move(*initial_state);
  } else {
    try {
      state = cell.zero_state(batch);
    } catch (const Error& e) {  // e.g. a wrapper whose memory batch is not the inputs' batch
      detail::fail("dynamic_rnn: inputs has shape ", shape_string(inputs), " (", layout,
                   "), batch ", batch, ": ", e.what());
    }
  }
  const Index out_depth = cell.output_size();
  DynamicRnnResult<T, typename Cell::state_type> result;
  result.outputs = time_major ? detail::zeros<T, 3>({max_time, batch, out_depth})
                              : detail::zeros<T, 3>({batch, max_time, out_depth});
  // Step t of row b sits at b*T*D + t*D (batch-major) or t*B*D + b*D (time-major).
  const detail::RnnRows<T> whole{
      inputs.data(),
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
  bool split = false;
  if constexpr (detail::has_state_rows<Cell>::value) {
    Index gates = 4 * out_depth;  // the recurrent kernel's width, when the cell does not say
    if constexpr (detail::has_input_projection<Cell>::value) {
      gates = std::max<Index>(cell.input_projection_size(), out_depth);
    }
    const int parts = detail::batch_split_parts(batch, steps, depth, out_depth,
                                                double(out_depth) * double(gates) * sizeof(T));
    if (parts > 1) {
      // Each thread runs every step on its own rows, with its own workspace: no
      // synchronisation inside the time loop. Rows are independent: the results are those of
      // one thread.
      detail::run_parts(parts, [&](int p) {
        const Index first = batch * p / parts, rows = batch * (p + 1) / parts - first;
        auto part_state = cell.state_rows(state, first, rows);
        detail::rnn_loop(cell, whole.rows(first, rows), part_state);
        cell.set_state_rows(state, part_state, first);
      });
      split = true;
    }
  }
  if (!split) detail::rnn_loop(cell, whole, state);
  result.final_state = std::move(state);
  return result;
}

}  // namespace seq2seq
