// BahdanauAttention: additive attention over a memory, as tfa.seq2seq / tf.contrib.seq2seq.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <seq2seq/attention/attention_memory.hpp>
#include <seq2seq/attention/probability_fn.hpp>
#include <seq2seq/core/activations.hpp>
#include <seq2seq/core/gemm.hpp>
#include <seq2seq/core/tensor.hpp>

namespace seq2seq {

/// The variables of a BahdanauAttention (TF 1.x names: `memory_layer/kernel`,
/// `bahdanau_attention/query_layer/kernel`, `attention_v`, `attention_g`, `attention_b`).
template <class T>
struct BahdanauAttentionWeights {
  Tensor2<T> memory_layer_kernel;  ///< [memory_depth, num_units], bias-free
  Tensor2<T> query_layer_kernel;   ///< [query_depth, num_units], bias-free
  Tensor1<T> attention_v;          ///< [num_units]
  T attention_g = T(0);            ///< scalar gain; used only with normalize (TF init sqrt(1/U))
  Tensor1<T> attention_b{};        ///< [num_units]; used only with normalize (TF init 0)

  BahdanauAttentionWeights() = default;
  /// The variables in this order (g and b may be left out), each tensor a tensor, TensorMap or
  /// expression of its rank (another rank does not compile, and the message names the field).
  template <class MK, class QK, class V, class B = Tensor1<T>>
  BahdanauAttentionWeights(MK&& mk, QK&& qk, V&& v, T g = T(0), B&& b = B())
      : memory_layer_kernel(detail::ranked_arg<T, 2>(std::forward<MK>(mk))),
        query_layer_kernel(detail::ranked_arg<T, 2>(std::forward<QK>(qk))),
        attention_v(detail::ranked_arg<T, 1>(std::forward<V>(v))),
        attention_g(g),
        attention_b(detail::ranked_arg<T, 1>(std::forward<B>(b))) {
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<MK>, T, 2,
                                "BahdanauAttentionWeights: memory_layer_kernel must be rank 2 "
                                "[memory_depth, num_units]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<QK>, T, 2,
                                "BahdanauAttentionWeights: query_layer_kernel must be rank 2 "
                                "[query_depth, num_units]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<V>, T, 1,
                                "BahdanauAttentionWeights: attention_v must be rank 1 [num_units]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<B>, T, 1,
                                "BahdanauAttentionWeights: attention_b must be rank 1 [num_units] "
                                "(or empty)");
  }
};

namespace detail {

/// The additive score shared by BahdanauAttention and BahdanauMonotonicAttention: checks the
/// weights once and keeps v (or g · v / ‖v‖ when normalize).
template <class T>
class BahdanauScore {
 public:
  BahdanauScore() = default;
  /// Throws seq2seq::Error (naming `where`) unless the weights fit num_units U.
  BahdanauScore(const std::string& where, Index units, const BahdanauAttentionWeights<T>& w,
                bool normalize)
      : normalize_(normalize) {
    check_not_transposed(w.query_layer_kernel, units, where + ": query_layer/kernel");
    query_depth_ = w.query_layer_kernel.dimension(0);
    check_shape(w.query_layer_kernel, {query_depth_, units}, where + ": query_layer/kernel");
    check_shape(w.attention_v, {units}, where + ": attention_v");
    if (normalize_) check_shape(w.attention_b, {units}, where + ": attention_b");
    v_ = as_row(w.attention_v);
    if (normalize_) v_ = w.attention_g * v_ / std::sqrt(v_.squaredNorm());  // g · v · rsqrt(Σv²)
  }

  Index query_depth() const { return query_depth_; }
  bool normalize() const { return normalize_; }

  /// scores[b, t] for t < length[b] (the rest untouched), b the query's rows (memory rows from
  /// ws.first_row on):
  ///   Σ_k v[k] · tanh(keys[b,t,k] + (query·W_q)[b,k] (+ attention_b[k] when normalize)).
  void operator()(const AttentionMemory<T>& m, const BahdanauAttentionWeights<T>& w,
                  ConstMatrixRef<T> query, MatrixRef<T> scores,
                  AttentionWorkspace<T>& ws) const {
    const Index rows = query.rows(), first = ws.first_row;
    gemm<T>(query, as_matrix(w.query_layer_kernel), ws.processed_query.topRows(rows));
    const auto v = v_.array();
    // Rows are independent: across threads when the build has OpenMP (~30 flops per element,
    // tanh included).
    parallel_for(rows, 30.0 * double(m.time * m.units), [&](Index b) {
      // One fused pass per memory position (no [Tm, U] buffer): add, tanh, dot with v.
      const auto keys = m.keys_of(first + b, m.lengths[first + b]);
      const auto pq = ws.processed_query.row(b).array();
      for (Index t = 0; t < keys.rows(); ++t) {
        if (normalize_) {  // (keys + pq) + b, TF's order
          scores(b, t) =
              (v * detail::tanh(keys.row(t).array() + pq + as_row(w.attention_b).array())).sum();
        } else {
          scores(b, t) = (v * detail::tanh(keys.row(t).array() + pq)).sum();
        }
      }
    });
  }

 private:
  bool normalize_ = false;
  Index query_depth_ = 0;
  RowVector<T> v_;
};

}  // namespace detail

