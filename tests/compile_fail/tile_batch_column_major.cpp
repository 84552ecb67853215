// expect: tile_batch: t must be a row-major tensor [batch, ...]; got a column-major tensor: declare it Eigen::RowMajor (TensorFlow's layout)
#include "common.hpp"
void f() {
  Eigen::Tensor<float, 3> memory(3, 7, 5);
  auto tiled = cf::tile_batch(memory, 4);
}
