// Monotonic attention (Raffel et al. 2017) as tfa.seq2seq / tf.contrib.seq2seq compute it:
// monotonic_attention, BahdanauMonotonicAttention and LuongMonotonicAttention.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <seq2seq/attention/attention_memory.hpp>
#include <seq2seq/attention/bahdanau_attention.hpp>
#include <seq2seq/attention/luong_attention.hpp>
#include <seq2seq/core/activations.hpp>
#include <seq2seq/core/tensor.hpp>

namespace seq2seq {

/// TF's `mode` of monotonic attention ("parallel", "recursive", "hard").
enum class MonotonicMode {
  parallel,   ///< closed form with safe_cumprod and a 1e-10 clip (TF's default)
  recursive,  ///< the explicit recurrence (TF: tf.scan); exact
  hard,       ///< p = (score > 0); exact for choosing probabilities that are 0 or 1
};

/// "parallel", "recursive" or "hard", as TF spells them.
inline const char* monotonic_mode_name(MonotonicMode mode) {
  switch (mode) {
    case MonotonicMode::parallel: return "parallel";
    case MonotonicMode::recursive: return "recursive";
    case MonotonicMode::hard: return "hard";
  }
  return "unknown";
}

namespace detail {

/// TF's monotonic_attention in place over the first `valid` entries of `row`, which holds the
/// choosing probabilities p on entry and the attention on exit; entries at and past `valid` (the
/// masked positions, where TF's p is 0 and so is its attention) become exactly 0. Every mode
/// runs left to right, so the masked tail never affects the valid head. With prev the previous
/// attention:
///   parallel:  cp_i = exp(Σ_{j<i} log(clip(1 − p_j, tiny, 1)))        (TF's safe_cumprod)
///              a_i  = p_i · cp_i · Σ_{j<=i} prev_j / clip(cp_j, 1e-10, 1)
///   recursive: q_i  = (1 − p_{i−1}) · q_{i−1} + prev_i  (q_{−1} = 0),  a_i = p_i · q_i
///   hard:      p'_i = p_i · Σ_{j<=i} prev_j,  a_i = p'_i · Π_{j<i} (1 − p'_j)
/// Products and exps that would be denormal are 0, as in TF, whose CPU kernels flush denormals
/// to zero: after a p = 1 (cumprod = tiny) the later attention is exactly 0 there and here.
template <class T>
void monotonic_attention_row(MonotonicMode mode, Eigen::Ref<RowVector<T>> row,
                             Eigen::Ref<const RowVector<T>> prev, Index valid) {
  row.tail(row.size() - valid).setZero();
  switch (mode) {
    case MonotonicMode::parallel: {
      const T tiny = std::numeric_limits<T>::min();  // np.finfo(dtype).tiny
      const T eps = static_cast<T>(1e-10);           // TF's Python 1e-10 cast to dtype
      T log_cumprod = 0, cumsum = 0;
      for (Index i = 0; i < valid; ++i) {
        const T p = row[i];
        const T cumprod = flush_denormal(std::exp(log_cumprod));
        cumsum += prev[i] / std::clamp(cumprod, eps, T(1));
        row[i] = flush_denormal(flush_denormal(p * cumprod) * cumsum);
        log_cumprod += std::log(std::clamp(T(1) - p, tiny, T(1)));
      }
      break;
    }
    case MonotonicMode::recursive: {
      T q = 0, shifted = 1;  // shifted = 1 − p_{i−1}, 1 at i = 0
      for (Index i = 0; i < valid; ++i) {
        const T p = row[i];
        q = flush_denormal(shifted * q) + prev[i];
        row[i] = flush_denormal(p * q);
        shifted = T(1) - p;
      }
      break;
    }
    case MonotonicMode::hard: {
      T cumsum = 0, cumprod = 1;
      for (Index i = 0; i < valid; ++i) {
        cumsum += prev[i];
        const T p = row[i] * cumsum;
        row[i] = p * cumprod;
        cumprod *= T(1) - p;
      }
      break;
    }
  }
}

/// The probability function shared by the two monotonic mechanisms (TF's
/// _monotonic_probability_fn), with its mode and pre-sigmoid noise.
template <class T>
class MonotonicProbability {
 public:
  MonotonicProbability() = default;
  /// Throws (naming `where`) when sigmoid_noise is negative or NaN, or positive without a
  /// generator.
  MonotonicProbability(const std::string& where, MonotonicMode mode, T sigmoid_noise,
                       std::function<T()> noise)
      : mode_(mode), sigmoid_noise_(sigmoid_noise), noise_(std::move(noise)) {
    if (!(sigmoid_noise_ >= T(0))) {
      fail(where, ": sigmoid_noise=", sigmoid_noise_, " must be >= 0");
    }
    if (sigmoid_noise_ > T(0) && !noise_) {
      fail(where, ": sigmoid_noise=", sigmoid_noise_,
           " needs a generator of standard normal samples (TF's random_normal)");
    }
  }

