// The date model of examples/translate.cpp (trained by tools/train/train_date_attention.py):
// loading it — from the TensorFlow checkpoint the training script saves, or from its
// .safetensors export — encoding sources, and the greedy and beam decoders, as TensorFlow built
// them. Shared with tests/test_dynamic_decode.cpp, which checks every decoded tensor against
// TensorFlow's.
#pragma once

#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <seq2seq/io/load_status.hpp>
#include <seq2seq/io/safetensors.hpp>
#include <seq2seq/io/tf1.hpp>
#include <seq2seq/io/tf_checkpoint.hpp>
#include <seq2seq/io/tfa.hpp>
#include <seq2seq/seq2seq.hpp>

namespace date_model {

using namespace seq2seq;

/// The trained model: its layers, the attention mechanism's weights (set up on each batch's
/// memory) and the vocabularies and decoding settings of its configuration.
struct DateModel {
  /// `path` is either the directory the training script writes the TensorFlow checkpoint to
  /// (model.ckpt.index, model.ckpt.data-*, with the names TensorFlow Addons gives its variables
  /// in a tf.compat.v1 graph, and config.json), or the .safetensors export (TF 1.x names, the
  /// configuration in its metadata). Throws seq2seq::Error if the file lacks a weight, has one
  /// of the wrong shape, or has model weights this model does not use.
  explicit DateModel(const std::string& path) : DateModel(load(path)) {}

  /// The decoder over `memory` (encoder outputs) with its lengths, alignment history on.
  auto wrapper(const Tensor3<float>& memory, std::vector<int64_t> lengths) const {
    return AttentionWrapper(
        decoder_cell,
        BahdanauAttention<float>(attention.num_units(), memory, std::move(lengths),
                                 attention.weights(), attention.normalize()),
        wrapper_config);
  }

  Tensor2<float> source_embedding, target_embedding;
  GRUCell<float> encoder, decoder_cell;
  BahdanauAttention<float> attention;  // over a placeholder memory: its weights and sizes
  AttentionWrapperConfig<float> wrapper_config;
  Dense<float> projection;
  std::map<char, int64_t> source_ids;
  std::vector<std::string> target_vocab;
  int64_t unk = 1, pad = 0, go = 0, eos = 0, maximum_iterations = 0, beam_width = 1;
  double length_penalty_weight = 0;
  std::map<std::string, std::string> config;  // every setting, e.g. "heldout_greedy_accuracy"

 private:
  /// Where each part is in a file: the export's TF 1.x names, or the checkpoint's TFA graph names.
  struct Names {
    std::string encoder, decoder_cell, wrapper;
    bool tfa;  // mechanism: io::tfa (BahdanauAttention/...) or io::tf1 (decoder/...)
  };

  static DateModel load(const std::string& path) {
    const std::string suffix = ".safetensors";
    if (path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
      const auto file = io::SafetensorsFile::load(path);
      return DateModel(file, {"encoder/gru_cell", "decoder/attention_wrapper/gru_cell", "decoder/attention_wrapper", false},
                       file.metadata());
    }
    const auto ckpt = io::TFCheckpoint::load(path + "/model.ckpt");
    std::ifstream in(path + "/config.json");
    if (!in) seq2seq::detail::fail("date model '", path, "': no config.json beside the checkpoint");
    std::map<std::string, std::string> config;
    try {
      config = nlohmann::json::parse(in).get<std::map<std::string, std::string>>();
    } catch (const nlohmann::json::exception& e) {
      seq2seq::detail::fail("date model '", path, "': config.json: ", e.what());
    }
    return DateModel(ckpt, {"encoder/gru_cell", "gru_cell", "attention_wrapper", true}, config);
  }

  template <class File>
  DateModel(const File& file, const Names& names, const std::map<std::string, std::string>& config)
      : DateModel(io::LoadStatus<File>(file), names, config) {}

