// One attention-mechanism step, float32, at the four scales of bench_common.hpp, as the
// AttentionWrapper runs it each step (TF's _compute_attention without an attention layer):
//   alignments = mechanism.align(query, previous_state)   [B, Tm]
//   context    = alignments x values                       [B, Dm]  (per row b: a GEMV)
// The mechanism (memory mask and the keys GEMM memory x memory_layer/kernel) is built once,
// outside the timed loop; queries are fixed, amplitude 0.5.
//   BM_Bahdanau_step/<scale>           BahdanauAttention, query [B, H]
//   BM_BahdanauNorm_step/<scale>       BahdanauAttention(normalize=true)
//   BM_Luong_step/<scale>              LuongAttention, query [B, U] (no query layer)
//   BM_LuongScaled_step/<scale>        LuongAttention(scale=true)
//   BM_BahdanauMonotonic_step/<scale>  BahdanauMonotonicAttention, mode parallel (TF's default),
//                                      previous state = its initial one-hot alignments
// FLOP formulas, weights and allocation counters: bench_common.hpp.
#include "bench_common.hpp"

namespace {

using bench::Index;
using bench::Kind;
using bench::RowMatrix;
using bench::Scale;
using bench::T;
using bench::Tensor2;
using bench::Tensor3;

RowMatrix<T> to_matrix(const Tensor2<T>& t) {
  return Eigen::Map<const RowMatrix<T>>(t.data(), t.dimension(0), t.dimension(1));
}

/// align + context of `mechanism` for a fixed query [B, query_depth].
template <class Mechanism>
void time_mechanism_step(benchmark::State& state, const Mechanism& mechanism, const Scale& s,
                         double flops_per_step) {
  const Index tm = mechanism.alignments_size(), dm = mechanism.memory_depth();
  const RowMatrix<T> query = bench::wave_matrix(s.B, mechanism.query_depth(), 0.3, 0.5);
  const RowMatrix<T> previous_state = to_matrix(mechanism.initial_state(s.B));
  RowMatrix<T> alignments(s.B, tm);
  RowMatrix<T> context(s.B, dm);
  auto workspace = mechanism.make_workspace();
  const T* values = mechanism.values().data();
  bench::time_step(
      state,
      [&] {
        mechanism.align(query, previous_state, alignments, workspace);
        for (Index b = 0; b < s.B; ++b) {
          context.row(b).noalias() =
              alignments.row(b) * Eigen::Map<const RowMatrix<T>>(values + b * tm * dm, tm, dm);
        }
      },
      context, flops_per_step);
}

/// Registers `make(scale, memory)` at every scale; the inputs double as the tutorial's memory.
template <class Make>
void register_mechanism(const std::string& name, Make make, bool additive) {
  bench::register_all_scales(
      "BM_" + name + "_step", Kind::step, [=](benchmark::State& state, const Scale& s) {
        const Tensor3<T> memory = bench::make_memory(s, bench::make_inputs(s));
        const auto mechanism = make(s, memory);
        const double flops = additive ? bench::bahdanau_step_flops(s.B, s.H, s.U, s.Tm, s.Dm)
                                      : bench::luong_step_flops(s.B, s.U, s.Tm, s.Dm);
        time_mechanism_step(state, mechanism, s, flops);
      });
}

[[maybe_unused]] const bool registered = [] {
  register_mechanism(
      "Bahdanau",
      [](const Scale& s, const Tensor3<T>& m) { return bench::make_bahdanau(s, m, false); },
      true);
  register_mechanism(
      "BahdanauNorm",
      [](const Scale& s, const Tensor3<T>& m) { return bench::make_bahdanau(s, m, true); }, true);
  register_mechanism(
      "Luong", [](const Scale& s, const Tensor3<T>& m) { return bench::make_luong(s, m, false); },
      false);
  register_mechanism(
      "LuongScaled",
      [](const Scale& s, const Tensor3<T>& m) { return bench::make_luong(s, m, true); }, false);
  register_mechanism("BahdanauMonotonic", bench::make_bahdanau_monotonic, true);
  return true;
}();

}  // namespace
