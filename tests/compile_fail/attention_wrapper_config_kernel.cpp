// expect: a seq2seq::Tensor2<T> is rank 2 [rows, cols] and takes only rank-2 tensors (Eigen would convert between ranks and overflow); got rank 1
#include "common.hpp"
void f() {
  cf::AttentionWrapperConfig<float> config;
  config.attention_layer_size = 4;
  config.attention_layer_kernel = cf::Tensor1<float>(44);
}
