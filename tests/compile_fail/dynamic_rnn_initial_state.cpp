// initial_state of the wrong rank (a GRU state is [batch, num_units]).
// expect: a seq2seq::Tensor2<T> is rank 2 [rows, cols] and takes only rank-2 tensors (Eigen would convert between ranks and overflow); got rank 3
#include "common.hpp"
void f() {
  cf::Tensor3<float> inputs(3, 5, 3), state(1, 3, 6);
  auto result = cf::dynamic_rnn(cf::gru(), inputs, {}, state);
}
