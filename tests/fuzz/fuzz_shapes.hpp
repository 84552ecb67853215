// The fuzz target of the shape-validation entry points, shared by the libFuzzer harness
// (fuzz_shapes.cpp) and tests/test_fuzz_corpus.cpp. The input is decoded into small sizes,
// lengths, ids and options (dims 0..8, lengths -3..12, beam width -1..5, maximum_iterations
// -2..10, token ids out of range, NaN/inf values and weights), usually consistent and, with
// probability 1/8 per size, mismatched; then the constructors and calls run.
//
// Contract: every call returns normally or throws seq2seq::Error. Anything else (another
// exception, a sanitizer report, an Eigen assertion, a crash, a hang) is a finding.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <seq2seq/seq2seq.hpp>

namespace seq2seq::fuzz {

using T = float;

/// Reads the fuzz input front to back; past its end every byte is 0.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : p_(data), n_(size) {}

  std::uint8_t byte() {
    if (n_ == 0) return 0;
    --n_;
    return *p_++;
  }
  /// lo..hi (both included).
  int range(int lo, int hi) { return lo + byte() % (hi - lo + 1); }
  bool flag() { return (byte() & 1) != 0; }
  /// True with probability 1/8: a size or length is made inconsistent.
  bool rare() { return byte() % 8 == 1; }
  /// A size that is usually `good`, sometimes any of 0..8.
  Index dim(Index good) { return rare() ? range(0, 8) : good; }
  /// A length that is usually in 0..max, sometimes any of -3..12.
  int64_t length(Index max) { return rare() ? range(-3, 12) : range(0, static_cast<int>(max)); }
  /// A value in [-4, 4) in steps of 1/32, or NaN, +inf, -inf.
  T value() {
    const std::uint8_t b = byte();
    if (b == 255) return std::numeric_limits<T>::quiet_NaN();
    if (b == 254) return std::numeric_limits<T>::infinity();
    if (b == 253) return -std::numeric_limits<T>::infinity();
    return static_cast<T>(static_cast<std::int8_t>(b)) / T(32);
  }

  // Tensors never get a negative size (an API precondition, not an input to validate): the
  // sizes derived from a negative num_units are clamped to 0.
  Tensor1<T> vec(Index n) {
    Tensor1<T> t(std::max<Index>(n, 0));
    for (Index i = 0; i < t.size(); ++i) t.data()[i] = value();
    return t;
  }
  Tensor2<T> mat(Index r, Index c) {
    Tensor2<T> t(std::max<Index>(r, 0), std::max<Index>(c, 0));
    for (Index i = 0; i < t.size(); ++i) t.data()[i] = value();
    return t;
  }
  Tensor3<T> ten(Index a, Index b, Index c) {
    Tensor3<T> t(std::max<Index>(a, 0), std::max<Index>(b, 0), std::max<Index>(c, 0));
    for (Index i = 0; i < t.size(); ++i) t.data()[i] = value();
    return t;
  }
  /// `n` lengths for sequences of at most `max` steps.
  std::vector<int64_t> lengths(Index n, Index max) {
    std::vector<int64_t> out(static_cast<std::size_t>(n));
    for (auto& v : out) v = length(max);
    return out;
  }
  /// A token id, usually in 0..vocab-1, sometimes out of range (even of int32).
  int64_t token(Index vocab) {
    switch (byte() % 16) {
      case 0: return -1;
      case 1: return vocab;
      case 2: return int64_t{1} << 40;
      default: return range(0, static_cast<int>(std::max<Index>(vocab, 1)) - 1);
    }
  }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
};

// ----- cells -------------------------------------------------------------------------------

inline GRUCell<T> make_gru(Input& in, Index units, Index input) {
  const Index rows = input + units;
  GRUCellWeights<T> w{in.mat(in.dim(rows), in.dim(2 * units)), in.vec(in.dim(2 * units)),
                      in.mat(in.dim(rows), in.dim(units)), in.vec(in.dim(units)), {}};
  const bool reset_after = in.flag();
  if (reset_after || in.rare()) w.candidate_recurrent_bias = in.vec(in.dim(units));
  return GRUCell<T>(units, std::move(w), reset_after);
}

