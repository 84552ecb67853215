// tile_batch: every batch row repeated K times in place (tfa.seq2seq.tile_batch), not tf.tile's
// whole-batch repetition: TF's fixture, and the rule itself on every supported structure.
#include <gtest/gtest.h>

#include "golden.hpp"
#include "throws_error.hpp"

#include <seq2seq/decode/tile_batch.hpp>

using namespace seq2seq;

namespace {

Tensor3<double> counting(Index b, Index t, Index d) {
  Tensor3<double> x(b, t, d);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<double>(i);
  return x;
}

}  // namespace

TEST(TileBatch, RepeatsEachRowKTimesInPlace) {
  const Tensor3<double> x = counting(3, 2, 4);
  const Tensor3<double> tiled = tile_batch(x, 2);
  ASSERT_EQ(tiled.dimension(0), 6);
  ASSERT_EQ(tiled.dimension(1), 2);
  ASSERT_EQ(tiled.dimension(2), 4);
  for (Index r = 0; r < 6; ++r) {
    for (Index t = 0; t < 2; ++t) {
      for (Index d = 0; d < 4; ++d) EXPECT_EQ(tiled(r, t, d), x(r / 2, t, d)) << r;
    }
  }
  // Not tf.tile's order (x[0], x[1], x[2], x[0], ...): row 1 is example 0 again.
  EXPECT_EQ(tiled(1, 0, 0), x(0, 0, 0));
  EXPECT_NE(tiled(1, 0, 0), x(1, 0, 0));
}

TEST(TileBatch, MatchesTensorFlowAddons) {
  const auto f = golden::open("decode_tile_batch.safetensors");
  const Tensor3<float> tiled = tile_batch(f.tensor<float, 3>("t"), 3);
  golden::expect_close(tiled, f.tensor<float, 3>("expected/t"), "t");
  EXPECT_EQ(tile_batch(f.integers("lengths"), 3), f.integers("expected/lengths"));
}

TEST(TileBatch, LengthsStatesAndTuples) {
  EXPECT_EQ(tile_batch(std::vector<int64_t>{5, 3}, 3), (std::vector<int64_t>{5, 5, 5, 3, 3, 3}));
  LSTMStateTuple<float> s{Tensor2<float>(2, 3), Tensor2<float>(2, 3)};
  s.c.setValues({{1, 2, 3}, {4, 5, 6}});
  s.h.setValues({{7, 8, 9}, {10, 11, 12}});
  const auto tiled = tile_batch(s, 2);
  EXPECT_EQ(tiled.c(1, 2), 3);
  EXPECT_EQ(tiled.c(2, 0), 4);
  EXPECT_EQ(tiled.h(3, 1), 11);
  const auto layers = tile_batch(std::tuple<LSTMStateTuple<float>, Tensor2<float>>{s, s.h}, 2);
  EXPECT_EQ(std::get<0>(layers).h(2, 0), 10);
  EXPECT_EQ(std::get<1>(layers)(1, 2), 9);
  EXPECT_EQ(std::get<1>(layers).dimension(0), 4);
}

TEST(TileBatch, WidthOneIsACopyAndEmptyBatchStaysEmpty) {
  const Tensor3<double> x = counting(2, 3, 1);
  const Tensor3<double> same = tile_batch(x, 1);
  for (Index i = 0; i < x.size(); ++i) EXPECT_EQ(same.data()[i], x.data()[i]);
  EXPECT_EQ(tile_batch(counting(0, 3, 2), 4).dimension(0), 0);
}

TEST(TileBatch, RejectsNonPositiveMultiplier) {
  EXPECT_TRUE(throws_error([] { tile_batch(counting(2, 1, 1), 0); },
                           {"tile_batch", "multiplier=0", "positive"}));
  EXPECT_TRUE(throws_error([] { tile_batch(std::vector<int64_t>{1}, -2); },
                           {"tile_batch", "multiplier=-2"}));
}
