// Loading TensorFlow 1.x checkpoint names (seq2seq/io/tf1.hpp): the golden cells written by
// TensorFlow, and a really trained attention encoder-decoder (tools/train/train_tf_attention.py)
// whose outputs on held-out inputs must equal TensorFlow's.
#include <seq2seq/io/tf1.hpp>

#include <seq2seq/rnn/dynamic_rnn.hpp>

#include "golden.hpp"

namespace {

using seq2seq::Index;
using seq2seq::Tensor1;
using seq2seq::Tensor2;
using seq2seq::Tensor3;
namespace tf1 = seq2seq::io::tf1;

TEST(Tf1Layout, CellsLoadedByScopeEqualTensorFlow) {
  // The dynamic_rnn fixtures store the cells under scope "cell" with TF 1.x's variable names.
  const auto names = golden::cases("dynamic_rnn_");
  ASSERT_EQ(names.size(), 16u);
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      auto check = [&](const auto& cell) {
        using State = typename std::decay_t<decltype(cell)>::state_type;
        EXPECT_EQ(cell.num_units(), golden::meta_int(f, "num_units"));
        EXPECT_EQ(cell.input_size(), golden::meta_int(f, "input_depth"));
        std::optional<State> initial;
        if (f.contains("initial_state/h")) {
          initial = golden::load_state<State, T>(f, "initial_state/");
        }
        const auto result = seq2seq::dynamic_rnn(
            cell, f.template tensor<T, 3>("inputs"), golden::lengths(f, "sequence_length"),
            initial, golden::meta_int(f, "time_major") != 0);
        golden::expect_close(result.outputs, f.template tensor<T, 3>("outputs"), "outputs");
        golden::expect_state(result.final_state, f, "final_state/");
      };
      if (f.metadata("cell") == "gru") {
        check(tf1::gru_cell<T>(f, "cell"));
      } else {
        check(tf1::lstm_cell<T>(f, "cell", T(1)));
      }
    });
  }
}

// Token embeddings: ids [B, T] -> [B, T, E] rows of `embedding` [V, E].
Tensor3<float> embed(const Tensor2<float>& embedding, const std::vector<int64_t>& ids, Index batch,
                     Index time) {
  Tensor3<float> out(batch, time, embedding.dimension(1));
  for (Index b = 0; b < batch; ++b) {
    for (Index t = 0; t < time; ++t) {
      for (Index e = 0; e < embedding.dimension(1); ++e) {
        out(b, t, e) = embedding(ids[static_cast<std::size_t>(b * time + t)], e);
      }
    }
  }
  return out;
}

