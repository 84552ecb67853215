// GRUCell against TensorFlow's tf.compat.v1.nn.rnn_cell.GRUCell, one step (tests/golden/gru_cell_*).
#include <seq2seq/cells/gru_cell.hpp>

#include "golden.hpp"

namespace {

using seq2seq::GRUCell;
using seq2seq::Tensor1;
using seq2seq::Tensor2;

TEST(GRUCell, OneStepEqualsTensorFlow) {
  const auto names = golden::cases("gru_cell_");
  ASSERT_EQ(names.size(), 2u);  // f32 and f64
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      const auto cell = golden::make_gru<T>(f);
      EXPECT_EQ(cell.input_size(), golden::meta_int(f, "input_depth"));
      const auto [output, next] = cell(f.template tensor<T, 2>("inputs"),
                                       f.template tensor<T, 2>("state/h"));
      golden::expect_close(output, f.template tensor<T, 2>("output"), "output");
      golden::expect_state(next, f, "next_state/");
    });
  }
}

GRUCell<double> small_cell(seq2seq::Index in, seq2seq::Index units) {
  Tensor2<double> gk(in + units, 2 * units), ck(in + units, units);
  Tensor1<double> gb(2 * units), cb(units);
  gk.setConstant(0.1);
  ck.setConstant(-0.2);
  gb.setConstant(1.0);
  cb.setConstant(0.0);
  return GRUCell<double>(units, {gk, gb, ck, cb});
}

TEST(GRUCell, ZeroStateAndSizes) {
  const auto cell = small_cell(3, 4);
  EXPECT_EQ(cell.input_size(), 3);
  EXPECT_EQ(cell.output_size(), 4);
  const Tensor2<double> z = cell.zero_state(2);
  ASSERT_EQ(seq2seq::shape_string(z), "[2,4]");
  for (seq2seq::Index i = 0; i < z.size(); ++i) EXPECT_EQ(z.data()[i], 0.0);
}

TEST(GRUCell, RejectsWeightsOfTheWrongShape) {
  const auto gk = golden::zeros<float>(8, 8), ck = golden::zeros<float>(8, 4),
             bad = golden::zeros<float>(8, 5);
  const auto gb = golden::zeros<float>(8), cb = golden::zeros<float>(4),
             bad_b = golden::zeros<float>(3);
  // [8,5] with 2 * num_units = 8 rows reads as a transposed [5,8]; [9,5] as a wrong width.
  golden::expect_error([&] { GRUCell<float>(4, {bad, gb, ck, cb}); },
                       {"GRUCell: gates/kernel has shape [8,5], expected [5,8] (transposed?)"});
  golden::expect_error(
      [&] { GRUCell<float>(4, {golden::zeros<float>(9, 5), gb, golden::zeros<float>(9, 4), cb}); },
      {"GRUCell: gates/kernel has shape [9,5], expected [9,8]"});
  golden::expect_error([&] { GRUCell<float>(4, {gk, bad_b, ck, cb}); },
                       {"gates/bias", "[3]", "[8]"});
  golden::expect_error([&] { GRUCell<float>(4, {gk, gb, bad, cb}); },
                       {"candidate/kernel", "[8,5]", "[8,4]"});
  golden::expect_error([&] { GRUCell<float>(4, {gk, gb, ck, bad_b}); },
                       {"candidate/bias", "[3]", "[4]"});
  const auto no_input = golden::zeros<float>(4, 8);
  golden::expect_error([&] { GRUCell<float>(4, {no_input, gb, ck, cb}); },
                       {"gates/kernel", "[4,8]", "input_size"});
}

TEST(GRUCell, CandidateRecurrentBiasGoesWithResetAfterOnly) {
  const auto gk = golden::zeros<float>(7, 8), ck = golden::zeros<float>(7, 4);
  const auto gb = golden::zeros<float>(8), cb = golden::zeros<float>(4);
  golden::expect_error([&] { GRUCell<float>(4, {gk, gb, ck, cb, golden::zeros<float>(4)}); },
                       {"candidate_recurrent_bias (only for reset_after)", "[4]", "[0]"});
  golden::expect_error([&] { GRUCell<float>(4, {gk, gb, ck, cb}, /*reset_after=*/true); },
                       {"candidate_recurrent_bias (reset_after)", "[0]", "[4]"});
  EXPECT_TRUE(GRUCell<float>(4, {gk, gb, ck, cb, golden::zeros<float>(4)}, true).reset_after());
}

TEST(GRUCell, RejectsInputsAndStateOfTheWrongShape) {
  const auto cell = small_cell(3, 4);
  Tensor2<double> x(2, 5), h(2, 4), x_ok(2, 3), h_bad(3, 4);
  x.setZero();
  h.setZero();
  x_ok.setZero();
  h_bad.setZero();
  golden::expect_error([&] { cell(x, h); }, {"GRUCell: inputs", "[2,5]", "[2,3]"});
  golden::expect_error([&] { cell(x_ok, h_bad); }, {"GRUCell: state", "[3,4]", "[2,4]"});
}

}  // namespace
