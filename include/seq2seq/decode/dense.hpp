// Dense: the output layer of a decoder (tf.layers.Dense / tf.keras.layers.Dense, no activation),
// e.g. the projection of the cell output to vocabulary logits.
#pragma once

#include <type_traits>
#include <utility>

#include <seq2seq/core/gemm.hpp>
#include <seq2seq/core/tensor.hpp>

namespace seq2seq {

/// outputs = inputs · kernel (+ bias), as TF's Dense computes it (matmul, then bias_add).
/// kernel [input_size, units]; bias [units], or empty for use_bias=False.
template <class T>
class Dense {
 public:
  using Scalar = T;  ///< float or double.

  /// Throws seq2seq::Error unless kernel is a non-empty [input_size, units] and bias is [units]
  /// or empty. Each may be a tensor, TensorMap or expression of its rank (moved when an rvalue).
  template <class Kernel, class Bias = Tensor1<T>,
            std::enable_if_t<!std::is_same_v<std::decay_t<Kernel>, Dense>, int> = 0>
  explicit Dense(Kernel&& kernel, Bias&& bias = Bias())
      : kernel_(detail::ranked_arg<T, 2>(std::forward<Kernel>(kernel))),
        bias_(detail::ranked_arg<T, 1>(std::forward<Bias>(bias))) {
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<Kernel>, T, 2,
                                "Dense: kernel must be rank 2 [input_size, units]");
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<Bias>, T, 1,
                                "Dense: bias must be rank 1 [units] (or empty)");
    if (kernel_.dimension(0) <= 0 || kernel_.dimension(1) <= 0) {
      detail::fail("Dense: kernel has shape ", shape_string(kernel_),
                   ", expected [input_size, units] with both positive");
    }
    if (bias_.size() != 0) detail::check_shape(bias_, {units()}, "Dense: bias");
  }

  /// The width of the inputs: the kernel's rows.
  Index input_size() const { return kernel_.dimension(0); }
  /// The width of the outputs: the kernel's columns.
  Index units() const { return kernel_.dimension(1); }
  /// Whether a bias is added (it is non-empty).
  bool use_bias() const { return bias_.size() != 0; }
  /// The kernel [input_size, units].
  const Tensor2<T>& kernel() const { return kernel_; }
  /// The bias [units], or empty without one.
  const Tensor1<T>& bias() const { return bias_; }

  /// `output` [N, units] = `input` [N, input_size] · kernel + bias. Shapes are the caller's
  /// contract (the decoders check them once at construction).
  void apply(ConstMatrixRef<T> input, MatrixRef<T> output) const {
    detail::gemm<T>(input, detail::as_matrix(kernel_), output);
    if (use_bias()) output.rowwise() += detail::as_row(bias_);
  }

  /// TF's `layer(inputs)`: inputs [N, input_size] -> [N, units]. Throws on a shape mismatch.
  template <class Inputs>
  Tensor2<T> operator()(const Inputs& inputs_arg) const {
    SEQ2SEQ_STATIC_CHECK_TENSOR(Inputs, T, 2,
                                "Dense(inputs): inputs must be rank 2 [N, input_size]");
    const detail::EigenTensor<T, 2>& inputs = detail::tensor_arg<T, 2>(inputs_arg);
    detail::check_shape(inputs, {inputs.dimension(0), input_size()}, "Dense: inputs");
    Tensor2<T> out(inputs.dimension(0), units());
    apply(detail::as_matrix(inputs), detail::as_matrix(out));
    return out;
  }

 private:
  Tensor2<T> kernel_;
  Tensor1<T> bias_;
};

}  // namespace seq2seq
