// The probability functions of the softmax-style attention mechanisms: TF's softmax and hardmax,
// TFA's sparsemax, each over the valid (unmasked) memory positions of a row.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include <seq2seq/core/tensor.hpp>

namespace seq2seq {

/// TF's `probability_fn` of BahdanauAttention and LuongAttention. TFA accepts the strings
/// "softmax" and "hardmax"; sparsemax is tfa.activations.sparsemax, which TF 1.x accepted as a
/// callable (TFA mechanisms do not).
enum class ProbabilityFn {
  softmax,   ///< tf.nn.softmax: exp(z − max z) · (1 / Σ exp(z − max z))
  hardmax,   ///< tfa.seq2seq.hardmax: one_hot(argmax z); ties go to the FIRST maximum
  sparsemax  ///< tfa.activations.sparsemax (Martins & Astudillo 2016), no mean subtraction
};

/// "softmax", "hardmax" or "sparsemax", as TF spells them.
inline const char* probability_fn_name(ProbabilityFn fn) {
  switch (fn) {
    case ProbabilityFn::softmax: return "softmax";
    case ProbabilityFn::hardmax: return "hardmax";
    case ProbabilityFn::sparsemax: return "sparsemax";
  }
  return "unknown";
}

namespace detail {

template <class T>
using RowVector = Eigen::Matrix<T, 1, Eigen::Dynamic>;

/// 0 for a denormal x. TensorFlow's CPU kernels run with denormals flushed to zero, so where an
/// exp underflows (softmax's masked-like scores, sigmoid of a very negative score, a cumulative
/// product) TF gives exactly 0 and so do we.
template <class T>
T flush_denormal(T x) {
  return std::abs(x) < std::numeric_limits<T>::min() ? T(0) : x;
}

/// Array version of flush_denormal.
template <class Derived>
void flush_denormals(Eigen::ArrayBase<Derived>&& x) {
  using T = typename Derived::Scalar;
  x = (x.abs() < std::numeric_limits<T>::min()).select(T(0), x);
}

/// `fn` in place over the first `valid` entries of `row` [Tm]; entries at and past `valid` (the
/// masked memory positions) become exactly 0 whatever they held, so they are never NaN. This is
/// what TF computes with the masked scores set to −inf (TF 1.x) or dtype.min (TFA): their
/// exp / one-hot / sparsemax weight is exactly 0 whenever one position is valid.
/// `sort_scratch` [>= valid] is sparsemax's sort buffer (unused otherwise): nothing allocates.
///
/// valid = 0, a fully masked row, gives all zeros. TF 1.x gives NaN there (−inf − −inf) and TFA
/// a uniform 1/Tm over the masked positions; neither is a distribution over valid positions.
/// Mechanisms never produce such a row: memory_sequence_length must be >= 1, as in TF.
///
/// sparsemax follows tfa.activations.sparsemax literally: sort descending, running sum c_k,
/// k_z = #{k : 1 + k·z_(k) > c_k}, τ = (c_{k_z} − 1) / k_z, p = max(z − τ, 0); like TFA it gives
/// NaN on the valid positions when k_z = 0 (only when the largest score absorbs the 1, e.g.
/// |z| >= 2^24 in float, or ±inf) or a score is NaN.
template <class T>
void apply_probability_fn(ProbabilityFn fn, Eigen::Ref<RowVector<T>> row, Index valid,
                          Eigen::Ref<RowVector<T>> sort_scratch) {
  row.tail(row.size() - valid).setZero();
  if (valid == 0) return;
  auto z = row.head(valid);
  switch (fn) {
    case ProbabilityFn::softmax: {
      z.array() = (z.array() - z.maxCoeff()).exp();
      flush_denormals(z.array());
      z *= T(1) / z.sum();  // TF's kernel multiplies by the reciprocal of the sum
      break;
    }
    case ProbabilityFn::hardmax: {
      Index best = 0;
      for (Index t = 1; t < valid; ++t) {
        // Strict: a tie keeps the first maximum, as tf.argmax; a NaN never wins over a number.
        if (z[t] > z[best] || (std::isnan(z[best]) && !std::isnan(z[t]))) best = t;
      }
      z.setZero();
      z[best] = T(1);
      break;
    }
    case ProbabilityFn::sparsemax: {
      auto sorted = sort_scratch.head(valid);
      sorted = z;
      std::sort(sorted.data(), sorted.data() + valid, std::greater<T>());
      // sorted[k-1] becomes the running sum c_k once z_(k) has been checked.
      T cumsum = 0;
      Index k_z = 0;
      for (Index k = 1; k <= valid; ++k) {
        cumsum += sorted[k - 1];
        if (T(1) + static_cast<T>(k) * sorted[k - 1] > cumsum) ++k_z;
        sorted[k - 1] = cumsum;
      }
      if (k_z == 0 || std::isnan(cumsum)) {
        z.setConstant(std::numeric_limits<T>::quiet_NaN());
        break;
      }
      const T tau = (sorted[k_z - 1] - T(1)) / static_cast<T>(k_z);
      z.array() = (z.array() - tau).max(T(0));
      break;
    }
  }
}

}  // namespace detail

/// `fn` over each row of `scores` [B, T] restricted to its first lengths[b] positions (all T
/// when `lengths` is empty); the other positions get exactly 0. A length of 0 gives a row of
/// zeros (see detail::apply_probability_fn for why). Throws seq2seq::Error unless `lengths` is
/// empty or has B entries in 0..T.
template <class Scores, class T = typename detail::tensor_info<Scores>::Scalar>
Tensor2<T> masked_probability(ProbabilityFn fn, const Scores& scores_arg,
                              const std::vector<int64_t>& lengths = {}) {
  SEQ2SEQ_STATIC_CHECK_TENSOR(Scores, T, 2,
                              "masked_probability, softmax, hardmax, sparsemax: scores must be "
                              "rank 2 [batch, time]");
  const detail::EigenTensor<T, 2>& scores = detail::tensor_arg<T, 2>(scores_arg);
  const Index batch = scores.dimension(0), time = scores.dimension(1);
  if (!lengths.empty() && static_cast<Index>(lengths.size()) != batch) {
    detail::fail("masked_probability: lengths has ", lengths.size(), " entries, expected ",
                 batch, " (scores ", shape_string(scores), ")");
  }
  for (std::size_t b = 0; b < lengths.size(); ++b) {
    if (lengths[b] < 0 || lengths[b] > time) {
      detail::fail("masked_probability: lengths[", b, "]=", lengths[b], " is outside 0..", time,
                   " (scores ", shape_string(scores), ")");
    }
  }
  Tensor2<T> out = scores;
  auto rows = detail::as_matrix(out);
  detail::RowVector<T> scratch(time);
  for (Index b = 0; b < batch; ++b) {
    const Index valid = lengths.empty() ? time : static_cast<Index>(lengths[b]);
    detail::apply_probability_fn<T>(fn, rows.row(b), valid, scratch);
  }
  return out;
}

/// tf.nn.softmax over the last axis of `scores` [B, T].
template <class Scores, class T = typename detail::tensor_info<Scores>::Scalar>
Tensor2<T> softmax(const Scores& scores) {
  return masked_probability(ProbabilityFn::softmax, scores);
}

/// tfa.seq2seq.hardmax over the last axis of `scores` [B, T]: one-hot at the first maximum.
template <class Scores, class T = typename detail::tensor_info<Scores>::Scalar>
Tensor2<T> hardmax(const Scores& scores) {
  return masked_probability(ProbabilityFn::hardmax, scores);
}

/// tfa.activations.sparsemax over the last axis of `scores` [B, T].
template <class Scores, class T = typename detail::tensor_info<Scores>::Scalar>
Tensor2<T> sparsemax(const Scores& scores) {
  return masked_probability(ProbabilityFn::sparsemax, scores);
}

}  // namespace seq2seq
