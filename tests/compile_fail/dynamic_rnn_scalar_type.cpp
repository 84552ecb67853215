// double inputs for a float cell.
// expect: dynamic_rnn: inputs must be rank 3 [batch, time, depth] (or [time, batch, depth] with time_major); got another scalar type (float vs double?): convert it with .cast<T>()
#include "common.hpp"
void f() {
  cf::Tensor3<double> inputs(3, 5, 3);
  auto result = cf::dynamic_rnn(cf::gru(), inputs);
}
