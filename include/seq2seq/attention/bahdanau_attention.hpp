// BahdanauAttention: additive attention over a memory, as tfa.seq2seq / tf.contrib.seq2seq.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include <seq2seq/core/activations.hpp>
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
};

/// Additive (Bahdanau) attention. At construction the memory [B, Tm, Dm] is masked past each
/// `memory_sequence_length` (values) and projected once by memory_layer (keys [B, Tm, U]).
/// Each step scores a query [B, Hq]:
///   score[b,t] = Σ_k v[k] · tanh(keys[b,t,k] + (query·W_q)[b,k])                 normalize=false
///   score[b,t] = Σ_k v̂[k] · tanh(keys[b,t,k] + (query·W_q)[b,k] + b[k]),
///                v̂ = g · v / ‖v‖                                                normalize=true
/// and alignments = softmax over t < length[b]; padded positions get exactly 0 (TF masks their
/// scores). The attention state is the alignments [B, Tm].
template <class T>
class BahdanauAttention {
 public:
  using Scalar = T;

  /// Scratch for one call of `align` at this mechanism's batch size.
  struct Workspace {
    RowMatrix<T> processed_query;  // [B, U]
    RowMatrix<T> hidden;           // [Tm, U]  tanh(keys + query (+ b)) of one batch row
    Eigen::Matrix<T, Eigen::Dynamic, 1> scores;  // [Tm] of one batch row
  };

  /// `memory` [B, Tm, Dm]; `memory_sequence_length` empty (no masking) or B values in 1..Tm
  /// (TensorFlow rejects 0 as well). Throws seq2seq::Error on any shape or length mismatch.
  BahdanauAttention(Index num_units, const Tensor3<T>& memory,
                    std::vector<int64_t> memory_sequence_length,
                    BahdanauAttentionWeights<T> weights, bool normalize = false)
      : units_(num_units), normalize_(normalize), w_(std::move(weights)) {
    batch_ = memory.dimension(0);
    time_ = memory.dimension(1);
    depth_ = memory.dimension(2);
    if (units_ <= 0) detail::fail("BahdanauAttention: num_units=", units_, " must be positive");
    if (batch_ <= 0 || time_ <= 0 || depth_ <= 0) {
      detail::fail("BahdanauAttention: memory has shape ", shape_string(memory),
                   ", expected [batch, memory_time, memory_depth] with every size > 0");
    }
    detail::check_shape(w_.memory_layer_kernel, {depth_, units_},
                        "BahdanauAttention: memory_layer/kernel");
    query_depth_ = w_.query_layer_kernel.dimension(0);
    detail::check_shape(w_.query_layer_kernel, {query_depth_, units_},
                        "BahdanauAttention: query_layer/kernel");
    detail::check_shape(w_.attention_v, {units_}, "BahdanauAttention: attention_v");
    if (normalize_) detail::check_shape(w_.attention_b, {units_}, "BahdanauAttention: attention_b");
    set_lengths(std::move(memory_sequence_length), memory);

    // values = memory ⊙ mask; keys = values · memory_layer/kernel, once for the whole memory.
    values_ = memory;
    for (Index b = 0; b < batch_; ++b) {
      for (Index t = lengths_[b]; t < time_; ++t) {
        for (Index d = 0; d < depth_; ++d) values_(b, t, d) = T(0);
      }
    }
    keys_ = Tensor3<T>(batch_, time_, units_);
    Eigen::Map<RowMatrix<T>>(keys_.data(), batch_ * time_, units_).noalias() =
        Eigen::Map<const RowMatrix<T>>(values_.data(), batch_ * time_, depth_) *
        detail::as_matrix(w_.memory_layer_kernel);

    v_ = detail::as_row(w_.attention_v);
    if (normalize_) v_ = w_.attention_g * v_ / std::sqrt(v_.squaredNorm());  // g · v · rsqrt(Σv²)
  }

