// expect: BahdanauMonotonicAttention: memory must be rank 3 [batch, memory_time, memory_depth]; got rank 1
#include "common.hpp"
void f() {
  cf::Tensor1<float> memory(7);
  cf::BahdanauMonotonicAttention<float> attention(4, memory, {}, {});
}
