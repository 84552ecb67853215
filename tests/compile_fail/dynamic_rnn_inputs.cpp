// The TensorFlow tutorial's first mistake: inputs of rank 2 ([time, depth], no batch).
// expect: dynamic_rnn: inputs must be rank 3 [batch, time, depth] (or [time, batch, depth] with time_major); got rank 2
#include "common.hpp"
void f() {
  cf::Tensor2<float> inputs(5, 3);
  auto result = cf::dynamic_rnn(cf::gru(), inputs, {5});
}
