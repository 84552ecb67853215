// expect: Dense: kernel must be rank 2 [input_size, units]; got rank 1
#include "common.hpp"
void f() {
  cf::Dense<float> layer(cf::Tensor1<float>(13));
}
