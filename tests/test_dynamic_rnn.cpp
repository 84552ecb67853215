// dynamic_rnn over bare GRU and LSTM cells against tf.compat.v1.nn.dynamic_rnn in graph mode
// (tests/golden/dynamic_rnn_*): with and without sequence_length (including a 0 and a 1, the
// full length, and an early stop at max length 4 < T = 6), batch- and time-major, zero and
// given initial state, float32 and float64, on one thread and with the batch split between
// threads. Wrapper cases are in test_attention_wrapper.cpp.
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

/// Every dynamic_rnn_* golden case: {gru, lstm} x 4 variants x {f32, f64}.
void run_all_cases() {
  golden::for_each_dynamic_rnn_case([](const auto& cell, const auto& f) { run_case(cell, f); });
}

TEST(DynamicRnn, BareCellsEqualTensorFlow) { run_all_cases(); }

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

/// set_num_threads(n) for one test, then back.
class ThreadsFor {
 public:
  explicit ThreadsFor(int n) : saved_(seq2seq::num_threads()) { seq2seq::set_num_threads(n); }
  ~ThreadsFor() { seq2seq::set_num_threads(saved_); }
  ThreadsFor(const ThreadsFor&) = delete;
  ThreadsFor& operator=(const ThreadsFor&) = delete;

 private:
  int saved_;
};

TEST(DynamicRnn, BatchSplitBetweenThreadsEqualsTensorFlow) {
  // This suite splits batches of any size (SEQ2SEQ_BATCH_SPLIT_MIN_ROWS=1, ..._MIN_FLOPS=0):
  // at three threads the golden cases' 3 rows run on three threads, one row each.
  const ThreadsFor threads(3);
#if defined(SEQ2SEQ_GEMM_OPENBLAS)
  ASSERT_EQ(seq2seq::detail::batch_split_parts(3, 6, 4, 5), 1);  // process-wide BLAS threads
#else
  ASSERT_EQ(seq2seq::detail::batch_split_parts(3, 6, 4, 5), 3);
#endif
#if defined(SEQ2SEQ_GEMM_ONEDNN) || defined(_OPENMP)
  // Weights of 12 MiB per step: the GEMM's own threads read half each, faster than two parts.
  EXPECT_EQ(seq2seq::detail::batch_split_parts(128, 100, 512, 1024, 12582912.0), 1);
#endif
  run_all_cases();
}

TEST(DynamicRnn, BatchSplitGivesTheOneThreadResultForEveryLayoutAndLength) {
  // 37 rows in 2 uneven parts, ragged lengths with zeros and the full length, a given initial
  // state, batch- and time-major: each row must come out as it does on one thread.
  const seq2seq::Index B = 37, T = 9, I = 5, H = 7;
  const auto c = cell(I, H);
  std::vector<int64_t> len(B);
  for (seq2seq::Index b = 0; b < B; ++b) len[b] = (b * 5) % (T + 1);
  Tensor2<double> init(B, H);
  for (seq2seq::Index i = 0; i < init.size(); ++i) init.data()[i] = std::cos(0.37 * i);
  for (const bool time_major : {false, true}) {
    const auto x = inputs(time_major ? T : B, time_major ? B : T, I);
    const auto one = dynamic_rnn(c, x, len, init, time_major);
    const ThreadsFor threads(2);
    const auto two = dynamic_rnn(c, x, len, init, time_major);
    golden::expect_close(two.outputs, one.outputs, "outputs");
    golden::expect_close(two.final_state, one.final_state, "final_state");
    // Zero-length rows keep the initial state exactly.
    for (seq2seq::Index h = 0; h < H; ++h) EXPECT_EQ(two.final_state(0, h), init(0, h));
  }
}

TEST(DynamicRnn, RaggedRowsEqualEachRowRunAlone) {
  // Rows of different lengths skip their finished steps (sorted, run in segments): each row must
  // give what it gives run alone for exactly its length, zeros after it, and its state after its
  // last step (the initial state for length 0). GRU and LSTM, batch- and time-major, 1 and 2
  // threads.
  const seq2seq::Index B = 37, T = 11, I = 5, H = 6;
  std::vector<int64_t> len(B);
  for (seq2seq::Index b = 0; b < B; ++b) len[b] = (b * 7) % (T + 1);
  ASSERT_TRUE(seq2seq::detail::worth_ragged(len.data(), B, T));
  const auto gru = cell(I, H);
  Tensor2<double> lk(I + H, 4 * H);
  Tensor1<double> lb(4 * H);
  for (seq2seq::Index i = 0; i < lk.size(); ++i) lk.data()[i] = 0.4 * std::sin(0.9 * i);
  for (seq2seq::Index i = 0; i < lb.size(); ++i) lb.data()[i] = 0.1 * std::cos(1.3 * i);
  const LSTMCell<double> lstm(H, {lk, lb});
  Tensor2<double> init(B, H);
  for (seq2seq::Index i = 0; i < init.size(); ++i) init.data()[i] = 0.5 * std::cos(0.37 * i);
  const auto x = inputs(B, T, I);
  auto check = [&](const auto& c, const auto& initial, auto h_of) {
    for (const int threads : {1, 2}) {
      const ThreadsFor use(threads);
      for (const bool time_major : {false, true}) {
        const Tensor3<double> xin =
            time_major ? Tensor3<double>(x.shuffle(std::array<int, 3>{1, 0, 2})) : x;
        const auto all = dynamic_rnn(c, xin, len, initial, time_major);
        for (seq2seq::Index b = 0; b < B; ++b) {
          const auto state_b = c.state_rows(initial, b, 1);
          if (len[b] == 0) {
            golden::expect_close(h_of(c.state_rows(all.final_state, b, 1)), h_of(state_b),
                                 "length-0 state");
            continue;
          }
          const Tensor3<double> xb =
              x.slice(std::array<seq2seq::Index, 3>{b, 0, 0},
                      std::array<seq2seq::Index, 3>{1, static_cast<seq2seq::Index>(len[b]), I});
          const auto alone = dynamic_rnn(c, xb, {}, state_b);
          for (seq2seq::Index t = 0; t < T; ++t) {
            for (seq2seq::Index h = 0; h < H; ++h) {
              const double got = time_major ? all.outputs(t, b, h) : all.outputs(b, t, h);
              const double want = t < len[b] ? alone.outputs(0, t, h) : 0.0;
              ASSERT_NEAR(got, want, 1e-12) << "row " << b << " step " << t;
            }
          }
          golden::expect_close(h_of(c.state_rows(all.final_state, b, 1)),
                               h_of(alone.final_state), "final state");
        }
      }
    }
  };
  check(gru, init, [](const Tensor2<double>& s) { return s; });
  seq2seq::LSTMStateTuple<double> linit{init, Tensor2<double>(init * 0.5)};
  check(lstm, linit, [](const seq2seq::LSTMStateTuple<double>& s) { return s.c; });
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
