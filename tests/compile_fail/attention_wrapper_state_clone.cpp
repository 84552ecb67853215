// An encoder's outputs where its final state belongs.
// expect: AttentionWrapperState::clone: cell_state must be rank 2 [batch, num_units], the wrapped cell's state; got rank 3
#include "common.hpp"
void f() {
  cf::Tensor3<float> encoder_outputs(3, 7, 6);
  auto state = cf::wrapper().zero_state(3).clone(encoder_outputs);
}
