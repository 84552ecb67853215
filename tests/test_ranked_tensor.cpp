// RankedTensor (core/ranked_tensor.hpp): the rank-safe tensor behind Tensor1/2/3 and the
// compile-time checks of the entry points' tensor arguments. The wrong-rank side is in
// tests/compile_fail/ (each case must not compile); here, what users naturally pass keeps
// working and gives TensorFlow's numbers: an Eigen::Tensor of the right rank, a TensorMap over a
// std::vector or a raw pointer, an Eigen expression. And a RankedTensor is still an
// Eigen::Tensor: held by reference in expressions, convertible both ways without extra copies.
#include <seq2seq/seq2seq.hpp>

#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

#include "alloc_counter.hpp"
#include "golden.hpp"

namespace {

using seq2seq::Index;
using seq2seq::Tensor1;
using seq2seq::Tensor2;
using seq2seq::Tensor3;
using EigenTensor3 = Eigen::Tensor<float, 3, Eigen::RowMajor>;

// What the compile-fail cases rely on, checked here where a regression shows as a test failure.
static_assert(seq2seq::detail::tensor_info<Tensor3<float>>::rank == 3);
static_assert(seq2seq::detail::tensor_info<Eigen::TensorMap<Tensor2<double>>>::rank == 2);
static_assert(seq2seq::detail::tensor_info<EigenTensor3>::row_major);
static_assert(!seq2seq::detail::tensor_info<Eigen::Tensor<float, 3>>::row_major);
static_assert(!seq2seq::detail::tensor_info<std::vector<float>>::is_tensor);
static_assert(std::is_same_v<seq2seq::detail::tensor_info<decltype(Tensor1<float>() * 2.f)>::Scalar,
                             float>);
static_assert(seq2seq::detail::tensor_fits<EigenTensor3, float, 3>);
static_assert(!seq2seq::detail::tensor_fits<EigenTensor3, float, 2>);
static_assert(!seq2seq::detail::tensor_fits<EigenTensor3, double, 3>);
static_assert(std::is_convertible_v<EigenTensor3, Tensor3<float>>);
static_assert(std::is_convertible_v<Tensor3<float>, const EigenTensor3&>);

// The golden GRU dynamic_rnn case with lengths (TensorFlow's outputs), whatever form the inputs
// take: every form must give TF's outputs and final state.
TEST(RankedTensor, DynamicRnnTakesEveryNaturalFormOfInputs) {
  const auto f = golden::open("dynamic_rnn_gru_lengths_f32.safetensors");
  ASSERT_EQ(golden::meta_int(f, "time_major"), 0);
  const auto cell = golden::make_gru<float>(f);
  const Tensor3<float> inputs = f.tensor<float, 3>("inputs");
  const auto lengths = golden::lengths(f, "sequence_length");
  const auto expected = f.tensor<float, 3>("outputs");
  std::optional<Tensor2<float>> initial;
  if (f.contains("initial_state/h")) initial = f.tensor<float, 2>("initial_state/h");
  const auto check = [&](const auto& given, const char* what) {
    SCOPED_TRACE(what);
    const auto [outputs, state] = seq2seq::dynamic_rnn(cell, given, lengths, initial);
    golden::expect_close(outputs, expected, "outputs");
    golden::expect_state(state, f, "final_state/");
  };
  check(inputs, "Tensor3");
  const EigenTensor3 plain = inputs;
  check(plain, "Eigen::Tensor<float, 3, Eigen::RowMajor>");
  std::vector<float> values(inputs.data(), inputs.data() + inputs.size());
  check(Eigen::TensorMap<Tensor3<float>>(values.data(), inputs.dimensions()),
        "TensorMap over a std::vector");
  const float* raw = values.data();
  check(Eigen::TensorMap<const EigenTensor3>(raw, inputs.dimension(0), inputs.dimension(1),
                                             inputs.dimension(2)),
        "TensorMap over a const raw pointer");
  check(inputs * 1.0f, "an expression");
  check(inputs.shuffle(Eigen::array<Index, 3>{1, 0, 2}).shuffle(Eigen::array<Index, 3>{1, 0, 2}),
        "a shuffled expression");
}

// The same for a mechanism's memory and a one-step cell call: TF's alignments from a TensorMap
// and from an expression.
TEST(RankedTensor, MechanismAndCellTakeMapsAndExpressions) {
  const auto f = golden::open("bahdanau_attention_plain_f32.safetensors");
  const Tensor3<float> memory = f.tensor<float, 3>("memory");
  std::vector<float> values(memory.data(), memory.data() + memory.size());
  const Eigen::TensorMap<const Tensor3<float>> mapped(values.data(), memory.dimensions());
  const seq2seq::BahdanauAttentionWeights<float> w{f.tensor<float, 2>("memory_layer/kernel"),
                                                   f.tensor<float, 2>("query_layer/kernel"),
                                                   f.tensor<float, 1>("attention_v")};
  const auto lengths = golden::lengths(f, "memory_sequence_length");
  const Index units = w.attention_v.dimension(0);
  for (const auto& attention :
       {seq2seq::BahdanauAttention<float>(units, mapped, lengths, w),
        seq2seq::BahdanauAttention<float>(units, memory + memory.constant(0.f), lengths, w)}) {
    const Tensor2<float> query = f.tensor<float, 2>("query");
    const auto alignments = attention(Eigen::TensorMap<const Tensor2<float>>(
                                          query.data(), query.dimensions()),
                                      attention.initial_state(query.dimension(0)) * 1.f);
    golden::expect_close(alignments, f.tensor<float, 2>("alignments"), "alignments");
  }
}

// A one-step GRU call from a raw-pointer map equals the step dynamic_rnn takes (TF's first
// output of the golden case).
TEST(RankedTensor, CellCallTakesAMapOverARawPointer) {
  const auto f = golden::open("dynamic_rnn_gru_lengths_f32.safetensors");
  const auto cell = golden::make_gru<float>(f);
  const Tensor3<float> inputs = f.tensor<float, 3>("inputs");
  const Index batch = inputs.dimension(0), depth = inputs.dimension(2);
  std::vector<float> first(static_cast<std::size_t>(batch * depth));
  for (Index b = 0; b < batch; ++b) {
    for (Index d = 0; d < depth; ++d) first[static_cast<std::size_t>(b * depth + d)] = inputs(b, 0, d);
  }
  const Tensor2<float> initial = f.contains("initial_state/h") ? f.tensor<float, 2>("initial_state/h")
                                                                : cell.zero_state(batch);
  const auto [output, state] =
      cell(Eigen::TensorMap<const Tensor2<float>>(first.data(), batch, depth), initial);
  const auto expected = f.tensor<float, 3>("outputs");
  const auto lengths = golden::lengths(f, "sequence_length");
  for (Index b = 0; b < batch; ++b) {
    if (lengths[static_cast<std::size_t>(b)] == 0) continue;  // TF's output is masked to 0
    for (Index u = 0; u < output.dimension(1); ++u) {
      EXPECT_NEAR(output(b, u), expected(b, 0, u), 1e-5) << "b=" << b << " u=" << u;
      EXPECT_EQ(state(b, u), output(b, u));
    }
  }
}

// Expressions hold a RankedTensor by reference (Nested): building `a + b` into an existing
// tensor allocates nothing, and the values are the sums. (With the base's Nested, Eigen copied
// the right operand into every expression and read it after freeing it.)
TEST(RankedTensor, ExpressionsHoldItByReference) {
  Tensor2<double> a(3, 4), b(3, 4), c(3, 4);
  for (Index i = 0; i < a.size(); ++i) {
    a.data()[i] = double(i);
    b.data()[i] = 100.0 - double(i);
  }
#ifdef SEQ2SEQ_COUNTS_ALLOCATIONS
  EXPECT_EQ(allocations_during([&] { c = a + b * 2.0; }), 0);
#else
  c = a + b * 2.0;
#endif
  for (Index i = 0; i < c.size(); ++i) EXPECT_EQ(c.data()[i], 200.0 - double(i));
  // Reductions and chips of a RankedTensor are ordinary Eigen expressions.
  const Eigen::Tensor<double, 0, Eigen::RowMajor> total = (a + b).sum();
  EXPECT_EQ(total(), 100.0 * 12);
  const Tensor1<double> row = b.chip<0>(1);
  EXPECT_EQ(row(0), 96.0);
}

// From and to Eigen::Tensor of the same rank: a move keeps the storage, a const reference binds
// to the same object, a copy is a copy.
TEST(RankedTensor, ConvertsToAndFromEigenTensorWithoutExtraCopies) {
  EigenTensor3 plain(2, 3, 4);
  plain.setConstant(1.5f);
  const float* storage = plain.data();
  Tensor3<float> moved = std::move(plain);
  EXPECT_EQ(moved.data(), storage);
  const EigenTensor3& view = moved;
  EXPECT_EQ(view.data(), storage);
  const Tensor3<float> copy = view;
  EXPECT_NE(copy.data(), storage);
  EXPECT_EQ(copy(1, 2, 3), 1.5f);
  // tensor_arg: the caller's tensor itself when it is one; an expression evaluated once.
  const auto& same = seq2seq::detail::tensor_arg<float, 3>(moved);
  EXPECT_EQ(&same, static_cast<const EigenTensor3*>(&moved));
  const auto evaluated = seq2seq::detail::tensor_arg<float, 3>(moved * 2.f);
  EXPECT_EQ(evaluated(0, 0, 0), 3.0f);
  EXPECT_EQ(evaluated.dimension(2), 4);
}

// A weight struct field assigned from a map or an expression of the right rank.
TEST(RankedTensor, WeightFieldsTakeMapsAndExpressions) {
  std::vector<float> kernel(6 * 4, 0.25f);
  seq2seq::Dense<float> layer(Eigen::TensorMap<Tensor2<float>>(kernel.data(), 6, 4),
                              Tensor1<float>(4).setConstant(1.f) * 2.f);
  Tensor2<float> inputs(2, 6);
  inputs.setConstant(2.f);
  const auto out = layer(inputs);
  ASSERT_EQ(out.dimension(1), 4);
  for (Index i = 0; i < out.size(); ++i) EXPECT_EQ(out.data()[i], 6 * 0.5f + 2.f);
  seq2seq::GRUCellWeights<float> w;
  w.gates_kernel = Eigen::TensorMap<Tensor2<float>>(kernel.data(), 4, 6);
  EXPECT_EQ(w.gates_kernel.dimension(1), 6);
  EXPECT_EQ(w.gates_kernel(3, 5), 0.25f);
}

// The weight structs' and LSTMStateTuple's constructors (which name a field of the wrong rank at
// compile time) take maps and expressions, leave the optional fields empty, and do not get in
// the way of copies.
TEST(RankedTensor, WeightStructsTakeMapsAndCopy) {
  std::vector<float> kernel(7 * 16, 0.5f);
  seq2seq::LSTMCellWeights<float> w{Eigen::TensorMap<Tensor2<float>>(kernel.data(), 7, 16),
                                    Tensor1<float>(16).setConstant(1.f) * 3.f};
  EXPECT_EQ(w.kernel(6, 15), 0.5f);
  EXPECT_EQ(w.bias(15), 3.f);
  EXPECT_EQ(w.w_f_diag.size(), 0);
  EXPECT_EQ(w.projection_kernel.size(), 0);
  seq2seq::LuongAttentionWeights<float> luong{Eigen::TensorMap<Tensor2<float>>(kernel.data(), 4, 4),
                                              2.f};
  seq2seq::LuongAttentionWeights<float> copy(luong);  // a non-const lvalue: the copy constructor
  EXPECT_EQ(copy.attention_g, 2.f);
  EXPECT_EQ(copy.memory_layer_kernel(3, 3), 0.5f);
  EXPECT_NE(copy.memory_layer_kernel.data(), luong.memory_layer_kernel.data());
  const seq2seq::LSTMStateTuple<float> state{Tensor2<float>(2, 3).setZero(),
                                             Tensor2<float>(2, 3).setConstant(1.f) + 1.f};
  EXPECT_EQ(state.h(1, 2), 2.f);
  EXPECT_EQ(state.c(1, 2), 0.f);
}

}  // namespace
