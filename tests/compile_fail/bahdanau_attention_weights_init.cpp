// expect: BahdanauAttentionWeights: attention_v must be rank 1 [num_units]; got rank 2
#include "common.hpp"
void f() {
  cf::BahdanauAttentionWeights<float> w{cf::Tensor2<float>(5, 4), cf::Tensor2<float>(6, 4),
                                        cf::Tensor2<float>(1, 4)};
}
