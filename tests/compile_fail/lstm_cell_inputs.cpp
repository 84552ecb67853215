// expect: LSTMCell(inputs, state): inputs must be rank 2 [batch, input_size]; got rank 1
#include "common.hpp"
void f() {
  cf::LSTMCell<float> cell(4, {cf::Tensor2<float>(7, 16), cf::Tensor1<float>(16)});
  cf::Tensor1<float> inputs(3);
  auto step = cell(inputs, cell.zero_state(1));
}
