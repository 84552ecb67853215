// Decoding, float32: the trained date model end to end and a synthetic NMT-scale decoder.
//
//   BM_DateGreedy/b{1,64,500}  date_model::encode + date_model::greedy of the first N held-out
//                              strings of tests/golden/trained/date_heldout.tsv (examples/
//                              date_model.hpp, the functions examples/translate.cpp uses):
//                              char embedding -> GRU(48) encoder under dynamic_rnn -> BasicDecoder(
//                              AttentionWrapper(GRU(48), Bahdanau(32, normalize), attention layer
//                              48, alignment_history), GreedyEmbeddingHelper, Dense(13)), at most
//                              12 steps. The wrapper (keys GEMM) is built inside the call.
//   BM_DateBeam/b{1,64,500}    date_model::encode + date_model::beam: the same wrapper over the
//                              tile_batch-ed memory, BeamSearchDecoder width 4, length penalty 0.6.
//                              What tf_peer.py's decode cases time in TF (source ids -> ids).
//   BM_Date{Greedy,Beam}_session/b{1,64,500}  the same through date_model::Server: the encoder's
//                              DynamicRnnSession and the decoder's DynamicDecodeSession kept
//                              across calls, the wrapper and decoder built per call.
//   BM_NMTGreedy/b64           decode only: BasicDecoder(AttentionWrapper(GRU(512), Bahdanau(512)
//                              over memory [64, 50, 512], attention layer 512, alignment_history),
//                              GreedyEmbeddingHelper(embedding [8000, 256]), Dense(512 -> 8000)),
//                              maximum_iterations 50. The end token's output bias is -1e4, so it
//                              never wins and every call runs exactly 50 steps.
//   BM_NMTBeam/b64             the same decoder as BeamSearchDecoder width 4 (memory, lengths and
//                              initial state tile_batch-ed to 256 rows), length penalty 0.6.
//   BM_NMT{Greedy,Beam}_session/b64  the same decoders through one DynamicDecodeSession kept
//                              across calls (its buffers reused).
// The NMT mechanism (keys GEMM) and the decoder are built once, outside the timed loop: only
// dynamic_decode(decoder) is timed (its initialize() copies the initial state).
//
// FLOP RULE (GFLOP/s): 2 flops per multiply-add of every GEMM/GEMV, per decoder step actually
// run (read from the result: the outputs' time dimension), per decoder row: B rows greedy,
// B*K rows for beam search (every beam row is computed, finished or not, as in TF). Per row and
// step, with E the embedding depth, A the attention layer width, H the cell, U the Bahdanau units,
// Tm x Dm the memory, V the vocabulary:
//   cell (GRU, input [embedding ; attention])  2*(E+A+H)*3H
//   Bahdanau (query layer, scores, context)    2*H*U + 2*Tm*U + 2*Tm*Dm
//   attention layer [h ; context] -> A         2*(H+Dm)*A
//   output layer                               2*A*V
// Not counted: log-softmax, top-k, gathers, argmax, embedding lookups, elementwise work.
// The date benchmarks also count what runs inside the call: the encoder, 2*B*(E_src+H)*3H per
// step over the longest source (dynamic_rnn runs max(length) steps), and the keys GEMM
// 2*rows*Tm*Dm*U (beam: rows = B*K, the tiled memory). Tm is the longest source, the masked
// positions included (nominal: the library skips them). Formulas: bench_common.hpp (decode_*).
//
// ALLOCATIONS: allocs/call as elsewhere; allocs_in_loop = allocations of the timed call minus
// those of the same call with maximum_iterations = 1 (what grows with the number of steps).
// Date model: the example's decoders rebuilt here with maximum_iterations as a parameter (the
// same code as date_model::greedy / beam) for those two counts.
#include "bench_common.hpp"

#include <fstream>
#include <sstream>

#include "date_model.hpp"

#ifndef SEQ2SEQ_DATE_MODEL
#error "SEQ2SEQ_DATE_MODEL (the .safetensors path) must be defined by the build"
#endif
#ifndef SEQ2SEQ_DATE_HELDOUT
#error "SEQ2SEQ_DATE_HELDOUT (the held-out .tsv path) must be defined by the build"
#endif

