// Loads a model trained in TensorFlow (tools/train/train_tf_attention.py: a GRU encoder and an
// AttentionWrapper(GRU, Bahdanau) decoder that learned to reverse digit sequences), exported with
// TF 1.x checkpoint names to a .safetensors file, and decodes a few inputs greedily in C++: each
// step feeds the embedding of the previous prediction (GO first) to the wrapper.
//
//   load_trained [model.safetensors]
#include <cstdio>
#include <string>
#include <vector>

#include <seq2seq/io/safetensors.hpp>
#include <seq2seq/io/tf1.hpp>
#include <seq2seq/seq2seq.hpp>

using namespace seq2seq;

namespace {

// Rows of `embedding` [V, E] for `ids`, as a [1, ids.size(), E] batch of one sequence.
Tensor3<float> embed(const Tensor2<float>& embedding, const std::vector<int64_t>& ids) {
  const Index depth = embedding.dimension(1);
  Tensor3<float> out(1, static_cast<Index>(ids.size()), depth);
  for (std::size_t t = 0; t < ids.size(); ++t) {
    for (Index e = 0; e < depth; ++e) out(0, static_cast<Index>(t), e) = embedding(ids[t], e);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : SEQ2SEQ_TRAINED_MODEL;
  const auto model = io::SafetensorsFile::load(path);
  const Tensor2<float> embedding = model.tensor<float, 2>("embedding");
  const Tensor2<float> projection = model.tensor<float, 2>("output_projection/kernel");
  const Tensor1<float> bias = model.tensor<float, 1>("output_projection/bias");
  const int64_t go = std::stoll(model.metadata("go_id"));
  const auto encoder_cell = io::tf1::gru_cell<float>(model, "encoder/gru_cell");
  const auto decoder_gru = io::tf1::gru_cell<float>(model, "decoder/attention_wrapper/gru_cell");
  std::printf("model %s: %s, held-out token accuracy %s in TensorFlow\n", path.c_str(),
              model.metadata("task").c_str(), model.metadata("heldout_token_accuracy").c_str());

  const std::vector<std::vector<int64_t>> inputs = {
      {3, 1, 4, 1, 5}, {2, 7, 1, 8, 2, 8, 1, 8}, {9, 0, 6}, {5, 5, 3, 9, 2, 1}};
  for (const auto& source : inputs) {
    const auto length = static_cast<int64_t>(source.size());
    const auto encoder = dynamic_rnn(encoder_cell, embed(embedding, source), {length});
    const AttentionWrapper decoder(
        decoder_gru,
        io::tf1::bahdanau_attention<float>(model, encoder.outputs, {length},
                                           "decoder/attention_wrapper/bahdanau_attention",
                                           "decoder/memory_layer"),
        io::tf1::attention_wrapper_config<float>(model, "decoder/attention_wrapper"));
    auto state = decoder.zero_state(1).clone(encoder.final_state);
    std::vector<int64_t> output;
    int64_t token = go;
    for (int64_t t = 0; t < length; ++t) {
      Tensor2<float> x = embed(embedding, {token}).chip<0>(0);
      auto [attention, next] = decoder(x, state);
      state = std::move(next);
      Eigen::RowVectorXf logits =
          detail::as_matrix(attention) * detail::as_matrix(projection) + detail::as_row(bias);
      Eigen::Index best = 0;
      logits.maxCoeff(&best);
      token = best;
      output.push_back(token);
    }
    std::printf("  in:");
    for (const auto d : source) std::printf(" %lld", static_cast<long long>(d));
    std::printf("   ->   out:");
    for (const auto d : output) std::printf(" %lld", static_cast<long long>(d));
    std::printf("\n");
  }
  return 0;
}