  template <class File>
  DateModel(const io::LoadStatus<File>& status, const Names& n,
            const std::map<std::string, std::string>& settings)
      : source_embedding(status.template tensor<float, 2>("embedding/source")),
        target_embedding(status.template tensor<float, 2>("embedding/target")),
        encoder(io::tf1::gru_cell<float>(status, n.encoder)),
        decoder_cell(io::tf1::gru_cell<float>(status, n.decoder_cell)),
        attention(mechanism(status, n)),
        wrapper_config(io::tf1::attention_wrapper_config<float>(status, n.wrapper, true, true)),
        projection(status.template tensor<float, 2>("output_projection/kernel"),
                   status.template tensor<float, 1>("output_projection/bias")),
        config(settings) {
    status.assert_consumed();  // every weight of the file is in the model
    const auto setting = [&](const std::string& key) -> const std::string& {
      const auto it = settings.find(key);
      if (it == settings.end()) seq2seq::detail::fail("date model '", status.name(), "': no setting '", key, "'");
      return it->second;
    };
    const auto source = nlohmann::json::parse(setting("source_vocab"));
    for (std::size_t id = 0; id < source.size(); ++id) {
      const std::string token = source[id];
      if (token.size() == 1) source_ids[token[0]] = static_cast<int64_t>(id);
    }
    for (const auto& token : nlohmann::json::parse(setting("target_vocab"))) {
      target_vocab.push_back(token.template get<std::string>());
    }
    unk = std::stoll(setting("unk_id"));
    pad = std::stoll(setting("pad_id"));
    go = std::stoll(setting("go_id"));
    eos = std::stoll(setting("eos_id"));
    maximum_iterations = std::stoll(setting("maximum_iterations"));
    beam_width = std::stoll(setting("beam_width"));
    length_penalty_weight = std::stod(setting("length_penalty_weight"));
  }

  /// The mechanism over a one-step placeholder memory of the depth its memory layer takes.
  template <class Status>
  static BahdanauAttention<float> mechanism(const Status& status, const Names& n) {
    const std::string memory_kernel = n.tfa ? "BahdanauAttention/kernel" : "decoder/memory_layer/kernel";
    const Tensor3<float> memory(1, 1, static_cast<Index>(status.shape(memory_kernel).at(0)));
    return n.tfa ? io::tfa::bahdanau_attention<float>(status, memory.constant(0.0f))
                 : io::tf1::bahdanau_attention<float>(status, memory.constant(0.0f), {},
                                                      "decoder/attention_wrapper/bahdanau_attention",
                                                      "decoder/memory_layer");
  }
};

/// What the encoder gives the decoders for a batch of strings.
struct Encoded {
  Tensor3<float> outputs;        // [B, longest, H]
  Tensor2<float> final_state;    // [B, H]
  std::vector<int64_t> lengths;  // [B]
};

/// Source ids (characters; UNK for any other) of each string.
inline std::vector<std::vector<int64_t>> source_ids(const DateModel& m,
                                                    const std::vector<std::string>& sources) {
  std::vector<std::vector<int64_t>> ids;
  for (const auto& s : sources) {
    std::vector<int64_t> row;
    for (char c : s) {
      const auto it = m.source_ids.find(c);
      row.push_back(it == m.source_ids.end() ? m.unk : it->second);
    }
    ids.push_back(std::move(row));
  }
  return ids;
}

/// The sources' embeddings [B, longest, depth] (padded with PAD to the longest) and lengths.
inline void embed(const DateModel& m, const std::vector<std::vector<int64_t>>& ids,
                  Tensor3<float>& embedded, std::vector<int64_t>& lengths) {
  const auto batch = static_cast<Index>(ids.size());
  Index longest = 1;
  for (const auto& s : ids) longest = std::max<Index>(longest, static_cast<Index>(s.size()));
  const Index depth = m.source_embedding.dimension(1);
  embedded.resize(batch, longest, depth);
  lengths.clear();
  for (Index b = 0; b < batch; ++b) {
    const auto& s = ids[static_cast<std::size_t>(b)];
    lengths.push_back(static_cast<int64_t>(s.size()));
    for (Index t = 0; t < longest; ++t) {
      const int64_t id = t < static_cast<Index>(s.size()) ? s[static_cast<std::size_t>(t)] : m.pad;
      for (Index e = 0; e < depth; ++e) embedded(b, t, e) = m.source_embedding(id, e);
    }
  }
}

/// The encoder over the sources (padded with PAD to the longest; its lengths mask the rest).
inline Encoded encode(const DateModel& m, const std::vector<std::vector<int64_t>>& ids) {
  Tensor3<float> embedded;
  std::vector<int64_t> lengths;
  embed(m, ids, embedded, lengths);
  auto [outputs, state] = dynamic_rnn(m.encoder, embedded, lengths);
  return {std::move(outputs), std::move(state), std::move(lengths)};
}

/// Greedy decoding: BasicDecoder(wrapper, GreedyEmbeddingHelper(target embedding, GO, EOS),
/// zero_state.clone(encoder state), output projection), maximum_iterations from the model.
inline auto greedy(const DateModel& m, const Encoded& enc) {
  const auto batch = static_cast<Index>(enc.lengths.size());
  auto wrapper = m.wrapper(enc.outputs, enc.lengths);
  auto initial_state = wrapper.zero_state(batch).clone(enc.final_state);
  const BasicDecoder decoder(
      std::move(wrapper),
      GreedyEmbeddingHelper<float>(m.target_embedding, std::vector<int64_t>(enc.lengths.size(), m.go), m.eos),
      std::move(initial_state), m.projection);
  DynamicDecodeOptions options;
  options.maximum_iterations = m.maximum_iterations;
  return dynamic_decode(decoder, options);
}

/// Beam search of the model's width and length penalty: the memory, its lengths and the encoder
/// state tiled to batch * beam_width rows.
inline auto beam(const DateModel& m, const Encoded& enc) {
  const auto batch = static_cast<Index>(enc.lengths.size());
  const Index k = m.beam_width;
  auto tiled = m.wrapper(tile_batch(enc.outputs, k), tile_batch(enc.lengths, k));
  auto initial_state = tiled.zero_state(batch * k).clone(tile_batch(enc.final_state, k));
  BeamSearchDecoderOptions<float> options;
  options.output_layer = m.projection;
  options.length_penalty_weight = m.length_penalty_weight;
  const BeamSearchDecoder decoder(std::move(tiled), m.target_embedding,
                                  std::vector<int64_t>(enc.lengths.size(), m.go), m.eos,
                                  std::move(initial_state), k, options);
  DynamicDecodeOptions run;
  run.maximum_iterations = m.maximum_iterations;
  return dynamic_decode(decoder, run);
}

/// The model serving request after request (what a translation server keeps): the encoder's
/// DynamicRnnSession and the decoders' DynamicDecodeSessions keep their buffers from one call
/// to the next; each call builds its decoder over the call's memory (its attention keys), as
/// greedy() and beam() do, and returns their results (valid until the next call).
class Server {
 public:
  using Wrapper = AttentionWrapper<GRUCell<float>, BahdanauAttention<float>>;
  using GreedyDecoder = BasicDecoder<Wrapper, GreedyEmbeddingHelper<float>>;
  using BeamDecoder = BeamSearchDecoder<Wrapper>;

