// dynamic_rnn over bare GRU and LSTM cells against tf.compat.v1.nn.dynamic_rnn in graph mode
// (tests/golden/dynamic_rnn_*): with and without sequence_length (including a 0 and a 1, the
// full length, and an early stop at max length 4 < T = 6), batch- and time-major, zero and
// given initial state, float32 and float64. Wrapper cases are in test_attention_wrapper.cpp.
#include <seq2seq/rnn/dynamic_rnn.hpp>

#include <seq2seq/cells/gru_cell.hpp>
#include <seq2seq/cells/lstm_cell.hpp>

#include <seq2seq/attention/attention_wrapper.hpp>
#include <seq2seq/attention/bahdanau_attention.hpp>

#include "alloc_counter.hpp"
#include "golden.hpp"

namespace {

using seq2seq::dynamic_rnn;
using seq2seq::GRUCell;
using seq2seq::LSTMCell;
using seq2seq::Tensor1;
using seq2seq::Tensor2;
using seq2seq::Tensor3;

template <class Cell, class File>
void run_case(const Cell& cell, const File& f) {
  using T = typename Cell::Scalar;
  using State = typename Cell::state_type;
  std::optional<State> initial;
  if (f.contains("initial_state/h")) initial = golden::load_state<State, T>(f, "initial_state/");
  const auto [outputs, state] =
      dynamic_rnn(cell, f.template tensor<T, 3>("inputs"), golden::lengths(f, "sequence_length"),
                  initial, golden::meta_int(f, "time_major") != 0);
  golden::expect_close(outputs, f.template tensor<T, 3>("outputs"), "outputs");
  golden::expect_state(state, f, "final_state/");
}

TEST(DynamicRnn, BareCellsEqualTensorFlow) {
  const auto names = golden::cases("dynamic_rnn_");
  ASSERT_EQ(names.size(), 16u);  // {gru, lstm} x 4 variants x {f32, f64}
  for (const auto& name : names) {
    golden::with_dtype(name, [&](auto tag, const auto& f) {
      using T = decltype(tag);
      if (f.metadata("cell") == "gru") {
        run_case(golden::make_gru<T>(f), f);
      } else {
        run_case(golden::make_lstm<T>(f), f);
      }
    });
  }
}

GRUCell<double> cell(seq2seq::Index in, seq2seq::Index units) {
  Tensor2<double> gk(in + units, 2 * units), ck(in + units, units);
  Tensor1<double> gb(2 * units), cb(units);
  for (seq2seq::Index i = 0; i < gk.size(); ++i) gk.data()[i] = std::sin(0.3 * i);
  for (seq2seq::Index i = 0; i < ck.size(); ++i) ck.data()[i] = std::cos(0.7 * i);
  gb.setConstant(0.5);
  cb.setConstant(-0.25);
  return GRUCell<double>(units, {gk, gb, ck, cb});
}

Tensor3<double> inputs(seq2seq::Index b, seq2seq::Index t, seq2seq::Index d) {
  Tensor3<double> x(b, t, d);
  for (seq2seq::Index i = 0; i < x.size(); ++i) x.data()[i] = std::sin(1.1 * i + 0.2);
  return x;
}

TEST(DynamicRnn, ZeroLengthRowsKeepTheInitialStateAndOutputZeros) {
  const auto c = cell(2, 3);
  Tensor2<double> init(2, 3);
  init.setConstant(0.75);
  const auto [out, state] = dynamic_rnn(c, inputs(2, 4, 2), {0, 0}, init);
  for (seq2seq::Index i = 0; i < out.size(); ++i) EXPECT_EQ(out.data()[i], 0.0);
  for (seq2seq::Index i = 0; i < state.size(); ++i) EXPECT_EQ(state.data()[i], 0.75);
}

TEST(DynamicRnn, LengthsEqualToMaxTimeChangeNothing) {
  const auto c = cell(2, 3);
  const auto x = inputs(2, 4, 2);
  const auto a = dynamic_rnn(c, x);
  const auto b = dynamic_rnn(c, x, {4, 4});
  for (seq2seq::Index i = 0; i < a.outputs.size(); ++i) {
    EXPECT_EQ(a.outputs.data()[i], b.outputs.data()[i]);
  }
  for (seq2seq::Index i = 0; i < a.final_state.size(); ++i) {
    EXPECT_EQ(a.final_state.data()[i], b.final_state.data()[i]);
  }
}

#ifdef SEQ2SEQ_COUNTS_ALLOCATIONS
TEST(DynamicRnn, AllocatesNothingPerStep) {
  SEQ2SEQ_SKIP_UNLESS_EIGEN_GEMM();
  // A call allocates its outputs, state and workspace once: the count must not grow with the
  // number of steps, for a bare cell and for a wrapper that keeps its alignment history.
  const seq2seq::Index B = 8, I = 16, H = 32, Tm = 10, Dm = 24, U = 20;
  const auto gru = cell(I, H);
  Tensor3<double> memory = inputs(B, Tm, Dm);
  seq2seq::BahdanauAttentionWeights<double> w{golden::zeros<double>(Dm, U),
                                              golden::zeros<double>(H, U),
                                              golden::zeros<double>(U), 0, {}};
  w.attention_v.setConstant(0.5);
  seq2seq::AttentionWrapperConfig<double> config;
  config.alignment_history = true;
  config.attention_layer_size = 12;
  config.attention_layer_kernel = golden::zeros<double>(H + Dm, 12);
  const seq2seq::AttentionWrapper wrapper(
      cell(I + 12, H), seq2seq::BahdanauAttention<double>(U, memory, {}, w), config);
  long counts[2][2];
  for (int k = 0; k < 2; ++k) {
    const seq2seq::Index T = k == 0 ? 3 : 12;
    const auto x = inputs(B, T, I);
    const std::vector<int64_t> len(B, T - 1);
    counts[0][k] = steady_allocations_during([&] { dynamic_rnn(gru, x, len); });
    counts[1][k] = steady_allocations_during([&] { dynamic_rnn(wrapper, x, len); });
  }
  EXPECT_GT(counts[0][0], 0);  // the counter works: outputs and state are allocated
  EXPECT_EQ(counts[0][0], counts[0][1]) << "GRUCell allocations grow with steps";
  EXPECT_EQ(counts[1][0], counts[1][1]) << "AttentionWrapper allocations grow with steps";
}
#endif

TEST(DynamicRnn, RejectsBadInputsLengthsAndInitialState) {
  const auto c = cell(2, 3);
  const auto x = inputs(3, 5, 2);
  golden::expect_error([&] { dynamic_rnn(c, inputs(3, 5, 4)); },
                       {"dynamic_rnn: inputs", "[3,5,4]", "depth 4", "input size 2"});
  golden::expect_error([&] { dynamic_rnn(c, x, {5, 3}); },
                       {"sequence_length has 2 entries", "batch 3", "[3,5,2]"});
  golden::expect_error([&] { dynamic_rnn(c, x, {5, 3, 7}); },
                       {"dynamic_rnn: sequence_length[2]=7 exceeds max_time=5"});
  golden::expect_error([&] { dynamic_rnn(c, x, {5, -1, 2}); },
                       {"sequence_length[1]=-1 is negative"});
  golden::expect_error([&] { dynamic_rnn(c, x, {}, golden::zeros<double>(2, 3)); },
                       {"dynamic_rnn: initial_state", "[2,3]", "[3,3]"});
  golden::expect_error([&] { dynamic_rnn(c, x, {}, golden::zeros<double>(3, 4)); },
                       {"dynamic_rnn: initial_state", "[3,4]", "[3,3]"});
  golden::expect_error([&] { dynamic_rnn(c, inputs(3, 0, 2)); }, {"[3,0,2]", "positive"});
  // time_major reads [max_time, batch, depth]: the 5 is now the batch.
  golden::expect_error([&] { dynamic_rnn(c, x, {5, 3, 2}, std::nullopt, true); },
                       {"sequence_length has 3 entries", "batch 5"});
}

}  // namespace
