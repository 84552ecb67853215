// expect: LuongMonotonicAttention: memory must be rank 3 [batch, memory_time, memory_depth]; got rank 2
#include "common.hpp"
void f() {
  cf::Tensor2<float> memory(7, 6);
  cf::LuongMonotonicAttention<float> attention(6, memory, {}, {});
}
