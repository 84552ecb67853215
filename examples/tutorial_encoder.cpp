// The tutorial encoder made to run: batch 3, max time 5, input depth 3, a GRUCell of 6 units
// wrapped by an AttentionWrapper with BahdanauAttention of 4 units, sequence_length {5, 3, 2},
// alignment history on. The tutorial's Python cannot run; the two fixes (details in
// tutorial_encoder.hpp):
//  1. it fed rank-2 inputs [batch, depth]; dynamic_rnn needs [batch, max_time, depth] = [3, 5, 3];
//  2. its BahdanauAttention had no memory; here it attends over the encoder's own inputs
//     (memory = inputs, memory_sequence_length = sequence_length = {5, 3, 2}).
//
// The weights are deterministic waves that tools/reference/gen_golden.py also assigns in
// TensorFlow (fixture tests/golden/tutorial_encoder_f32), and the test suite checks that this
// configuration reproduces TensorFlow's outputs and state: the numbers printed are TensorFlow's.
#include <cstdio>
#include <string>

#include "tutorial_encoder.hpp"

namespace {

// Prints a rank-2 or rank-3 tensor with its shape, one row per line.
template <class Tensor>
void print(const std::string& name, const Tensor& t) {
  const auto& d = t.dimensions();
  std::printf("%s  shape %s\n", name.c_str(), seq2seq::shape_string(t).c_str());
  const seq2seq::Index cols = d[d.size() - 1];
  for (seq2seq::Index i = 0; i < t.size(); ++i) {
    std::printf("%s%10.6f", i % cols == 0 ? "  " : " ", static_cast<double>(t.data()[i]));
    if (i % cols == cols - 1) std::printf("\n");
    if (d.size() == 3 && i % (d[1] * cols) == d[1] * cols - 1 && i + 1 < t.size()) std::printf("\n");
  }
}

}  // namespace

int main() {
  const auto wrapper = tutorial::encoder();
  const auto inputs = tutorial::inputs();
  // The tutorial's call: dynamic_rnn(cell, inputs, sequence_length=[5, 3, 2]), zero initial state.
  const auto [outputs, state] = seq2seq::dynamic_rnn(wrapper, inputs, tutorial::kSequenceLength);

  std::printf("tutorial encoder: GRUCell(%ld) + BahdanauAttention(%ld), batch %ld, max_time %ld,"
              " sequence_length {5, 3, 2}\n\n",
              static_cast<long>(tutorial::kUnits), static_cast<long>(tutorial::kAttentionUnits),
              static_cast<long>(tutorial::kBatch), static_cast<long>(tutorial::kMaxTime));
  print("outputs [batch, max_time, attention_size] (0 past each row's length)", outputs);
  std::printf("\nfinal AttentionWrapperState:\n");
  print("cell_state [batch, num_units]", state.cell_state);
  print("attention [batch, attention_size]", state.attention);
  std::printf("time  shape []\n  %lld\n", static_cast<long long>(state.time));
  print("alignments [batch, memory_time]", state.alignments);
  print("alignment_history [time, batch, memory_time]", state.alignment_history);
  print("attention_state [batch, memory_time]", state.attention_state);
  return 0;
}
