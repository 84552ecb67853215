// expect: masked_probability, softmax, hardmax, sparsemax: scores must be rank 2 [batch, time]; got rank 3
#include "common.hpp"
void f() {
  auto p = cf::softmax(cf::Tensor3<float>(1, 3, 7));
}
