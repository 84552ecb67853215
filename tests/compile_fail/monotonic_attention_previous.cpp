// expect: monotonic_attention: previous_attention must be rank 2 [batch, time] with p_choose_i's scalar type; got rank 1
#include "common.hpp"
void f() {
  auto a = cf::monotonic_attention(cf::Tensor2<float>(3, 7), cf::Tensor1<float>(7),
                                   cf::MonotonicMode::parallel);
}
