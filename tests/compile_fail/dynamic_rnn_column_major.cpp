// Eigen's default layout is column-major; TensorFlow's is row-major.
// expect: dynamic_rnn: inputs must be rank 3 [batch, time, depth] (or [time, batch, depth] with time_major); got a column-major tensor: declare it Eigen::RowMajor (TensorFlow's layout)
#include "common.hpp"
void f() {
  Eigen::Tensor<float, 3> inputs(3, 5, 3);
  auto result = cf::dynamic_rnn(cf::gru(), inputs);
}
