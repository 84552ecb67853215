// dynamic_rnn's time loop (seq2seq::detail): over some rows of a batch, split between threads,
// and over rows of different lengths without computing the rows that have finished.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
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

/// dynamic_rnn's time loop for rows of different lengths, for cells whose state can be cut into
/// rows: a finished row costs nothing. The rows, sorted by length (longest first) and dealt in
/// turn to `parts` parts (threads), are gathered into consecutive rows; each part then runs
/// segments between consecutive lengths, each on the rows still running (a prefix), and the
/// outputs and final states go back to their rows. A row's outputs past its length stay as the
/// caller zeroed them and its state is the one after its last step, as TensorFlow's masking
/// gives; a row of length 0 keeps its initial state.
template <class Cell>
void rnn_ragged(const Cell& cell, const RnnRows<typename Cell::Scalar>& r,
                typename Cell::state_type& state, int parts) {
  using T = typename Cell::Scalar;
  const Index batch = r.batch, steps = r.steps, depth = r.depth, out_depth = r.out_depth;
  auto length = [&](Index b) { return std::min<Index>(steps, static_cast<Index>(r.lengths[b])); };
  std::vector<Index> sorted(static_cast<std::size_t>(batch));
  std::iota(sorted.begin(), sorted.end(), Index{0});
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](Index a, Index b) { return length(a) > length(b); });
  std::vector<Index> order;  // part p's rows are order[begin[p] .. begin[p + 1])
  std::vector<Index> begin(static_cast<std::size_t>(parts) + 1);
  order.reserve(sorted.size());
  for (int p = 0; p < parts; ++p) {
    begin[static_cast<std::size_t>(p)] = static_cast<Index>(order.size());
    for (std::size_t i = static_cast<std::size_t>(p); i < sorted.size();
         i += static_cast<std::size_t>(parts)) {
      order.push_back(sorted[i]);
    }
  }
  begin[static_cast<std::size_t>(parts)] = batch;
  // Gathered inputs and outputs: row i is order[i], [steps, depth] and [steps, out_depth].
  RowMatrix<T> in(batch, steps * depth), out(batch, steps * out_depth);
  // Each part's state, its rows in `order` (gathered here: the parts then write only their own
  // rows of `state`, after the loop).
  std::vector<typename Cell::state_type> part_states;
  part_states.reserve(static_cast<std::size_t>(parts));
  for (int p = 0; p < parts; ++p) {
    const Index first = begin[static_cast<std::size_t>(p)];
    const Index rows = begin[static_cast<std::size_t>(p) + 1] - first;
    part_states.push_back(cell.state_rows(state, 0, rows));
    for (Index i = 0; i < rows; ++i) {
      cell.set_state_rows(part_states.back(),
                          cell.state_rows(state, order[static_cast<std::size_t>(first + i)], 1), i);
    }
  }
  for_parts(parts, [&](int p) {
    const Index first = begin[static_cast<std::size_t>(p)];
    const Index rows = begin[static_cast<std::size_t>(p) + 1] - first;
    auto& part = part_states[static_cast<std::size_t>(p)];
    for (Index i = first; i < first + rows; ++i) {
      const Index b = order[static_cast<std::size_t>(i)];
      for (Index t = 0; t < length(b); ++t) {
        std::copy_n(r.in + t * r.in_t + b * r.in_b, depth, in.data() + i * steps * depth + t * depth);
      }
    }
    Index running = rows, t = 0;
    while (running > 0 && length(order[static_cast<std::size_t>(first + running - 1)]) == 0) {
      --running;
    }
    while (running > 0) {
      // Every running row lasts at least until the shortest of them ends.
      const Index until = length(order[static_cast<std::size_t>(first + running - 1)]);
      RnnRows<T> segment{in.data() + first * steps * depth + t * depth, depth, steps * depth,
                         depth, out.data() + first * steps * out_depth + t * out_depth,
                         out_depth, steps * out_depth, out_depth, nullptr, running, until - t};
      auto running_state = cell.state_rows(part, 0, running);
      rnn_loop(cell, segment, running_state);
      cell.set_state_rows(part, running_state, 0);
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
      cell.set_state_rows(state, cell.state_rows(part_states[static_cast<std::size_t>(p)], i, 1),
                          order[static_cast<std::size_t>(first + i)]);
    }
  }
}

}  // namespace detail

}  // namespace seq2seq
