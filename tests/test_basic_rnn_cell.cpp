// BasicRNNCell against tf.compat.v1.nn.rnn_cell.BasicRNNCell in graph mode
// (tests/golden/basic_rnn_*, tools/reference/golden_rnn.py): one call cell(inputs, state) with
// saturating and tiny inputs, and dynamic_rnn with ragged lengths (0, 1, full) from a given state,
// and time-major with an early stop (max length 4 < T = 6), float32 and float64.
#include <seq2seq/cells/basic_rnn_cell.hpp>

#include <seq2seq/rnn/dynamic_rnn.hpp>

#include "golden.hpp"

namespace {

using seq2seq::BasicRNNCell;
using seq2seq::dynamic_rnn;
using seq2seq::Index;
using seq2seq::Tensor1;
using seq2seq::Tensor2;
using seq2seq::Tensor3;

template <class T>
BasicRNNCell<T> make_basic(const seq2seq::io::SafetensorsFile& f) {
  return BasicRNNCell<T>(golden::meta_int(f, "num_units"),
                         {f.tensor<T, 2>("cell/kernel"), f.tensor<T, 1>("cell/bias")});
}

TEST(BasicRNNCell, OneCallEqualsTensorFlow) {
  const auto names = golden::cases("basic_rnn_step_");
  ASSERT_EQ(names.size(), 2u);  // f32, f64
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      const auto cell = make_basic<T>(f);
      EXPECT_EQ(cell.input_size(), golden::meta_int(f, "input_depth"));
      const auto [output, next] = cell(f.template tensor<T, 2>("inputs"),
                                       f.template tensor<T, 2>("state/h"));
      golden::expect_close(output, f.template tensor<T, 2>("output"), "output");
      golden::expect_close(next, f.template tensor<T, 2>("next_state/h"), "next_state/h");
    });
  }
}

TEST(BasicRNNCell, DynamicRnnWithRaggedLengthsAndTimeMajorEqualsTensorFlow) {
  std::vector<std::string> names = golden::cases("basic_rnn_lengths_");
  for (const auto& n : golden::cases("basic_rnn_time_major_")) names.push_back(n);
  ASSERT_EQ(names.size(), 4u);  // {lengths + initial state, time-major early stop} x {f32, f64}
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      std::optional<Tensor2<T>> initial;
      if (f.contains("initial_state/h")) initial = f.template tensor<T, 2>("initial_state/h");
      const auto [outputs, state] =
          dynamic_rnn(make_basic<T>(f), f.template tensor<T, 3>("inputs"),
                      golden::lengths(f, "sequence_length"), initial,
                      golden::meta_int(f, "time_major") != 0);
      golden::expect_close(outputs, f.template tensor<T, 3>("outputs"), "outputs");
      golden::expect_close(state, f.template tensor<T, 2>("final_state/h"), "final_state/h");
    });
  }
}

TEST(BasicRNNCell, OutputIsTheNewStateAndStaysInsideTanhRange) {
  // TF returns (output, output): the two must be the same values, and tanh bounds them even for
  // huge pre-activations.
  Tensor2<double> kernel(3 + 2, 2);
  for (Index i = 0; i < kernel.size(); ++i) kernel.data()[i] = 40.0 * std::sin(1.7 * i + 0.3);
  Tensor1<double> bias(2);
  bias.setValues({0.5, -0.5});
  const BasicRNNCell<double> cell(2, {kernel, bias});
  Tensor2<double> x(2, 3);
  x.setValues({{1, -2, 3}, {-4, 5, -6}});
  const auto [out, next] = cell(x, cell.zero_state(2));
  for (Index i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out.data()[i], next.data()[i]);
    EXPECT_LE(std::abs(out.data()[i]), 1.0);
  }
}

TEST(BasicRNNCell, RejectsBadWeightsInputsAndState) {
  const auto k = golden::zeros<float>(3 + 4, 4);
  const auto b = golden::zeros<float>(4);
  golden::expect_error([&] { BasicRNNCell<float>(0, {k, b}); },
                       {"BasicRNNCell: num_units=0", "positive"});
  golden::expect_error([&] { BasicRNNCell<float>(4, {golden::zeros<float>(4, 4), b}); },
                       {"BasicRNNCell: kernel", "[4,4]", "input_size + 4"});
  golden::expect_error([&] { BasicRNNCell<float>(4, {golden::zeros<float>(7, 5), b}); },
                       {"BasicRNNCell: kernel", "[7,5]", "[7,4]"});
  golden::expect_error([&] { BasicRNNCell<float>(4, {k, golden::zeros<float>(5)}); },
                       {"BasicRNNCell: bias", "[5]", "[4]"});
  const BasicRNNCell<float> cell(4, {k, b});
  EXPECT_EQ(cell.input_size(), 3);
  EXPECT_EQ(cell.output_size(), 4);
  golden::expect_error([&] { cell(golden::zeros<float>(2, 5), cell.zero_state(2)); },
                       {"BasicRNNCell: inputs", "[2,5]", "[2,3]"});
  golden::expect_error([&] { cell(golden::zeros<float>(2, 3), golden::zeros<float>(2, 3)); },
                       {"BasicRNNCell: state", "[2,3]", "[2,4]"});
  golden::expect_error(
      [&] { dynamic_rnn(cell, golden::zeros<float>(2, 5, 3), {}, golden::zeros<float>(3, 4)); },
      {"dynamic_rnn: initial_state", "[3,4]", "[2,4]"});
}

}  // namespace
