// expect: LSTMCellWeights: bias must be rank 1 [4 * num_units]; got rank 2
#include "common.hpp"
void f() {
  cf::LSTMCell<float> cell(4, {cf::Tensor2<float>(7, 16), cf::Tensor2<float>(1, 16)});
}
