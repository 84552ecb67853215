// expect: LuongAttention: memory must be rank 3 [batch, memory_time, memory_depth]; got rank 2
#include "common.hpp"
void f() {
  cf::Tensor2<float> memory(7, 6);
  cf::LuongAttention<float> attention(6, memory, {}, {cf::Tensor2<float>(6, 6)});
}