  Index num_units() const { return units_; }
  Index batch_size() const { return batch_; }
  /// Tm, the width of alignments and of the attention state.
  Index alignments_size() const { return time_; }
  /// Dm, the width of the context vector.
  Index memory_depth() const { return depth_; }
  /// The depth a query must have (rows of query_layer/kernel).
  Index query_depth() const { return query_depth_; }
  bool normalize() const { return normalize_; }
  /// Per-row valid memory length (Tm for every row when no lengths were given).
  const std::vector<Index>& memory_sequence_length() const { return lengths_; }
  /// Masked memory [B, Tm, Dm]: the context is alignments · values.
  const Tensor3<T>& values() const { return values_; }
  /// Projected masked memory [B, Tm, U].
  const Tensor3<T>& keys() const { return keys_; }
  const BahdanauAttentionWeights<T>& weights() const { return w_; }

  /// Zeros [batch, Tm], TF's initial_alignments and initial_state.
  Tensor2<T> initial_alignments(Index batch) const { return detail::zeros<T, 2>({batch, time_}); }
  Tensor2<T> initial_state(Index batch) const { return initial_alignments(batch); }

  Workspace make_workspace() const {
    return {RowMatrix<T>(batch_, units_), RowMatrix<T>(time_, units_),
            Eigen::Matrix<T, Eigen::Dynamic, 1>(time_)};
  }

  /// alignments [B, Tm] for `query` [B, query_depth]. Bahdanau ignores the previous state
  /// (its next state is the alignments). Shapes are the caller's contract.
  void align(ConstMatrixRef<T> query, ConstMatrixRef<T> /*previous_state*/,
             MatrixRef<T> alignments, Workspace& ws) const {
    ws.processed_query.noalias() = query * detail::as_matrix(w_.query_layer_kernel);
    for (Index b = 0; b < batch_; ++b) {
      const Index len = lengths_[b];
      const Eigen::Map<const RowMatrix<T>> keys(keys_.data() + b * time_ * units_, len, units_);
      auto hidden = ws.hidden.topRows(len);
      hidden = keys.rowwise() + ws.processed_query.row(b);
      if (normalize_) hidden.rowwise() += detail::as_row(w_.attention_b);
      hidden.array() = detail::tanh(hidden.array());
      // Scores of the valid positions, then a max-shifted softmax over them; the rest is 0.
      auto scores = ws.scores.head(len);
      scores.noalias() = hidden * v_.transpose();
      scores.array() = (scores.array() - scores.maxCoeff()).exp();
      alignments.row(b).head(len) = scores.transpose() / scores.sum();
      alignments.row(b).tail(time_ - len).setZero();
    }
  }

  /// TensorFlow's `mechanism(query, state)`: query [B, query_depth] -> alignments [B, Tm].
  /// Allocates; the wrapper calls `align` instead.
  Tensor2<T> operator()(const Tensor2<T>& query, const Tensor2<T>& state) const {
    detail::check_shape(query, {batch_, query_depth_}, "BahdanauAttention: query");
    detail::check_shape(state, {batch_, time_}, "BahdanauAttention: state");
    Tensor2<T> alignments(batch_, time_);
    Workspace ws = make_workspace();
    align(detail::as_matrix(query), detail::as_matrix(state), detail::as_matrix(alignments), ws);
    return alignments;
  }

 private:
  void set_lengths(std::vector<int64_t> lengths, const Tensor3<T>& memory) {
    if (lengths.empty()) {
      lengths_.assign(static_cast<std::size_t>(batch_), time_);
      return;
    }
    if (static_cast<Index>(lengths.size()) != batch_) {
      detail::fail("BahdanauAttention: memory_sequence_length has ", lengths.size(),
                   " entries, expected the memory batch ", batch_, " (memory ",
                   shape_string(memory), ")");
    }
    for (std::size_t b = 0; b < lengths.size(); ++b) {
      if (lengths[b] <= 0 || lengths[b] > time_) {
        detail::fail("BahdanauAttention: memory_sequence_length[", b, "]=", lengths[b],
                     " is outside 1..memory_time=", time_, " (memory ", shape_string(memory),
                     "); TensorFlow requires every length to be positive");
      }
    }
    lengths_.assign(lengths.begin(), lengths.end());
  }

  Index units_;
  bool normalize_;
  BahdanauAttentionWeights<T> w_;
  Index batch_ = 0, time_ = 0, depth_ = 0, query_depth_ = 0;
  std::vector<Index> lengths_;
  Tensor3<T> values_, keys_;
  Eigen::Matrix<T, 1, Eigen::Dynamic> v_;  // attention_v, weight-normalised when normalize
};

}  // namespace seq2seq
