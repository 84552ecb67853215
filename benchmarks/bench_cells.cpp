// The cells, float32, at the four scales of bench_common.hpp:
//   BM_<Cell>_step/<scale>         one cell.step(x [B, I], state, output, workspace) on a
//                                  prebuilt workspace (the state evolves from step to step)
//   BM_<Cell>_dynamic_rnn/<scale>  one full dynamic_rnn(cell, inputs [B, T, I], sequence_length)
//   BM_<Cell>_session/<scale>      the same call through a DynamicRnnSession kept between calls
//                                  (allocs/call: those of a warmed-up call)
//   BM_<Cell>_dynamic_rnn/ragged   the nmt scale (B64 T50) with sequence_length spread uniformly
//                                  over [1, 50] (ragged_scale); compare with .../nmt in the same
//                                  run. GFLOP/s counts the steps each row runs (sum of lengths).
// for <Cell> = GRU (TF 1.x: reset gate before the candidate matmul), GRUResetAfter (Keras
// reset_after=True / PyTorch form), LSTM (no peepholes, clipping or projection), BasicRNN.
// FLOP formulas, weights and allocation counters: bench_common.hpp.
#include <algorithm>
#include <numeric>

#include "bench_common.hpp"

namespace {

using bench::Index;
using bench::Kind;
using bench::RowMatrix;
using bench::Scale;
using bench::T;

/// One step of `cell` on an input [B, I] with a prebuilt workspace.
template <class Cell>
void time_cell_step(benchmark::State& state, const Cell& cell, const Scale& s,
                    double flops_per_step) {
  const RowMatrix<T> x = bench::wave_matrix(s.B, cell.input_size(), 0.0, 1.0);
  auto cell_state = cell.zero_state(s.B);
  RowMatrix<T> output(s.B, cell.output_size());
  auto workspace = cell.make_workspace(s.B);
  bench::time_step(
      state, [&] { cell.step(x, cell_state, output, workspace); }, output, flops_per_step);
}

/// dynamic_rnn through a session kept across the timed calls.
template <class Cell>
void time_session(benchmark::State& state, const Cell& cell, const Scale& s,
                  double flops_per_step) {
  const auto inputs = bench::make_inputs(s);
  seq2seq::DynamicRnnSession<Cell> session(cell);
  session.run(inputs, s.lengths);  // warm-up: the session's buffers, the GEMM's packing buffers
  if (!bench::all_finite(session.run(inputs, s.lengths).outputs)) {
    state.SkipWithError("non-finite outputs");
    return;
  }
  const long long allocs = bench::allocations_during([&] { session.run(inputs, s.lengths); });
  for (auto _ : state) {
    benchmark::DoNotOptimize(session.run(inputs, s.lengths));
    benchmark::ClobberMemory();
  }
  bench::set_counters(state, bench::steps_run(s) * flops_per_step, allocs, 0);
}

/// The nmt scale with ragged lengths: B = 64 lengths spread evenly over [1, T], in a scrambled
/// row order (row i gets the (29 i mod B)-th of them; 29 is coprime with 64).
Scale ragged_scale() {
  Scale s = *std::find_if(bench::scales().begin(), bench::scales().end(),
                          [](const Scale& x) { return x.name == "nmt"; });
  s.name = "ragged";
  for (Index i = 0; i < s.B; ++i) {
    const Index k = (29 * i) % s.B;
    s.lengths[static_cast<std::size_t>(i)] = 1 + k * (s.T - 1) / (s.B - 1);
  }
  return s;
}

template <class MakeCell, class StepFlops>
void register_cell(const std::string& name, MakeCell make_cell, StepFlops step_flops) {
  bench::register_all_scales("BM_" + name + "_step", Kind::step,
                             [=](benchmark::State& state, const Scale& s) {
                               const auto cell = make_cell(s.I, s.H);
                               time_cell_step(state, cell, s, step_flops(s.B, s.I, s.H));
                             });
  bench::register_all_scales("BM_" + name + "_dynamic_rnn", Kind::layer,
                             [=](benchmark::State& state, const Scale& s) {
                               const auto cell = make_cell(s.I, s.H);
                               bench::time_dynamic_rnn(state, cell, bench::make_inputs(s), s,
                                                       step_flops(s.B, s.I, s.H));
                             });
  {
    // dynamic_rnn counts steps_run(s) = T steps of B rows; scale to the rows' actual steps.
    const Scale s = ragged_scale();
    const double run = std::accumulate(s.lengths.begin(), s.lengths.end(), 0.0);
    bench::register_at("BM_" + name + "_dynamic_rnn", s, Kind::layer,
                       [=](benchmark::State& state, const Scale& r) {
                         const auto cell = make_cell(r.I, r.H);
                         bench::time_dynamic_rnn(
                             state, cell, bench::make_inputs(r), r,
                             step_flops(r.B, r.I, r.H) * run / static_cast<double>(r.B * r.T));
                       });
  }
  bench::register_all_scales("BM_" + name + "_session", Kind::layer,
                             [=](benchmark::State& state, const Scale& s) {
                               time_session(state, make_cell(s.I, s.H), s,
                                            step_flops(s.B, s.I, s.H));
                             });
}

[[maybe_unused]] const bool registered = [] {
  register_cell(
      "GRU", [](Index in, Index h) { return bench::make_gru(in, h, false); },
      bench::gru_step_flops);
  register_cell(
      "GRUResetAfter", [](Index in, Index h) { return bench::make_gru(in, h, true); },
      bench::gru_step_flops);
  register_cell("LSTM", bench::make_lstm, bench::lstm_step_flops);
  register_cell("BasicRNN", bench::make_basic_rnn, bench::basic_rnn_step_flops);
  return true;
}();

}  // namespace