  MonotonicMode mode() const { return mode_; }
  T sigmoid_noise() const { return sigmoid_noise_; }

  /// Scores (first `valid` entries of `row`) -> alignments given the previous alignments:
  /// score += sigmoid_noise · N(0,1) (one draw per valid position, in order), p = sigmoid(score)
  /// or (score > 0) in hard mode, then monotonic_attention_row.
  void operator()(Eigen::Ref<RowVector<T>> row, Eigen::Ref<const RowVector<T>> prev,
                  Index valid) const {
    auto score = row.head(valid);
    if (sigmoid_noise_ > T(0)) {
      for (Index i = 0; i < valid; ++i) score[i] += sigmoid_noise_ * noise_();
    }
    if (mode_ == MonotonicMode::hard) {
      for (Index i = 0; i < valid; ++i) score[i] = score[i] > T(0) ? T(1) : T(0);
    } else {
      score.array() = sigmoid(score.array());
      flush_denormals(score.array());
    }
    monotonic_attention_row<T>(mode_, row, prev, valid);
  }

 private:
  MonotonicMode mode_ = MonotonicMode::parallel;
  T sigmoid_noise_ = T(0);
  std::function<T()> noise_;
};

/// One-hot at position 0 per row, [batch, time]: the monotonic initial alignments and state.
template <class T>
Tensor2<T> dirac_alignments(Index batch, Index time) {
  check_batch_size("monotonic attention initial_alignments", batch, time);
  Tensor2<T> a = zeros<T, 2>({batch, time});
  for (Index b = 0; b < batch; ++b) a(b, 0) = T(1);
  return a;
}

}  // namespace detail

/// tfa.seq2seq.monotonic_attention: the attention [B, T] from choosing probabilities
/// `p_choose_i` [B, T] (in [0, 1]) and the previous attention `previous_attention` [B, T]
/// (one-hot at 0 for the first step), formulas at detail::monotonic_attention_row. TFA's
/// "recursive" fails in float64 (it builds float32 ones); ours works in both.
/// Throws seq2seq::Error unless the shapes agree.
template <class PChoose, class Previous,
          class T = typename detail::tensor_info<PChoose>::Scalar>
Tensor2<T> monotonic_attention(const PChoose& p_choose_i_arg,
                               const Previous& previous_attention_arg, MonotonicMode mode) {
  SEQ2SEQ_STATIC_CHECK_TENSOR(PChoose, T, 2,
                              "monotonic_attention: p_choose_i must be rank 2 [batch, time]");
  SEQ2SEQ_STATIC_CHECK_TENSOR(Previous, T, 2,
                              "monotonic_attention: previous_attention must be rank 2 [batch, "
                              "time] with p_choose_i's scalar type");
  const detail::EigenTensor<T, 2>& p_choose_i = detail::tensor_arg<T, 2>(p_choose_i_arg);
  const detail::EigenTensor<T, 2>& previous_attention =
      detail::tensor_arg<T, 2>(previous_attention_arg);
  detail::check_shape(previous_attention, {p_choose_i.dimension(0), p_choose_i.dimension(1)},
                      "monotonic_attention: previous_attention");
  Tensor2<T> a = p_choose_i;
  auto rows = detail::as_matrix(a);
  const auto prev = detail::as_matrix(previous_attention);
  for (Index b = 0; b < rows.rows(); ++b) {
    detail::monotonic_attention_row<T>(mode, rows.row(b), prev.row(b), rows.cols());
  }
  return a;
}

/// The variables of a BahdanauMonotonicAttention: BahdanauAttention's (under
/// `bahdanau_monotonic_attention/`) plus the scalar `attention_score_bias`.
template <class T>
struct BahdanauMonotonicAttentionWeights : BahdanauAttentionWeights<T> {
  T attention_score_bias = T(0);  ///< added to every score (TF init score_bias_init, default 0)
};

/// The variables of a LuongMonotonicAttention: LuongAttention's (`attention_g` used only with
/// scale) plus the scalar `attention_score_bias`.
template <class T>
struct LuongMonotonicAttentionWeights : LuongAttentionWeights<T> {
  T attention_score_bias = T(0);  ///< added to every score (TF init score_bias_init, default 0)
};

/// Monotonic attention with BahdanauAttention's score (normalize included):
///   score = bahdanau_score(query, keys) + attention_score_bias     (masked positions: p = 0)
///   alignments = monotonic_attention(sigmoid(score), previous_state, mode); hard: p = score > 0
/// The attention state is the alignments [B, Tm]; initial_alignments and initial_state are
/// one-hot at memory position 0.
///
/// `sigmoid_noise` > 0 adds sigmoid_noise · noise() to every valid score before the sigmoid (in
/// hard mode too), with `noise` a user generator of standard normal samples. TF draws from its
/// own Philox RNG, which this does not reproduce: with noise the results are not bit-equal to
/// TF's. TF silently ignores a negative sigmoid_noise; we reject it.
template <class T>
class BahdanauMonotonicAttention : public detail::AttentionMechanismBase<T> {
 public:
  using Scalar = T;  ///< float or double.
  /// Scratch for one call of `align` at this mechanism's batch size.
  using Workspace = detail::AttentionWorkspace<T>;

