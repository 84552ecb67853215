// The tutorial encoder's configuration, shared by examples/tutorial_encoder.cpp and the test that
// proves its numbers are TensorFlow's (tests/test_attention_wrapper.cpp, TutorialEncoder*).
//
// The tutorial this project started from builds, in TF 1.x:
//     inputs = tf.placeholder(tf.float32, [batch, input_depth])          # bug 1: rank 2
//     cell = tf.nn.rnn_cell.GRUCell(6)
//     mechanism = tf.contrib.seq2seq.BahdanauAttention(num_units=4)      # bug 2: no memory
//     cell = tf.contrib.seq2seq.AttentionWrapper(cell, mechanism, alignment_history=True)
//     outputs, state = tf.nn.dynamic_rnn(cell, inputs, sequence_length=[5, 3, 2], dtype=tf.float32)
// and fails twice: dynamic_rnn needs rank-3 inputs [batch, max_time, depth], and a mechanism
// needs a memory to attend over. The fixes here:
//  1. inputs are [batch=3, max_time=5, depth=3];
//  2. the mechanism attends over the encoder's own inputs: memory = inputs, with
//     memory_sequence_length = sequence_length, so padded steps get no attention.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include <seq2seq/seq2seq.hpp>

namespace tutorial {

constexpr seq2seq::Index kBatch = 3, kMaxTime = 5, kInputDepth = 3, kUnits = 6,
                         kAttentionUnits = 4;
inline const std::vector<int64_t> kSequenceLength = {5, 3, 2};

/// Deterministic values, the same formula as tools/reference/gen_golden.py's `wave`:
/// v[k] = scale * sin(0.7 k + salt), in row-major order, rounded to float.
template <int Rank>
Eigen::Tensor<float, Rank, Eigen::RowMajor, seq2seq::Index> wave(
    const std::array<seq2seq::Index, Rank>& shape, double salt, double scale) {
  Eigen::Tensor<float, Rank, Eigen::RowMajor, seq2seq::Index> t(shape);
  for (seq2seq::Index k = 0; k < t.size(); ++k) {
    t.data()[k] = static_cast<float>(scale * std::sin(0.7 * static_cast<double>(k) + salt));
  }
  return t;
}

using Wrapper = seq2seq::AttentionWrapper<seq2seq::GRUCell<float>,
                                          seq2seq::BahdanauAttention<float>>;

/// inputs [3, 5, 3].
inline seq2seq::Tensor3<float> inputs() { return wave<3>({kBatch, kMaxTime, kInputDepth}, 0, 1); }

/// GRUCell(6) wrapped with BahdanauAttention(4) over memory = inputs, alignment history on.
/// Weights are waves with salts 1..7 in the order the generator assigns them.
inline Wrapper encoder() {
  using namespace seq2seq;
  const Tensor3<float> memory = inputs();
  const Index attention = kInputDepth;  // no attention layer: attention = context, memory depth
  const Index rows = kInputDepth + attention + kUnits;  // [input ; attention ; h]
  GRUCell<float> cell(kUnits, {wave<2>({rows, 2 * kUnits}, 1, 0.6), wave<1>({2 * kUnits}, 2, 0.5),
                               wave<2>({rows, kUnits}, 3, 0.6), wave<1>({kUnits}, 4, 0.5)});
  BahdanauAttention<float> mechanism(
      kAttentionUnits, memory, kSequenceLength,
      {wave<2>({kInputDepth, kAttentionUnits}, 5, 0.6), wave<2>({kUnits, kAttentionUnits}, 6, 0.6),
       wave<1>({kAttentionUnits}, 7, 0.8), 0.0f, {}});
  AttentionWrapperConfig<float> config;
  config.alignment_history = true;
  return Wrapper(std::move(cell), std::move(mechanism), config);
}

}  // namespace tutorial
