// The heap overflow: a rank-3 gates_kernel in a rank-2 field.
// expect: GRUCellWeights: gates_kernel must be rank 2 [input_size + num_units, 2 * num_units]; got rank 3
#include "common.hpp"
void f() {
  cf::Tensor3<float> gates_kernel(2, 9, 12);
  cf::GRUCellWeights<float> w{gates_kernel, cf::Tensor1<float>(12), cf::Tensor2<float>(9, 6),
                              cf::Tensor1<float>(6)};
}
