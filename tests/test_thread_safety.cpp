// Thread safety: cells, mechanisms, wrappers and decoders are const after construction, and every
// call (dynamic_rnn, bidirectional_dynamic_rnn, a mechanism's call, dynamic_decode) owns its
// workspace and state, so one object may serve several threads at once. Each case shares one
// object between kThreads std::threads that run distinct calls concurrently (own inputs, lengths,
// initial state or iteration limit), and every result must equal, to the bit, the same call run
// alone beforehand. tools/build.sh runs this program under ThreadSanitizer (no OpenMP; libgomp
// is not TSan-instrumented) and AddressSanitizer; the cases run with set_num_threads(1) and, in
// OpenMP builds, 2 (parallel_for teams inside each std::thread).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include <seq2seq/seq2seq.hpp>

#include "decode_models.hpp"

namespace {

using namespace decode_models;  // and seq2seq

constexpr int kThreads = 4;  // std::threads sharing the object
constexpr int kCalls = 8;    // distinct calls, each run by some thread
constexpr int kRepeats = 3;  // times each thread runs its share of the calls

// ---- fingerprints: every field of a result, as bytes (dimensions and data) ---------------------

class Fingerprint {
 public:
  template <class S, int R>
  Fingerprint& operator<<(const Eigen::Tensor<S, R, Eigen::RowMajor, Index>& t) {
    for (int d = 0; d < R; ++d) raw(t.dimension(d));
    bytes_.append(reinterpret_cast<const char*>(t.data()),
                  static_cast<std::size_t>(t.size()) * sizeof(S));
    return *this;
  }
  Fingerprint& operator<<(int64_t v) { return raw(v); }
  template <class T>
  Fingerprint& operator<<(const LSTMStateTuple<T>& s) {
    return *this << s.c << s.h;
  }
  template <class C, class T>
  Fingerprint& operator<<(const AttentionWrapperState<C, T>& s) {
    return *this << s.cell_state << s.attention << s.time << s.alignments << s.alignment_history
                 << s.attention_state;
  }
  template <class C, class T>
  Fingerprint& operator<<(const MultiAttentionWrapperState<C, T>& s) {
    *this << s.cell_state << s.attention << s.time;
    for (const auto& a : s.alignments) *this << a;
    for (const auto& a : s.alignment_history) *this << a;
    for (const auto& a : s.attention_state) *this << a;
    return *this;
  }
  template <class... S>
  Fingerprint& operator<<(const std::tuple<S...>& s) {
    std::apply([this](const auto&... part) { (*this << ... << part); }, s);
    return *this;
  }
  template <class C, class T>
  Fingerprint& operator<<(const BeamSearchDecoderState<C, T>& s) {
    return *this << s.cell_state << s.log_probs << s.finished << s.lengths
                 << s.accumulated_attention_probs;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  template <class V>
  Fingerprint& raw(V v) {
    bytes_.append(reinterpret_cast<const char*>(&v), sizeof v);
    return *this;
  }
  std::string bytes_;
};

// ---- the harness --------------------------------------------------------------------------------

/// The thread counts each case runs with: 1, and 2 when parallel_for can use them.
std::vector<int> thread_settings() {
#if defined(_OPENMP)
  return {1, 2};
#else
  return {1};
#endif
}

/// Runs call(0..kCalls-1) serially, then from kThreads threads at once (thread t runs the calls
/// i with i % kThreads == t, kRepeats times, after a common start), and expects every concurrent
/// fingerprint to equal the serial one. call(i) returns a Fingerprint.
template <class Call>
void expect_concurrent_equals_serial(const Call& call) {
  const int before = num_threads();
  for (int setting : thread_settings()) {
    set_num_threads(setting);
    SCOPED_TRACE("set_num_threads(" + std::to_string(setting) + ")");
    std::vector<std::string> want;
    for (int i = 0; i < kCalls; ++i) want.push_back(call(i).bytes());
    for (int i = 1; i < kCalls; ++i) ASSERT_NE(want[i], want[0]) << "calls 0 and " << i << " agree";

    std::atomic<int> ready{0};
    std::vector<int> mismatches(kThreads, 0);
    std::vector<std::string> errors(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        ready.fetch_add(1);
        while (ready.load() < kThreads) std::this_thread::yield();
        try {
          for (int r = 0; r < kRepeats; ++r) {
            for (int i = t; i < kCalls; i += kThreads) {
              if (call(i).bytes() != want[static_cast<std::size_t>(i)]) ++mismatches[t];
            }
          }
        } catch (const std::exception& e) {
          errors[t] = e.what();
        }
      });
    }
    for (auto& thread : threads) thread.join();
    for (int t = 0; t < kThreads; ++t) {
      EXPECT_EQ(mismatches[t], 0) << "thread " << t;
      EXPECT_EQ(errors[t], "") << "thread " << t;
    }
  }
  set_num_threads(before);
}

