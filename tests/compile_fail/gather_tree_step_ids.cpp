// expect: gather_tree: step_ids must be rank 3 [max_time, batch, beam_width] of int32; got rank 2
#include "common.hpp"
void f() {
  cf::IntTensor<2> step_ids(5, 4);
  cf::IntTensor<3> parent_ids(5, 1, 4);
  auto beams = cf::gather_tree(step_ids, parent_ids, {5}, 2);
}