  /// `memory` [B, Tm, Dm] (a Tensor3, Eigen::Tensor, TensorMap or expression of rank 3);
  /// `memory_sequence_length` empty (no masking) or B values in 1..Tm.
  /// Throws seq2seq::Error on any shape or length mismatch and on a bad sigmoid_noise.
  template <class Memory>
  BahdanauMonotonicAttention(Index num_units, const Memory& memory,
                             std::vector<int64_t> memory_sequence_length,
                             BahdanauMonotonicAttentionWeights<T> weights,
                             bool normalize = false, MonotonicMode mode = MonotonicMode::parallel,
                             T sigmoid_noise = T(0), std::function<T()> noise = {})
      : detail::AttentionMechanismBase<T>(kName, num_units, memory_arg(memory),
                                          memory_sequence_length, weights.memory_layer_kernel),
        w_(std::move(weights)),
        score_(kName, num_units, w_, normalize),
        probability_(kName, mode, sigmoid_noise, std::move(noise)) {}

  /// The depth a query must have (rows of query_layer/kernel).
  Index query_depth() const { return score_.query_depth(); }
  /// Whether scores use TF's weight normalization (v̂ = g · v / ‖v‖ and the bias attention_b).
  bool normalize() const { return score_.normalize(); }
  /// How alignments follow from the choosing probabilities: parallel, recursive or hard.
  MonotonicMode mode() const { return probability_.mode(); }
  /// Scale of the standard normal noise added to every valid score before the sigmoid (0: none).
  T sigmoid_noise() const { return probability_.sigmoid_noise(); }
  /// The weights this mechanism was built with.
  const BahdanauMonotonicAttentionWeights<T>& weights() const { return w_; }

  /// One-hot at position 0, [batch, Tm]: TF's initial_alignments and initial_state.
  Tensor2<T> initial_alignments(Index batch) const {
    return detail::dirac_alignments<T>(batch, memory_.time);
  }
  /// TF's initial_state: the initial alignments, one-hot at position 0, [batch, Tm].
  Tensor2<T> initial_state(Index batch) const { return initial_alignments(batch); }