namespace {

using bench::Index;
using bench::T;
using bench::Tensor2;
using bench::Tensor3;

// ---------------------------------------------------------------------------------------------
// The date model

const date_model::DateModel& model() {
  static const date_model::DateModel m(SEQ2SEQ_DATE_MODEL);
  return m;
}

/// The source strings of the held-out TSV (first column), in file order.
const std::vector<std::string>& heldout_sources() {
  static const std::vector<std::string> sources = [] {
    std::ifstream in(SEQ2SEQ_DATE_HELDOUT);
    if (!in) throw std::runtime_error("cannot read " SEQ2SEQ_DATE_HELDOUT);
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      out.push_back(line.substr(0, line.find('\t')));
    }
    return out;
  }();
  return sources;
}

/// date_model::greedy / beam with maximum_iterations as a parameter (for allocs_in_loop only).
auto greedy_steps(const date_model::DateModel& m, const date_model::Encoded& enc, int64_t steps) {
  const auto batch = static_cast<Index>(enc.lengths.size());
  const auto wrapper = m.wrapper(enc.outputs, enc.lengths);
  const seq2seq::BasicDecoder decoder(
      wrapper,
      seq2seq::GreedyEmbeddingHelper<float>(m.target_embedding,
                                            std::vector<int64_t>(enc.lengths.size(), m.go), m.eos),
      wrapper.zero_state(batch).clone(enc.final_state), m.projection);
  seq2seq::DynamicDecodeOptions options;
  options.maximum_iterations = steps;
  return seq2seq::dynamic_decode(decoder, options);
}
auto beam_steps(const date_model::DateModel& m, const date_model::Encoded& enc, int64_t steps) {
  const auto batch = static_cast<Index>(enc.lengths.size());
  const Index k = m.beam_width;
  const auto tiled = m.wrapper(seq2seq::tile_batch(enc.outputs, k), seq2seq::tile_batch(enc.lengths, k));
  seq2seq::BeamSearchDecoderOptions<float> options;
  options.output_layer = m.projection;
  options.length_penalty_weight = m.length_penalty_weight;
  const seq2seq::BeamSearchDecoder decoder(
      tiled, m.target_embedding, std::vector<int64_t>(enc.lengths.size(), m.go), m.eos,
      tiled.zero_state(batch * k).clone(seq2seq::tile_batch(enc.final_state, k)), k, options);
  seq2seq::DynamicDecodeOptions run;
  run.maximum_iterations = steps;
  return seq2seq::dynamic_decode(decoder, run);
}

/// The date model's dimensions, for the FLOP count.
bench::DecoderDims date_dims(const date_model::DateModel& m, Index memory_time) {
  bench::DecoderDims d;
  d.E = m.target_embedding.dimension(1);
  d.H = m.decoder_cell.output_size();
  d.U = m.attention.num_units();
  d.Tm = memory_time;
  d.Dm = m.encoder.output_size();
  d.A = m.wrapper_config.attention_layer_size.value();
  d.V = m.projection.units();
  return d;
}

void date_benchmark(benchmark::State& state, Index batch, bool beam, bool session) {
  const auto& m = model();
  const auto& all = heldout_sources();
  if (batch > static_cast<Index>(all.size())) {
    state.SkipWithError("not enough held-out strings");
    return;
  }
  const std::vector<std::string> sources(all.begin(), all.begin() + batch);
  const auto ids = date_model::source_ids(m, sources);
  const Index k = beam ? m.beam_width : 1;
  // Untimed: one call for the step count and the allocation counters.
  Index steps = 0, longest = 0;
  for (const auto& s : ids) longest = std::max<Index>(longest, static_cast<Index>(s.size()));
  auto full = [&] {
    const auto enc = date_model::encode(m, ids);
    if (beam) {
      steps = date_model::beam(m, enc).outputs.predicted_ids.dimension(1);
    } else {
      steps = date_model::greedy(m, enc).outputs.sample_id.dimension(1);
    }
  };
  date_model::Server server(m);
  auto serve = [&] {
    if (beam) {
      steps = server.beam(ids).outputs.predicted_ids.dimension(1);
    } else {
      steps = server.greedy(ids).outputs.sample_id.dimension(1);
    }
  };
  auto call = [&] { session ? serve() : full(); };
  call();  // warm-up (per-thread GEMM buffers, the session's buffers)
  const long long allocs_per_call = bench::allocations_during(call);
  const long long allocs_full = bench::allocations_during([&] {
    const auto enc = date_model::encode(m, ids);
    if (beam) {
      benchmark::DoNotOptimize(beam_steps(m, enc, m.maximum_iterations));
    } else {
      benchmark::DoNotOptimize(greedy_steps(m, enc, m.maximum_iterations));
    }
  });
  const long long allocs_one = bench::allocations_during([&] {
    const auto enc = date_model::encode(m, ids);
    if (beam) {
      benchmark::DoNotOptimize(beam_steps(m, enc, 1));
    } else {
      benchmark::DoNotOptimize(greedy_steps(m, enc, 1));
    }
  });
  for (auto _ : state) {
    call();
    benchmark::ClobberMemory();
  }
  const bench::DecoderDims d = date_dims(m, longest);
  const Index src_embed = m.source_embedding.dimension(1);
  const double flops = bench::gru_step_flops(batch, src_embed, d.Dm) * longest  // encoder
                       + bench::decode_keys_flops(batch * k, d)                  // memory layer
                       + bench::decode_step_flops(batch * k, d) * steps;        // decoder
  bench::set_counters(state, flops, allocs_per_call, allocs_full - allocs_one);
  state.counters["steps"] = benchmark::Counter(static_cast<double>(steps));
}

