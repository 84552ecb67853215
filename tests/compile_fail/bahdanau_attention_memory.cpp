// A memory without its batch dimension.
// expect: BahdanauAttention: memory must be rank 3 [batch, memory_time, memory_depth]; got rank 2
#include "common.hpp"
void f() {
  cf::Tensor2<float> memory(7, 5);
  cf::BahdanauAttention<float> attention(4, memory, {7}, cf::bahdanau_weights());
}
