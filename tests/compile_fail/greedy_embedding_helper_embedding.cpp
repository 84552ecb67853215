// expect: GreedyEmbeddingHelper: embedding must be rank 2 [vocab_size, depth]; got rank 1
#include "common.hpp"
void f() {
  cf::GreedyEmbeddingHelper<float> helper(cf::Tensor1<float>(10), {1, 1, 1}, 2);
}
