// expect: MultiRNNCell(inputs, state): inputs must be rank 2 [batch, input_size]; got rank 3
#include "common.hpp"
void f() {
  cf::MultiRNNCell cell(cf::gru());
  cf::Tensor3<float> inputs(1, 3, 3);
  auto step = cell(inputs, cell.zero_state(3));
}
