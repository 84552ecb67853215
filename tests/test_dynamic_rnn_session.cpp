// DynamicRnnSession: TensorFlow's results on every dynamic_rnn golden case, run after run (the
// kept buffers carry nothing from one call to the next), across batch sizes, layouts, lengths
// and thread counts, and no allocation at all in a warmed-up call.
#include <seq2seq/rnn/dynamic_rnn_session.hpp>

#include <cmath>

#include <seq2seq/cells/gru_cell.hpp>
#include <seq2seq/cells/lstm_cell.hpp>
#include <seq2seq/cells/multi_rnn_cell.hpp>
#include <seq2seq/core/threads.hpp>

#include "alloc_counter.hpp"
#include "golden.hpp"

namespace {

using seq2seq::DynamicRnnSession;
using seq2seq::GRUCell;
using seq2seq::Index;
using seq2seq::LSTMCell;
using seq2seq::Tensor2;
using seq2seq::Tensor3;

template <class Cell, class File>
void run_case_twice(const Cell& cell, const File& f) {
  using T = typename Cell::Scalar;
  using State = typename Cell::state_type;
  std::optional<State> initial;
  if (f.contains("initial_state/h")) initial = golden::load_state<State, T>(f, "initial_state/");
  const auto inputs = f.template tensor<T, 3>("inputs");
  const auto lengths = golden::lengths(f, "sequence_length");
  const bool time_major = golden::meta_int(f, "time_major") != 0;
  DynamicRnnSession<Cell> session(cell);
  // A first call with other inputs, from an explicit initial state: its outputs and final state
  // (not zero) stay in the session, and the golden runs must see nothing of them.
  Tensor3<T> other(inputs.dimensions());
  other.setConstant(T(0.5));
  State start = cell.zero_state(inputs.dimension(time_major ? 1 : 0));
  session.run(other, {}, &start, time_major);
  for (int run = 0; run < 2; ++run) {
    const auto& [outputs, state] =
        session.run(inputs, lengths, initial ? &*initial : nullptr, time_major);
    golden::expect_close(outputs, f.template tensor<T, 3>("outputs"), "outputs");
    golden::expect_state(state, f, "final_state/");
  }
}

TEST(DynamicRnnSession, EveryGoldenCaseEqualsTensorFlowRunAfterRun) {
  golden::for_each_dynamic_rnn_case(
      [](const auto& cell, const auto& f) { run_case_twice(cell, f); });
}

GRUCell<double> gru(Index in, Index units) { return golden::wave_gru(in, units); }
LSTMCell<double> lstm(Index in, Index units) { return golden::wave_lstm(in, units); }

Tensor3<double> inputs(Index b, Index t, Index d, double phase) {
  Tensor3<double> x(b, t, d);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = std::sin(1.1 * i + phase);
  return x;
}

template <class Cell>
void expect_same(const typename Cell::state_type& a, const typename Cell::state_type& b,
                 const Cell&) {
  if constexpr (std::is_same_v<typename Cell::state_type, Tensor2<double>>) {
    golden::expect_close(a, b, "final_state");
  } else {
    golden::expect_close(a.c, b.c, "final_state.c");
    golden::expect_close(a.h, b.h, "final_state.h");
  }
}

/// One session through calls of changing batch, time, lengths (ragged, uniform, none) and
/// layout: each equals dynamic_rnn's own result (which test_dynamic_rnn holds to TensorFlow),
/// at the current thread count.
template <class Cell>
void check_changing_calls(const Cell& cell) {
  struct Call {
    Index batch, time;
    std::vector<int64_t> lengths;
    bool time_major;
  };
  const std::vector<Call> calls = {
      {6, 7, {7, 1, 4, 0, 7, 2}, false}, {6, 7, {}, false},         {3, 4, {4, 4, 2}, true},
      {6, 7, {3, 5, 1, 7, 2, 2}, false}, {9, 5, {5, 5, 5, 5, 5, 5, 5, 5, 5}, false},
      {6, 7, {7, 1, 4, 0, 7, 2}, true},  {1, 3, {2}, false}};
  DynamicRnnSession<Cell> session(cell);
  double phase = 0;
  for (const auto& c : calls) {
    const auto x = c.time_major ? inputs(c.time, c.batch, cell.input_size(), phase)
                                : inputs(c.batch, c.time, cell.input_size(), phase);
    phase += 0.37;
    const auto expected = seq2seq::dynamic_rnn(cell, x, c.lengths, std::nullopt, c.time_major);
    const auto& got = session.run(x, c.lengths, nullptr, c.time_major);
    golden::expect_close(got.outputs, expected.outputs, "outputs");
    expect_same(got.final_state, expected.final_state, cell);
  }
}

TEST(DynamicRnnSession, EveryCallEqualsDynamicRnnAsBatchTimeLengthsAndLayoutChange) {
  check_changing_calls(gru(3, 5));
  check_changing_calls(lstm(4, 3));
}

TEST(DynamicRnnSession, SplitBetweenThreadsEqualsOneThread) {
  const int before = seq2seq::num_threads();
  seq2seq::set_num_threads(2);  // the tests build with a split from 1 row and 0 flops up
  check_changing_calls(gru(3, 5));
  check_changing_calls(lstm(4, 3));
  seq2seq::set_num_threads(before);
}

TEST(DynamicRnnSession, RejectsBadCallsAndStaysUsable) {
  DynamicRnnSession<GRUCell<double>> session(gru(2, 3));
  const auto x = inputs(3, 5, 2, 0);
  const auto expected = seq2seq::dynamic_rnn(session.cell(), x, {5, 2, 4});
  session.run(x, {5, 2, 4});
  golden::expect_error([&] { session.run(inputs(3, 5, 4, 0)); },
                       {"DynamicRnnSession::run: inputs", "[3,5,4]", "depth 4", "input size 2"});
  golden::expect_error([&] { session.run(x, {5, 9, 1}); },
                       {"DynamicRnnSession::run: sequence_length[1]=9 exceeds max_time=5"});
  const Tensor2<double> wrong(2, 3);
  golden::expect_error([&] { session.run(x, {}, &wrong); },
                       {"DynamicRnnSession::run: initial_state", "[2,3]", "[3,3]"});
  const auto& after = session.run(x, {5, 2, 4});
  golden::expect_close(after.outputs, expected.outputs, "outputs after the errors");
  golden::expect_close(after.final_state, expected.final_state, "state after the errors");
}

#ifdef SEQ2SEQ_COUNTS_ALLOCATIONS
TEST(DynamicRnnSession, AWarmedUpCallAllocatesNothing) {
  SEQ2SEQ_SKIP_UNLESS_EIGEN_GEMM();
  const int before = seq2seq::num_threads();
  seq2seq::set_num_threads(1);
  const Index B = 8, T = 12, I = 16, H = 32;
  const auto x = inputs(B, T, I, 0.1);
  const auto x_time_major = inputs(T, B, I, 0.2);
  const std::vector<int64_t> ragged = {12, 3, 7, 1, 12, 9, 0, 5}, uniform(B, 10);
  DynamicRnnSession<GRUCell<double>> g(gru(I, H));
  DynamicRnnSession<LSTMCell<double>> l(lstm(I, H));
  seq2seq::MultiRNNCell<GRUCell<double>, LSTMCell<double>> stack(gru(I, H), lstm(H, H));
  DynamicRnnSession<decltype(stack)> s(stack);
  Tensor2<double> initial(B, H);
  initial.setConstant(0.25);
  const Eigen::TensorMap<const Tensor3<double>> mapped(x.data(), B, T, I);
  // The counter works: the first call of a session allocates its buffers.
  EXPECT_GT(allocations_during([&] { g.run(x, ragged); }), 0);
  EXPECT_EQ(steady_allocations_during([&] { g.run(x, ragged); }), 0) << "GRU, ragged";
  EXPECT_EQ(steady_allocations_during([&] { g.run(x, uniform); }), 0) << "GRU, masked";
  EXPECT_EQ(steady_allocations_during([&] { g.run(x); }), 0) << "GRU, no lengths";
  EXPECT_EQ(steady_allocations_during([&] { g.run(mapped, ragged, &initial); }), 0)
      << "GRU, TensorMap inputs, initial state";
  EXPECT_EQ(steady_allocations_during([&] { g.run(x_time_major, ragged, nullptr, true); }), 0)
      << "GRU, time-major";
  EXPECT_EQ(steady_allocations_during([&] { l.run(x, ragged); }), 0) << "LSTM, ragged";
  EXPECT_EQ(steady_allocations_during([&] { s.run(x, ragged); }), 0) << "GRU+LSTM stack";
  // Calls of different kinds in turn share the buffers.
  EXPECT_EQ(steady_allocations_during([&] {
              g.run(x, ragged);
              g.run(x);
              g.run(x_time_major, uniform, nullptr, true);
            }),
            0)
      << "GRU, alternating calls";
  seq2seq::set_num_threads(before);
}
#endif

}  // namespace
