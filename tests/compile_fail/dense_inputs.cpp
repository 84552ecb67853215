// expect: Dense(inputs): inputs must be rank 2 [N, input_size]; got rank 3
#include "common.hpp"
void f() {
  cf::Dense<float> layer(cf::Tensor2<float>(6, 13));
  auto logits = layer(cf::Tensor3<float>(3, 5, 6));
}