/// Additive (Bahdanau) attention. At construction the memory [B, Tm, Dm] is masked past each
/// `memory_sequence_length` (values) and projected once by memory_layer (keys [B, Tm, U]).
/// Each step scores a query [B, Hq]:
///   score[b,t] = Σ_k v[k] · tanh(keys[b,t,k] + (query·W_q)[b,k])                 normalize=false
///   score[b,t] = Σ_k v̂[k] · tanh(keys[b,t,k] + (query·W_q)[b,k] + b[k]),
///                v̂ = g · v / ‖v‖                                                normalize=true
/// and alignments = probability_fn (softmax by default, hardmax, sparsemax) over t < length[b];
/// padded positions get exactly 0 (TF masks their scores). The attention state is the
/// alignments [B, Tm].
template <class T>
class BahdanauAttention : public detail::AttentionMechanismBase<T> {
 public:
  using Scalar = T;  ///< float or double.
  /// Scratch for one call of `align` at this mechanism's batch size.
  using Workspace = detail::AttentionWorkspace<T>;

  /// `memory` [B, Tm, Dm]; `memory_sequence_length` empty (no masking) or B values in 1..Tm
  /// (TensorFlow rejects 0 as well). Throws seq2seq::Error on any shape or length mismatch.
  /// `memory` may be a Tensor3, an Eigen::Tensor, a TensorMap or an expression of rank 3.
  template <class Memory>
  BahdanauAttention(Index num_units, const Memory& memory,
                    std::vector<int64_t> memory_sequence_length,
                    BahdanauAttentionWeights<T> weights, bool normalize = false,
                    ProbabilityFn probability_fn = ProbabilityFn::softmax)
      : detail::AttentionMechanismBase<T>("BahdanauAttention", num_units, memory_arg(memory),
                                          memory_sequence_length, weights.memory_layer_kernel),
        w_(std::move(weights)),
        score_("BahdanauAttention", num_units, w_, normalize),
        probability_fn_(probability_fn) {}

  /// The depth a query must have (rows of query_layer/kernel).
  Index query_depth() const { return score_.query_depth(); }
  /// Whether scores use TF's weight normalization (v̂ = g · v / ‖v‖ and the bias attention_b).
  bool normalize() const { return score_.normalize(); }
  /// The function from scores to alignments (softmax, hardmax or sparsemax).
  ProbabilityFn probability_fn() const { return probability_fn_; }
  /// The weights this mechanism was built with.
  const BahdanauAttentionWeights<T>& weights() const { return w_; }

  /// Zeros [batch, Tm], TF's initial_alignments and initial_state.
  Tensor2<T> initial_alignments(Index batch) const {
    detail::check_batch_size("BahdanauAttention::initial_alignments", batch, memory_.time);
    return detail::zeros<T, 2>({batch, memory_.time});
  }
  /// TF's initial_state: the initial alignments, zeros [batch, Tm].
  Tensor2<T> initial_state(Index batch) const { return initial_alignments(batch); }

  /// Scratch for `align`, made once and reused at every step (nothing is allocated per step):
  /// processed_query [batch, num_units] and a [Tm] sort buffer.
  Workspace make_workspace() const { return detail::make_attention_workspace(memory_, true); }
  /// Sizes `ws` as make_workspace does, in place (allocates only when a size changes).
  void prepare_workspace(Workspace& ws) const {
    detail::prepare_attention_workspace(memory_, ws, true);
  }

  /// alignments [B, Tm] for `query` [B, query_depth]. Bahdanau ignores the previous state
  /// (its next state is the alignments). Shapes are the caller's contract.
  void align(ConstMatrixRef<T> query, ConstMatrixRef<T> /*previous_state*/,
             MatrixRef<T> alignments, Workspace& ws) const {
    score_(memory_, w_, query, alignments, ws);
    for (Index b = 0; b < query.rows(); ++b) {
      detail::apply_probability_fn<T>(probability_fn_, alignments.row(b),
                                      memory_.lengths[ws.first_row + b], ws.sort);
    }
  }

  /// TensorFlow's `mechanism(query, state)`: query [B, query_depth] -> alignments [B, Tm].
  /// Allocates; the wrapper calls `align` instead.
  template <class Query, class State>
  Tensor2<T> operator()(const Query& query_arg, const State& state_arg) const {
    SEQ2SEQ_STATIC_CHECK_TENSOR(Query, T, 2,
                                "BahdanauAttention(query, state): query must be rank 2 [batch, "
                                "query_depth]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(State, T, 2,
                                "BahdanauAttention(query, state): state must be rank 2 [batch, "
                                "memory_time]");
    const detail::EigenTensor<T, 2>& query = detail::tensor_arg<T, 2>(query_arg);
    const detail::EigenTensor<T, 2>& state = detail::tensor_arg<T, 2>(state_arg);
    return detail::call_mechanism(*this, query, state, "BahdanauAttention");
  }

 private:
  // The memory argument, checked at compile time; no copy of a Tensor3 or Eigen::Tensor.
  template <class Memory>
  static decltype(auto) memory_arg(const Memory& memory) {
    SEQ2SEQ_STATIC_CHECK_TENSOR(
        Memory, T, 3,
        "BahdanauAttention: memory must be rank 3 [batch, memory_time, "
        "memory_depth]");
    return detail::tensor_arg<T, 3>(memory);
  }

  BahdanauAttentionWeights<T> w_;
  using detail::AttentionMechanismBase<T>::memory_;
  detail::BahdanauScore<T> score_;
  ProbabilityFn probability_fn_;
};

}  // namespace seq2seq
