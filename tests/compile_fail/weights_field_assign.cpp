// expect: a seq2seq::Tensor1<T> is rank 1 [size] and takes only rank-1 tensors (Eigen would convert between ranks and overflow); got rank 2
#include "common.hpp"
void f() {
  cf::LSTMCellWeights<float> w;
  w.bias = cf::Tensor2<float>(1, 16);
}