inline LSTMCell<T> make_lstm(Input& in, Index units, Index input) {
  LSTMCellOptions<T> o;
  o.use_peepholes = in.flag();
  if (in.rare()) o.cell_clip = in.value();
  if (in.flag()) o.num_proj = in.range(-1, 5);
  if (in.rare()) o.proj_clip = in.value();
  o.forget_bias = in.value();
  const Index proj = o.num_proj && *o.num_proj > 0 ? *o.num_proj : units;
  LSTMCellWeights<T> w{in.mat(in.dim(input + proj), in.dim(4 * units)), in.vec(in.dim(4 * units))};
  if (o.use_peepholes || in.rare()) {
    w.w_f_diag = in.vec(in.dim(units));
    w.w_i_diag = in.vec(in.dim(units));
    w.w_o_diag = in.vec(in.dim(units));
  }
  if (o.num_proj || in.rare()) w.projection_kernel = in.mat(in.dim(units), in.dim(proj));
  return LSTMCell<T>(units, std::move(w), std::move(o));
}

/// Calls `f` with a GRUCell or an LSTMCell of `units` units reading `input` columns.
template <class F>
void with_cell(Input& in, Index units, Index input, F&& f) {
  if (in.flag()) {
    f(make_gru(in, units, input));
  } else {
    f(make_lstm(in, units, input));
  }
}

// ----- states: usually the right shape, sometimes not ----------------------------------------

inline void perturb(Input& in, Tensor2<T>& s) {
  if (in.rare()) s = in.mat(in.dim(s.dimension(0)), in.dim(s.dimension(1)));
}
inline void perturb(Input& in, LSTMStateTuple<T>& s) {
  perturb(in, s.c);
  perturb(in, s.h);
}
template <class CellState>
void perturb(Input& in, AttentionWrapperState<CellState, T>& s) {
  perturb(in, s.cell_state);
  perturb(in, s.attention);
  perturb(in, s.alignments);
  perturb(in, s.attention_state);
  if (in.rare()) s.time = in.range(-2, 3);
  if (in.rare()) {
    s.alignment_history = in.ten(in.range(0, 3), in.dim(s.alignments.dimension(0)),
                                 in.dim(s.alignments.dimension(1)));
  }
}

template <class CellState>
void perturb(Input& in, MultiAttentionWrapperState<CellState, T>& s) {
  perturb(in, s.cell_state);
  perturb(in, s.attention);
  for (auto& a : s.alignments) perturb(in, a);
  for (auto& a : s.attention_state) perturb(in, a);
  if (in.rare()) s.time = in.range(-2, 3);
  if (in.rare()) s.alignments.pop_back();
  if (in.rare() && !s.alignment_history.empty()) {
    s.alignment_history[0] = in.ten(in.range(0, 3), in.range(0, 3), in.range(0, 5));
  }
}

// ----- attention -----------------------------------------------------------------------------

/// A BahdanauAttention with memory [batch, time, depth] and query depth `query`.
inline BahdanauAttention<T> make_bahdanau(Input& in, Index units, Index batch, Index time, Index depth,
                                          Index query) {
  const Tensor3<T> memory = in.ten(in.dim(batch), in.dim(time), in.dim(depth));
  std::vector<int64_t> lengths;
  if (in.flag()) {
    lengths = in.lengths(in.dim(batch), time);
    for (auto& l : lengths) {
      if (l == 0 && !in.rare()) l = 1;  // 0 is rejected (as TF does): keep it rare
    }
  }
  const bool normalize = in.flag();
  BahdanauAttentionWeights<T> w{in.mat(in.dim(depth), in.dim(units)), in.mat(in.dim(query), in.dim(units)),
                                in.vec(in.dim(units)), in.value(), {}};
  if (normalize || in.rare()) w.attention_b = in.vec(in.dim(units));
  const auto fn = static_cast<ProbabilityFn>(in.range(0, 2));
  return BahdanauAttention<T>(units, memory, std::move(lengths), std::move(w), normalize, fn);
}

/// Calls `f` with an AttentionWrapper of two Bahdanau mechanisms (multi mode) around a GRU or
/// LSTM cell.
template <class F>
void with_multi_wrapper(Input& in, Index batch, Index input, F&& f) {
  const Index units[2] = {in.range(0, 4), in.range(0, 4)}, time[2] = {in.range(0, 5), in.range(0, 5)};
  const Index depth[2] = {in.range(0, 4), in.range(0, 4)};
  const Index cell_units = in.range(0, 4);
  MultiAttentionWrapperConfig<T> config;
  Index attention = depth[0] + depth[1];
  if (in.flag()) {
    attention = 0;
    for (int i = in.dim(2); i > 0; --i) {
      config.attention_layer_size.push_back(in.range(-1, 4));
      attention += std::max<Index>(0, config.attention_layer_size.back());
    }
  }
  config.alignment_history = in.flag();
  config.output_attention = in.flag();
  with_cell(in, cell_units, input + attention, [&](auto cell) {
    using Cell = decltype(cell);
    const Index h = cell.output_size();
    for (std::size_t i = 0; i < config.attention_layer_size.size(); ++i) {
      config.attention_layer_kernel.push_back(
          in.mat(in.dim(h + depth[i % 2]), in.dim(config.attention_layer_size[i])));
    }
    auto m0 = make_bahdanau(in, units[0], batch, time[0], depth[0], h);
    auto m1 = make_bahdanau(in, units[1], in.dim(batch), time[1], depth[1], h);
    std::optional<typename Cell::state_type> initial;
    if (in.rare()) {
      initial = cell.zero_state(in.dim(batch));
      perturb(in, *initial);
    }
    f(AttentionWrapper(std::move(cell), std::tuple{std::move(m0), std::move(m1)}, std::move(config),
                       std::move(initial)));
  });
}

