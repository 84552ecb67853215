// LSTMCell against TensorFlow's tf.compat.v1.nn.rnn_cell.LSTMCell, one step
// (tests/golden/lstm_cell_*, including a forget_bias of 0.5).
#include <seq2seq/cells/lstm_cell.hpp>

#include "golden.hpp"

namespace {

using seq2seq::LSTMCell;
using seq2seq::LSTMStateTuple;
using seq2seq::Tensor1;
using seq2seq::Tensor2;

TEST(LSTMCell, OneStepEqualsTensorFlow) {
  const auto names = golden::cases("lstm_cell_");
  ASSERT_EQ(names.size(), 4u);  // f32, f64, and each with forget_bias 0.5
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      const auto cell = golden::make_lstm<T>(f);
      EXPECT_EQ(cell.forget_bias(), static_cast<T>(std::stod(f.metadata("forget_bias"))));
      const auto state = golden::load_state<LSTMStateTuple<T>, T>(f, "state/");
      const auto [output, next] = cell(f.template tensor<T, 2>("inputs"), state);
      golden::expect_close(output, f.template tensor<T, 2>("output"), "output");
      golden::expect_state(next, f, "next_state/");
    });
  }
}

TEST(LSTMCell, ForgetBiasIsAddedAtRunTime) {
  // With a zero kernel and bias, c' = sigmoid(forget_bias) c + sigmoid(0) tanh(0): the forget
  // bias must reach the f gate without being stored in the bias.
  Tensor2<double> k(3, 8);
  Tensor1<double> b(8);
  k.setZero();
  b.setZero();
  const LSTMCell<double> cell(2, {k, b}, 0.25);
  LSTMStateTuple<double> s{golden::zeros<double>(1, 2), golden::zeros<double>(1, 2)};
  s.c.setConstant(2.0);
  s.h.setZero();
  Tensor2<double> x(1, 1);
  x.setZero();
  const auto [out, next] = cell(x, s);
  const double c = 2.0 / (1.0 + std::exp(-0.25));
  EXPECT_NEAR(next.c(0, 0), c, 1e-15);
  EXPECT_NEAR(next.h(0, 1), 0.5 * std::tanh(c), 1e-15);
  EXPECT_EQ(out(0, 1), next.h(0, 1));
  EXPECT_EQ(cell.weights().bias(2 * 2), 0.0);
}

TEST(LSTMCell, RejectsWeightsInputsAndStateOfTheWrongShape) {
  auto k = golden::zeros<float>(7, 16), bad_k = golden::zeros<float>(7, 12);
  auto b = golden::zeros<float>(16), bad_b = golden::zeros<float>(12);
  golden::expect_error([&] { LSTMCell<float>(4, {bad_k, b}); },
                       {"LSTMCell: kernel", "[7,12]", "[7,16]"});
  golden::expect_error([&] { LSTMCell<float>(4, {k, bad_b}); },
                       {"LSTMCell: bias", "[12]", "[16]"});
  k.setZero();
  b.setZero();
  const LSTMCell<float> cell(4, {k, b});
  Tensor2<float> x(2, 3), bad_x(2, 4);
  x.setZero();
  bad_x.setZero();
  golden::expect_error([&] { cell(bad_x, cell.zero_state(2)); },
                       {"LSTMCell: inputs", "[2,4]", "[2,3]"});
  auto s = cell.zero_state(2);
  s.h = golden::zeros<float>(2, 5);
  golden::expect_error([&] { cell(x, s); }, {"LSTMCell: state.h", "[2,5]", "[2,4]"});
}

}  // namespace
