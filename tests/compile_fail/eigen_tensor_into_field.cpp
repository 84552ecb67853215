// A plain Eigen::Tensor of the wrong rank into a weight field.
// expect: a seq2seq::Tensor2<T> is rank 2 [rows, cols] and takes only rank-2 tensors (Eigen would convert between ranks and overflow); got rank 1
#include "common.hpp"
void f() {
  Eigen::Tensor<float, 1, Eigen::RowMajor> kernel(24);
  cf::BahdanauAttentionWeights<float> w;
  w.query_layer_kernel = kernel;
}