// ---------------------------------------------------------------------------------------------
// The synthetic NMT-scale decoder

constexpr Index kNmtBatch = 64, kNmtSteps = 50, kNmtBeam = 4, kNmtEnd = 3;
constexpr double kNmtLengthPenalty = 0.6;

bench::DecoderDims nmt_dims() {
  bench::DecoderDims d;
  d.E = 256;
  d.H = 512;
  d.U = 512;
  d.Tm = 50;
  d.Dm = 512;
  d.A = 512;
  d.V = 8000;
  return d;
}

/// AttentionWrapper(GRU(H), Bahdanau(U) over `memory` with full lengths, attention layer A,
/// alignment_history on, output_attention): the weights are bench_common's waves.
auto nmt_wrapper(const bench::DecoderDims& d, const Tensor3<T>& memory) {
  const Index rows = memory.dimension(0);
  seq2seq::BahdanauAttentionWeights<T> w{bench::wave2(d.Dm, d.U, 11), bench::wave2(d.H, d.U, 12),
                                         bench::wave1(d.U, 13)};
  seq2seq::BahdanauAttention<T> mechanism(d.U, memory, std::vector<int64_t>(rows, d.Tm),
                                          std::move(w));
  seq2seq::AttentionWrapperConfig<T> config;
  config.attention_layer_size = d.A;
  config.attention_layer_kernel = bench::wave2(d.H + d.Dm, d.A, 21);
  config.alignment_history = true;
  config.output_attention = true;
  return seq2seq::AttentionWrapper(bench::make_gru(d.E + d.A, d.H), std::move(mechanism), config);
}

/// Dense(A -> V) with the end token's bias at -1e4: it never wins, every call runs 50 steps.
seq2seq::Dense<T> nmt_projection(const bench::DecoderDims& d) {
  bench::Tensor1<T> bias = bench::wave1(d.V, 22);
  bias(kNmtEnd) = T(-1e4);
  return seq2seq::Dense<T>(bench::wave2(d.A, d.V, 23), std::move(bias));
}

/// The encoder's final state [rows, H] (amplitude 0.5, a tanh output's range).
Tensor2<T> nmt_encoder_state(Index rows, Index h) {
  return bench::wave(Tensor2<T>(rows, h), 0.5, 0.3);
}

/// The number of steps a dynamic_decode result ran: its outputs' time dimension.
Index steps_run(const seq2seq::BasicDecoderOutput<T>& o) { return o.sample_id.dimension(1); }
Index steps_run(const seq2seq::FinalBeamSearchDecoderOutput<T>& o) {
  return o.predicted_ids.dimension(1);
}