/// Calls `f` with an AttentionWrapper around a GRU or LSTM cell, at memory batch `batch`, whose
/// own inputs have `input` columns; one mechanism, or two (multi mode) when the input says so.
template <class F>
void with_wrapper(Input& in, Index batch, Index input, F&& f) {
  if (in.byte() % 4 == 1) {
    with_multi_wrapper(in, batch, input, std::forward<F>(f));
    return;
  }
  const Index units = in.range(0, 4), time = in.range(0, 5), depth = in.range(0, 4);
  const Index cell_units = in.range(0, 4);
  AttentionWrapperConfig<T> config;
  Index attention = depth;
  if (in.flag()) {
    config.attention_layer_size = in.range(-1, 4);
    attention = std::max<Index>(0, *config.attention_layer_size);
  }
  config.alignment_history = in.flag();
  config.output_attention = in.flag();
  with_cell(in, cell_units, input + attention, [&](auto cell) {
    using Cell = decltype(cell);
    const Index h = cell.output_size();
    if (config.attention_layer_size || in.rare()) {
      config.attention_layer_kernel = in.mat(in.dim(h + depth), in.dim(attention));
    }
    auto mechanism = make_bahdanau(in, units, batch, time, depth, h);
    std::optional<typename Cell::state_type> initial;
    if (in.rare()) {
      initial = cell.zero_state(in.dim(batch));
      perturb(in, *initial);
    }
    f(AttentionWrapper(std::move(cell), std::move(mechanism), std::move(config), std::move(initial)));
  });
}

// ----- scenarios ------------------------------------------------------------------------------

/// A cell's one-step call with random input and state shapes.
inline void cell_call(Input& in) {
  const Index units = in.range(-1, 6), input = in.range(0, 6), batch = in.range(0, 4);
  with_cell(in, units, input, [&](const auto& cell) {
    auto state = cell.zero_state(in.dim(batch));
    perturb(in, state);
    (void)cell(in.mat(in.dim(batch), in.dim(cell.input_size())), state);
  });
}

/// Runs `cell` over [batch, time, input] inputs (time-major or not), with lengths and an
/// initial state that may not fit.
template <class Cell>
void run_rnn(Input& in, const Cell& cell, Index batch, Index input) {
  const Index time = in.range(0, 6);
  const bool time_major = in.flag();
  const Index b = in.dim(batch), t = in.dim(time);
  const Tensor3<T> inputs = time_major ? in.ten(t, b, in.dim(input)) : in.ten(b, t, in.dim(input));
  std::vector<int64_t> lengths;
  if (in.flag()) lengths = in.lengths(in.dim(batch), time);
  std::optional<typename Cell::state_type> initial;
  if (in.flag()) {
    initial = cell.zero_state(in.dim(batch));
    perturb(in, *initial);
  }
  (void)dynamic_rnn(cell, inputs, lengths, std::move(initial), time_major);
}

inline void rnn(Input& in) {
  const Index units = in.range(0, 5), input = in.range(0, 5), batch = in.range(0, 4);
  if (in.flag()) {
    with_cell(in, units, input, [&](const auto& cell) { run_rnn(in, cell, batch, input); });
    return;
  }
  // bidirectional_dynamic_rnn with a GRU or LSTM forward cell and a GRU backward cell.
  with_cell(in, units, input, [&](const auto& fw) {
    const auto bw = make_gru(in, in.range(0, 5), in.dim(input));
    const Index time = in.range(0, 6);
    const bool time_major = in.flag();
    const Index b = in.dim(batch), t = in.dim(time);
    const Tensor3<T> inputs = time_major ? in.ten(t, b, in.dim(input)) : in.ten(b, t, in.dim(input));
    std::vector<int64_t> lengths;
    if (in.flag()) lengths = in.lengths(in.dim(batch), time);
    std::optional<typename std::decay_t<decltype(fw)>::state_type> initial_fw;
    if (in.rare()) {
      initial_fw = fw.zero_state(in.dim(batch));
      perturb(in, *initial_fw);
    }
    std::optional<Tensor2<T>> initial_bw;
    if (in.rare()) initial_bw = in.mat(in.dim(batch), in.dim(bw.num_units()));
    (void)bidirectional_dynamic_rnn(fw, bw, inputs, lengths, std::move(initial_fw), std::move(initial_bw),
                                    time_major);
  });
}

