// Umbrella header: the whole core library (the weight-file reader lives in seq2seq/io/).
#pragma once

#include <seq2seq/version.hpp>
#include <seq2seq/core/error.hpp>
#include <seq2seq/core/gemm.hpp>
#include <seq2seq/core/threads.hpp>
#include <seq2seq/core/tensor.hpp>
#include <seq2seq/cells/basic_rnn_cell.hpp>
#include <seq2seq/cells/gru_cell.hpp>
#include <seq2seq/cells/lstm_cell.hpp>
#include <seq2seq/cells/multi_rnn_cell.hpp>
#include <seq2seq/attention/probability_fn.hpp>
#include <seq2seq/attention/bahdanau_attention.hpp>
#include <seq2seq/attention/luong_attention.hpp>
#include <seq2seq/attention/monotonic_attention.hpp>
#include <seq2seq/attention/attention_wrapper.hpp>
#include <seq2seq/rnn/dynamic_rnn.hpp>
#include <seq2seq/rnn/dynamic_rnn_session.hpp>
#include <seq2seq/rnn/bidirectional_dynamic_rnn.hpp>
#include <seq2seq/decode/dense.hpp>
#include <seq2seq/decode/helpers.hpp>
#include <seq2seq/decode/tile_batch.hpp>
#include <seq2seq/decode/gather_tree.hpp>
#include <seq2seq/decode/decoder_state.hpp>
#include <seq2seq/decode/basic_decoder.hpp>
#include <seq2seq/decode/beam_search_decoder.hpp>
#include <seq2seq/decode/dynamic_decode.hpp>
#include <seq2seq/decode/dynamic_decode_session.hpp>

/// \namespace seq2seq
/// TensorFlow's tf.contrib.seq2seq attention stack: cells, attention mechanisms, the attention
/// wrapper, dynamic_rnn and decoding, with TensorFlow's names and semantics. Tensors are
/// row-major, in TensorFlow's layout ([batch, time, depth]).

/// \namespace seq2seq::io
/// Weight files (safetensors, npz, TensorFlow checkpoints) and the builders that turn the
/// tensors TensorFlow, Keras, TFA and PyTorch name into seq2seq's cells and mechanisms
/// (target seq2seq::io).