TEST(TrainedModel, ReverseAttentionModelEqualsTensorFlow) {
  // A GRU encoder and an AttentionWrapper(GRU, normalized Bahdanau, attention layer) decoder,
  // trained in TensorFlow to reverse digit sequences, run with teacher forcing on held-out data.
  const auto model = golden::open("trained/reverse_attention_model.safetensors");
  const auto expected = golden::open("trained/reverse_attention_expected.safetensors");
  const Tensor2<float> embedding = model.tensor<float, 2>("embedding");
  const auto source_length = expected.integers("source_length");
  const Index batch = static_cast<Index>(source_length.size());
  const Index time = golden::meta_int(model, "max_time");

  const auto encoder_cell = tf1::gru_cell<float>(model, "encoder/gru_cell");
  const auto encoder = seq2seq::dynamic_rnn(
      encoder_cell, embed(embedding, expected.integers("source_ids"), batch, time), source_length);
  golden::expect_close(encoder.outputs, expected.tensor<float, 3>("encoder/outputs"),
                       "encoder/outputs");
  golden::expect_close(encoder.final_state, expected.tensor<float, 2>("encoder/final_state"),
                       "encoder/final_state");

  const auto mechanism = tf1::bahdanau_attention<float>(
      model, encoder.outputs, source_length, "decoder/attention_wrapper/bahdanau_attention",
      "decoder/memory_layer");
  EXPECT_TRUE(mechanism.normalize());
  const seq2seq::AttentionWrapper decoder_cell(
      tf1::gru_cell<float>(model, "decoder/attention_wrapper/gru_cell"), mechanism,
      tf1::attention_wrapper_config<float>(model, "decoder/attention_wrapper",
                                           /*alignment_history=*/true));
  const auto initial = decoder_cell.zero_state(batch).clone(encoder.final_state);
  const auto decoder = seq2seq::dynamic_rnn(
      decoder_cell, embed(embedding, expected.integers("decoder_input_ids"), batch, time),
      source_length, initial);
  golden::expect_close(decoder.outputs, expected.tensor<float, 3>("decoder/outputs"),
                       "decoder/outputs");
  const auto& state = decoder.final_state;
  golden::expect_close(state.cell_state, expected.tensor<float, 2>("decoder/final_state/cell_state"),
                       "cell_state");
  golden::expect_close(state.attention, expected.tensor<float, 2>("decoder/final_state/attention"),
                       "attention");
  golden::expect_close(state.alignments,
                       expected.tensor<float, 2>("decoder/final_state/alignments"), "alignments");
  golden::expect_close(state.alignment_history,
                       expected.tensor<float, 3>("decoder/final_state/alignment_history"),
                       "alignment_history");
  golden::expect_close(state.attention_state,
                       expected.tensor<float, 2>("decoder/final_state/attention_state"),
                       "attention_state");
  EXPECT_EQ(state.time, golden::meta_int(expected, "time"));

  // The output projection (user code: a dense layer) and the predicted tokens.
  const Tensor2<float> kernel = model.tensor<float, 2>("output_projection/kernel");
  const Tensor1<float> bias = model.tensor<float, 1>("output_projection/bias");
  const Index vocab = kernel.dimension(1);
  Tensor3<float> logits(batch, time, vocab);
  Eigen::Map<seq2seq::RowMatrix<float>>(logits.data(), batch * time, vocab) =
      (Eigen::Map<const seq2seq::RowMatrix<float>>(decoder.outputs.data(), batch * time,
                                                   decoder.outputs.dimension(2)) *
       seq2seq::detail::as_matrix(kernel))
          .rowwise() +
      seq2seq::detail::as_row(bias);
  golden::expect_close(logits, expected.tensor<float, 3>("logits"), "logits");
  const auto predicted = expected.integers("predicted_ids");
  const auto source = expected.integers("source_ids");
  long correct = 0, total = 0;
  for (Index b = 0; b < batch; ++b) {
    for (Index t = 0; t < source_length[b]; ++t) {
      Index best = 0;
      for (Index v = 1; v < vocab; ++v) best = logits(b, t, v) > logits(b, t, best) ? v : best;
      EXPECT_EQ(best, predicted[static_cast<std::size_t>(b * time + t)]) << b << "," << t;
      correct += best == source[static_cast<std::size_t>(b * time + source_length[b] - 1 - t)];
      ++total;
    }
  }
  EXPECT_NEAR(static_cast<double>(correct) / total, std::stod(expected.metadata("accuracy")),
              1e-9);
}

TEST(Tf1Layout, MissingOrMisshapenVariablesAreErrors) {
  using golden::values;
  const auto good = golden::safetensors_file({
      {"rnn/gru_cell/gates/kernel", {{7, 8}, values(56)}},
      {"rnn/gru_cell/gates/bias", {{8}, values(8)}},
      {"rnn/gru_cell/candidate/kernel", {{7, 4}, values(28)}},
      {"rnn/gru_cell/candidate/bias", {{4}, values(4)}},
  });
  EXPECT_EQ(tf1::gru_cell<float>(good).input_size(), 3);
  golden::expect_error([&] { tf1::gru_cell<float>(good, "encoder/gru_cell"); },
                       {"test.safetensors", "encoder/gru_cell/candidate/bias"});
  const auto bad = golden::safetensors_file({
      {"rnn/gru_cell/gates/kernel", {{7, 8}, values(56)}},
      {"rnn/gru_cell/gates/bias", {{8}, values(8)}},
      {"rnn/gru_cell/candidate/kernel", {{7, 5}, values(35)}},
      {"rnn/gru_cell/candidate/bias", {{4}, values(4)}},
  });
  golden::expect_error([&] { tf1::gru_cell<float>(bad); },
                       {"test.safetensors", "rnn/gru_cell/candidate/kernel", "[7,4]", "[7,5]"});
  const auto lstm = golden::safetensors_file({
      {"rnn/lstm_cell/kernel", {{5, 6}, values(30)}},
      {"rnn/lstm_cell/bias", {{6}, values(6)}},
  });
  golden::expect_error([&] { tf1::lstm_cell<float>(lstm); },
                       {"rnn/lstm_cell/bias", "6 columns", "multiple of 4"});
  const auto attention = golden::safetensors_file({
      {"memory_layer/kernel", {{3, 4}, values(12)}},
      {"bahdanau_attention/query_layer/kernel", {{5, 4}, values(20)}},
      {"bahdanau_attention/attention_v", {{4}, values(4)}},
  });
  const auto memory = golden::zeros<float>(2, 6, 5);  // depth 5, but memory_layer is [3, 4]
  golden::expect_error([&] { tf1::bahdanau_attention<float>(attention, memory); },
                       {"memory_layer/kernel", "[5,4]", "[3,4]"});
}

