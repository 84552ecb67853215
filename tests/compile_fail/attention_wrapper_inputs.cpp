// expect: AttentionWrapper(inputs, state): inputs must be rank 2 [batch, input_size]; got rank 3
#include "common.hpp"
void f() {
  auto wrapper = cf::AttentionWrapper(cf::GRUCell<float>(6, {cf::Tensor2<float>(14, 12),
      cf::Tensor1<float>(12), cf::Tensor2<float>(14, 6), cf::Tensor1<float>(6)}), cf::bahdanau());
  cf::Tensor3<float> inputs(3, 5, 3);
  auto step = wrapper(inputs, wrapper.zero_state(3));
}