inline void attention_call(Input& in) {
  const Index units = in.range(0, 5), batch = in.range(0, 3), time = in.range(0, 5);
  const Index depth = in.range(0, 5), query = in.range(0, 5);
  const auto mechanism = make_bahdanau(in, units, batch, time, depth, query);
  (void)mechanism(in.mat(in.dim(batch), in.dim(query)), in.mat(in.dim(batch), in.dim(time)));
}

inline void wrapper_rnn(Input& in) {
  const Index batch = in.range(0, 3), input = in.range(0, 4);
  with_wrapper(in, batch, input, [&](const auto& wrapper) {
    if (in.flag()) {
      auto state = wrapper.zero_state(in.dim(batch));
      if (in.flag()) {  // TF's state.clone(cell_state=...), e.g. with an encoder's final state
        auto cell_state = state.cell_state;
        perturb(in, cell_state);
        state = state.clone(std::move(cell_state));
      }
      perturb(in, state);
      (void)wrapper(in.mat(in.dim(batch), in.dim(wrapper.input_size())), state);
    } else {
      run_rnn(in, wrapper, batch, wrapper.input_size());
    }
  });
}

inline std::optional<Dense<T>> maybe_dense(Input& in, Index input, Index units) {
  if (!in.flag()) return std::nullopt;
  const Tensor2<T> kernel = in.mat(in.dim(input), in.dim(units));
  return Dense<T>(kernel, in.flag() ? in.vec(in.dim(units)) : Tensor1<T>());
}

inline DynamicDecodeOptions decode_options(Input& in, bool may_run_unbounded) {
  DynamicDecodeOptions o;
  if (!may_run_unbounded || in.flag()) o.maximum_iterations = in.range(-2, 10);
  o.impute_finished = in.rare() ? !in.flag() : in.flag();
  o.output_time_major = in.flag();
  return o;
}

/// BasicDecoder (training or greedy helper, optional output layer), run by dynamic_decode or by
/// the step API.
template <class Cell>
void basic_decode(Input& in, const Cell& cell, Index batch) {
  const Index vocab = in.range(1, 8);
  auto layer = maybe_dense(in, cell.output_size(), vocab);
  const Index logits = layer ? layer->units() : cell.output_size();
  auto state = cell.zero_state(in.dim(batch));
  perturb(in, state);
  const auto run = [&](auto helper, bool may_run_unbounded) {
    const BasicDecoder<Cell, decltype(helper)> decoder(cell, std::move(helper), state, layer);
    if (in.flag()) {
      (void)dynamic_decode(decoder, decode_options(in, may_run_unbounded));
    } else {
      auto s = decoder.initialize();
      for (int t = in.range(0, 4); t > 0; --t) decoder.step(s);
      decoder.finalize(s);
    }
  };
  if (in.flag()) {
    const Index time = in.range(0, 6);
    const bool time_major = in.flag();
    const Index b = in.dim(batch), t = in.dim(time), d = in.dim(cell.input_size());
    Tensor3<T> inputs = time_major ? in.ten(t, b, d) : in.ten(b, t, d);
    std::vector<int64_t> lengths;
    if (in.flag()) lengths = in.lengths(in.dim(batch), time);
    run(TrainingHelper<T>(std::move(inputs), std::move(lengths), time_major), true);
  } else {
    // Greedy decoding stops only at end_token or maximum_iterations: always bounded here.
    const Index embedding_rows = in.dim(std::max<Index>(logits, in.range(0, 8)));
    Tensor2<T> embedding = in.mat(embedding_rows, in.dim(cell.input_size()));
    std::vector<int64_t> start(static_cast<std::size_t>(in.dim(batch)));
    for (auto& id : start) id = in.token(embedding_rows);
    run(GreedyEmbeddingHelper<T>(std::move(embedding), start, in.token(embedding_rows)), false);
  }
}

inline void basic_decoder(Input& in) {
  const Index batch = in.range(0, 3);
  if (in.flag()) {
    const Index units = in.range(0, 4), input = in.range(0, 4);
    with_cell(in, units, input, [&](const auto& cell) { basic_decode(in, cell, batch); });
  } else {
    with_wrapper(in, batch, in.range(0, 3), [&](const auto& wrapper) { basic_decode(in, wrapper, batch); });
  }
}

