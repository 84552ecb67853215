// expect: BahdanauAttention(query, state): query must be rank 2 [batch, query_depth]; got rank 3
#include "common.hpp"
void f() {
  cf::Tensor3<float> query(3, 1, 6);
  auto alignments = cf::bahdanau()(query, cf::bahdanau().initial_state(3));
}
