// expect: LuongAttentionWeights: memory_layer_kernel must be rank 2 [memory_depth, num_units]; got rank 3
#include "common.hpp"
void f() {
  cf::LuongAttentionWeights<float> w{cf::Tensor3<float>(1, 6, 6)};
}
