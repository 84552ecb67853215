// expect: BasicRNNCell(inputs, state): inputs must be rank 2 [batch, input_size]; got rank 3
#include "common.hpp"
void f() {
  cf::BasicRNNCell<float> cell(4, {cf::Tensor2<float>(7, 4), cf::Tensor1<float>(4)});
  cf::Tensor3<float> inputs(1, 3, 3);
  auto step = cell(inputs, cell.zero_state(3));
}
