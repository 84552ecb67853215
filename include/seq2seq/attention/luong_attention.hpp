// LuongAttention: multiplicative attention over a memory, as tfa.seq2seq / tf.contrib.seq2seq.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <seq2seq/attention/attention_memory.hpp>
#include <seq2seq/attention/probability_fn.hpp>
#include <seq2seq/core/tensor.hpp>
#include <seq2seq/core/threads.hpp>

namespace seq2seq {

/// The variables of a LuongAttention (TF 1.x names: `memory_layer/kernel`,
/// `luong_attention/attention_g`). Luong has no query layer.
template <class T>
struct LuongAttentionWeights {
  Tensor2<T> memory_layer_kernel;  ///< [memory_depth, num_units], bias-free
  T attention_g = T(1);            ///< scalar scale; used only with scale (TF init 1.0)

  LuongAttentionWeights() = default;
  /// memory_layer_kernel a tensor, TensorMap or expression of rank 2 (another rank does not
  /// compile, and the message names the field).
  template <class MK, std::enable_if_t<!std::is_base_of_v<LuongAttentionWeights,
                                                           std::decay_t<MK>>,
                                        int> = 0>  // (not a copy)
  LuongAttentionWeights(MK&& mk, T g = T(1))  // NOLINT: implicit, as `{kernel}` was
      : memory_layer_kernel(detail::ranked_arg<T, 2>(std::forward<MK>(mk))), attention_g(g) {
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<MK>, T, 2,
                                "LuongAttentionWeights: memory_layer_kernel must be rank 2 "
                                "[memory_depth, num_units]");
  }
};

namespace detail {

/// The multiplicative score shared by LuongAttention and LuongMonotonicAttention:
/// scores[b, t] = (g ·) Σ_k query[b,k] · keys[b,t,k] for t < length[b] (the rest untouched),
/// b the query's rows, memory rows from first_row on.
/// The query depth must be num_units: there is no query layer.
template <class T>
void luong_scores(const AttentionMemory<T>& m, bool scale, T g, ConstMatrixRef<T> query,
                  MatrixRef<T> scores, Index first_row) {
  parallel_for(query.rows(), 2.0 * double(m.time * m.units), [&](Index b) {
    const Index len = m.lengths[first_row + b];
    auto row = scores.row(b).head(len);
    row.noalias() = query.row(b) * m.keys_of(first_row + b, len).transpose();
    if (scale) row *= g;
  });
}

/// Throws unless `query` is [B, U]; the message says why the depth must be num_units.
template <class T>
void check_luong_query(const std::string& where, const EigenTensor<T, 2>& query, Index batch,
                       Index units) {
  if (query.dimension(0) != batch || query.dimension(1) != units) {
    fail(where, ": query has shape ", shape_string(query), ", expected [", batch, ",", units,
         "]: Luong has no query layer, so the query depth must equal num_units=", units);
  }
}

}  // namespace detail

/// Multiplicative (Luong) attention. At construction the memory [B, Tm, Dm] is masked past each
/// `memory_sequence_length` (values) and projected once by memory_layer (keys [B, Tm, U]).
/// Each step scores a query [B, U] (the raw cell output: its depth must be num_units):
///   score[b,t] = Σ_k query[b,k] · keys[b,t,k]            (times attention_g when scale)
/// and alignments = probability_fn (softmax by default, hardmax, sparsemax) over t < length[b];
/// padded positions get exactly 0. The attention state is the alignments [B, Tm].
template <class T>
class LuongAttention : public detail::AttentionMechanismBase<T> {
 public:
  using Scalar = T;  ///< float or double.
  /// Scratch for one call of `align` at this mechanism's batch size.
  using Workspace = detail::AttentionWorkspace<T>;

