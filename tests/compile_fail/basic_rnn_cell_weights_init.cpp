// expect: BasicRNNCellWeights: kernel must be rank 2 [input_size + num_units, num_units]; got rank 1
#include "common.hpp"
void f() {
  cf::BasicRNNCellWeights<float> w{cf::Tensor1<float>(28), cf::Tensor1<float>(4)};
}
