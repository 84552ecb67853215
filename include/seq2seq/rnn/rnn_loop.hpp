// dynamic_rnn's time loop (seq2seq::detail): over some rows of a batch, split between threads,
// and over rows of different lengths without computing the rows that have finished.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
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

/// What dynamic_rnn's time loop works in, kept between calls by a DynamicRnnSession (a call of
/// dynamic_rnn makes its own): resized to what a call needs, which keeps their storage when the
/// size does not change (Eigen reallocates only on a new size).
template <class Cell>
struct RnnLoopBuffers {
  using T = typename Cell::Scalar;
  typename Cell::Workspace workspace;
  Index workspace_rows = -1;           // the batch `workspace` was made for (-1: none yet)
  typename Cell::state_type finished;  // rows that have finished keep their state here
  RowMatrix<T> projected, gathered;    // the hoisted input projection, by chunks of steps

  /// A workspace for `batch` rows: the one kept when it fits (cells that cut their state into
  /// rows run on the first rows of a larger one).
  typename Cell::Workspace& workspace_for(const Cell& cell, Index batch) {
    const bool fits = workspace_rows == batch ||
                      (has_state_rows<Cell>::value && workspace_rows > batch);
    if (!fits) {
      workspace = cell.make_workspace(batch);
      workspace_rows = batch;
    }
    return workspace;
  }
};

/// Resizes `m` to at least `rows` x `cols`, keeping its storage when it is large enough.
template <class T>
void fit_rows(RowMatrix<T>& m, Index rows, Index cols) {
  if (m.rows() < rows || m.cols() != cols) m.resize(rows, cols);
}

/// dynamic_rnn hoists the input projection out of the time loop for this many steps at a time.
constexpr Index kProjectedSteps = 16;

/// Room in `buf` for the hoisted input projection of `steps` steps (at most kProjectedSteps) of
/// `batch` rows of depth `depth`, and for gathering them when they are not consecutive. Returns
/// the projection's width (0: the cell has none).
template <class Cell>
Index fit_projection(const Cell& cell, RnnLoopBuffers<Cell>& buf, Index steps, Index batch,
                     Index depth, bool consecutive) {
  if constexpr (has_input_projection<Cell>::value) {
    const Index width = cell.input_projection_size();
    const Index rows = std::min(steps, kProjectedSteps) * batch;
    if (width > 0) {
      fit_rows(buf.projected, rows, width);
      if (!consecutive) fit_rows(buf.gathered, rows, depth);
    }
    return width;
  } else {
    (void)cell, (void)buf, (void)steps, (void)batch, (void)depth, (void)consecutive;
    return 0;
  }
}

