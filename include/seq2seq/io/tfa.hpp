// Build mechanisms from the names TensorFlow Addons gives its variables in a tf.compat.v1 graph
// (a model trained with tfa.seq2seq in graph mode and saved by tf.compat.v1.train.Saver). TFA's
// Keras layers are created outside any variable scope, so a BahdanauAttention's memory layer is
// saved as `BahdanauAttention/kernel`, its score as `BahdanauAttention/attention_v` (and
// `attention_g`, `attention_b` when normalized), and its query layer, built when the
// AttentionWrapper first calls it, as `attention_wrapper/BahdanauAttention/kernel`. The cells and
// the wrapper's attention layer keep TF 1.x names (e.g. `gru_cell/gates/kernel` for the decoder
// cell, `attention_wrapper/attention_layer/kernel`): use io::tf1 for them. The layouts are ours;
// nothing is reordered. seq2seq-inspect lists which names a checkpoint uses.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <seq2seq/attention/bahdanau_attention.hpp>
#include <seq2seq/io/layout.hpp>
#include <seq2seq/io/tf1.hpp>

namespace seq2seq::io::tfa {

/// BahdanauAttention over `memory` [B, Tm, Dm] from `<mechanism>/kernel [Dm, U]` (memory
/// layer), `<wrapper>/<last part of mechanism>/kernel [Hq, U]` (query layer) and
/// `<mechanism>/attention_v [U]`, normalized when `<mechanism>/attention_g` exists. The defaults
/// are the names of the first mechanism and wrapper of a graph; TensorFlow numbers further ones
/// (`BahdanauAttention_1`, `attention_wrapper_1`).
template <class T, class File, class Memory>
BahdanauAttention<T> bahdanau_attention(const File& file, const Memory& memory,
                                        std::vector<int64_t> memory_sequence_length = {},
                                        const std::string& mechanism = "BahdanauAttention",
                                        const std::string& wrapper = "attention_wrapper") {
  SEQ2SEQ_STATIC_CHECK_TENSOR(Memory, T, 3,
                              "io::tfa::bahdanau_attention: memory must be rank 3 [batch, "
                              "memory_time, memory_depth]");
  const std::string name = mechanism.substr(mechanism.rfind('/') + 1);
  return detail::bahdanau_attention<T>(file, seq2seq::detail::tensor_arg<T, 3>(memory),
                                       std::move(memory_sequence_length), mechanism + "/kernel",
                                       wrapper + "/" + name + "/kernel", mechanism);
}

}  // namespace seq2seq::io::tfa
