// What every benchmark program shares: the four scales, the deterministic weights and inputs, the
// FLOP formulas, the allocation counters (defined in alloc_count.cpp, linked into every program),
// the finiteness check and the registration of one benchmark per scale. See BENCHMARKS.md.
//
// SCALES (float32; Eigen single-threaded, so every benchmark uses one core)
//   name      B    T    I    H     U     memory Tm x Dm   sequence_length  memory_sequence_length
//   tutorial  3    5    3    6     4     5 x 3 (= inputs) {5, 3, 2}        {5, 3, 2}
//   latency   1    50   256  512   512   50 x 512         {50}             {50}
//   nmt       64   50   256  512   512   50 x 512         all 50           all 50
//   large     128  100  512  1024  1024  100 x 1024       all 100          all 100
// Names: BM_<component>/<scale>[/min_time:...|/iterations:3], so --benchmark_filter=/nmt picks a
// scale and --benchmark_filter=BM_LSTM_ a component (bench_cells: BM_{GRU,GRUResetAfter,LSTM,
// BasicRNN}_{step,dynamic_rnn}; bench_attention: BM_{Bahdanau,BahdanauNorm,Luong,LuongScaled,
// BahdanauMonotonic}_step; bench_attention_encoder: BM_AttentionWrapper{GRU,LSTM}_dynamic_rnn).
// Every scale passes sequence_length explicitly (dynamic_rnn's masked path), so that the
// "one step" call of the allocs_in_loop counter differs from the timed call only in its lengths.
//
// VALUES: every weight is scale * sin(0.7 k + salt) over its flat row-major index k, with a
// distinct salt per tensor and scale = 0.1 (kWeightScale; Luong's memory layer 0.1 / sqrt(U));
// inputs and memory have amplitude 1, mechanism-step queries amplitude 0.5 (a tanh output's
// range). Nothing saturates at any scale (checked when this suite was written): every cell
// pre-activation stays below 0.7 in magnitude and |h| below 0.5, Bahdanau's keys + processed
// query below 0.5, Luong's scores below 3, so no softmax is near one-hot.
//
// FLOP COUNTING (the GFLOP/s counter)
// Each multiply-add of every GEMM/GEMV counts as 2 flops. The count is per step, summed over the
// steps actually run; every step covers the whole batch B. dynamic_rnn runs
// max(1, max(sequence_length)) steps (= T at every scale here). Elementwise work is not counted:
// bias adds, sigmoid, tanh, gating, softmax / monotonic probabilities, the add inside Bahdanau's
// tanh, the Luong scale g, masking, copies. Per step, with In the cell's input width (I for a
// bare cell; I + Dm inside the wrapper, where the attention of width Dm is fed back):
//   GRUCell (TF 1.x and reset_after alike):
//                       2*B*(In+H)*2H   (gates)  +  2*B*(In+H)*H   (candidate)
//   LSTMCell:           2*B*(In+H)*4H   (no peepholes, no projection)
//   BasicRNNCell:       2*B*(In+H)*H
//   Bahdanau step:      2*B*Hq*U   (query projection; Hq = query depth = H)
//   (plain, normalize,  + 2*B*Tm*U   (scores: the v-dot over U at every memory position)
//    monotonic)         + 2*B*Tm*Dm  (context: alignments x values)
//   Luong step:         2*B*Tm*U   (scores: query . keys, keys [B, Tm, U]; = 2*B*Tm*Dm where
//   (plain, scaled)                 U = Dm, i.e. at every scale but the tutorial)
//                       + 2*B*Tm*Dm  (context)
//   Wrapper step:       cell step (In = I + Dm) + Bahdanau step (Hq = H); no attention layer.
// The memory layer (keys = memory x memory_layer/kernel, 2*B*Tm*Dm*U) runs once in the
// mechanism's constructor, outside every timed loop, and is not counted. Tm is the full memory
// time even where memory_sequence_length masks positions (the library scores only the valid
// ones, so at the tutorial scale the count is nominal). A mechanism "step" benchmark times what
// the wrapper does for the mechanism each step: align + context (TF's _compute_attention without
// an attention layer). The counter is Counter(flops * 1e-9, kIsIterationInvariantRate) and every
// benchmark uses real time (UseRealTime), so it is GFLOP per wall-clock second, whatever the
// thread count (SEQ2SEQ_NUM_THREADS).
//
// ALLOCATION COUNTERS
// alloc_count.cpp replaces the global operator new / delete (every C++17 overload: plain, array,
// nothrow, sized, aligned) and, on glibc, malloc, calloc, realloc, memalign, posix_memalign,
// aligned_alloc, valloc and pvalloc (forwarding to glibc's __libc_* functions). Eigen allocates
// with malloc (aligned_malloc), the standard library with operator new; both are counted, each
// allocation once. Measured once per benchmark, outside the timed loop:
//   allocs/call     every allocation of one timed call (results, workspaces: fine).
//   allocs_in_loop  must be 0. Step benchmarks: the allocations of one step() / align() on a
//                   prebuilt workspace (= allocs/call). dynamic_rnn benchmarks: allocations of the
//                   timed call minus those of the same call with every sequence_length = 1 (which
//                   runs one step): whatever grows with the number of steps.
#pragma once