/// dynamic_rnn's time loop over the rows `r` (all of them, or one part of a batch split), from
/// and into `state` (its first r.batch rows: it may have more, for cells that cut their state
/// into rows). Works in `buf`: allocates nothing per step, nothing at all once `buf` has served
/// a call of the same sizes (alignment_history's tensors aside).
template <class Cell>
void rnn_loop(const Cell& cell, const RnnRows<typename Cell::Scalar>& r,
              typename Cell::state_type& state, RnnLoopBuffers<Cell>& buf) {
  using T = typename Cell::Scalar;
  const Index batch = r.batch, steps = r.steps, depth = r.depth;
  const bool masked = r.lengths != nullptr;
  if (masked) buf.finished = state;  // same size as last time: no allocation
  auto& finished = buf.finished;
  if constexpr (has_reserve_steps<Cell>::value) cell.reserve_steps(state, steps);
  auto& workspace = buf.workspace_for(cell, batch);
  using Stride = Eigen::OuterStride<>;
  // Hoisted input projection, for up to kProjectedSteps steps at a time (a bounded workspace
  // that the time loop reuses): rows (t % chunk) * B + b. Unless those rows are already
  // consecutive in the inputs (time-major, every row), they are first gathered into `gathered`,
  // so that each chunk is one GEMM.
  const Index chunk = std::min(steps, kProjectedSteps);
  const bool consecutive = r.in_b == depth && r.in_t == batch * depth;
  auto& projected = buf.projected;
  auto& gathered = buf.gathered;
  const Index proj_depth = fit_projection(cell, buf, steps, batch, depth, consecutive);
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

/// Whether dynamic_rnn should run rows of different lengths by rnn_ragged: when the lengths
/// leave at least a tenth of the batch's row-steps to skip.
inline bool worth_ragged(const int64_t* lengths, Index batch, Index steps) {
  if (lengths == nullptr || batch < 2) return false;
  const int64_t sum = std::accumulate(lengths, lengths + batch, int64_t{0});
  return double(sum) <= 0.9 * double(batch) * double(steps);
}

/// Runs `f(p)` for each of `parts` parts: on the calling thread when there is one (its products
/// keep every thread), else by run_parts.
template <class F>
void for_parts(int parts, F&& f) {
  if (parts <= 1) {
    f(0);
  } else {
    run_parts(parts, f);
  }
}

/// Everything dynamic_rnn works in, kept between calls by a DynamicRnnSession.
template <class Cell>
struct DynamicRnnBuffers {
  using T = typename Cell::Scalar;
  using state_type = typename Cell::state_type;
  std::vector<RnnLoopBuffers<Cell>> loops;  // one per part (thread)
  state_type zero;                          // the cell's zero state at `zero_rows` rows
  Index zero_rows = -1;
  std::string initial_state_name;           // "<caller>: initial_state", for messages
  // Rows of different lengths (rnn_ragged): the rows by length, each part's rows, its state
  // (`part_rows` rows) and the gathered inputs and outputs.
  std::vector<Index> sorted, order, begin, part_rows;
  std::vector<state_type> part_states;
  RowMatrix<T> in, out;

  /// Room for `parts` parts (before any thread runs: each then touches only its own).
  void reserve_parts(int parts) {
    const auto n = static_cast<std::size_t>(parts);
    if (loops.size() < n) loops.resize(n);
    if (part_states.size() < n) {
      part_states.resize(n);
      part_rows.resize(n, -1);
    }
  }

  /// Part p's state, of `rows` rows (values left to the caller), made from `like` when the
  /// one kept has another size.
  state_type& part_state(const Cell& cell, int p, const state_type& like, Index rows) {
    const auto k = static_cast<std::size_t>(p);
    if (part_rows[k] != rows) {
      part_states[k] = cell.state_rows(like, 0, rows);
      part_rows[k] = rows;
    }
    return part_states[k];
  }
};

/// dynamic_rnn's time loop for rows of different lengths, for cells whose state can be cut into
/// rows: a finished row costs nothing. The rows, sorted by length (longest first) and dealt in
/// turn to `parts` parts (threads), are gathered into consecutive rows; each part then runs
/// segments between consecutive lengths, each on the rows still running (the first rows of its
/// state), and the outputs and final states go back to their rows. A row's outputs past its
/// length stay as the caller zeroed them and its state is the one after its last step, as
/// TensorFlow's masking gives; a row of length 0 keeps its initial state.
template <class Cell>
void rnn_ragged(const Cell& cell, const RnnRows<typename Cell::Scalar>& r,
                typename Cell::state_type& state, int parts, DynamicRnnBuffers<Cell>& buf) {
  const Index batch = r.batch, steps = r.steps, depth = r.depth, out_depth = r.out_depth;
  auto length = [&](Index b) { return std::min<Index>(steps, static_cast<Index>(r.lengths[b])); };
  auto& sorted = buf.sorted;
  sorted.resize(static_cast<std::size_t>(batch));
  std::iota(sorted.begin(), sorted.end(), Index{0});
  // Longest first, ties in row order (std::sort: stable_sort would allocate).
  std::sort(sorted.begin(), sorted.end(), [&](Index a, Index b) {
    return length(a) > length(b) || (length(a) == length(b) && a < b);
  });
  auto& order = buf.order;  // part p's rows are order[begin[p] .. begin[p + 1])
  auto& begin = buf.begin;
  order.clear();
  begin.resize(static_cast<std::size_t>(parts) + 1);
  for (int p = 0; p < parts; ++p) {
    begin[static_cast<std::size_t>(p)] = static_cast<Index>(order.size());
    for (std::size_t i = static_cast<std::size_t>(p); i < sorted.size();
         i += static_cast<std::size_t>(parts)) {
      order.push_back(sorted[i]);
    }
  }
  begin[static_cast<std::size_t>(parts)] = batch;
  // Gathered inputs and outputs: row i is order[i], [steps, depth] and [steps, out_depth].
  auto& in = buf.in;
  auto& out = buf.out;
  in.resize(batch, steps * depth);
  out.resize(batch, steps * out_depth);
  // Each part's state, its rows in `order` (gathered here: the parts then write only their own
  // rows of `state`, after the loop).
  buf.reserve_parts(parts);
  for (int p = 0; p < parts; ++p) {
    const Index first = begin[static_cast<std::size_t>(p)];
    const Index rows = begin[static_cast<std::size_t>(p) + 1] - first;
    auto& part = buf.part_state(cell, p, state, rows);
    for (Index i = 0; i < rows; ++i) {
      cell.copy_state_rows(state, order[static_cast<std::size_t>(first + i)], part, i, 1);
    }
  }
  for_parts(parts, [&](int p) {
    const Index first = begin[static_cast<std::size_t>(p)];
    const Index rows = begin[static_cast<std::size_t>(p) + 1] - first;
    auto& part = buf.part_states[static_cast<std::size_t>(p)];
    auto& loop = buf.loops[static_cast<std::size_t>(p)];
    for (Index i = first; i < first + rows; ++i) {
      const Index b = order[static_cast<std::size_t>(i)];
      for (Index t = 0; t < length(b); ++t) {
        std::copy_n(r.in + t * r.in_t + b * r.in_b, depth,
                    in.data() + i * steps * depth + t * depth);
      }
    }
    Index running = rows, t = 0;
    while (running > 0 && length(order[static_cast<std::size_t>(first + running - 1)]) == 0) {
      --running;
    }
    // Room for every segment's projection at once, so that the allocations of a call do not
    // depend on the order of its segments' sizes.
    fit_projection(cell, loop, steps, running, depth, false);
    while (running > 0) {
      // Every running row lasts at least until the shortest of them ends; they are the first
      // `running` rows of the part's state.
      const Index until = length(order[static_cast<std::size_t>(first + running - 1)]);
      const RnnRows<typename Cell::Scalar> segment{
          in.data() + first * steps * depth + t * depth, depth, steps * depth, depth,
          out.data() + first * steps * out_depth + t * out_depth, out_depth, steps * out_depth,
          out_depth, nullptr, running, until - t};
      rnn_loop(cell, segment, part, loop);
      t = until;
      while (running > 0 && length(order[static_cast<std::size_t>(first + running - 1)]) <= t) {
        --running;
      }
    }
    for (Index i = 0; i < rows; ++i) {
      const Index b = order[static_cast<std::size_t>(first + i)];
      for (Index k = 0; k < length(b); ++k) {
        std::copy_n(out.data() + (first + i) * steps * out_depth + k * out_depth, out_depth,
                    r.out + k * r.out_t + b * r.out_b);
      }
    }
  });
  for (int p = 0; p < parts; ++p) {
    const Index first = begin[static_cast<std::size_t>(p)];
    const Index rows = begin[static_cast<std::size_t>(p) + 1] - first;
    for (Index i = 0; i < rows; ++i) {
      cell.copy_state_rows(buf.part_states[static_cast<std::size_t>(p)], i, state,
                           order[static_cast<std::size_t>(first + i)], 1);
    }
  }
}

}  // namespace detail

}  // namespace seq2seq