  /// `memory` [B, Tm, Dm] (a Tensor3, Eigen::Tensor, TensorMap or expression of rank 3);
  /// `memory_sequence_length` empty (no masking) or B values in 1..Tm.
  /// Throws seq2seq::Error on any shape or length mismatch.
  template <class Memory>
  LuongAttention(Index num_units, const Memory& memory,
                 std::vector<int64_t> memory_sequence_length, LuongAttentionWeights<T> weights,
                 bool scale = false, ProbabilityFn probability_fn = ProbabilityFn::softmax)
      : detail::AttentionMechanismBase<T>("LuongAttention", num_units, memory_arg(memory),
                                          memory_sequence_length, weights.memory_layer_kernel),
        w_(std::move(weights)),
        scale_(scale),
        probability_fn_(probability_fn) {}

  /// The depth a query must have: num_units (Luong has no query layer).
  Index query_depth() const { return memory_.units; }
  /// Whether scores are multiplied by the scalar attention_g (TF's scale).
  bool scale() const { return scale_; }
  /// The function from scores to alignments (softmax, hardmax or sparsemax).
  ProbabilityFn probability_fn() const { return probability_fn_; }
  /// The weights this mechanism was built with.
  const LuongAttentionWeights<T>& weights() const { return w_; }

  /// Zeros [batch, Tm], TF's initial_alignments and initial_state.
  Tensor2<T> initial_alignments(Index batch) const {
    detail::check_batch_size("LuongAttention::initial_alignments", batch, memory_.time);
    return detail::zeros<T, 2>({batch, memory_.time});
  }
  /// TF's initial_state: the initial alignments, zeros [batch, Tm].
  Tensor2<T> initial_state(Index batch) const { return initial_alignments(batch); }

  /// Scratch for `align`, made once and reused at every step (nothing is allocated per step):
  /// a [Tm] sort buffer (no query layer, so no processed query).
  Workspace make_workspace() const { return detail::make_attention_workspace(memory_, false); }
  /// Sizes `ws` as make_workspace does, in place (allocates only when a size changes).
  void prepare_workspace(Workspace& ws) const {
    detail::prepare_attention_workspace(memory_, ws, false);
  }

  /// alignments [B, Tm] for `query` [B, num_units]. Luong ignores the previous state (its next
  /// state is the alignments). Shapes are the caller's contract.
  void align(ConstMatrixRef<T> query, ConstMatrixRef<T> /*previous_state*/,
             MatrixRef<T> alignments, Workspace& ws) const {
    detail::luong_scores(memory_, scale_, w_.attention_g, query, alignments, ws.first_row);
    for (Index b = 0; b < query.rows(); ++b) {
      detail::apply_probability_fn<T>(probability_fn_, alignments.row(b),
                                      memory_.lengths[ws.first_row + b], ws.sort);
    }
  }

  /// TensorFlow's `mechanism(query, state)`: query [B, num_units] -> alignments [B, Tm].
  /// Allocates; the wrapper calls `align` instead.
  template <class Query, class State>
  Tensor2<T> operator()(const Query& query_arg, const State& state_arg) const {
    SEQ2SEQ_STATIC_CHECK_TENSOR(Query, T, 2,
                                "LuongAttention(query, state): query must be rank 2 [batch, "
                                "query_depth]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(State, T, 2,
                                "LuongAttention(query, state): state must be rank 2 [batch, "
                                "memory_time]");
    const detail::EigenTensor<T, 2>& query = detail::tensor_arg<T, 2>(query_arg);
    const detail::EigenTensor<T, 2>& state = detail::tensor_arg<T, 2>(state_arg);
    detail::check_luong_query("LuongAttention", query, this->batch_size(), this->num_units());
    return detail::call_mechanism(*this, query, state, "LuongAttention");
  }

 private:
  // The memory argument, checked at compile time; no copy of a Tensor3 or Eigen::Tensor.
  template <class Memory>
  static decltype(auto) memory_arg(const Memory& memory) {
    SEQ2SEQ_STATIC_CHECK_TENSOR(
        Memory, T, 3, "LuongAttention: memory must be rank 3 [batch, memory_time, memory_depth]");
    return detail::tensor_arg<T, 3>(memory);
  }

  LuongAttentionWeights<T> w_;
  using detail::AttentionMechanismBase<T>::memory_;
  bool scale_;
  ProbabilityFn probability_fn_;
};

}  // namespace seq2seq
