// bidirectional_dynamic_rnn(GRU(4) forward, LSTM(3) backward) against
// tf.compat.v1.nn.bidirectional_dynamic_rnn in graph mode (tests/golden/bidirectional_*,
// tools/reference/golden_rnn.py), float32 and float64: ragged lengths (full, 1, 4, 0, 2) from
// given initial states, time-major with an early stop (max length 4 < T = 6), and no lengths
// (a full reverse of the time axis). Both outputs (exact zeros past each length) and both final
// states are compared.
#include <seq2seq/rnn/bidirectional_dynamic_rnn.hpp>

#include <seq2seq/cells/gru_cell.hpp>
#include <seq2seq/cells/lstm_cell.hpp>

#include "alloc_counter.hpp"
#include "golden.hpp"

namespace {

using seq2seq::bidirectional_dynamic_rnn;
using seq2seq::dynamic_rnn;
using seq2seq::GRUCell;
using seq2seq::Index;
using seq2seq::LSTMCell;
using seq2seq::LSTMStateTuple;
using seq2seq::Tensor2;
using seq2seq::Tensor3;

TEST(BidirectionalDynamicRnn, GruForwardLstmBackwardEqualsTensorFlow) {
  const auto names = golden::cases("bidirectional_");
  ASSERT_EQ(names.size(), 6u);  // {lengths + initial states, time-major, no lengths} x {f32, f64}
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      ASSERT_EQ(f.metadata("cell_fw"), "gru");
      ASSERT_EQ(f.metadata("cell_bw"), "lstm");
      const GRUCell<T> fw(golden::meta_int(f, "num_units_fw"),
                          {f.template tensor<T, 2>("fw/gates/kernel"),
                           f.template tensor<T, 1>("fw/gates/bias"),
                           f.template tensor<T, 2>("fw/candidate/kernel"),
                           f.template tensor<T, 1>("fw/candidate/bias")});
      const LSTMCell<T> bw(golden::meta_int(f, "num_units_bw"),
                           {f.template tensor<T, 2>("bw/kernel"), f.template tensor<T, 1>("bw/bias")},
                           static_cast<T>(std::stod(f.metadata("forget_bias"))));
      std::optional<Tensor2<T>> init_fw;
      std::optional<LSTMStateTuple<T>> init_bw;
      if (f.contains("initial_state/fw/h")) {
        init_fw = f.template tensor<T, 2>("initial_state/fw/h");
        init_bw = golden::load_state<LSTMStateTuple<T>, T>(f, "initial_state/bw/");
      }
      const auto [out_fw, out_bw, state_fw, state_bw] = bidirectional_dynamic_rnn(
          fw, bw, f.template tensor<T, 3>("inputs"), golden::lengths(f, "sequence_length"),
          init_fw, init_bw, golden::meta_int(f, "time_major") != 0);
      golden::expect_close(out_fw, f.template tensor<T, 3>("outputs_fw"), "outputs_fw");
      golden::expect_close(out_bw, f.template tensor<T, 3>("outputs_bw"), "outputs_bw");
      golden::expect_state(state_fw, f, "final_state/fw/");
      golden::expect_state(state_bw, f, "final_state/bw/");
    });
  }
}

GRUCell<double> gru(Index in, Index units) { return golden::wave_gru(in, units); }
LSTMCell<double> lstm(Index in, Index units) { return golden::wave_lstm(in, units); }

Tensor3<double> inputs(Index b, Index t, Index d) {
  Tensor3<double> x(b, t, d);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = std::sin(1.1 * i + 0.2);
  return x;
}