template <class Cell>
void beam_decode(Input& in, const Cell& cell, Index batch, Index beams) {
  BeamSearchDecoderOptions<T> options;
  const Index vocab = in.range(1, 8);
  options.output_layer = maybe_dense(in, cell.output_size(), vocab);
  const Index logits = options.output_layer ? options.output_layer->units() : cell.output_size();
  if (in.rare()) options.length_penalty_weight = in.value();
  else if (in.flag()) options.length_penalty_weight = in.range(0, 8) / 4.0;
  if (in.rare()) options.coverage_penalty_weight = in.value();
  else if (in.flag()) options.coverage_penalty_weight = in.range(0, 8) / 4.0;
  options.reorder_tensor_arrays = in.flag();
  const Index embedding_rows = in.dim(std::max<Index>(logits, in.range(0, 8)));
  Tensor2<T> embedding = in.mat(embedding_rows, in.dim(cell.input_size()));
  std::vector<int64_t> start(static_cast<std::size_t>(in.dim(batch)));
  for (auto& id : start) id = in.token(embedding_rows);
  const int64_t end = in.token(embedding_rows);
  auto state = cell.zero_state(in.dim(batch * std::max<Index>(beams, 1)));
  perturb(in, state);
  const BeamSearchDecoder<Cell> decoder(cell, std::move(embedding), start, end, std::move(state), beams,
                                        std::move(options));
  (void)dynamic_decode(decoder, decode_options(in, false));  // bounded: beams may never end
}

inline void beam_search(Input& in) {
  const Index batch = in.range(0, 3), beams = in.range(-1, 5);
  if (in.flag()) {
    const Index units = in.range(0, 4), input = in.range(0, 4);
    with_cell(in, units, input, [&](const auto& cell) { beam_decode(in, cell, batch, beams); });
  } else {
    // The wrapper's memory must be tiled to batch * beams: usually it is.
    const Index rows = in.dim(batch * std::max<Index>(beams, 1));
    with_wrapper(in, rows, in.range(0, 3), [&](const auto& wrapper) { beam_decode(in, wrapper, batch, beams); });
  }
}

inline void gather(Input& in) {
  const Index steps = in.range(0, 5), batch = in.range(0, 3), beams = in.range(0, 4);
  IntTensor<3> ids(steps, batch, beams);
  for (Index i = 0; i < ids.size(); ++i) ids.data()[i] = in.range(-2, 5);
  IntTensor<3> parents(in.dim(steps), in.dim(batch), in.dim(beams));
  for (Index i = 0; i < parents.size(); ++i) {
    parents.data()[i] = in.rare() ? in.range(-2, 6) : in.range(0, static_cast<int>(std::max<Index>(beams, 1)) - 1);
  }
  std::vector<int32_t> lengths(static_cast<std::size_t>(in.dim(batch)));
  for (auto& l : lengths) l = static_cast<int32_t>(in.length(steps));
  (void)gather_tree(ids, parents, lengths, in.range(-1, 5));
}

inline void tile(Input& in) {
  const Index multiplier = in.range(-1, 5);
  switch (in.range(0, 2)) {
    case 0: (void)tile_batch(in.ten(in.range(0, 4), in.range(0, 4), in.range(0, 4)), multiplier); break;
    case 1: (void)tile_batch(in.lengths(in.range(0, 4), 5), multiplier); break;
    default: {
      const LSTMStateTuple<T> s{in.mat(in.range(0, 4), in.range(0, 4)), in.mat(in.range(0, 4), in.range(0, 4))};
      (void)tile_batch(s, multiplier);
    }
  }
}

inline void dense(Input& in) {
  const Index input = in.range(0, 5), units = in.range(0, 5);
  const Dense<T> layer(in.mat(in.dim(input), in.dim(units)), in.flag() ? in.vec(in.dim(units)) : Tensor1<T>());
  (void)layer(in.mat(in.range(0, 3), in.dim(input)));
}

/// Target 3: the first byte picks the entry point, the rest are its sizes, options and values.
inline void fuzz_shapes(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  try {
    switch (in.byte() % 9) {
      case 0: cell_call(in); break;
      case 1: rnn(in); break;
      case 2: attention_call(in); break;
      case 3: wrapper_rnn(in); break;
      case 4: basic_decoder(in); break;
      case 5: beam_search(in); break;
      case 6: gather(in); break;
      case 7: tile(in); break;
      default: dense(in); break;
    }
  } catch (const seq2seq::Error&) {
  }
}

}  // namespace seq2seq::fuzz
