// The decoder helpers' rules (TF 1.x TrainingHelper / GreedyEmbeddingHelper, TFA samplers):
// finished flags, next inputs, argmax ties, all-finished inputs, and the errors. Their numbers
// inside a decoder are checked against TensorFlow in test_basic_decoder.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "throws_error.hpp"

#include <seq2seq/decode/helpers.hpp>

using namespace seq2seq;

namespace {

// inputs[b, t, d] = 100 b + 10 t + d.
Tensor3<double> inputs(Index batch, Index time, Index depth) {
  Tensor3<double> x(batch, time, depth);
  for (Index b = 0; b < batch; ++b)
    for (Index t = 0; t < time; ++t)
      for (Index d = 0; d < depth; ++d) x(b, t, d) = 100.0 * b + 10.0 * t + d;
  return x;
}

}  // namespace

TEST(TrainingHelper, FinishedFlagsAndInputsFollowTheLengths) {
  const TrainingHelper<double> helper(inputs(3, 4, 2), {0, 2, 4});
  Tensor1<bool> finished(3);
  RowMatrix<double> next(3, 2);
  helper.initialize(finished, next);
  EXPECT_TRUE(finished(0));
  EXPECT_FALSE(finished(1));
  EXPECT_FALSE(finished(2));
  EXPECT_EQ(next(1, 0), 100.0);  // inputs[:, 0] for every row, finished or not
  EXPECT_EQ(next(0, 1), 1.0);
  Tensor1<int32_t> ids(3);
  helper.next_inputs(0, next, ids, finished, next);
  EXPECT_TRUE(finished(0));
  EXPECT_FALSE(finished(1));
  EXPECT_EQ(next(2, 1), 211.0);  // inputs[2, 1, 1]
  helper.next_inputs(1, next, ids, finished, next);
  EXPECT_TRUE(finished(1));  // t + 1 = 2 >= length 2
  EXPECT_FALSE(finished(2));
  helper.next_inputs(3, next, ids, finished, next);
  EXPECT_TRUE(finished(2));
  EXPECT_EQ(next.cwiseAbs().sum(), 0.0);  // every row finished: zeros, no read past max_time
}

TEST(TrainingHelper, TimeMajorAndDefaultLengths) {
  // Time-major [T, B, D]: element (t, b, d) is at the same value as batch-major (b, t, d) here.
  Tensor3<double> tm(4, 3, 2);
  const Tensor3<double> bm = inputs(3, 4, 2);
  for (Index b = 0; b < 3; ++b)
    for (Index t = 0; t < 4; ++t)
      for (Index d = 0; d < 2; ++d) tm(t, b, d) = bm(b, t, d);
  const TrainingHelper<double> helper(tm, {}, true);
  EXPECT_EQ(helper.batch_size(), 3);
  EXPECT_EQ(helper.sequence_length(), (std::vector<int64_t>{4, 4, 4}));
  Tensor1<bool> finished(3);
  RowMatrix<double> next(3, 2);
  Tensor1<int32_t> ids(3);
  helper.initialize(finished, next);
  helper.next_inputs(1, next, ids, finished, next);
  EXPECT_EQ(next(1, 1), 121.0);
}

TEST(TrainingHelper, Errors) {
  EXPECT_TRUE(throws_error([] { TrainingHelper<double>(inputs(3, 4, 2), {1, 2}); },
                           {"TrainingHelper: sequence_length has 2 entries, expected batch 3"}));
  EXPECT_TRUE(throws_error([] { TrainingHelper<double>(inputs(2, 4, 2), {1, 5}); },
                           {"sequence_length[1]=5", "[0, max_time=4]"}));
  EXPECT_TRUE(throws_error([] { TrainingHelper<double>(inputs(2, 4, 2), {-1, 2}); },
                           {"sequence_length[0]=-1"}));
}

TEST(GreedyEmbeddingHelper, ArgmaxTiesGoLowAndNaNNeverWins) {
  Tensor2<float> embedding(4, 2);
  for (Index i = 0; i < embedding.size(); ++i) embedding.data()[i] = static_cast<float>(i);
  const GreedyEmbeddingHelper<float> helper(embedding, {1, 3, 0}, 2);
  RowMatrix<float> outputs(3, 4);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  outputs << 0.5f, 2.f, 2.f, 1.f,  //
      nan, -1.f, 3.f, nan,          //
      -5.f, -5.f, -5.f, -5.f;
  Tensor1<int32_t> ids(3);
  helper.sample(0, outputs, ids);
  EXPECT_EQ(ids(0), 1);
  EXPECT_EQ(ids(1), 2);
  EXPECT_EQ(ids(2), 0);
}

TEST(GreedyEmbeddingHelper, StartInputsEmbeddingsAndEndToken) {
  Tensor2<double> embedding(4, 2);
  for (Index i = 0; i < embedding.size(); ++i) embedding.data()[i] = 10.0 * i;
  const GreedyEmbeddingHelper<double> helper(embedding, {3, 1}, 2);
  Tensor1<bool> finished(2);
  RowMatrix<double> next(2, 2);
  helper.initialize(finished, next);
  EXPECT_FALSE(finished(0));
  EXPECT_FALSE(finished(1));
  EXPECT_EQ(next(0, 1), 70.0);  // embedding[3, 1]
  EXPECT_EQ(next(1, 0), 20.0);
  Tensor1<int32_t> ids(2);
  ids.setValues({2, 0});
  helper.next_inputs(0, next, ids, finished, next);
  EXPECT_TRUE(finished(0));
  EXPECT_FALSE(finished(1));
  EXPECT_EQ(next(0, 0), 40.0);  // a finished row is still fed its id's embedding
  EXPECT_EQ(next(1, 1), 10.0);
  ids.setValues({2, 2});
  helper.next_inputs(1, next, ids, finished, next);
  EXPECT_EQ(next(0, 0), 60.0);  // every row finished: the start inputs
  EXPECT_EQ(next(1, 1), 30.0);
}

TEST(GreedyEmbeddingHelper, Errors) {
  const Tensor2<float> embedding(5, 3);
  EXPECT_TRUE(throws_error([&] { GreedyEmbeddingHelper<float>(embedding, {1, 5}, 0); },
                           {"start_tokens[1]=5", "vocabulary [0, 5)"}));
  EXPECT_TRUE(throws_error([&] { GreedyEmbeddingHelper<float>(embedding, {}, 0); },
                           {"start_tokens is empty"}));
  EXPECT_TRUE(throws_error([&] { GreedyEmbeddingHelper<float>(Tensor2<float>(0, 3), {0}, 0); },
                           {"embedding has shape [0,3]"}));
  EXPECT_TRUE(throws_error([&] { GreedyEmbeddingHelper<float>(embedding, {0}, int64_t{1} << 40); },
                           {"end_token=1099511627776", "int32"}));
  const GreedyEmbeddingHelper<float> helper(embedding, {0}, 1);
  EXPECT_TRUE(throws_error([&] { helper.check_output_size(6, "BasicDecoder"); },
                           {"BasicDecoder: outputs have 6 classes", "only 5 rows"}));
}
