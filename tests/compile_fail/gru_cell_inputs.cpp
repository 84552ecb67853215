// expect: GRUCell(inputs, state): inputs must be rank 2 [batch, input_size]; got rank 3
#include "common.hpp"
void f() {
  cf::Tensor3<float> inputs(3, 5, 3);
  auto step = cf::gru()(inputs, cf::gru().zero_state(3));
}
