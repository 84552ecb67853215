// BahdanauAttention against tfa.seq2seq.BahdanauAttention: keys, values and the alignments of
// one query, plain and normalized, with ragged memory lengths (tests/golden/bahdanau_attention_*).
//
// TF 1.x masks padded scores with -inf, TFA with the dtype's lowest value; both give exactly 0
// weight after the softmax whenever a row has a valid position, which TF guarantees by rejecting
// memory lengths <= 0. We leave padded positions out of the softmax, so the TFA fixtures check the
// TF 1.x result too: every padded position must be exactly 0 below.
#include <seq2seq/attention/bahdanau_attention.hpp>

#include "golden.hpp"

namespace {

using seq2seq::BahdanauAttention;
using seq2seq::BahdanauAttentionWeights;
using seq2seq::Tensor1;
using seq2seq::Tensor2;
using seq2seq::Tensor3;

TEST(BahdanauAttention, AlignmentsEqualTensorFlow) {
  const auto names = golden::cases("bahdanau_attention_");
  ASSERT_EQ(names.size(), 4u);  // plain/normalized x f32/f64
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      const auto mech = golden::make_bahdanau<T>(f);
      golden::expect_close(mech.values(), f.template tensor<T, 3>("values"), "values");
      golden::expect_close(mech.keys(), f.template tensor<T, 3>("keys"), "keys");
      const Tensor2<T> query = f.template tensor<T, 2>("query");
      const Tensor2<T> alignments = mech(query, mech.initial_state(query.dimension(0)));
      golden::expect_close(alignments, f.template tensor<T, 2>("alignments"), "alignments");
      // Padded positions get exactly zero weight; each row sums to one.
      const auto len = golden::lengths(f, "memory_sequence_length");
      for (seq2seq::Index b = 0; b < alignments.dimension(0); ++b) {
        double sum = 0;
        for (seq2seq::Index t = 0; t < alignments.dimension(1); ++t) {
          if (t >= len[b]) {
            EXPECT_EQ(alignments(b, t), T(0));
          }
          sum += alignments(b, t);
        }
        EXPECT_NEAR(sum, 1.0, 10 * golden::rtol<T>());
      }
    });
  }
}

struct Parts {
  Tensor3<double> memory{2, 3, 5};
  BahdanauAttentionWeights<double> w{golden::zeros<double>(5, 4), golden::zeros<double>(6, 4),
                                     golden::zeros<double>(4), 0.5, golden::zeros<double>(4)};
  Parts() {
    memory.setConstant(0.5);
    w.memory_layer_kernel.setConstant(0.1);
    w.query_layer_kernel.setConstant(0.2);
    w.attention_v.setConstant(0.3);
    w.attention_b.setConstant(0.4);
  }
};

TEST(BahdanauAttention, NoLengthsMeansNoMasking) {
  Parts p;
  const BahdanauAttention<double> mech(4, p.memory, {}, p.w);
  EXPECT_EQ(mech.memory_sequence_length(), (std::vector<seq2seq::Index>{3, 3}));
  // Equal keys everywhere: the softmax must be uniform over all three positions.
  Tensor2<double> q(2, 6);
  q.setConstant(1.0);
  const auto a = mech(q, mech.initial_state(2));
  for (seq2seq::Index t = 0; t < 3; ++t) EXPECT_NEAR(a(1, t), 1.0 / 3, 1e-15);
}

TEST(BahdanauAttention, RejectsBadMemoryLengths) {
  Parts p;
  golden::expect_error([&] { BahdanauAttention<double>(4, p.memory, {3}, p.w); },
                       {"memory_sequence_length has 1 entries", "batch 2", "[2,3,5]"});
  golden::expect_error([&] { BahdanauAttention<double>(4, p.memory, {3, 0}, p.w); },
                       {"memory_sequence_length[1]=0", "1..memory_time=3", "positive"});
  golden::expect_error([&] { BahdanauAttention<double>(4, p.memory, {4, 1}, p.w); },
                       {"memory_sequence_length[0]=4", "memory_time=3"});
}

TEST(BahdanauAttention, RejectsWeightsAndQueriesOfTheWrongShape) {
  Parts p;
  auto w = p.w;
  w.memory_layer_kernel = golden::zeros<double>(6, 4);
  golden::expect_error([&] { BahdanauAttention<double>(4, p.memory, {}, w); },
                       {"memory_layer/kernel", "[6,4]", "[5,4]"});
  w = p.w;
  w.query_layer_kernel = golden::zeros<double>(6, 3);
  golden::expect_error([&] { BahdanauAttention<double>(4, p.memory, {}, w); },
                       {"query_layer/kernel", "[6,3]", "[6,4]"});
  w = p.w;
  w.attention_v = golden::zeros<double>(5);
  golden::expect_error([&] { BahdanauAttention<double>(4, p.memory, {}, w); },
                       {"attention_v", "[5]", "[4]"});
  w = p.w;
  w.attention_b = golden::zeros<double>(2);
  golden::expect_error([&] { BahdanauAttention<double>(4, p.memory, {}, w, true); },
                       {"attention_b", "[2]", "[4]"});
  const BahdanauAttention<double> mech(4, p.memory, {}, p.w);
  const auto q = golden::zeros<double>(2, 5);
  golden::expect_error([&] { mech(q, mech.initial_state(2)); },
                       {"BahdanauAttention: query", "[2,5]", "[2,6]"});
}

}  // namespace
