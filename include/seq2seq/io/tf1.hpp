// Build cells and mechanisms from TensorFlow 1.x checkpoint names (rnn/gru_cell/gates/kernel,
// memory_layer/kernel, ...). These are our own layouts, so nothing is reordered: the converters
// only find the variables, derive the sizes from their shapes and check them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <seq2seq/attention/attention_wrapper.hpp>
#include <seq2seq/attention/bahdanau_attention.hpp>
#include <seq2seq/cells/gru_cell.hpp>
#include <seq2seq/cells/lstm_cell.hpp>
#include <seq2seq/io/layout.hpp>

namespace seq2seq::io::tf1 {

/// GRUCell from `<scope>/gates/kernel [I+H, 2H]`, `<scope>/gates/bias [2H]`,
/// `<scope>/candidate/kernel [I+H, H]`, `<scope>/candidate/bias [H]` (H from candidate/bias).
template <class T, class File>
GRUCell<T> gru_cell(const File& file, const std::string& scope = "rnn/gru_cell") {
  const std::string p = scope + "/";
  const Index h = detail::dim(file, p + "candidate/bias", 1, 0);
  const Index rows = detail::dim(file, p + "gates/kernel", 2, 0);
  return GRUCell<T>(h, {file.template tensor<T, 2>(p + "gates/kernel", {rows, 2 * h}),
                        file.template tensor<T, 1>(p + "gates/bias", {2 * h}),
                        file.template tensor<T, 2>(p + "candidate/kernel", {rows, h}),
                        file.template tensor<T, 1>(p + "candidate/bias", {h}), {}});
}

/// LSTMCell from `<scope>/kernel [I+P, 4H]` (i, j, f, o) and `<scope>/bias [4H]`, plus what the
/// checkpoint has of TF 1.x LSTMCell's optional variables: `<scope>/w_f_diag`, `w_i_diag`,
/// `w_o_diag` [H] (all three: use_peepholes) and `<scope>/projection/kernel [H, P]` (num_proj = P;
/// P = H without it). TF 1.x does not store forget_bias, cell_clip or proj_clip: pass the values
/// the model was built with (TF's defaults: 1.0, none, none).
template <class T, class File>
LSTMCell<T> lstm_cell(const File& file, const std::string& scope = "rnn/lstm_cell",
                      T forget_bias = T(1), std::optional<T> cell_clip = std::nullopt,
                      std::optional<T> proj_clip = std::nullopt) {
  const std::string p = scope + "/";
  const Index h = detail::units_from(file, p + "bias", detail::dim(file, p + "bias", 1, 0), 4);
  const Index rows = detail::dim(file, p + "kernel", 2, 0);
  LSTMCellOptions<T> options;
  options.cell_clip = cell_clip;
  options.proj_clip = proj_clip;
  options.forget_bias = forget_bias;
  LSTMCellWeights<T> w{file.template tensor<T, 2>(p + "kernel", {rows, 4 * h}),
                       file.template tensor<T, 1>(p + "bias", {4 * h})};
  // Any one peephole variable means use_peepholes: then a missing one is an error naming it.
  if (file.contains(p + "w_f_diag") || file.contains(p + "w_i_diag") ||
      file.contains(p + "w_o_diag")) {
    options.use_peepholes = true;
    w.w_f_diag = file.template tensor<T, 1>(p + "w_f_diag", {h});
    w.w_i_diag = file.template tensor<T, 1>(p + "w_i_diag", {h});
    w.w_o_diag = file.template tensor<T, 1>(p + "w_o_diag", {h});
  }
  const std::string projection = p + "projection/kernel";
  if (file.contains(projection)) {
    const Index num_proj = detail::dim(file, projection, 2, 1);
    options.num_proj = num_proj;
    w.projection_kernel = file.template tensor<T, 2>(projection, {h, num_proj});
  }
  return LSTMCell<T>(h, std::move(w), std::move(options));
}

/// BahdanauAttention over `memory` [B, Tm, Dm] from `<memory_layer_scope>/kernel [Dm, U]`,
/// `<scope>/query_layer/kernel [Hq, U]`, `<scope>/attention_v [U]` and, when the checkpoint has
/// `<scope>/attention_g`, normalize=true with `attention_g []` and `attention_b [U]`.
template <class T, class File, class Memory>
BahdanauAttention<T> bahdanau_attention(const File& file, const Memory& memory,
                                        std::vector<int64_t> memory_sequence_length = {},
                                        const std::string& scope = "bahdanau_attention",
                                        const std::string& memory_layer_scope = "memory_layer") {
  SEQ2SEQ_STATIC_CHECK_TENSOR(Memory, T, 3,
                              "io::tf1::bahdanau_attention: memory must be rank 3 [batch, "
                              "memory_time, memory_depth]");
  return detail::bahdanau_attention<T>(file, seq2seq::detail::tensor_arg<T, 3>(memory),
                                    std::move(memory_sequence_length),
                                    memory_layer_scope + "/kernel",
                                    scope + "/query_layer/kernel", scope);
}

/// AttentionWrapperConfig with `<scope>/attention_layer/kernel [H + Dm, size]` when the checkpoint
/// has it (attention_layer_size = size), else none; the two flags are not stored by TF.
template <class T, class File>
AttentionWrapperConfig<T> attention_wrapper_config(const File& file,
                                                   const std::string& scope = "attention_wrapper",
                                                   bool alignment_history = false,
                                                   bool output_attention = true) {
  AttentionWrapperConfig<T> config;
  const std::string kernel = scope + "/attention_layer/kernel";
  if (file.contains(kernel)) {
    config.attention_layer_kernel = file.template tensor<T, 2>(kernel);
    config.attention_layer_size = config.attention_layer_kernel.dimension(1);
  }
  config.alignment_history = alignment_history;
  config.output_attention = output_attention;
  return config;
}

}  // namespace seq2seq::io::tf1