  /// Scratch for `align`, made once and reused at every step (nothing is allocated per step):
  /// processed_query [batch, num_units] and a [Tm] sort buffer.
  Workspace make_workspace() const { return detail::make_attention_workspace(memory_, true); }
  /// Sizes `ws` as make_workspace does, in place (allocates only when a size changes).
  void prepare_workspace(Workspace& ws) const {
    detail::prepare_attention_workspace(memory_, ws, true);
  }

  /// alignments [B, Tm] for `query` [B, query_depth] and the previous alignments
  /// `previous_state` [B, Tm] (must not alias `alignments`). Shapes are the caller's contract.
  void align(ConstMatrixRef<T> query, ConstMatrixRef<T> previous_state, MatrixRef<T> alignments,
             Workspace& ws) const {
    score_(memory_, w_, query, alignments, ws);
    for (Index b = 0; b < query.rows(); ++b) {
      const Index len = memory_.lengths[ws.first_row + b];
      alignments.row(b).head(len).array() += w_.attention_score_bias;
      probability_(alignments.row(b), previous_state.row(b), len);
    }
  }

  /// TensorFlow's `mechanism(query, state)`: query [B, query_depth], state (the previous
  /// alignments) [B, Tm] -> alignments [B, Tm]. Allocates; the wrapper calls `align` instead.
  template <class Query, class State>
  Tensor2<T> operator()(const Query& query_arg, const State& state_arg) const {
    SEQ2SEQ_STATIC_CHECK_TENSOR(Query, T, 2,
                                "BahdanauMonotonicAttention(query, state): query must be rank 2 "
                                "[batch, query_depth]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(State, T, 2,
                                "BahdanauMonotonicAttention(query, state): state must be rank 2 "
                                "[batch, memory_time]");
    const detail::EigenTensor<T, 2>& query = detail::tensor_arg<T, 2>(query_arg);
    const detail::EigenTensor<T, 2>& state = detail::tensor_arg<T, 2>(state_arg);
    return detail::call_mechanism(*this, query, state, kName);
  }

 private:
  // The memory argument, checked at compile time; no copy of a Tensor3 or Eigen::Tensor.
  template <class Memory>
  static decltype(auto) memory_arg(const Memory& memory) {
    SEQ2SEQ_STATIC_CHECK_TENSOR(
        Memory, T, 3,
        "BahdanauMonotonicAttention: memory must be rank 3 [batch, memory_time, "
        "memory_depth]");
    return detail::tensor_arg<T, 3>(memory);
  }

  static constexpr const char* kName = "BahdanauMonotonicAttention";
  BahdanauMonotonicAttentionWeights<T> w_;
  using detail::AttentionMechanismBase<T>::memory_;
  detail::BahdanauScore<T> score_;
  detail::MonotonicProbability<T> probability_;
};

/// Monotonic attention with LuongAttention's score (scale included):
///   score = (g ·) query · keysᵀ + attention_score_bias             (masked positions: p = 0)
///   alignments = monotonic_attention(sigmoid(score), previous_state, mode); hard: p = score > 0
/// The query depth must be num_units (no query layer). State, initial alignments and
/// sigmoid_noise as BahdanauMonotonicAttention.
template <class T>
class LuongMonotonicAttention : public detail::AttentionMechanismBase<T> {
 public:
  using Scalar = T;  ///< float or double.
  /// Scratch for one call of `align` at this mechanism's batch size.
  using Workspace = detail::AttentionWorkspace<T>;

  /// `memory` [B, Tm, Dm] (a Tensor3, Eigen::Tensor, TensorMap or expression of rank 3);
  /// `memory_sequence_length` empty (no masking) or B values in 1..Tm.
  /// Throws seq2seq::Error on any shape or length mismatch and on a bad sigmoid_noise.
  template <class Memory>
  LuongMonotonicAttention(Index num_units, const Memory& memory,
                          std::vector<int64_t> memory_sequence_length,
                          LuongMonotonicAttentionWeights<T> weights, bool scale = false,
                          MonotonicMode mode = MonotonicMode::parallel, T sigmoid_noise = T(0),
                          std::function<T()> noise = {})
      : detail::AttentionMechanismBase<T>(kName, num_units, memory_arg(memory),
                                          memory_sequence_length, weights.memory_layer_kernel),
        w_(std::move(weights)),
        scale_(scale),
        probability_(kName, mode, sigmoid_noise, std::move(noise)) {}

