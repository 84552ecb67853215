// gather_tree: TF Addons' fixture, and its rules on hand-made beams: back-tracking through
// parents, the length cut, end-token fill after the first end token, and the errors.
#include <gtest/gtest.h>

#include "decode_golden.hpp"
#include "throws_error.hpp"

#include <seq2seq/decode/gather_tree.hpp>

using namespace seq2seq;

namespace {

// [T, B, K] from nested values.
IntTensor<3> ids3(Index t, Index b, Index k, std::initializer_list<int32_t> values) {
  IntTensor<3> out(t, b, k);
  std::copy(values.begin(), values.end(), out.data());
  return out;
}

}  // namespace

TEST(GatherTree, BacktracksThroughParents) {
  // One example, K = 2, T = 3. Step ids per beam and the beam each continues:
  //   t0: ids (1, 2)            parents (0, 0)
  //   t1: ids (3, 4)            parents (1, 0)   beam 0 continues beam 1, beam 1 beam 0
  //   t2: ids (5, 6)            parents (1, 1)   both continue beam 1
  // Beam 0 at t2 came from beam 1 at t1 (id 4), which came from beam 0 at t0 (id 1): 1 4 5.
  // Beam 1 likewise: 1 4 6.
  const auto step = ids3(3, 1, 2, {1, 2, 3, 4, 5, 6});
  const auto parent = ids3(3, 1, 2, {0, 0, 1, 0, 1, 1});
  const auto out = gather_tree(step, parent, {3}, 9);
  EXPECT_EQ(out(0, 0, 0), 1);
  EXPECT_EQ(out(1, 0, 0), 4);
  EXPECT_EQ(out(2, 0, 0), 5);
  EXPECT_EQ(out(0, 0, 1), 1);
  EXPECT_EQ(out(1, 0, 1), 4);
  EXPECT_EQ(out(2, 0, 1), 6);
}

TEST(GatherTree, LengthCutEndTokenFillAndZeroLength) {
  // Two examples, K = 1, T = 4; example 0 has max length 2, example 1 length 0.
  const auto step = ids3(4, 2, 1, {1, 5, 2, 6, 3, 7, 4, 8});
  const auto parent = ids3(4, 2, 1, {0, 0, 0, 0, 0, 0, 0, 0});
  const auto out = gather_tree(step, parent, {2, 0}, 9);
  EXPECT_EQ(out(0, 0, 0), 1);
  EXPECT_EQ(out(1, 0, 0), 2);
  EXPECT_EQ(out(2, 0, 0), 9);
  EXPECT_EQ(out(3, 0, 0), 9);
  for (Index t = 0; t < 4; ++t) EXPECT_EQ(out(t, 1, 0), 9);
  // An end token in the middle: everything after it becomes end_token.
  const auto eos = gather_tree(ids3(4, 1, 1, {3, 9, 4, 5}), ids3(4, 1, 1, {0, 0, 0, 0}), {4}, 9);
  EXPECT_EQ(eos(0, 0, 0), 3);
  EXPECT_EQ(eos(1, 0, 0), 9);
  EXPECT_EQ(eos(2, 0, 0), 9);
  EXPECT_EQ(eos(3, 0, 0), 9);
}

// TensorFlow Addons' gather_tree on hand-made beams (plain back-tracking, a length below T, 0
// and above T, EOS mid-path and at step 0, ids after EOS, out-of-range parents past a length).
TEST(GatherTree, MatchesTensorFlowAddons) {
  const auto f = golden::open("gather_tree_int32.safetensors");
  const Index t = golden::meta_int(f, "max_time"), b = golden::meta_int(f, "batch");
  const Index k = golden::meta_int(f, "beam_width");
  std::vector<int32_t> lengths;
  for (int64_t v : f.integers("max_sequence_lengths")) lengths.push_back(static_cast<int32_t>(v));
  const auto out = gather_tree(decode_golden::ints<3>(f, "step_ids", {t, b, k}),
                               decode_golden::ints<3>(f, "parent_ids", {t, b, k}), lengths,
                               static_cast<int32_t>(golden::meta_int(f, "end_token")));
  decode_golden::expect_equal(out, decode_golden::ints<3>(f, "expected/beams", {t, b, k}), "beams");
}

TEST(GatherTree, Errors) {
  const auto step = ids3(2, 1, 2, {1, 2, 3, 4});
  EXPECT_TRUE(throws_error([&] { gather_tree(step, ids3(2, 1, 1, {0, 0}), {2}, 0); },
                           {"gather_tree: parent_ids", "[2,1,1]", "expected [2,1,2]"}));
  EXPECT_TRUE(throws_error([&] { gather_tree(step, ids3(2, 1, 2, {0, 0, 0, 0}), {2, 2}, 0); },
                           {"max_sequence_lengths has 2 entries, expected batch 1"}));
  // A parent equal to K is rejected (TF's kernel lets it read past the beam).
  EXPECT_TRUE(throws_error([&] { gather_tree(step, ids3(2, 1, 2, {0, 0, 2, 0}), {2}, 0); },
                           {"parent_ids[1,0,0]=2", "outside [0, beam_width=2)"}));
  EXPECT_TRUE(throws_error([&] { gather_tree(step, ids3(2, 1, 2, {0, 0, 0, -1}), {2}, 0); },
                           {"parent_ids[1,0,1]=-1"}));
  // Step 0's parents are never followed, but TFA rejects them too; past the length they are
  // ignored.
  EXPECT_TRUE(throws_error([&] { gather_tree(step, ids3(2, 1, 2, {0, 7, 0, 0}), {2}, 0); },
                           {"parent_ids[0,0,1]=7"}));
  EXPECT_EQ(gather_tree(step, ids3(2, 1, 2, {0, 0, 9, 9}), {1}, 0)(0, 0, 1), 2);
}