TEST(BidirectionalDynamicRnn, BackwardOfOneRowIsAForwardRunOverItsReversedSteps) {
  // Row 1 has length 2 of T = 4: the backward cell must see x[1,1] then x[1,0] only, so its
  // outputs at t = 1, 0 and its final state equal dynamic_rnn over that row's 2 steps reversed,
  // and the padding x[1,2], x[1,3] (which a full reverse would feed first) is never read.
  const auto fw = gru(3, 2);
  const auto bw = gru(3, 4);
  auto x = inputs(2, 4, 3);
  const auto r = bidirectional_dynamic_rnn(fw, bw, x, {4, 2});
  Tensor3<double> row(1, 2, 3);
  for (Index t = 0; t < 2; ++t) {
    for (Index d = 0; d < 3; ++d) row(0, t, d) = x(1, 1 - t, d);
  }
  const auto alone = dynamic_rnn(bw, row);
  for (Index t = 0; t < 2; ++t) {
    for (Index d = 0; d < 4; ++d) {
      EXPECT_NEAR(r.outputs_bw(1, t, d), alone.outputs(0, 1 - t, d), 1e-14);
    }
  }
  for (Index t = 2; t < 4; ++t) {
    for (Index d = 0; d < 4; ++d) EXPECT_EQ(r.outputs_bw(1, t, d), 0.0);
  }
  for (Index d = 0; d < 4; ++d) EXPECT_NEAR(r.final_state_bw(1, d), alone.final_state(0, d), 1e-14);
  // Changing the padding changes nothing in either direction.
  x(1, 2, 0) += 10;
  x(1, 3, 2) -= 10;
  const auto again = bidirectional_dynamic_rnn(fw, bw, x, {4, 2});
  for (Index i = 0; i < r.outputs_bw.size(); ++i) {
    EXPECT_EQ(r.outputs_bw.data()[i], again.outputs_bw.data()[i]);
  }
  for (Index i = 0; i < r.outputs_fw.size(); ++i) {
    EXPECT_EQ(r.outputs_fw.data()[i], again.outputs_fw.data()[i]);
  }
}

TEST(BidirectionalDynamicRnn, RejectsBadInputsLengthsAndInitialStates) {
  const auto fw = gru(3, 2);
  const auto bw = lstm(3, 4);
  const auto x = inputs(3, 5, 3);
  golden::expect_error([&] { bidirectional_dynamic_rnn(fw, bw, x, {5, 3, 6}); },
                       {"bidirectional_dynamic_rnn: sequence_length[2]=6 exceeds max_time=5",
                        "[3,5,3]"});
  golden::expect_error([&] { bidirectional_dynamic_rnn(fw, bw, x, {5, -1, 2}); },
                       {"bidirectional_dynamic_rnn: sequence_length[1]=-1 is negative"});
  golden::expect_error([&] { bidirectional_dynamic_rnn(fw, bw, x, {5, 3}); },
                       {"bidirectional_dynamic_rnn: sequence_length has 2 entries", "batch 3"});
  // time_major reads [max_time, batch, depth]: the batch is now 5.
  golden::expect_error(
      [&] { bidirectional_dynamic_rnn(fw, bw, x, {1, 2, 3}, std::nullopt, std::nullopt, true); },
      {"bidirectional_dynamic_rnn: sequence_length has 3 entries", "batch 5"});
  golden::expect_error([&] { bidirectional_dynamic_rnn(fw, lstm(2, 4), x); },
                       {"bidirectional_dynamic_rnn: inputs", "[3,5,3]", "depth 3",
                        "cell_fw's input size 3", "cell_bw's input size 2"});
  golden::expect_error([&] { bidirectional_dynamic_rnn(gru(4, 2), bw, x); },
                       {"bidirectional_dynamic_rnn: inputs", "cell_fw's input size 4"});
  golden::expect_error([&] { bidirectional_dynamic_rnn(fw, bw, inputs(3, 0, 3)); },
                       {"bidirectional_dynamic_rnn: inputs", "[3,0,3]", "positive"});
  golden::expect_error(
      [&] { bidirectional_dynamic_rnn(fw, bw, x, {}, golden::zeros<double>(2, 2)); },
      {"bidirectional_dynamic_rnn: initial_state_fw", "[2,2]", "[3,2]"});
  LSTMStateTuple<double> bad{golden::zeros<double>(3, 4), golden::zeros<double>(3, 3)};
  golden::expect_error(
      [&] { bidirectional_dynamic_rnn(fw, bw, x, {}, std::nullopt, bad); },
      {"bidirectional_dynamic_rnn: initial_state_bw.h", "[3,3]", "[3,4]"});
}

#ifdef SEQ2SEQ_COUNTS_ALLOCATIONS
TEST(BidirectionalDynamicRnn, AllocatesPerCallNotPerStep) {
  SEQ2SEQ_SKIP_UNLESS_EIGEN_GEMM();
  const auto fw = gru(3, 5);
  const auto bw = lstm(3, 4);
  long counts[2];
  for (int k = 0; k < 2; ++k) {
    const Index T = k == 0 ? 3 : 12;
    const auto x = inputs(4, T, 3);
    const std::vector<int64_t> len{T, 1, T - 1, 0};
    counts[k] = steady_allocations_during([&] { bidirectional_dynamic_rnn(fw, bw, x, len); });
  }
  EXPECT_GT(counts[0], 0);
  EXPECT_EQ(counts[0], counts[1]) << "bidirectional_dynamic_rnn allocations grow with steps";
}
#endif

}  // namespace