// Call i's inputs [B, T, D] and lengths (one row shorter per call, never below 1).
template <class T>
Tensor3<T> inputs(Index batch, Index time, Index depth, int i) {
  Tensor3<T> x(batch, time, depth);
  for (Index j = 0; j < x.size(); ++j) x.data()[j] = static_cast<T>(std::sin(0.31 * j + 1.7 * i));
  return x;
}
std::vector<int64_t> lengths(Index batch, Index time, int i) {
  std::vector<int64_t> l(static_cast<std::size_t>(batch), time);
  l[static_cast<std::size_t>(i) % l.size()] = std::max<int64_t>(1, time - 1 - i % time);
  return l;
}

// A GRU big enough that its gate product [8, 96] x [96, 128] runs on the GEMM's packed path in
// two column panels (one per OpenMP thread with set_num_threads(2)).
GRUCell<float> big_gru() {
  const Index D = 32, H = 64;
  return GRUCell<float>(H, {wave2<float>(D + H, 2 * H, 1, 0.2), wave1<float>(2 * H, 2),
                            wave2<float>(D + H, H, 3, 0.2), wave1<float>(H, 4), {}});
}

// ---- cells under dynamic_rnn ---------------------------------------------------------------------

TEST(ThreadSafety, GRUCellDynamicRnn) {
  const auto cell = big_gru();
  expect_concurrent_equals_serial([&](int i) {
    const auto r = dynamic_rnn(cell, inputs<float>(8, 6, 32, i), lengths(8, 6, i));
    return Fingerprint() << r.outputs << r.final_state;
  });
}

TEST(ThreadSafety, GRUCellSmallDouble) {
  const GRUCell<double> cell(Sizes::H, {wave2<double>(Sizes::E + Sizes::H, 2 * Sizes::H, 1),
                                        wave1<double>(2 * Sizes::H, 2),
                                        wave2<double>(Sizes::E + Sizes::H, Sizes::H, 3),
                                        wave1<double>(Sizes::H, 4), {}},
                             /*reset_after=*/false);
  expect_concurrent_equals_serial([&](int i) {
    // An initial state of its own for each call.
    Tensor2<double> h0 = wave2<double>(3, Sizes::H, 0.5 * i);
    const auto r = dynamic_rnn(cell, inputs<double>(3, 5, Sizes::E, i), lengths(3, 5, i), h0);
    return Fingerprint() << r.outputs << r.final_state;
  });
}

TEST(ThreadSafety, LSTMCellDynamicRnn) {
  const Index D = 16, H = 32;
  const LSTMCell<float> cell(H, {wave2<float>(D + H, 4 * H, 12, 0.3), wave1<float>(4 * H, 13)});
  expect_concurrent_equals_serial([&](int i) {
    const auto r = dynamic_rnn(cell, inputs<float>(5, 7, D, i), lengths(5, 7, i));
    return Fingerprint() << r.outputs << r.final_state;
  });
}

TEST(ThreadSafety, MultiRNNCellDynamicRnn) {
  const auto cell = stacked_cell<double>();
  expect_concurrent_equals_serial([&](int i) {
    const auto r = dynamic_rnn(cell, inputs<double>(3, 6, Sizes::E, i), lengths(3, 6, i));
    return Fingerprint() << r.outputs << r.final_state;
  });
}

TEST(ThreadSafety, BidirectionalDynamicRnnSharesBothCells) {
  const auto cell = big_gru();
  expect_concurrent_equals_serial([&](int i) {
    // The same cell forward and backward.
    const auto r = bidirectional_dynamic_rnn(cell, cell, inputs<float>(8, 5, 32, i), lengths(8, 5, i));
    return Fingerprint() << r.outputs_fw << r.outputs_bw << r.final_state_fw << r.final_state_bw;
  });
}

// ---- attention -----------------------------------------------------------------------------------

