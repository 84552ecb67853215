// expect: BeamSearchDecoder: embedding must be rank 2 [vocab_size, depth]; got rank 3
#include "common.hpp"
void f() {
  cf::BeamSearchDecoder decoder(cf::gru(), cf::Tensor3<float>(1, 10, 3), {1}, 2,
                                cf::gru().zero_state(4), 4);
}
