// expect: Dense: bias must be rank 1 [units] (or empty); got rank 2
#include "common.hpp"
void f() {
  cf::Dense<float> layer(cf::Tensor2<float>(6, 13), cf::Tensor2<float>(1, 13));
}
