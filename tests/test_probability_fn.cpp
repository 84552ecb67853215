// softmax, hardmax and sparsemax against tf.nn.softmax, tfa.seq2seq.hardmax and
// tfa.activations.sparsemax on score rows (tests/golden/probability_functions_*): random rows,
// rows masked with TFA's dtype.min (in the tail and in the middle), all-equal rows, one large
// score, ties at the maximum. Masked rows are also checked through masked_probability with the
// rows' lengths: leaving the masked positions out gives what TF gives with dtype.min scores.
#include <seq2seq/attention/probability_fn.hpp>

#include <cmath>
#include <limits>

#include "golden.hpp"

namespace {

using seq2seq::Index;
using seq2seq::ProbabilityFn;
using seq2seq::Tensor2;

constexpr ProbabilityFn kAll[] = {ProbabilityFn::softmax, ProbabilityFn::hardmax,
                                  ProbabilityFn::sparsemax};

template <class T>
void check_against_tf(const seq2seq::io::SafetensorsFile& f) {
  const Tensor2<T> scores = f.tensor<T, 2>("scores");
  golden::expect_close(seq2seq::softmax(scores), f.tensor<T, 2>("softmax"), "softmax");
  golden::expect_close(seq2seq::hardmax(scores), f.tensor<T, 2>("hardmax"), "hardmax");
  golden::expect_close(seq2seq::sparsemax(scores), f.tensor<T, 2>("sparsemax"), "sparsemax");
  // The same rows with their dtype.min tails left out instead: TF's results again.
  const auto lengths = f.integers("lengths");
  for (ProbabilityFn fn : kAll) {
    const std::string name = seq2seq::probability_fn_name(fn);
    golden::expect_close(seq2seq::masked_probability(fn, scores, lengths),
                         f.tensor<T, 2>(name), name + " with lengths");
  }
}

TEST(ProbabilityFn, EqualsTensorFlowOnScoreRows) {
  const auto names = golden::cases("probability_functions_");
  ASSERT_EQ(names.size(), 2u);  // f32, f64
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const auto f = golden::open(name);
    if (f.dtype("scores") == "F32") {
      golden::count_case("f32");
      check_against_tf<float>(f);
    } else {
      golden::count_case("f64");
      check_against_tf<double>(f);
    }
  }
}

TEST(ProbabilityFn, HardmaxTakesTheFirstMaximum) {
  Tensor2<double> s(2, 5);
  s.setValues({{1.0, 3.0, -2.0, 3.0, 3.0}, {-5.0, -5.0, -5.0, -5.0, -5.0}});
  const auto h = seq2seq::hardmax(s);
  for (Index t = 0; t < 5; ++t) {
    EXPECT_EQ(h(0, t), t == 1 ? 1.0 : 0.0);
    EXPECT_EQ(h(1, t), t == 0 ? 1.0 : 0.0);
  }
}

TEST(ProbabilityFn, SparsemaxMatchesTheClosedForm) {
  // Two entries z1 <= z2 with z2 - z1 < 1: tau = (z1 + z2 - 1) / 2, p = z - tau.
  // z = [0.2, 0.5]: tau = -0.15, p = [0.35, 0.65]. z = [0, 2]: only the large one survives.
  // Three entries [1, 1, -5]: k(z) = 2, tau = 0.5, p = [0.5, 0.5, 0].
  Tensor2<double> s(3, 3);
  s.setValues({{0.2, 0.5, -1e9}, {0.0, 2.0, -1e9}, {1.0, 1.0, -5.0}});
  const auto p = seq2seq::masked_probability(ProbabilityFn::sparsemax, s, {2, 2, 3});
  EXPECT_NEAR(p(0, 0), 0.35, 1e-15);
  EXPECT_NEAR(p(0, 1), 0.65, 1e-15);
  EXPECT_EQ(p(1, 0), 0.0);
  EXPECT_EQ(p(1, 1), 1.0);
  EXPECT_EQ(p(2, 0), 0.5);
  EXPECT_EQ(p(2, 1), 0.5);
  EXPECT_EQ(p(2, 2), 0.0);
  for (Index b = 0; b < 2; ++b) EXPECT_EQ(p(b, 2), 0.0);  // masked
}

TEST(ProbabilityFn, MaskedPositionsAreExactlyZeroWhateverTheirScores) {
  // The masked scores are never read: NaN, +inf or huge values there change nothing.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  Tensor2<double> s(1, 5);
  s.setValues({{0.3, -0.2, 0.9, nan, inf}});
  Tensor2<double> clean(1, 5);
  clean.setValues({{0.3, -0.2, 0.9, -1e300, -1e300}});
  for (ProbabilityFn fn : kAll) {
    SCOPED_TRACE(seq2seq::probability_fn_name(fn));
    const auto p = seq2seq::masked_probability(fn, s, {3});
    const auto expected = seq2seq::masked_probability(fn, clean, {});  // TF-style masking
    double sum = 0;
    for (Index t = 0; t < 5; ++t) {
      EXPECT_NEAR(p(0, t), expected(0, t), 1e-15);
      sum += p(0, t);
    }
    EXPECT_EQ(p(0, 3), 0.0);
    EXPECT_EQ(p(0, 4), 0.0);
    EXPECT_NEAR(sum, 1.0, 1e-15);
  }
}

TEST(ProbabilityFn, AFullyMaskedRowIsAllZeros) {
  // Our documented choice (TF 1.x: NaN, TFA: uniform 1/T). Mechanisms never build such a row
  // because memory_sequence_length must be >= 1.
  Tensor2<float> s(2, 4);
  s.setValues({{1.f, 2.f, 3.f, 4.f}, {0.5f, 0.5f, 0.5f, 0.5f}});
  for (ProbabilityFn fn : kAll) {
    SCOPED_TRACE(seq2seq::probability_fn_name(fn));
    const auto p = seq2seq::masked_probability(fn, s, {0, 4});
    for (Index t = 0; t < 4; ++t) EXPECT_EQ(p(0, t), 0.f);
    float sum = 0;
    for (Index t = 0; t < 4; ++t) sum += p(1, t);
    EXPECT_NEAR(sum, 1.f, 1e-6f);
  }
}

TEST(ProbabilityFn, RejectsLengthsThatDoNotFitTheScores) {
  const auto s = golden::zeros<double>(2, 3);
  golden::expect_error([&] { seq2seq::masked_probability(ProbabilityFn::softmax, s, {3}); },
                       {"masked_probability", "lengths has 1 entries", "expected 2", "[2,3]"});
  golden::expect_error([&] { seq2seq::masked_probability(ProbabilityFn::hardmax, s, {3, 4}); },
                       {"masked_probability", "lengths[1]=4", "0..3", "[2,3]"});
  golden::expect_error([&] { seq2seq::masked_probability(ProbabilityFn::sparsemax, s, {-1, 2}); },
                       {"lengths[0]=-1"});
}

TEST(ProbabilityFn, NamesAreTensorFlows) {
  EXPECT_STREQ(seq2seq::probability_fn_name(ProbabilityFn::softmax), "softmax");
  EXPECT_STREQ(seq2seq::probability_fn_name(ProbabilityFn::hardmax), "hardmax");
  EXPECT_STREQ(seq2seq::probability_fn_name(ProbabilityFn::sparsemax), "sparsemax");
}

}  // namespace