TEST(ThreadSafety, BahdanauAttentionCall) {
  const BahdanauAttention<double> mech(
      Sizes::U, memory<double>(), memory_lengths(),
      {wave2<double>(Sizes::Dm, Sizes::U, 5), wave2<double>(Sizes::H, Sizes::U, 6),
       wave1<double>(Sizes::U, 7)});
  expect_concurrent_equals_serial([&](int i) {
    const Tensor2<double> query = wave2<double>(Sizes::B, Sizes::H, 0.9 * i);
    return Fingerprint() << mech(query, mech.initial_state(Sizes::B));
  });
}

TEST(ThreadSafety, AttentionWrapperDynamicRnn) {
  const auto gru = gru_wrapper<float>(memory<float>(), memory_lengths());
  const auto lstm = lstm_wrapper<double>(memory<double>(), memory_lengths());
  const auto multi = multi_wrapper<double>(memory<double>(), memory_lengths());
  expect_concurrent_equals_serial([&](int i) {
    const auto x = inputs<float>(Sizes::B, 6, Sizes::E, i);
    const auto r = dynamic_rnn(gru, x, lengths(Sizes::B, 6, i));
    return Fingerprint() << r.outputs << r.final_state;
  });
  expect_concurrent_equals_serial([&](int i) {
    const auto r = dynamic_rnn(lstm, inputs<double>(Sizes::B, 6, Sizes::E, i));
    return Fingerprint() << r.outputs << r.final_state;
  });
  expect_concurrent_equals_serial([&](int i) {
    const auto r = dynamic_rnn(multi, inputs<double>(Sizes::B, 4, Sizes::E, i), lengths(Sizes::B, 4, i));
    return Fingerprint() << r.outputs << r.final_state;
  });
}

// ---- decoders under dynamic_decode ---------------------------------------------------------------

// Call i: maximum_iterations 1 + i (the decoders never stop earlier for every row here, so the
// calls differ), alternately batch- and time-major.
DynamicDecodeOptions decode_options(int i) {
  DynamicDecodeOptions o;
  o.maximum_iterations = 1 + i;
  o.output_time_major = i % 2 == 1;
  return o;
}

TEST(ThreadSafety, BasicDecoderDynamicDecode) {
  const auto wrapper = gru_wrapper<double>(memory<double>(), memory_lengths());
  // End token 7 is never sampled (V = 7): every call runs its maximum_iterations.
  const BasicDecoder decoder(wrapper,
                             GreedyEmbeddingHelper<double>(embedding<double>(), {1, 2, 0}, 7),
                             wrapper.zero_state(Sizes::B), output_layer<double>());
  expect_concurrent_equals_serial([&](int i) {
    const auto r = dynamic_decode(decoder, decode_options(i));
    return Fingerprint() << r.outputs.rnn_output << r.outputs.sample_id << r.final_state
                         << r.final_sequence_lengths;
  });
}

TEST(ThreadSafety, BeamSearchDecoderDynamicDecode) {
  const Index K = 3;
  const auto wrapper = lstm_wrapper<float>(tile_batch(memory<float>(), K),
                                           tile_batch(memory_lengths(), K));
  BeamSearchDecoderOptions<float> options;
  options.output_layer = output_layer<float>();
  options.length_penalty_weight = 0.6f;
  options.coverage_penalty_weight = 0.2f;
  const BeamSearchDecoder decoder(wrapper, embedding<float>(), {1, 2, 0}, 7,
                                  wrapper.zero_state(Sizes::B * K), K, options);
  expect_concurrent_equals_serial([&](int i) {
    const auto r = dynamic_decode(decoder, decode_options(i));
    const auto& raw = r.outputs.beam_search_decoder_output;
    return Fingerprint() << r.outputs.predicted_ids << raw.scores << raw.predicted_ids
                         << raw.parent_ids << r.final_state << r.final_sequence_lengths;
  });
}

// ---- the thread setting ------------------------------------------------------------------------

#if defined(_OPENMP) || defined(SEQ2SEQ_GEMM_ONEDNN)
// OpenMP's thread count is per thread: a std::thread starts with OpenMP's default (every core)
// whatever set_num_threads said, and oneDNN's GEMM would use that many. The library's products
// apply the setting in the thread that runs them.
TEST(ThreadSafety, TheThreadSettingHoldsInEveryThread) {
  const int before = num_threads();
  const auto cell = big_gru();
  for (int setting : {1, 3}) {  // at least one differs from OpenMP's default
    set_num_threads(setting);
    int seen = 0;
    std::thread([&] {
      (void)dynamic_rnn(cell, inputs<float>(8, 2, 32, 0));
      seen = omp_get_max_threads();
    }).join();
    EXPECT_EQ(seen, setting);
  }
  set_num_threads(before);
}
#endif

}  // namespace
