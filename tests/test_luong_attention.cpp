// LuongAttention against tfa.seq2seq.LuongAttention (tests/golden/luong_attention_*): keys,
// values and the alignments of one query with ragged memory lengths, scale off and on, hardmax
// with a tie at the maximum (the first wins), and sparsemax against tfa.activations.sparsemax of
// TFA's own masked Luong scores (TFA mechanisms cannot take sparsemax), float32 and float64.
#include <seq2seq/attention/luong_attention.hpp>

#include <seq2seq/attention/attention_wrapper.hpp>
#include <seq2seq/cells/gru_cell.hpp>

#include "golden.hpp"

namespace {

using seq2seq::Index;
using seq2seq::LuongAttention;
using seq2seq::LuongAttentionWeights;
using seq2seq::ProbabilityFn;
using seq2seq::Tensor2;
using seq2seq::Tensor3;

template <class T, class File>
LuongAttention<T> make_luong(const File& f) {
  const bool scale = golden::meta_int(f, "scale") != 0;
  LuongAttentionWeights<T> w{f.template tensor<T, 2>("memory_layer/kernel")};
  if (scale) w.attention_g = static_cast<T>(f.scalar("attention_g"));
  const std::string name = f.metadata("probability_fn");
  const ProbabilityFn fn = name == "hardmax"     ? ProbabilityFn::hardmax
                           : name == "sparsemax" ? ProbabilityFn::sparsemax
                                                 : ProbabilityFn::softmax;
  return LuongAttention<T>(golden::meta_int(f, "num_units"), f.template tensor<T, 3>("memory"),
                           golden::lengths(f, "memory_sequence_length"), std::move(w), scale, fn);
}

TEST(LuongAttention, AlignmentsEqualTensorFlow) {
  const auto names = golden::cases("luong_attention_");
  ASSERT_EQ(names.size(), 8u);  // plain, scale, hardmax_scale, sparsemax_scale x f32/f64
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      const auto mech = make_luong<T>(f);
      golden::expect_close(mech.values(), f.template tensor<T, 3>("values"), "values");
      golden::expect_close(mech.keys(), f.template tensor<T, 3>("keys"), "keys");
      const Tensor2<T> query = f.template tensor<T, 2>("query");
      const Tensor2<T> alignments = mech(query, mech.initial_state(query.dimension(0)));
      golden::expect_close(alignments, f.template tensor<T, 2>("alignments"), "alignments");
      if (f.contains("sparsemax_of_masked_scores")) {
        golden::expect_close(alignments, f.template tensor<T, 2>("sparsemax_of_masked_scores"),
                             "sparsemax of the dtype.min-masked row");
      }
      if (f.metadata().count("tie")) {
        const std::string tie = f.metadata("tie");
        const Index first = std::stol(tie.substr(0, tie.find(',')));
        const Index second = std::stol(tie.substr(tie.find(',') + 1));
        for (Index u = 0; u < mech.num_units(); ++u) {
          EXPECT_EQ(mech.keys()(0, first, u), mech.keys()(0, second, u));
        }
        EXPECT_EQ(alignments(0, first), T(1));
        EXPECT_EQ(alignments(0, second), T(0));
      }
      // Padded positions get exactly zero weight; each row sums to one.
      const auto len = golden::lengths(f, "memory_sequence_length");
      for (Index b = 0; b < alignments.dimension(0); ++b) {
        double sum = 0;
        for (Index t = 0; t < alignments.dimension(1); ++t) {
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

// A small double mechanism for the property and error tests: B = 2, Tm = 3, Dm = 5, U = 4.
struct Parts {
  Tensor3<double> memory{2, 3, 5};
  LuongAttentionWeights<double> w{golden::zeros<double>(5, 4)};
  Tensor2<double> query{2, 4};
  Parts() {
    for (Index i = 0; i < memory.size(); ++i) memory.data()[i] = std::sin(0.7 * i);
    for (Index i = 0; i < w.memory_layer_kernel.size(); ++i) {
      w.memory_layer_kernel.data()[i] = std::cos(0.3 * i);
    }
    for (Index i = 0; i < query.size(); ++i) query.data()[i] = std::sin(1.1 * i + 0.5);
  }
};

TEST(LuongAttention, ScaleMultipliesTheScoresByAttentionG) {
  // g · (q · (values K)) = q · (values (2K)) exactly for g = 2; without scale g is unused.
  Parts p;
  auto scaled = p.w;
  scaled.attention_g = 2.0;
  auto doubled = p.w;
  for (Index i = 0; i < doubled.memory_layer_kernel.size(); ++i) {
    doubled.memory_layer_kernel.data()[i] *= 2.0;
  }
  doubled.attention_g = 7.0;  // ignored: scale off
  const LuongAttention<double> a(4, p.memory, {3, 2}, scaled, /*scale=*/true);
  const LuongAttention<double> b(4, p.memory, {3, 2}, doubled, /*scale=*/false);
  const LuongAttention<double> plain(4, p.memory, {3, 2}, p.w);
  const auto x = a(p.query, a.initial_state(2));
  const auto y = b(p.query, b.initial_state(2));
  const auto z = plain(p.query, plain.initial_state(2));
  EXPECT_FALSE(a.weights().attention_g == plain.weights().attention_g);
  for (Index i = 0; i < x.size(); ++i) EXPECT_EQ(x.data()[i], y.data()[i]);
  double diff = 0;
  for (Index i = 0; i < x.size(); ++i) diff += std::abs(x.data()[i] - z.data()[i]);
  EXPECT_GT(diff, 1e-3);  // the scale changed the distribution
  EXPECT_EQ(x(1, 2), 0.0);
  EXPECT_EQ(plain.query_depth(), 4);
  EXPECT_TRUE(a.scale());
}

TEST(LuongAttention, AQueryMustHaveNumUnitsDepth) {
  Parts p;
  const LuongAttention<double> mech(4, p.memory, {}, p.w);
  const auto q = golden::zeros<double>(2, 5);
  golden::expect_error([&] { mech(q, mech.initial_state(2)); },
                       {"LuongAttention: query", "[2,5]", "[2,4]", "num_units=4"});
  const auto q3 = golden::zeros<double>(3, 4);
  golden::expect_error([&] { mech(q3, mech.initial_state(2)); },
                       {"LuongAttention: query", "[3,4]", "[2,4]"});
  golden::expect_error([&] { mech(p.query, golden::zeros<double>(2, 4)); },
                       {"LuongAttention: state", "[2,4]", "[2,3]"});
}

TEST(LuongAttention, RejectsBadMemoryWeightsAndLengths) {
  Parts p;
  golden::expect_error([&] { LuongAttention<double>(3, p.memory, {}, p.w); },
                       {"LuongAttention: memory_layer/kernel", "[5,4]", "[5,3]"});
  golden::expect_error([&] { LuongAttention<double>(0, p.memory, {}, p.w); },
                       {"LuongAttention: num_units=0"});
  golden::expect_error([&] { LuongAttention<double>(4, p.memory, {3}, p.w); },
                       {"LuongAttention: memory_sequence_length has 1 entries", "batch 2"});
  golden::expect_error([&] { LuongAttention<double>(4, p.memory, {3, 0}, p.w); },
                       {"LuongAttention: memory_sequence_length[1]=0", "1..memory_time=3"});
  golden::expect_error([&] { LuongAttention<double>(4, golden::zeros<double>(2, 0, 5), {}, p.w); },
                       {"LuongAttention: memory has shape [2,0,5]"});
}

TEST(LuongAttention, WorksInsideAnAttentionWrapper) {
  // The wrapper's query is the cell output: a GRU of U = 4 units fits, one of 5 does not.
  Parts p;
  const auto gru = [](Index units, Index input) {
    Tensor2<double> gk(input + units, 2 * units), ck(input + units, units);
    for (Index i = 0; i < gk.size(); ++i) gk.data()[i] = std::sin(0.37 * i);
    for (Index i = 0; i < ck.size(); ++i) ck.data()[i] = std::cos(0.21 * i);
    return seq2seq::GRUCell<double>(
        units, {gk, golden::zeros<double>(2 * units), ck, golden::zeros<double>(units)});
  };
  const LuongAttention<double> mech(4, p.memory, {3, 1}, p.w);
  const seq2seq::AttentionWrapper wrapper(gru(4, 2 + 5), mech);
  Tensor2<double> x(2, 2);
  x.setValues({{0.5, -0.25}, {1.0, 0.75}});
  const auto [out, state] = wrapper(x, wrapper.zero_state(2));
  // The wrapper's alignments are the mechanism's for the query = the cell's new state.
  const auto expected = mech(state.cell_state, mech.initial_state(2));
  for (Index i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(state.alignments.data()[i], expected.data()[i], 1e-15);
  }
  EXPECT_EQ(state.alignments(1, 1), 0.0);
  EXPECT_EQ(seq2seq::shape_string(out), "[2,5]");
  golden::expect_error([&] { seq2seq::AttentionWrapper(gru(5, 2 + 5), mech); },
                       {"AttentionWrapper", "query depth 4"});
}

}  // namespace