  explicit Server(const DateModel& m) : m_(m), encoder_(m.encoder) {}

  const DynamicDecodeSession<GreedyDecoder>::result_type& greedy(
      const std::vector<std::vector<int64_t>>& ids) {
    const auto& [memory, state] = encode(ids);
    const auto batch = static_cast<Index>(ids.size());
    Wrapper wrapper = m_.wrapper(memory, lengths_);
    auto initial_state = wrapper.zero_state(batch).clone(state);
    const GreedyDecoder decoder(
        std::move(wrapper),
        GreedyEmbeddingHelper<float>(m_.target_embedding,
                                     std::vector<int64_t>(ids.size(), m_.go), m_.eos),
        std::move(initial_state), m_.projection);
    return greedy_.run(decoder, options());
  }

  const DynamicDecodeSession<BeamDecoder>::result_type& beam(
      const std::vector<std::vector<int64_t>>& ids) {
    const auto& [memory, state] = encode(ids);
    const auto batch = static_cast<Index>(ids.size());
    const Index k = m_.beam_width;
    Wrapper tiled = m_.wrapper(tile_batch(memory, k), tile_batch(lengths_, k));
    auto initial_state = tiled.zero_state(batch * k).clone(tile_batch(state, k));
    BeamSearchDecoderOptions<float> beam_options;
    beam_options.output_layer = m_.projection;
    beam_options.length_penalty_weight = m_.length_penalty_weight;
    const BeamDecoder decoder(std::move(tiled), m_.target_embedding,
                              std::vector<int64_t>(ids.size(), m_.go), m_.eos,
                              std::move(initial_state), k, beam_options);
    return beam_.run(decoder, options());
  }

 private:
  const DynamicRnnSession<GRUCell<float>>::result_type& encode(
      const std::vector<std::vector<int64_t>>& ids) {
    embed(m_, ids, embedded_, lengths_);
    return encoder_.run(embedded_, lengths_);
  }
  DynamicDecodeOptions options() const {
    DynamicDecodeOptions o;
    o.maximum_iterations = m_.maximum_iterations;
    return o;
  }

  const DateModel& m_;
  DynamicRnnSession<GRUCell<float>> encoder_;
  DynamicDecodeSession<GreedyDecoder> greedy_;
  DynamicDecodeSession<BeamDecoder> beam_;
  Tensor3<float> embedded_;
  std::vector<int64_t> lengths_;
};

/// Target ids up to (not including) the first end token, as text.
template <class Id>
inline std::string text(const DateModel& m, const std::vector<Id>& ids) {
  std::string out;
  for (Id id : ids) {
    if (id == m.eos) break;
    out += id >= 0 && id < static_cast<Id>(m.target_vocab.size()) ? m.target_vocab[id] : "?";
  }
  return out;
}

}  // namespace date_model
