// The date model of examples/translate.cpp (trained by tools/train/train_date_attention.py):
// loading it from its .safetensors file, encoding sources, and the greedy and beam decoders, as
// TensorFlow built them. Shared with tests/test_dynamic_decode.cpp, which checks every decoded
// tensor against TensorFlow's.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <seq2seq/io/safetensors.hpp>
#include <seq2seq/io/tf1.hpp>
#include <seq2seq/seq2seq.hpp>

namespace date_model {

using namespace seq2seq;

/// The trained model: weights with their TF 1.x names and the vocabularies from the metadata.
struct DateModel {
  explicit DateModel(const std::string& path)
      : file(io::SafetensorsFile::load(path)),
        source_embedding(file.tensor<float, 2>("embedding/source")),
        target_embedding(file.tensor<float, 2>("embedding/target")),
        encoder(io::tf1::gru_cell<float>(file, "encoder/gru_cell")),
        decoder_cell(io::tf1::gru_cell<float>(file, "decoder/attention_wrapper/gru_cell")),
        projection(file.tensor<float, 2>("output_projection/kernel"),
                   file.tensor<float, 1>("output_projection/bias")) {
    const auto source = nlohmann::json::parse(file.metadata("source_vocab"));
    for (std::size_t id = 0; id < source.size(); ++id) {
      const std::string token = source[id];
      if (token.size() == 1) source_ids[token[0]] = static_cast<int64_t>(id);
    }
    for (const auto& token : nlohmann::json::parse(file.metadata("target_vocab"))) {
      target_vocab.push_back(token.get<std::string>());
    }
    unk = std::stoll(file.metadata("unk_id"));
    pad = std::stoll(file.metadata("pad_id"));
    go = std::stoll(file.metadata("go_id"));
    eos = std::stoll(file.metadata("eos_id"));
    maximum_iterations = std::stoll(file.metadata("maximum_iterations"));
    beam_width = std::stoll(file.metadata("beam_width"));
    length_penalty_weight = std::stod(file.metadata("length_penalty_weight"));
  }

  /// The decoder over `memory` (encoder outputs) with its lengths, alignment history on.
  auto wrapper(const Tensor3<float>& memory, std::vector<int64_t> lengths) const {
    return AttentionWrapper(
        decoder_cell,
        io::tf1::bahdanau_attention<float>(file, memory, std::move(lengths),
                                           "decoder/attention_wrapper/bahdanau_attention",
                                           "decoder/memory_layer"),
        io::tf1::attention_wrapper_config<float>(file, "decoder/attention_wrapper", true, true));
  }

  io::SafetensorsFile file;
  Tensor2<float> source_embedding, target_embedding;
  GRUCell<float> encoder, decoder_cell;
  Dense<float> projection;
  std::map<char, int64_t> source_ids;
  std::vector<std::string> target_vocab;
  int64_t unk = 1, pad = 0, go = 0, eos = 0, maximum_iterations = 0, beam_width = 1;
  double length_penalty_weight = 0;
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
