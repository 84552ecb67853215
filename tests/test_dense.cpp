// Dense: inputs · kernel + bias against a plain loop, with and without bias, and its errors.
#include <gtest/gtest.h>

#include <cmath>

#include "throws_error.hpp"

#include <seq2seq/decode/dense.hpp>

using namespace seq2seq;

TEST(Dense, MatchesAPlainLoop) {
  Tensor2<double> kernel(3, 4), x(2, 3);
  Tensor1<double> bias(4);
  for (Index i = 0; i < kernel.size(); ++i) kernel.data()[i] = std::sin(0.9 * i + 1);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = std::cos(1.3 * i);
  for (Index i = 0; i < bias.size(); ++i) bias(i) = 0.25 * i - 0.4;
  const Dense<double> with_bias(kernel, bias), without(kernel);
  EXPECT_TRUE(with_bias.use_bias());
  EXPECT_FALSE(without.use_bias());
  const Tensor2<double> a = with_bias(x), b = without(x);
  for (Index n = 0; n < 2; ++n) {
    for (Index u = 0; u < 4; ++u) {
      double sum = 0;
      for (Index i = 0; i < 3; ++i) sum += x(n, i) * kernel(i, u);
      EXPECT_NEAR(b(n, u), sum, 1e-14);
      EXPECT_NEAR(a(n, u), sum + bias(u), 1e-14);
    }
  }
}

TEST(Dense, Errors) {
  EXPECT_TRUE(throws_error([] { Dense<float>(Tensor2<float>(0, 3)); },
                           {"Dense: kernel has shape [0,3]"}));
  EXPECT_TRUE(throws_error([] { Dense<float>(Tensor2<float>(2, 3), Tensor1<float>(2)); },
                           {"Dense: bias has shape [2], expected [3]"}));
  const Dense<float> layer{Tensor2<float>(2, 3)};
  EXPECT_TRUE(throws_error([&] { layer(Tensor2<float>(4, 5)); },
                           {"Dense: inputs has shape [4,5], expected [4,2]"}));
}
