// One full dynamic_rnn call of AttentionWrapper(GRUCell, BahdanauAttention) (alignment_history
// on, attention_layer_size none, output_attention true), and of the bare GRUCell, float32, at two
// scales: the tutorial's (B=3, T=5, I=3, H=6, U=4, memory 5 x 3) and an NMT-sized encoder
// (B=64, T=50, I=256, H=512, U=512, memory 50 x 512). Only dynamic_rnn is timed: the mechanism
// (masking the memory and the keys GEMM memory x memory_layer/kernel) and the wrapper are built
// once, outside the loop. Eigen runs single-threaded here (no OpenMP).
//
// FLOP counting (the GFLOP/s counter): 2 flops per multiply-add of every GEMM/GEMV, per step,
// summed over the steps dynamic_rnn actually runs (max(sequence_length), here T at both scales);
// every step covers the whole batch B. Elementwise work (bias adds, sigmoid, tanh, gating, softmax,
// the add inside Bahdanau's tanh, masking) is not counted.
//   GRU step:       2*B*(In+H)*2H  (gates)  +  2*B*(In+H)*H  (candidate)
//                   In = cell input width: I for the bare GRU, I + Dm inside the wrapper
//                   (the attention, width Dm since attention_layer_size is none, is fed back).
//   Bahdanau step:  2*B*H*U   (query projection)
//                 + 2*B*Tm*U  (scores: the v-dot over U for each memory position)
//                 + 2*B*Tm*Dm (context: alignments x values)
//   Tm is the full memory time even where memory_sequence_length masks positions out (the
//   library scores only the valid positions, so at the tutorial scale the count is nominal).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include <seq2seq/seq2seq.hpp>

namespace {

using seq2seq::AttentionWrapper;
using seq2seq::AttentionWrapperConfig;
using seq2seq::BahdanauAttention;
using seq2seq::BahdanauAttentionWeights;
using seq2seq::GRUCell;
using seq2seq::GRUCellWeights;
using seq2seq::Index;
using seq2seq::Tensor1;
using seq2seq::Tensor2;
using seq2seq::Tensor3;
using T = float;

struct Scale {
  Index B, T, I, H, U, Tm, Dm;
  std::vector<int64_t> lengths;         // dynamic_rnn sequence_length
  std::vector<int64_t> memory_lengths;  // memory_sequence_length
  bool memory_is_inputs;                // the tutorial attends over its own inputs
};

// Tutorial: memory = inputs [3, 5, 3], memory_sequence_length = sequence_length = {5, 3, 2}.
const Scale kTutorial{3, 5, 3, 6, 4, 5, 3, {5, 3, 2}, {5, 3, 2}, true};
// NMT: every input and memory row full length.
const Scale kNmt{64, 50, 256, 512, 512, 50, 512, std::vector<int64_t>(64, 50),
                 std::vector<int64_t>(64, 50), false};

// Deterministic, non-saturating values: scale * sin(0.7 k + salt).
template <class Tensor>
Tensor wave(Tensor t, double scale, double salt) {
  for (Index k = 0; k < t.size(); ++k) t.data()[k] = T(scale * std::sin(0.7 * k + salt));
  return t;
}

GRUCell<T> make_gru(Index in, Index h, double salt) {
  GRUCellWeights<T> w{wave(Tensor2<T>(in + h, 2 * h), 0.1, salt + 1),
                      wave(Tensor1<T>(2 * h), 0.1, salt + 2),
                      wave(Tensor2<T>(in + h, h), 0.1, salt + 3),
                      wave(Tensor1<T>(h), 0.1, salt + 4)};
  return GRUCell<T>(h, std::move(w));
}

Index steps_run(const Scale& s) {
  Index longest = 0;
  for (const int64_t l : s.lengths) longest = std::max<Index>(longest, l);
  return s.lengths.empty() ? s.T : std::max<Index>(1, longest);
}

double gru_step_flops(Index B, Index in, Index H) {
  return 2.0 * B * (in + H) * 2 * H + 2.0 * B * (in + H) * H;
}

double bahdanau_step_flops(const Scale& s) {
  return 2.0 * s.B * s.H * s.U + 2.0 * s.B * s.Tm * s.U + 2.0 * s.B * s.Tm * s.Dm;
}

template <class Result>
bool all_finite(const Result& r) {
  for (Index k = 0; k < r.outputs.size(); ++k) {
    if (!std::isfinite(r.outputs.data()[k])) return false;
  }
  return true;
}

void BM_AttentionWrapperGRU(benchmark::State& state, const Scale& s) {
  const Tensor3<T> inputs = wave(Tensor3<T>(s.B, s.T, s.I), 1.0, 0.0);
  const Tensor3<T> memory =
      s.memory_is_inputs ? inputs : wave(Tensor3<T>(s.B, s.Tm, s.Dm), 1.0, 0.5);
  BahdanauAttentionWeights<T> aw{wave(Tensor2<T>(s.Dm, s.U), 0.1, 11),
                                 wave(Tensor2<T>(s.H, s.U), 0.1, 12),
                                 wave(Tensor1<T>(s.U), 0.1, 13), T(0), Tensor1<T>()};
  AttentionWrapperConfig<T> config;
  config.alignment_history = true;
  config.output_attention = true;
  // Untimed: the memory mask and the keys GEMM happen here, in the mechanism's constructor.
  const AttentionWrapper wrapper(make_gru(s.I + s.Dm, s.H, 0),
                                 BahdanauAttention<T>(s.U, memory, s.memory_lengths, aw),
                                 config);
  if (!all_finite(seq2seq::dynamic_rnn(wrapper, inputs, s.lengths))) {
    state.SkipWithError("non-finite outputs");
    return;
  }
  for (auto _ : state) {
    auto result = seq2seq::dynamic_rnn(wrapper, inputs, s.lengths);
    benchmark::DoNotOptimize(result);
    benchmark::ClobberMemory();
  }
  const double flops =
      steps_run(s) * (gru_step_flops(s.B, s.I + s.Dm, s.H) + bahdanau_step_flops(s));
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_GRU(benchmark::State& state, const Scale& s) {
  const Tensor3<T> inputs = wave(Tensor3<T>(s.B, s.T, s.I), 1.0, 0.0);
  const GRUCell<T> cell = make_gru(s.I, s.H, 0);
  if (!all_finite(seq2seq::dynamic_rnn(cell, inputs, s.lengths))) {
    state.SkipWithError("non-finite outputs");
    return;
  }
  for (auto _ : state) {
    auto result = seq2seq::dynamic_rnn(cell, inputs, s.lengths);
    benchmark::DoNotOptimize(result);
    benchmark::ClobberMemory();
  }
  const double flops = steps_run(s) * gru_step_flops(s.B, s.I, s.H);
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK_CAPTURE(BM_AttentionWrapperGRU, tutorial, kTutorial)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_AttentionWrapperGRU, nmt, kNmt)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK_CAPTURE(BM_GRU, tutorial, kTutorial)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_GRU, nmt, kNmt)->Unit(benchmark::kMillisecond)->MinTime(2.0);
