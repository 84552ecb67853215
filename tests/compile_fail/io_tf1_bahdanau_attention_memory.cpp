// expect: io::tf1::bahdanau_attention: memory must be rank 3 [batch, memory_time, memory_depth]; got rank 2
#include <seq2seq/io/safetensors.hpp>
#include <seq2seq/io/tf1.hpp>
void f(const seq2seq::io::SafetensorsFile& file) {
  seq2seq::Tensor2<float> memory(7, 5);
  auto attention = seq2seq::io::tf1::bahdanau_attention<float>(file, memory);
}
