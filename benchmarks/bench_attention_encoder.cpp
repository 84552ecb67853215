// One full dynamic_rnn call of an AttentionWrapper over BahdanauAttention, float32, at the four
// scales of bench_common.hpp (the tutorial attends over its own inputs, memory [3, 5, 3] with
// memory_sequence_length = sequence_length = {5, 3, 2}):
//   BM_AttentionWrapperGRU_dynamic_rnn/<scale>   AttentionWrapper(GRUCell, BahdanauAttention)
//   BM_AttentionWrapperLSTM_dynamic_rnn/<scale>  AttentionWrapper(LSTMCell, BahdanauAttention)
// alignment_history on, attention_layer_size none (attention = context, width Dm, fed back into
// the cell: its input is I + Dm), output_attention true, normalize off. The mechanism (memory
// mask and the keys GEMM memory x memory_layer/kernel) and the wrapper are built once, outside
// the timed loop: only dynamic_rnn is timed. The bare GRU under dynamic_rnn (BM_GRU before this
// suite) is BM_GRU_dynamic_rnn in bench_cells. FLOPs per step: cell(In = I + Dm) + Bahdanau step;
// formulas, weights and allocation counters: bench_common.hpp.
#include "bench_common.hpp"

namespace {

using bench::Index;
using bench::Kind;
using bench::Scale;
using bench::T;
using bench::Tensor3;

template <class MakeCell, class CellFlops>
void register_wrapper(const std::string& name, MakeCell make_cell, CellFlops cell_flops) {
  bench::register_all_scales(
      "BM_" + name + "_dynamic_rnn", Kind::layer, [=](benchmark::State& state, const Scale& s) {
        const Tensor3<T> inputs = bench::make_inputs(s);
        const Tensor3<T> memory = bench::make_memory(s, inputs);
        const seq2seq::AttentionWrapper wrapper(make_cell(s.I + s.Dm, s.H),
                                                bench::make_bahdanau(s, memory, false),
                                                bench::wrapper_config());
        const double flops_per_step = cell_flops(s.B, s.I + s.Dm, s.H) +
                                      bench::bahdanau_step_flops(s.B, s.H, s.U, s.Tm, s.Dm);
        bench::time_dynamic_rnn(state, wrapper, inputs, s, flops_per_step);
      });
}

[[maybe_unused]] const bool registered = [] {
  register_wrapper(
      "AttentionWrapperGRU", [](Index in, Index h) { return bench::make_gru(in, h, false); },
      bench::gru_step_flops);
  register_wrapper("AttentionWrapperLSTM", bench::make_lstm, bench::lstm_step_flops);
  return true;
}();

}  // namespace
