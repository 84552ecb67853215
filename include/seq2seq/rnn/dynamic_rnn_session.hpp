// DynamicRnnSession: dynamic_rnn called again and again (a server's encoder) without allocating.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <seq2seq/core/ranked_tensor.hpp>
#include <seq2seq/rnn/dynamic_rnn.hpp>

namespace seq2seq {

/// A cell with everything dynamic_rnn works in, kept from one call to the next: its outputs,
/// final state, workspaces and the buffers of ragged batches. `run` computes exactly what
/// `dynamic_rnn(cell, ...)` does (TensorFlow's outputs and state), and once the session has run
/// a call of the same sizes (batch, max_time, which rows have which lengths aside), a call at one
/// thread allocates nothing: no heap traffic, no pages handed back to the OS and faulted in again
/// between calls. Exceptions: a split between threads starts threads; an AttentionWrapper that
/// keeps alignment_history allocates its history's tensors; an Eigen expression as `inputs` is
/// evaluated into a tensor (a tensor or a TensorMap is read in place).
///
///     seq2seq::DynamicRnnSession<seq2seq::GRUCell<float>> encoder(cell);
///     for (;;) {
///       const auto& [outputs, state] = encoder.run(inputs, lengths);  // valid until next run
///     }
///
/// The session owns its cell (copied or moved in; a cell never changes after construction). Not
/// thread-safe: one session per thread.
template <class Cell>
class DynamicRnnSession {
 public:
  using Scalar = typename Cell::Scalar;          ///< The cell's scalar: float or double.
  using state_type = typename Cell::state_type;  ///< The cell's state (at batch B).
  /// What run returns: outputs [B, T, output_size] ([T, B, output_size] when time_major) and
  /// the final state.
  using result_type = DynamicRnnResult<Scalar, state_type>;

  /// A session over `cell` (copied or moved in), with no buffers yet: the first run sizes them.
  explicit DynamicRnnSession(Cell cell) : cell_(std::move(cell)) {}

  /// The cell given at construction.
  const Cell& cell() const { return cell_; }

  /// dynamic_rnn(cell(), inputs, sequence_length, initial_state, time_major), with `inputs`
  /// [B, T, D] ([T, B, D] when `time_major`) and `initial_state` nullptr for the cell's zero
  /// state. Returns the session's own result: its outputs [B, T, output_size] and final state
  /// stay valid until the next call of `run` (copy them to keep them). Throws seq2seq::Error as
  /// dynamic_rnn does (the session is then unchanged and still usable).
  template <class Inputs>
  const result_type& run(const Inputs& inputs, const std::vector<int64_t>& sequence_length = {},
                         const state_type* initial_state = nullptr, bool time_major = false) {
    SEQ2SEQ_STATIC_CHECK_TENSOR(Inputs, Scalar, 3,
                                "DynamicRnnSession::run: inputs must be rank 3 [batch, time, "
                                "depth] (or [time, batch, depth] with time_major)");
    detail::with_tensor_view<Scalar, 3>(inputs, [&](detail::TensorView<Scalar, 3> view) {
      detail::run_dynamic_rnn(cell_, view, sequence_length, initial_state, time_major, result_,
                              buffers_, "DynamicRnnSession::run");
    });
    return result_;
  }

 private:
  Cell cell_;
  result_type result_;
  detail::DynamicRnnBuffers<Cell> buffers_;
};

}  // namespace seq2seq
