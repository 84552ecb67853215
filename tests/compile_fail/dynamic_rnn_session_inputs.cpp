// A session's inputs of rank 2 ([time, depth], no batch), as dynamic_rnn's.
// expect: DynamicRnnSession::run: inputs must be rank 3 [batch, time, depth] (or [time, batch, depth] with time_major); got rank 2
#include "common.hpp"
void f() {
  cf::DynamicRnnSession<cf::GRUCell<float>> session(cf::gru());
  cf::Tensor2<float> inputs(5, 3);
  session.run(inputs, {5});
}