TEST(Tf1Layout, FullLstmCellLoadedByScopeEqualsTensorFlow) {
  // The lstm_full_* dynamic_rnn fixtures store the cell under scope "cell" with TF's names:
  // peepholes (w_f_diag, w_i_diag, w_o_diag) and projection/kernel are found from the names; the
  // clips and forget_bias, which TF does not store, come from the fixture's metadata.
  std::vector<std::string> names;
  for (const auto& name : golden::cases("lstm_full_")) {
    if (name.find("_rnn") != std::string::npos) names.push_back(name);
  }
  ASSERT_EQ(names.size(), 20u);
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      auto option = [&](const std::string& key) -> std::optional<T> {
        const std::string v = f.metadata(key);
        return v == "none" ? std::nullopt : std::optional<T>(static_cast<T>(std::stod(v)));
      };
      const auto forget_bias = static_cast<T>(std::stod(f.metadata("forget_bias")));
      const auto cell =
          tf1::lstm_cell<T>(f, "cell", forget_bias, option("cell_clip"), option("proj_clip"));
      EXPECT_EQ(cell.options().use_peepholes, golden::meta_int(f, "use_peepholes") != 0);
      EXPECT_EQ(cell.options().num_proj.value_or(0), golden::meta_int(f, "num_proj"));
      EXPECT_EQ(cell.input_size(), golden::meta_int(f, "input_depth"));
      const auto result = seq2seq::dynamic_rnn(
          cell, f.template tensor<T, 3>("inputs"), golden::lengths(f, "sequence_length"),
          golden::load_state<seq2seq::LSTMStateTuple<T>, T>(f, "initial_state/"));
      golden::expect_close(result.outputs, f.template tensor<T, 3>("outputs"), "outputs");
      golden::expect_state(result.final_state, f, "final_state/");
    });
  }

  // One peephole variable means all three; the projection's rows must be num_units.
  using golden::values;
  const auto partial = golden::safetensors_file({
      {"rnn/lstm_cell/kernel", {{5, 8}, values(40)}},
      {"rnn/lstm_cell/bias", {{8}, values(8)}},
      {"rnn/lstm_cell/w_f_diag", {{2}, values(2)}},
  });
  golden::expect_error([&] { tf1::lstm_cell<float>(partial); },
                       {"test.safetensors", "rnn/lstm_cell/w_i_diag"});
  const auto projection = golden::safetensors_file({
      {"rnn/lstm_cell/kernel", {{4, 8}, values(32)}},
      {"rnn/lstm_cell/bias", {{8}, values(8)}},
      {"rnn/lstm_cell/projection/kernel", {{3, 1}, values(3)}},
  });
  golden::expect_error([&] { tf1::lstm_cell<float>(projection); },
                       {"rnn/lstm_cell/projection/kernel", "[2,1]", "[3,1]"});
  const auto no_projection = golden::safetensors_file({
      {"rnn/lstm_cell/kernel", {{5, 8}, values(40)}},
      {"rnn/lstm_cell/bias", {{8}, values(8)}},
  });
  golden::expect_error(
      [&] { tf1::lstm_cell<float>(no_projection, "rnn/lstm_cell", 1.0f, {}, 3.0f); },
                       {"LSTMCell: proj_clip=3", "needs num_proj"});
}

}  // namespace
