// BahdanauAttention against tfa.seq2seq.BahdanauAttention: keys, values and the alignments of
// one query, plain and normalized, with ragged memory lengths (tests/golden/bahdanau_attention_*).
//
// TF 1.x masks padded scores with -inf, TFA with the dtype's lowest value; both give exactly 0
// weight after the softmax whenever a row has a valid position, which TF guarantees by rejecting
// memory lengths <= 0. We leave padded positions out of the softmax, so the TFA fixtures check the
// TF 1.x result too: every padded position must be exactly 0 below.
//
// The probability_fn argument (tests/golden/bahdanau_prob_*): hardmax against TFA's
// probability_fn="hardmax" with a tie at the maximum (two equal memory rows: the first wins), and
// sparsemax against tfa.activations.sparsemax of TFA's own masked scores (TFA mechanisms cannot
// take sparsemax), both restricted to the valid positions and on the whole dtype.min-masked row.
#include <seq2seq/attention/bahdanau_attention.hpp>

#include "golden.hpp"

namespace {

using seq2seq::BahdanauAttention;
using seq2seq::BahdanauAttentionWeights;
using seq2seq::Index;
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

// The fixture's mechanism with the probability function its metadata names.
template <class T, class File>
BahdanauAttention<T> make_with_probability_fn(const File& f) {
  const bool normalize = golden::meta_int(f, "normalize") != 0;
  BahdanauAttentionWeights<T> w{f.template tensor<T, 2>("memory_layer/kernel"),
                                f.template tensor<T, 2>("query_layer/kernel"),
                                f.template tensor<T, 1>("attention_v"), T(0), {}};
  if (normalize) {
    w.attention_g = static_cast<T>(f.scalar("attention_g"));
    w.attention_b = f.template tensor<T, 1>("attention_b");
  }
  const auto fn = f.metadata("probability_fn") == "hardmax" ? seq2seq::ProbabilityFn::hardmax
                                                            : seq2seq::ProbabilityFn::sparsemax;
  return BahdanauAttention<T>(golden::meta_int(f, "num_units"), f.template tensor<T, 3>("memory"),
                              golden::lengths(f, "memory_sequence_length"), std::move(w),
                              normalize, fn);
}

TEST(BahdanauAttention, HardmaxEqualsTensorFlowAndTakesTheFirstOfTiedMaxima) {
  const auto names = golden::cases("bahdanau_prob_hardmax_");
  ASSERT_EQ(names.size(), 2u);
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      const auto mech = make_with_probability_fn<T>(f);
      EXPECT_EQ(mech.probability_fn(), seq2seq::ProbabilityFn::hardmax);
      golden::expect_close(mech.keys(), f.template tensor<T, 3>("keys"), "keys");
      const Tensor2<T> query = f.template tensor<T, 2>("query");
      const auto alignments = mech(query, mech.initial_state(3));
      golden::expect_close(alignments, f.template tensor<T, 2>("alignments"), "alignments");
      // Row 0 has equal keys at its two tied maxima; the first one must get the 1.
      const std::string tie = f.metadata("tie");
      const Index first = std::stol(tie.substr(0, tie.find(',')));
      const Index second = std::stol(tie.substr(tie.find(',') + 1));
      for (seq2seq::Index u = 0; u < mech.num_units(); ++u) {
        EXPECT_EQ(mech.keys()(0, first, u), mech.keys()(0, second, u));
      }
      EXPECT_EQ(alignments(0, first), T(1));
      EXPECT_EQ(alignments(0, second), T(0));
    });
  }
}

TEST(BahdanauAttention, SparsemaxEqualsTfaSparsemaxOfTheMaskedScores) {
  const auto names = golden::cases("bahdanau_prob_sparsemax_");
  ASSERT_EQ(names.size(), 2u);
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      const auto mech = make_with_probability_fn<T>(f);
      EXPECT_EQ(mech.probability_fn(), seq2seq::ProbabilityFn::sparsemax);
      const Tensor2<T> query = f.template tensor<T, 2>("query");
      const auto alignments = mech(query, mech.initial_state(3));
      golden::expect_close(alignments, f.template tensor<T, 2>("alignments"), "alignments");
      golden::expect_close(alignments, f.template tensor<T, 2>("sparsemax_of_masked_scores"),
                           "sparsemax of the dtype.min-masked row");
      // Sparse: some valid position of some row gets exactly 0, and each row sums to one.
      const auto len = golden::lengths(f, "memory_sequence_length");
      int dropped = 0;
      for (Index b = 0; b < 3; ++b) {
        double sum = 0;
        for (Index t = 0; t < alignments.dimension(1); ++t) {
          sum += alignments(b, t);
          dropped += t < len[b] && alignments(b, t) == T(0);
        }
        EXPECT_NEAR(sum, 1.0, 10 * golden::rtol<T>());
      }
      EXPECT_GT(dropped, 0);
    });
  }
}

TEST(BahdanauAttention, ProbabilityFnDefaultsToSoftmax) {
  Parts p;
  const BahdanauAttention<double> plain(4, p.memory, {3, 2}, p.w);
  const BahdanauAttention<double> softmax(4, p.memory, {3, 2}, p.w, false,
                                          seq2seq::ProbabilityFn::softmax);
  const BahdanauAttention<double> hard(4, p.memory, {3, 2}, p.w, false,
                                       seq2seq::ProbabilityFn::hardmax);
  EXPECT_EQ(plain.probability_fn(), seq2seq::ProbabilityFn::softmax);
  Tensor2<double> q(2, 6);
  for (Index i = 0; i < q.size(); ++i) q.data()[i] = std::sin(1.0 + i);
  const auto a = plain(q, plain.initial_state(2));
  const auto b = softmax(q, softmax.initial_state(2));
  const auto h = hard(q, hard.initial_state(2));
  for (Index i = 0; i < a.size(); ++i) EXPECT_EQ(a.data()[i], b.data()[i]);
  // Equal keys (constant memory): softmax is uniform over the valid positions, hardmax picks 0.
  EXPECT_NEAR(a(1, 0), 0.5, 1e-15);
  EXPECT_EQ(a(1, 2), 0.0);
  EXPECT_EQ(h(0, 0), 1.0);
  EXPECT_EQ(h(0, 1), 0.0);
  EXPECT_EQ(h(1, 1), 0.0);
}

}  // namespace
