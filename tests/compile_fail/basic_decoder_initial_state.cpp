// expect: a seq2seq::Tensor2<T> is rank 2 [rows, cols] and takes only rank-2 tensors (Eigen would convert between ranks and overflow); got rank 3
#include "common.hpp"
void f() {
  cf::GreedyEmbeddingHelper<float> helper(cf::Tensor2<float>(10, 3), {1, 1, 1}, 2);
  cf::BasicDecoder decoder(cf::gru(), helper, cf::Tensor3<float>(3, 1, 6));
}
