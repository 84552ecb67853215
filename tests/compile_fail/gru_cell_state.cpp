// expect: GRUCell(inputs, state): state must be rank 2 [batch, num_units]; got rank 1
#include "common.hpp"
void f() {
  cf::Tensor2<float> inputs(3, 3);
  cf::Tensor1<float> state(6);
  auto step = cf::gru()(inputs, state);
}
