// An LSTM state built from an encoder's outputs.
// expect: LSTMStateTuple: h must be rank 2 [batch, num_proj or num_units]; got rank 3
#include "common.hpp"
void f() {
  cf::Tensor3<float> encoder_outputs(3, 7, 4);
  cf::LSTMStateTuple<float> state{cf::Tensor2<float>(3, 4), encoder_outputs};
}
