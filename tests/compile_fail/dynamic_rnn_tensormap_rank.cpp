// A TensorMap of the wrong rank over a std::vector.
// expect: dynamic_rnn: inputs must be rank 3 [batch, time, depth] (or [time, batch, depth] with time_major); got rank 2
#include "common.hpp"
void f() {
  std::vector<float> data(15);
  Eigen::TensorMap<cf::Tensor2<float>> inputs(data.data(), 5, 3);
  auto result = cf::dynamic_rnn(cf::gru(), inputs);
}
