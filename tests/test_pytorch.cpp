// Loading PyTorch state_dicts (seq2seq/io/pytorch.hpp): a really trained 2-layer bidirectional
// nn.GRU and a 2-layer nn.LSTM (tools/train/train_torch_rnn.py, Debian's CPU PyTorch), run layer
// by layer with dynamic_rnn; outputs and final states must equal PyTorch's on held-out inputs.
// Each model is read from its .safetensors export and from np.savez_compressed's .npz.
#include <seq2seq/io/pytorch.hpp>

#include <seq2seq/io/npz.hpp>
#include <seq2seq/rnn/dynamic_rnn.hpp>

#include "golden.hpp"

namespace {

using seq2seq::Index;
using seq2seq::Tensor2;
using seq2seq::Tensor3;
namespace pytorch = seq2seq::io::pytorch;

// Plain loops: Eigen's reverse/concatenate/chip trip GCC 12's -Warray-bounds at -O3.
Tensor3<float> reverse_time(const Tensor3<float>& x) {
  Tensor3<float> out(x.dimensions());
  for (Index b = 0; b < x.dimension(0); ++b) {
    for (Index t = 0; t < x.dimension(1); ++t) {
      for (Index d = 0; d < x.dimension(2); ++d) out(b, t, d) = x(b, x.dimension(1) - 1 - t, d);
    }
  }
  return out;
}

// [B, T, D1] ++ [B, T, D2] -> [B, T, D1 + D2]
Tensor3<float> concat_depth(const Tensor3<float>& a, const Tensor3<float>& b) {
  const Index d1 = a.dimension(2), d2 = b.dimension(2);
  Tensor3<float> out(a.dimension(0), a.dimension(1), d1 + d2);
  for (Index i = 0; i < a.dimension(0); ++i) {
    for (Index t = 0; t < a.dimension(1); ++t) {
      for (Index d = 0; d < d1; ++d) out(i, t, d) = a(i, t, d);
      for (Index d = 0; d < d2; ++d) out(i, t, d1 + d) = b(i, t, d);
    }
  }
  return out;
}

// Entry `index` of PyTorch's h_n / c_n [layers * directions, B, H].
Tensor2<float> state_slice(const Tensor3<float>& h_n, Index index) {
  Tensor2<float> out(h_n.dimension(1), h_n.dimension(2));
  for (Index b = 0; b < h_n.dimension(1); ++b) {
    for (Index h = 0; h < h_n.dimension(2); ++h) out(b, h) = h_n(index, b, h);
  }
  return out;
}

seq2seq::io::NpzFile open_npz(const std::string& name) {
  return seq2seq::io::NpzFile::load(std::string(SEQ2SEQ_GOLDEN_DIR) + "/" + name);
}

template <class File>
void check_gru(const File& model) {
  SCOPED_TRACE(model.name());
  const auto expected = golden::open("trained/torch_gru_expected.safetensors");
  ASSERT_EQ(golden::meta_int(expected, "num_layers"), 2);
  const Tensor3<float> h_n = expected.tensor<float, 3>("h_n");
  Tensor3<float> x = expected.tensor<float, 3>("inputs");
  for (int layer = 0; layer < 2; ++layer) {
    SCOPED_TRACE(layer);
    const auto fw = pytorch::gru_cell<float>(model, layer, false);
    const auto bw = pytorch::gru_cell<float>(model, layer, true);
    EXPECT_TRUE(fw.reset_after());
    // Full-length rows: the backward direction is the forward recurrence over reversed time.
    const auto f = seq2seq::dynamic_rnn(fw, x);
    const auto b = seq2seq::dynamic_rnn(bw, reverse_time(x));
    x = concat_depth(f.outputs, reverse_time(b.outputs));
    golden::expect_close(f.final_state, state_slice(h_n, 2 * layer), "h_n forward");
    golden::expect_close(b.final_state, state_slice(h_n, 2 * layer + 1), "h_n backward");
    if (layer == 0) {
      golden::expect_close(x, expected.tensor<float, 3>("layer0_outputs"), "layer0_outputs");
    }
  }
  golden::expect_close(x, expected.tensor<float, 3>("outputs"), "outputs");
}

TEST(TrainedModel, TorchBidirectionalGruEqualsPyTorch) {
  check_gru(golden::open("trained/torch_gru_model.safetensors"));
  check_gru(open_npz("trained/torch_gru_model.npz"));
}

template <class File>
void check_lstm(const File& model) {
  SCOPED_TRACE(model.name());
  const auto expected = golden::open("trained/torch_lstm_expected.safetensors");
  ASSERT_EQ(golden::meta_int(expected, "num_layers"), 2);
  const Tensor3<float> h_n = expected.tensor<float, 3>("h_n");
  const Tensor3<float> c_n = expected.tensor<float, 3>("c_n");
  Tensor3<float> x = expected.tensor<float, 3>("inputs");
  for (int layer = 0; layer < 2; ++layer) {
    SCOPED_TRACE(layer);
    const auto cell = pytorch::lstm_cell<float>(model, layer);
    EXPECT_EQ(cell.forget_bias(), 0.0f);
    auto result = seq2seq::dynamic_rnn(cell, x);
    x = std::move(result.outputs);
    // PyTorch's (h, c) is our LSTMStateTuple{c, h}.
    golden::expect_close(result.final_state.h, state_slice(h_n, layer), "h_n");
    golden::expect_close(result.final_state.c, state_slice(c_n, layer), "c_n");
  }
  golden::expect_close(x, expected.tensor<float, 3>("outputs"), "outputs");
}

TEST(TrainedModel, TorchLstmEqualsPyTorch) {
  check_lstm(golden::open("trained/torch_lstm_model.safetensors"));
  check_lstm(open_npz("trained/torch_lstm_model.npz"));
}

TEST(PyTorchLayout, MissingOrMisshapenWeightsAreErrors) {
  using golden::values;
  const auto file = golden::safetensors_file({
      {"rnn.weight_ih_l0", {{12, 3}, values(36)}},
      {"rnn.weight_hh_l0", {{12, 4}, values(48)}},
      {"rnn.bias_ih_l0", {{12}, values(12)}},
      {"rnn.bias_hh_l0", {{11}, values(11)}},
  });
  golden::expect_error([&] { pytorch::gru_cell<float>(file, 0, false, "rnn."); },
                       {"test.safetensors", "rnn.bias_hh_l0", "[12]", "[11]"});
  golden::expect_error([&] { pytorch::gru_cell<float>(file, 0, true, "rnn."); },
                       {"rnn.weight_hh_l0_reverse"});
  golden::expect_error([&] { pytorch::lstm_cell<float>(file, 0, false, "rnn."); },
                       {"rnn.weight_ih_l0", "[16,3]", "[12,3]"});
  // bias=False modules have no bias tensors: zero biases.
  const auto no_bias = golden::safetensors_file({
      {"weight_ih_l1", {{12, 3}, values(36)}},
      {"weight_hh_l1", {{12, 4}, values(48)}},
  });
  const auto cell = pytorch::gru_cell<float>(no_bias, 1);
  EXPECT_EQ(cell.num_units(), 4);
  EXPECT_EQ(cell.weights().gates_bias(0), 0.0f);
  EXPECT_EQ(cell.weights().candidate_recurrent_bias(3), 0.0f);
}

}  // namespace
