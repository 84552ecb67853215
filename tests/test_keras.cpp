// Loading Keras weights (seq2seq/io/keras.hpp): GRU with reset_after False and True and LSTM
// layers run by real Keras (tests/golden/keras/, tools/train/gen_keras_layouts.py), and a really
// trained Keras GRU(reset_after=True) model (tools/train/train_keras_gru.py).
#include <seq2seq/io/keras.hpp>

#include <seq2seq/rnn/dynamic_rnn.hpp>

#include "golden.hpp"

namespace {

using seq2seq::Index;
using seq2seq::Tensor1;
using seq2seq::Tensor2;
using seq2seq::Tensor3;
namespace keras = seq2seq::io::keras;

TEST(KerasLayout, LayersEqualKeras) {
  std::vector<std::string> names;
  for (const char* layer : {"keras/keras_gru_", "keras/keras_lstm"}) {
    for (const auto& name : golden::cases(layer)) names.push_back(name);
  }
  ASSERT_EQ(names.size(), 6u);  // GRU reset_after False / True, LSTM; float32 and float64
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      const Tensor3<T> inputs = f.template tensor<T, 3>("inputs");
      if (f.contains("final_state/c")) {
        const auto cell = keras::lstm_cell<T>(f, "lstm/lstm_cell");
        const auto [outputs, state] = seq2seq::dynamic_rnn(cell, inputs);
        golden::expect_close(outputs, f.template tensor<T, 3>("outputs"), "outputs");
        golden::expect_close(state.h, f.template tensor<T, 2>("final_state/h"), "h");
        golden::expect_close(state.c, f.template tensor<T, 2>("final_state/c"), "c");
      } else {
        const auto cell = keras::gru_cell<T>(f, "gru/gru_cell");
        EXPECT_EQ(cell.reset_after(), golden::meta_int(f, "reset_after") != 0);
        const auto [outputs, state] = seq2seq::dynamic_rnn(cell, inputs);
        golden::expect_close(outputs, f.template tensor<T, 3>("outputs"), "outputs");
        golden::expect_close(state, f.template tensor<T, 2>("final_state/h"), "h");
      }
    });
  }
}

TEST(KerasLayout, TfaAttentionWrapperEqualsKeras) {
  // tfa.seq2seq.AttentionWrapper(keras GRUCell, normalized BahdanauAttention, attention layer)
  // in a Keras model (TF2 eager), run by keras.layers.RNN over full-length inputs.
  for (const auto& name : golden::cases("keras/keras_tfa_attention")) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      const auto mechanism = keras::bahdanau_attention<T>(
          f, f.template tensor<T, 3>("memory"), f.integers("memory_sequence_length"));
      EXPECT_TRUE(mechanism.normalize());
      const seq2seq::AttentionWrapper wrapper(
          keras::gru_cell<T>(f, "rnn/attention_wrapper/gru_cell"), mechanism,
          keras::attention_wrapper_config<T>(f, "rnn/attention_wrapper"));
      const auto [outputs, state] = seq2seq::dynamic_rnn(wrapper, f.template tensor<T, 3>("inputs"));
      golden::expect_close(outputs, f.template tensor<T, 3>("outputs"), "outputs");
      golden::expect_close(state.cell_state, f.template tensor<T, 2>("final_state/cell_state"),
                           "cell_state");
      golden::expect_close(state.attention, f.template tensor<T, 2>("final_state/attention"),
                           "attention");
      golden::expect_close(state.alignments, f.template tensor<T, 2>("final_state/alignments"),
                           "alignments");
      golden::expect_close(state.attention_state,
                           f.template tensor<T, 2>("final_state/attention_state"),
                           "attention_state");
    });
  }
}

TEST(TrainedModel, KerasGruEqualsKeras) {
  // Embedding -> GRU(24, reset_after=True) -> Dense(3), trained on a running sum mod 3.
  const auto model = golden::open("trained/keras_gru_model.safetensors");
  const auto expected = golden::open("trained/keras_gru_expected.safetensors");
  const auto cell = keras::gru_cell<float>(model, "gru/gru_cell");
  EXPECT_TRUE(cell.reset_after());
  const auto [outputs, state] = seq2seq::dynamic_rnn(cell, expected.tensor<float, 3>("inputs"));
  golden::expect_close(outputs, expected.tensor<float, 3>("outputs"), "outputs");
  golden::expect_close(state, expected.tensor<float, 2>("final_state"), "final_state");

  // The dense head and the task's answer.
  const Tensor2<float> kernel = model.tensor<float, 2>("dense/kernel");
  const Tensor1<float> bias = model.tensor<float, 1>("dense/bias");
  const Index batch = outputs.dimension(0), time = outputs.dimension(1);
  Tensor3<float> logits(batch, time, kernel.dimension(1));
  Eigen::Map<seq2seq::RowMatrix<float>>(logits.data(), batch * time, kernel.dimension(1)) =
      (Eigen::Map<const seq2seq::RowMatrix<float>>(outputs.data(), batch * time,
                                                   outputs.dimension(2)) *
       seq2seq::detail::as_matrix(kernel))
          .rowwise() +
      seq2seq::detail::as_row(bias);
  golden::expect_close(logits, expected.tensor<float, 3>("head_outputs"), "head_outputs");
  const auto targets = expected.integers("targets");
  long correct = 0;
  for (Index i = 0; i < batch * time; ++i) {
    Eigen::Index best = 0;
    Eigen::Map<const Eigen::VectorXf>(logits.data() + i * 3, 3).maxCoeff(&best);
    correct += best == targets[static_cast<std::size_t>(i)];
  }
  // Keras reached 100% on 4096 held-out sequences; these 8 must all be right too.
  EXPECT_EQ(std::stod(model.metadata("accuracy")), 1.0);
  EXPECT_EQ(correct, batch * time);
}

TEST(KerasLayout, MisshapenWeightsAreErrors) {
  using golden::values;
  const auto bad_bias = golden::safetensors_file({
      {"gru/gru_cell/kernel", {{3, 12}, values(36)}},
      {"gru/gru_cell/recurrent_kernel", {{4, 12}, values(48)}},
      {"gru/gru_cell/bias", {{3, 12}, values(36)}},
  });
  golden::expect_error([&] { keras::gru_cell<float>(bad_bias); },
                       {"test.safetensors", "gru/gru_cell/bias", "[2,12]", "[3,12]"});
  const auto bad_kernel = golden::safetensors_file({
      {"lstm/lstm_cell/kernel", {{3, 12}, values(36)}},
      {"lstm/lstm_cell/recurrent_kernel", {{4, 16}, values(64)}},
      {"lstm/lstm_cell/bias", {{16}, values(16)}},
  });
  golden::expect_error([&] { keras::lstm_cell<float>(bad_kernel); },
                       {"lstm/lstm_cell/kernel", "[3,16]", "[3,12]"});
  golden::expect_error([&] { keras::lstm_cell<float>(bad_kernel, "decoder/lstm_cell"); },
                       {"decoder/lstm_cell/recurrent_kernel"});
}

}  // namespace