  /// The depth a query must have: num_units (Luong has no query layer).
  Index query_depth() const { return memory_.units; }
  /// Whether scores are multiplied by the scalar attention_g (TF's scale).
  bool scale() const { return scale_; }
  /// How alignments follow from the choosing probabilities: parallel, recursive or hard.
  MonotonicMode mode() const { return probability_.mode(); }
  /// Scale of the standard normal noise added to every valid score before the sigmoid (0: none).
  T sigmoid_noise() const { return probability_.sigmoid_noise(); }
  /// The weights this mechanism was built with.
  const LuongMonotonicAttentionWeights<T>& weights() const { return w_; }

  /// One-hot at position 0, [batch, Tm]: TF's initial_alignments and initial_state.
  Tensor2<T> initial_alignments(Index batch) const {
    return detail::dirac_alignments<T>(batch, memory_.time);
  }
  /// TF's initial_state: the initial alignments, one-hot at position 0, [batch, Tm].
  Tensor2<T> initial_state(Index batch) const { return initial_alignments(batch); }

  /// Scratch for `align`, made once and reused at every step (nothing is allocated per step):
  /// a [Tm] sort buffer (no query layer, so no processed query).
  Workspace make_workspace() const { return detail::make_attention_workspace(memory_, false); }
  /// Sizes `ws` as make_workspace does, in place (allocates only when a size changes).
  void prepare_workspace(Workspace& ws) const {
    detail::prepare_attention_workspace(memory_, ws, false);
  }

  /// alignments [B, Tm] for `query` [B, num_units] and the previous alignments
  /// `previous_state` [B, Tm] (must not alias `alignments`). Shapes are the caller's contract.
  void align(ConstMatrixRef<T> query, ConstMatrixRef<T> previous_state, MatrixRef<T> alignments,
             Workspace& ws) const {
    detail::luong_scores(memory_, scale_, w_.attention_g, query, alignments, ws.first_row);
    for (Index b = 0; b < query.rows(); ++b) {
      const Index len = memory_.lengths[ws.first_row + b];
      alignments.row(b).head(len).array() += w_.attention_score_bias;
      probability_(alignments.row(b), previous_state.row(b), len);
    }
  }

  /// TensorFlow's `mechanism(query, state)`: query [B, num_units], state (the previous
  /// alignments) [B, Tm] -> alignments [B, Tm]. Allocates; the wrapper calls `align` instead.
  template <class Query, class State>
  Tensor2<T> operator()(const Query& query_arg, const State& state_arg) const {
    SEQ2SEQ_STATIC_CHECK_TENSOR(Query, T, 2,
                                "LuongMonotonicAttention(query, state): query must be rank 2 "
                                "[batch, query_depth]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(State, T, 2,
                                "LuongMonotonicAttention(query, state): state must be rank 2 "
                                "[batch, memory_time]");
    const detail::EigenTensor<T, 2>& query = detail::tensor_arg<T, 2>(query_arg);
    const detail::EigenTensor<T, 2>& state = detail::tensor_arg<T, 2>(state_arg);
    detail::check_luong_query(kName, query, this->batch_size(), this->num_units());
    return detail::call_mechanism(*this, query, state, kName);
  }

 private:
  // The memory argument, checked at compile time; no copy of a Tensor3 or Eigen::Tensor.
  template <class Memory>
  static decltype(auto) memory_arg(const Memory& memory) {
    SEQ2SEQ_STATIC_CHECK_TENSOR(
        Memory, T, 3,
        "LuongMonotonicAttention: memory must be rank 3 [batch, memory_time, "
        "memory_depth]");
    return detail::tensor_arg<T, 3>(memory);
  }

  static constexpr const char* kName = "LuongMonotonicAttention";
  LuongMonotonicAttentionWeights<T> w_;
  using detail::AttentionMechanismBase<T>::memory_;
  bool scale_;
  detail::MonotonicProbability<T> probability_;
};

}  // namespace seq2seq
