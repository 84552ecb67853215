// expect: io::keras::bahdanau_attention: memory must be rank 3 [batch, memory_time, memory_depth]; got rank 2
#include <seq2seq/io/keras.hpp>
#include <seq2seq/io/npz.hpp>
void f(const seq2seq::io::NpzFile& file) {
  seq2seq::Tensor2<float> memory(7, 5);
  auto attention = seq2seq::io::keras::bahdanau_attention<float>(file, memory);
}
