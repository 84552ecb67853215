// expect: TrainingHelper: inputs must be rank 3 [batch, time, depth] (or [time, batch, depth] with time_major); got rank 2
#include "common.hpp"
void f() {
  cf::TrainingHelper<float> helper(cf::Tensor2<float>(5, 3), {5});
}
