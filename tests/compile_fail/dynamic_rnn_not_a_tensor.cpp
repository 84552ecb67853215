// A std::vector is not a tensor: wrap it in an Eigen::TensorMap.
// expect: dynamic_rnn: inputs must be rank 3 [batch, time, depth] (or [time, batch, depth] with time_major); got a type that is not an Eigen tensor, TensorMap or tensor expression
#include "common.hpp"
void f() {
  std::vector<float> inputs(45);
  auto result = cf::dynamic_rnn(cf::gru(), inputs);
}