// GCC 12 with -march=native reports -Wmaybe-uninitialized inside its own avx512fintrin.h, where
// Eigen's AVX-512 GEMM kernels are inlined (the intrinsics' deliberate `__m512 __Y = __Y;`; GCC
// bug 105593, fixed in GCC 13). The warning is located in that header, so silencing it while
// Eigen/Core includes the intrinsics headers hides only those reports.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Core>
#pragma GCC diagnostic pop
#endif

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <seq2seq/seq2seq.hpp>

namespace bench {

using seq2seq::Index;
using seq2seq::RowMatrix;
using seq2seq::Tensor1;
using seq2seq::Tensor2;
using seq2seq::Tensor3;
using T = float;

// ---------------------------------------------------------------------------------------------
// Allocation counting (alloc_count.cpp)

/// Heap allocations made so far by this process: every operator new and, where malloc could be
/// replaced (glibc, no sanitizer), every malloc-family call.
long long allocation_count() noexcept;
/// Whether malloc and friends are counted too (else only operator new).
bool counts_malloc() noexcept;

/// Heap allocations made while running `fn`.
template <class Fn>
long long allocations_during(Fn&& fn) {
  const long long before = allocation_count();
  std::forward<Fn>(fn)();
  return allocation_count() - before;
}

// ---------------------------------------------------------------------------------------------
// Scales

/// How long one benchmark runs: MinTime(min_time), or Iterations(iterations) when > 0.
struct Timing {
  benchmark::TimeUnit unit;
  double min_time;
  int iterations;
};

struct Scale {
  std::string name;
  Index B, T, I, H, U, Tm, Dm;
  std::vector<int64_t> lengths;         // dynamic_rnn sequence_length
  std::vector<int64_t> memory_lengths;  // memory_sequence_length
  bool memory_is_inputs;                // the tutorial attends over its own inputs
  Timing step;   // one cell / mechanism step
  Timing layer;  // one full dynamic_rnn call
};

/// tutorial, latency, nmt, large (the table above), in that order. The timings keep the whole
/// suite to a few minutes: a large layer (a wrapper call takes seconds) runs 3 iterations.
inline const std::vector<Scale>& scales() {
  static const std::vector<Scale> all = [] {
    const auto full = [](Index batch, Index time) {
      return std::vector<int64_t>(static_cast<std::size_t>(batch), time);
    };
    constexpr auto us = benchmark::kMicrosecond;
    constexpr auto ms = benchmark::kMillisecond;
    return std::vector<Scale>{
        {"tutorial", 3, 5, 3, 6, 4, 5, 3, {5, 3, 2}, {5, 3, 2}, true,  //
         {us, 0.2, 0}, {us, 0.2, 0}},
        {"latency", 1, 50, 256, 512, 512, 50, 512, full(1, 50), full(1, 50), false,  //
         {us, 0.2, 0}, {ms, 0.2, 0}},
        {"nmt", 64, 50, 256, 512, 512, 50, 512, full(64, 50), full(64, 50), false,  //
         {us, 0.3, 0}, {ms, 1.0, 0}},
        {"large", 128, 100, 512, 1024, 1024, 100, 1024, full(128, 100), full(128, 100), false,
         {ms, 0.5, 0}, {ms, 0.0, 3}},
    };
  }();
  return all;
}

/// What dynamic_rnn runs: max(1, max(sequence_length)) steps, T without lengths.
inline Index steps_run(const Scale& s) {
  if (s.lengths.empty()) return s.T;
  return std::max<Index>(1, *std::max_element(s.lengths.begin(), s.lengths.end()));
}

// ---------------------------------------------------------------------------------------------
// Deterministic values

inline constexpr double kWeightScale = 0.1;

/// Fills `t` (any Eigen tensor or dense matrix) with scale * sin(0.7 k + salt).
template <class Dense>
Dense wave(Dense t, double scale, double salt) {
  for (Index k = 0; k < t.size(); ++k) t.data()[k] = T(scale * std::sin(0.7 * k + salt));
  return t;
}

inline Tensor1<T> wave1(Index n, double salt, double scale = kWeightScale) {
  return wave(Tensor1<T>(n), scale, salt);
}
inline Tensor2<T> wave2(Index rows, Index cols, double salt, double scale = kWeightScale) {
  return wave(Tensor2<T>(rows, cols), scale, salt);
}
inline RowMatrix<T> wave_matrix(Index rows, Index cols, double salt, double scale) {
  return wave(RowMatrix<T>(rows, cols), scale, salt);
}

/// Inputs [B, T, I], amplitude 1.
inline Tensor3<T> make_inputs(const Scale& s) { return wave(Tensor3<T>(s.B, s.T, s.I), 1.0, 0.0); }

/// Memory [B, Tm, Dm], amplitude 1: the inputs themselves at the tutorial scale.
inline Tensor3<T> make_memory(const Scale& s, const Tensor3<T>& inputs) {
  return s.memory_is_inputs ? inputs : wave(Tensor3<T>(s.B, s.Tm, s.Dm), 1.0, 0.5);
}

// Cells: kernels [In + H, k*H] (TF layout), biases [k*H].
inline seq2seq::GRUCell<T> make_gru(Index in, Index h, bool reset_after = false) {
  seq2seq::GRUCellWeights<T> w{wave2(in + h, 2 * h, 1), wave1(2 * h, 2), wave2(in + h, h, 3),
                               wave1(h, 4)};
  if (reset_after) w.candidate_recurrent_bias = wave1(h, 5);
  return seq2seq::GRUCell<T>(h, std::move(w), reset_after);
}

inline seq2seq::LSTMCell<T> make_lstm(Index in, Index h) {
  return seq2seq::LSTMCell<T>(h, seq2seq::LSTMCellWeights<T>{wave2(in + h, 4 * h, 6),
                                                             wave1(4 * h, 7)});
}

inline seq2seq::BasicRNNCell<T> make_basic_rnn(Index in, Index h) {
  return seq2seq::BasicRNNCell<T>(h, seq2seq::BasicRNNCellWeights<T>{wave2(in + h, h, 8),
                                                                     wave1(h, 9)});
}

// Mechanisms over `memory`: memory_layer/kernel [Dm, U]; Bahdanau's query layer [H, U].
inline seq2seq::BahdanauAttentionWeights<T> bahdanau_weights(const Scale& s, bool normalize) {
  return {wave2(s.Dm, s.U, 11), wave2(s.H, s.U, 12), wave1(s.U, 13),
          normalize ? T(std::sqrt(1.0 / double(s.U))) : T(0),  // TF's initial attention_g
          normalize ? wave1(s.U, 14) : Tensor1<T>()};
}

inline seq2seq::BahdanauAttention<T> make_bahdanau(const Scale& s, const Tensor3<T>& memory,
                                                   bool normalize = false) {
  return seq2seq::BahdanauAttention<T>(s.U, memory, s.memory_lengths,
                                       bahdanau_weights(s, normalize), normalize);
}

/// Luong's memory_layer/kernel has scale 0.1 / sqrt(U), so that the scores query . keys (a sum
/// over U) stay O(1) at U = 1024 instead of making the softmax one-hot.
inline seq2seq::LuongAttention<T> make_luong(const Scale& s, const Tensor3<T>& memory,
                                             bool scale = false) {
  seq2seq::LuongAttentionWeights<T> w{wave2(s.Dm, s.U, 15, kWeightScale / std::sqrt(double(s.U))),
                                      T(0.75)};
  return seq2seq::LuongAttention<T>(s.U, memory, s.memory_lengths, std::move(w), scale);
}

/// BahdanauMonotonicAttention, TF's default mode (parallel), no noise, score bias -1.
inline seq2seq::BahdanauMonotonicAttention<T> make_bahdanau_monotonic(const Scale& s,
                                                                      const Tensor3<T>& memory) {
  seq2seq::BahdanauMonotonicAttentionWeights<T> w;
  static_cast<seq2seq::BahdanauAttentionWeights<T>&>(w) = bahdanau_weights(s, false);
  w.attention_score_bias = T(-1);
  return seq2seq::BahdanauMonotonicAttention<T>(s.U, memory, s.memory_lengths, std::move(w),
                                                false, seq2seq::MonotonicMode::parallel);
}

/// TF's AttentionWrapper defaults of the benchmarks: alignment_history on, no attention layer
/// (attention = context, width Dm), output_attention.
inline seq2seq::AttentionWrapperConfig<T> wrapper_config() {
  seq2seq::AttentionWrapperConfig<T> config;
  config.alignment_history = true;
  config.output_attention = true;
  return config;
}

// ---------------------------------------------------------------------------------------------
// FLOP formulas (per step; see the comment block at the top)

inline double gru_step_flops(Index B, Index in, Index H) {
  return 2.0 * B * (in + H) * 2 * H + 2.0 * B * (in + H) * H;
}
inline double lstm_step_flops(Index B, Index in, Index H) { return 2.0 * B * (in + H) * 4 * H; }
inline double basic_rnn_step_flops(Index B, Index in, Index H) {
  return 2.0 * B * (in + H) * H;
}
inline double context_flops(Index B, Index Tm, Index Dm) { return 2.0 * B * Tm * Dm; }
inline double bahdanau_step_flops(Index B, Index Hq, Index U, Index Tm, Index Dm) {
  return 2.0 * B * Hq * U + 2.0 * B * Tm * U + context_flops(B, Tm, Dm);
}
inline double luong_step_flops(Index B, Index U, Index Tm, Index Dm) {
  return 2.0 * B * Tm * U + context_flops(B, Tm, Dm);
}

/// An attention decoder's dimensions (bench_decode): embedding depth E, GRU H, Bahdanau U over a
/// memory Tm x Dm, attention layer A over [h ; context], output layer A -> V.
struct DecoderDims {
  Index E = 0, H = 0, U = 0, Tm = 0, Dm = 0, A = 0, V = 0;
};
/// One decoder step of `rows` rows (B greedy, B*K beam search): the GRU over [embedding ;
/// attention] + the Bahdanau step + the attention layer + the output layer (see bench_decode.cpp).
inline double decode_step_flops(Index rows, const DecoderDims& d) {
  return gru_step_flops(rows, d.E + d.A, d.H) + bahdanau_step_flops(rows, d.H, d.U, d.Tm, d.Dm) +
         2.0 * rows * (d.H + d.Dm) * d.A + 2.0 * rows * d.A * d.V;
}
/// The memory layer (keys) over `rows` memories of Tm x Dm: once per mechanism.
inline double decode_keys_flops(Index rows, const DecoderDims& d) {
  return 2.0 * rows * d.Tm * d.Dm * d.U;
}

// ---------------------------------------------------------------------------------------------
// Checks and counters

inline bool all_finite(const T* data, Index n) {
  for (Index k = 0; k < n; ++k) {
    if (!std::isfinite(data[k])) return false;
  }
  return true;
}
template <class Dense>
bool all_finite(const Dense& x) {
  return all_finite(x.data(), x.size());
}

/// GFLOP/s (flops per iteration), allocs/call and allocs_in_loop.
inline void set_counters(benchmark::State& state, double flops_per_iteration,
                         long long allocs_per_call, long long allocs_in_loop) {
  state.counters["GFLOP/s"] = benchmark::Counter(flops_per_iteration * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.counters["allocs/call"] = benchmark::Counter(static_cast<double>(allocs_per_call));
  state.counters["allocs_in_loop"] = benchmark::Counter(static_cast<double>(allocs_in_loop));
}

// ---------------------------------------------------------------------------------------------
// Registration

/// `step`: one cell step or one mechanism step (sub-millisecond to tens of ms).
/// `layer`: one full dynamic_rnn call (microseconds to seconds).
enum class Kind { step, layer };

/// Registers `fn(state, scale)` as "<component>/<scale>" (e.g. BM_GRU_dynamic_rnn/nmt) with the
/// scale's timing for `kind`. Google Benchmark appends /min_time:... or /iterations:3.
inline void register_at(const std::string& component, const Scale& s, Kind kind,
                        std::function<void(benchmark::State&, const Scale&)> fn) {
  auto* b = benchmark::RegisterBenchmark(
      (component + "/" + s.name).c_str(),
      [fn = std::move(fn), s](benchmark::State& state) { fn(state, s); });
  const Timing& timing = kind == Kind::step ? s.step : s.layer;
  b->Unit(timing.unit);
  b->UseRealTime();  // wall time: with threads, the main thread's CPU time would undercount
  if (timing.iterations > 0) {
    b->Iterations(timing.iterations);
  } else {
    b->MinTime(timing.min_time);
  }
}

/// SEQ2SEQ_NUM_THREADS=n runs every benchmark with seq2seq::set_num_threads(n) (default 1);
/// the GEMM backend and the thread count are printed with the machine context.
inline const bool threads_configured = [] {
  if (const char* n = std::getenv("SEQ2SEQ_NUM_THREADS")) seq2seq::set_num_threads(std::atoi(n));
  benchmark::AddCustomContext("seq2seq_gemm_backend", seq2seq::gemm_backend());
  benchmark::AddCustomContext("seq2seq_num_threads", std::to_string(seq2seq::num_threads()));
  return true;
}();

/// Registers `fn` at every scale.
inline void register_all_scales(const std::string& component, Kind kind,
                                const std::function<void(benchmark::State&, const Scale&)>& fn) {
  for (const Scale& s : scales()) register_at(component, s, kind, fn);
}

// ---------------------------------------------------------------------------------------------
// The two benchmark bodies every program uses

/// Times `cell` (or a wrapper: any cell of the library) under dynamic_rnn over `inputs` with the
/// scale's sequence_length. Untimed: a one-step call (lengths all 1) and one full call, for the
/// allocation counters and the finiteness check.
template <class Cell>
void time_dynamic_rnn(benchmark::State& state, const Cell& cell, const Tensor3<T>& inputs,
                      const Scale& s, double flops_per_step) {
  const std::vector<int64_t> one_step(static_cast<std::size_t>(s.B), 1);
  bool finite = true;
  // A full call first warms up what grows once on first use (the GEMM's per-thread packing
  // buffers), so that neither count below includes it.
  benchmark::DoNotOptimize(seq2seq::dynamic_rnn(cell, inputs, s.lengths));
  const long long allocs_one_step = allocations_during([&] {
    auto result = seq2seq::dynamic_rnn(cell, inputs, one_step);
    benchmark::DoNotOptimize(result);
  });
  const long long allocs_per_call = allocations_during([&] {
    auto result = seq2seq::dynamic_rnn(cell, inputs, s.lengths);
    finite = all_finite(result.outputs);
  });
  if (!finite) {
    state.SkipWithError("non-finite outputs");
    return;
  }
  for (auto _ : state) {
    auto result = seq2seq::dynamic_rnn(cell, inputs, s.lengths);
    benchmark::DoNotOptimize(result);
    benchmark::ClobberMemory();
  }
  set_counters(state, steps_run(s) * flops_per_step, allocs_per_call,
               allocs_per_call - allocs_one_step);
}

/// Times `step()` (a callable doing one step on prebuilt buffers) after checking `output` is
/// finite after one step; allocs/call = allocs_in_loop = the allocations of one step.
template <class Step, class Output>
void time_step(benchmark::State& state, Step&& step, const Output& output,
               double flops_per_step) {
  step();  // warm-up (and the finiteness check below)
  if (!all_finite(output)) {
    state.SkipWithError("non-finite outputs");
    return;
  }
  const long long allocs = allocations_during(step);
  for (auto _ : state) {
    step();
    benchmark::DoNotOptimize(output.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, flops_per_step, allocs, allocs);
}

}  // namespace bench
