// The heap overflow: a rank-3 gates_kernel in a rank-2 field.
// expect: a seq2seq::Tensor2<T> is rank 2 [rows, cols] and takes only rank-2 tensors (Eigen would convert between ranks and overflow); got rank 3
#include "common.hpp"
void f() {
  cf::Tensor3<float> gates_kernel(2, 9, 12);
  cf::GRUCellWeights<float> w{gates_kernel, cf::Tensor1<float>(12), cf::Tensor2<float>(9, 6),
                              cf::Tensor1<float>(6)};
}
