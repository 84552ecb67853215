// Elementwise activations with Eigen's implementations, the ones TensorFlow's CPU kernels use.
#pragma once

#include <Eigen/Core>

namespace seq2seq::detail {

/// Logistic sigmoid, Eigen's scalar_logistic_op (what tf.sigmoid evaluates on CPU).
template <class Derived>
auto sigmoid(const Eigen::ArrayBase<Derived>& x) {
  return x.logistic();
}

/// Hyperbolic tangent, Eigen's (vectorised rational approximation for float, as in TF).
template <class Derived>
auto tanh(const Eigen::ArrayBase<Derived>& x) {
  return x.tanh();
}

}  // namespace seq2seq::detail