/// Times dynamic_decode(decoder), or with `session` the same decode through one
/// DynamicDecodeSession kept across iterations.
template <class Decoder>
void time_decode(benchmark::State& state, const Decoder& decoder, double flops_per_row_step,
                 Index rows, bool session) {
  seq2seq::DynamicDecodeOptions full, one;
  full.maximum_iterations = kNmtSteps;
  one.maximum_iterations = 1;
  seq2seq::DynamicDecodeSession<Decoder> kept;
  auto run = [&](const seq2seq::DynamicDecodeOptions& o) {
    if (session) return steps_run(kept.run(decoder, o).outputs);
    const auto result = seq2seq::dynamic_decode(decoder, o);
    benchmark::DoNotOptimize(result);
    return steps_run(result.outputs);
  };
  Index steps = run(full);  // warm-up
  const long long allocs_one = bench::allocations_during([&] { run(one); });
  run(full);  // (a session's buffers back at the full decode's sizes)
  const long long allocs_per_call = bench::allocations_during([&] { steps = run(full); });
  if (steps != kNmtSteps) {
    state.SkipWithError("the end token won: the step count is not fixed");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(run(full));
    benchmark::ClobberMemory();
  }
  bench::set_counters(state, flops_per_row_step * rows * steps, allocs_per_call,
                      allocs_per_call - allocs_one);
  state.counters["steps"] = benchmark::Counter(static_cast<double>(steps));
}

void nmt_greedy(benchmark::State& state, bool session) {
  const bench::DecoderDims d = nmt_dims();
  const Tensor3<T> memory = bench::wave(Tensor3<T>(kNmtBatch, d.Tm, d.Dm), 1.0, 0.5);
  const auto wrapper = nmt_wrapper(d, memory);
  const seq2seq::BasicDecoder decoder(
      wrapper,
      seq2seq::GreedyEmbeddingHelper<T>(bench::wave2(d.V, d.E, 24, 1.0),
                                        std::vector<int64_t>(kNmtBatch, 1), kNmtEnd),
      wrapper.zero_state(kNmtBatch).clone(nmt_encoder_state(kNmtBatch, d.H)), nmt_projection(d));
  time_decode(state, decoder, bench::decode_step_flops(1, d), kNmtBatch, session);
}

void nmt_beam(benchmark::State& state, bool session) {
  const bench::DecoderDims d = nmt_dims();
  const Index rows = kNmtBatch * kNmtBeam;
  const Tensor3<T> memory = bench::wave(Tensor3<T>(kNmtBatch, d.Tm, d.Dm), 1.0, 0.5);
  const auto wrapper = nmt_wrapper(d, seq2seq::tile_batch(memory, kNmtBeam));
  seq2seq::BeamSearchDecoderOptions<T> options;
  options.output_layer = nmt_projection(d);
  options.length_penalty_weight = kNmtLengthPenalty;
  const seq2seq::BeamSearchDecoder decoder(
      wrapper, bench::wave2(d.V, d.E, 24, 1.0), std::vector<int64_t>(kNmtBatch, 1), kNmtEnd,
      wrapper.zero_state(rows).clone(
          seq2seq::tile_batch(nmt_encoder_state(kNmtBatch, d.H), kNmtBeam)),
      kNmtBeam, options);
  time_decode(state, decoder, bench::decode_step_flops(1, d), rows, session);
}

// ---------------------------------------------------------------------------------------------

void add(const std::string& name, std::function<void(benchmark::State&)> fn, double min_time,
         int iterations = 0) {
  auto* b = benchmark::RegisterBenchmark(name.c_str(), std::move(fn));
  b->Unit(benchmark::kMillisecond);
  b->UseRealTime();
  if (iterations > 0) {
    b->Iterations(iterations);
  } else {
    b->MinTime(min_time);
  }
}

[[maybe_unused]] const bool registered = [] {
  for (Index n : {1, 64, 500}) {
    const std::string scale = "/b" + std::to_string(n);
    for (const bool session : {false, true}) {
      const std::string kind = session ? "_session" : "";
      add("BM_DateGreedy" + kind + scale,
          [n, session](benchmark::State& s) { date_benchmark(s, n, false, session); }, 0.5);
      add("BM_DateBeam" + kind + scale,
          [n, session](benchmark::State& s) { date_benchmark(s, n, true, session); }, 0.5);
    }
  }
  add("BM_NMTGreedy/b64", [](benchmark::State& s) { nmt_greedy(s, false); }, 2.0);
  add("BM_NMTGreedy_session/b64", [](benchmark::State& s) { nmt_greedy(s, true); }, 2.0);
  add("BM_NMTBeam/b64", [](benchmark::State& s) { nmt_beam(s, false); }, 0.0, 3);
  add("BM_NMTBeam_session/b64", [](benchmark::State& s) { nmt_beam(s, true); }, 0.0, 3);
  return true;
}();

}  // namespace
