// expect: tile_batch: t must have a batch dimension (rank >= 1); got rank 0
#include "common.hpp"
void f() {
  Eigen::Tensor<float, 0, Eigen::RowMajor> scalar;
  auto tiled = cf::tile_batch(scalar, 4);
}
