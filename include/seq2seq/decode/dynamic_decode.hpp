// dynamic_decode: runs a BasicDecoder or a BeamSearchDecoder until every row is finished or
// maximum_iterations steps have run, with TensorFlow's length and impute_finished rules.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <seq2seq/decode/basic_decoder.hpp>
#include <seq2seq/decode/beam_search_decoder.hpp>

namespace seq2seq {

/// dynamic_decode's options (TF's keyword arguments).
struct DynamicDecodeOptions {
  /// Stop after this many steps (>= 0). Without it the loop runs until every row is finished,
  /// as in TF: a decoder that never emits its end token then never stops.
  std::optional<int64_t> maximum_iterations;
  /// Finished rows emit zeros (outputs and ids) and keep their state, as TF's where(finished).
  bool impute_finished = false;
  /// Outputs [T, B, ...] instead of [B, T, ...].
  bool output_time_major = false;
};

/// BasicDecoder's stacked outputs.
template <class T>
struct BasicDecoderOutput {
  Tensor3<T> rnn_output;  ///< [B, T_out, output_size] ([T_out, B, output_size] time-major)
  IntTensor<2> sample_id; ///< [B, T_out] ([T_out, B] time-major)
};

/// BeamSearchDecoder's outputs after finalize.
template <class T>
struct FinalBeamSearchDecoderOutput {
  IntTensor<3> predicted_ids;  ///< [B, T_out, K] back-tracked beams, best first ([T_out, B, K])
  /// The raw step outputs, each [B, T_out, K] ([T_out, B, K] time-major).
  struct {
    Tensor3<T> scores;
    IntTensor<3> predicted_ids;
    IntTensor<3> parent_ids;
    /// With output_all_scores: [B, T_out, K, V] ([T_out, B, K, V]); else empty.
    Eigen::Tensor<T, 4, Eigen::RowMajor, Index> all_scores;
  } beam_search_decoder_output;
};

/// TF's (final_outputs, final_state, final_sequence_lengths).
template <class Outputs, class State, class Lengths>
struct DynamicDecodeResult {
  /// BasicDecoderOutput or FinalBeamSearchDecoderOutput, stacked over the T_out steps run.
  Outputs outputs;
  /// The decoder's state after the last step, alignment_history trimmed to the steps run.
  State final_state;
  /// int32 lengths: [B] for a BasicDecoder, [B, K] for a BeamSearchDecoder.
  Lengths final_sequence_lengths;
};

namespace detail {

inline void check_decode_options(const DynamicDecodeOptions& o) {
  if (o.maximum_iterations && *o.maximum_iterations < 0) {
    fail("dynamic_decode: maximum_iterations=", *o.maximum_iterations, " must be >= 0");
  }
}

inline bool more_steps(const DynamicDecodeOptions& o, Index time) {
  return !o.maximum_iterations || time < *o.maximum_iterations;
}

/// Steps to make room for before the loop: maximum_iterations, capped so that a huge bound does
/// not allocate (past it the buffers grow geometrically).
inline Index steps_to_reserve(const DynamicDecodeOptions& o) {
  return o.maximum_iterations ? std::min<Index>(*o.maximum_iterations, 256) : 16;
}

/// Room for `steps` steps in a decoder's growing cell state (alignment_history).
template <class Cell>
void reserve_state(const Cell& cell, typename Cell::state_type& state, Index steps,
                   Index& reserved) {
  if constexpr (has_reserve_steps<Cell>::value) {
    if (steps > 0) {
      cell.reserve_steps(state, steps);
      reserved = steps;
    }
  }
}

/// Steps kept as [T, B, rest] (the order steps are produced in) -> `out` [B, T, rest], or
/// [T, B, rest] when time-major is wanted; `out` holds time * batch * rest values.
template <class V>
void stack_steps(const V* steps, Index time, Index batch, Index rest, bool time_major, V* out) {
  if (time_major) {
    std::copy_n(steps, time * batch * rest, out);
    return;
  }
  for (Index t = 0; t < time; ++t) {
    for (Index b = 0; b < batch; ++b) {
      std::copy_n(steps + (t * batch + b) * rest, rest, out + (b * time + t) * rest);
    }
  }
}

/// Resizes `out` to [B, T, rest...] ([T, B, rest...] time-major) and stacks `steps` into it
/// (no allocation when it has that size already).
template <class Out, class V, class... Rest>
void stack_steps_into(const std::vector<V>& steps, Index batch, bool time_major, Out& out,
                      Rest... rest) {
  const Index width = (Index{1} * ... * rest);
  const Index time = batch * width == 0 ? 0 : static_cast<Index>(steps.size()) / (batch * width);
  if (time_major) {
    out.resize(time, batch, rest...);
  } else {
    out.resize(batch, time, rest...);
  }
  stack_steps(steps.data(), time, batch, width, time_major, out.data());
}

/// A decoder's final state into `to` with every alignment_history trimmed to the steps run, as
/// TF returns it (a copy: no allocation when `to` has the sizes already).
template <class State>
void copy_final_state(const State& from, State& to) {
  copy_state(from, to, HistoryCopy::kTrim);
}
template <class CellState, class T>
void copy_final_state(const BeamSearchDecoderState<CellState, T>& from,
                      BeamSearchDecoderState<CellState, T>& to) {
  copy_state(from.cell_state, to.cell_state, HistoryCopy::kTrim);
  to.log_probs = from.log_probs;
  to.finished = from.finished;
  to.lengths = from.lengths;
  to.accumulated_attention_probs = from.accumulated_attention_probs;
}

/// What dynamic_decode keeps besides the decoder's Step: for a BasicDecoder, the running
/// finished flags, every step's outputs and ids and (impute_finished) the kept states; for beam
/// search, the back-tracked ids.
template <class Decoder>
struct DynamicDecodeBuffers {
  typename Decoder::Step step;
  IntTensor<3> ids;  // beam search: the back-tracked ids [T, B, K]
};
template <class Cell, class Helper>
struct DynamicDecodeBuffers<BasicDecoder<Cell, Helper>> {
  typename BasicDecoder<Cell, Helper>::Step step;
  Tensor1<bool> finished;                      // [B]
  std::vector<typename Cell::Scalar> outputs;  // [T, B, output_size]
  std::vector<int32_t> ids;                    // [T, B]
  typename Cell::state_type kept;  // impute_finished: each row's state when it finished
  std::vector<uint8_t> saved;      // [B]: kept holds the row
};

/// dynamic_decode of a BasicDecoder into `result`, working in `buffers` (both reused: no
/// allocation when they last held a decode of the same sizes). The final state is left in
/// buffers.step.state, its alignment_history untrimmed: the caller copies it into the result
/// with copy_state(kTrim) (or trims and moves it).
template <class Cell, class Helper, class Result>
void run_dynamic_decode(const BasicDecoder<Cell, Helper>& decoder,
                        const DynamicDecodeOptions& options,
                        DynamicDecodeBuffers<BasicDecoder<Cell, Helper>>& buffers,
                        Result& result) {
  check_decode_options(options);
  const Index batch = decoder.batch_size(), depth = decoder.output_size();
  auto& s = buffers.step;
  decoder.initialize(s);
  Tensor1<bool>& finished = buffers.finished;
  finished = s.finished;
  if (!more_steps(options, 0)) finished.setConstant(true);
  IntTensor<1>& lengths = result.final_sequence_lengths;
  lengths.resize(batch);
  lengths.setZero();
  auto& outputs = buffers.outputs;
  auto& ids = buffers.ids;
  outputs.clear();
  ids.clear();
  const Index reserve = steps_to_reserve(options);
  outputs.reserve(static_cast<std::size_t>(reserve * batch * depth));
  ids.reserve(static_cast<std::size_t>(reserve * batch));
  reserve_state(decoder.cell(), s.state, reserve, s.reserved);
  if (options.impute_finished) buffers.kept = s.state;
  auto& saved = buffers.saved;
  saved.assign(static_cast<std::size_t>(batch), 0);
  auto all = [](const Tensor1<bool>& f) {
    for (Index b = 0; b < f.size(); ++b) {
      if (!f(b)) return false;
    }
    return true;
  };
  for (Index t = 0; !all(finished) && more_steps(options, t); ++t) {
    if (options.impute_finished) {
      for (Index b = 0; b < batch; ++b) {
        if (finished(b) && !saved[b]) {
          decoder.cell().copy_state_row(s.state, buffers.kept, b);
          saved[b] = 1;
        }
      }
    }
    decoder.step(s);
    for (Index b = 0; b < batch; ++b) {
      if (!finished(b)) lengths(b) = static_cast<int32_t>(t + 1);
      if (options.impute_finished && finished(b)) {
        decoder.cell().copy_state_row(buffers.kept, s.state, b);
        as_matrix(s.rnn_output).row(b).setZero();
        s.sample_id(b) = 0;
      }
    }
    outputs.insert(outputs.end(), s.rnn_output.data(), s.rnn_output.data() + batch * depth);
    ids.insert(ids.end(), s.sample_id.data(), s.sample_id.data() + batch);
    for (Index b = 0; b < batch; ++b) finished(b) = finished(b) || s.finished(b);
  }
  const bool tm = options.output_time_major;
  stack_steps_into(outputs, batch, tm, result.outputs.rnn_output, depth);
  stack_steps_into(ids, batch, tm, result.outputs.sample_id);
}

/// dynamic_decode of a BeamSearchDecoder into `result`, working in `buffers` (both reused); the
/// final state is left in buffers.step.state, as for a BasicDecoder.
template <class Cell, class Result>
void run_dynamic_decode(const BeamSearchDecoder<Cell>& decoder,
                        const DynamicDecodeOptions& options,
                        DynamicDecodeBuffers<BeamSearchDecoder<Cell>>& buffers, Result& result) {
  check_decode_options(options);
  if (options.impute_finished) {
    fail("dynamic_decode: impute_finished=true is not supported with BeamSearchDecoder "
         "(TensorFlow cannot impute beam states either); use false");
  }
  const Index batch = decoder.batch_size(), beams = decoder.beam_width();
  auto& s = buffers.step;
  decoder.initialize(s);
  const Index reserve = steps_to_reserve(options);
  for (auto* kept : {&s.predicted_ids, &s.parent_ids}) {
    kept->reserve(static_cast<std::size_t>(reserve * batch * beams));
  }
  s.scores.reserve(static_cast<std::size_t>(reserve * batch * beams));
  if (decoder.options().output_all_scores) {
    s.all_scores.reserve(static_cast<std::size_t>(reserve * batch * beams * decoder.vocab_size()));
  }
  reserve_state(decoder.cell(), s.state.cell_state, reserve, s.reserved);
  bool stop = !more_steps(options, 0);
  for (Index t = 0; !stop; ++t) {
    decoder.step(s);
    stop = decoder.all_finished(s.state) || !more_steps(options, t + 1);
  }
  const bool tm = options.output_time_major;
  auto& ids = buffers.ids;
  decoder.finalize(s, ids, false);  // [T, B, K]; the histories keep their spare entries
  auto& out = result.outputs;
  out.predicted_ids.resize(tm ? ids.dimension(0) : batch, tm ? batch : ids.dimension(0), beams);
  stack_steps(ids.data(), ids.dimension(0), batch, beams, tm, out.predicted_ids.data());
  auto& raw = out.beam_search_decoder_output;
  stack_steps_into(s.scores, batch, tm, raw.scores, beams);
  stack_steps_into(s.predicted_ids, batch, tm, raw.predicted_ids, beams);
  stack_steps_into(s.parent_ids, batch, tm, raw.parent_ids, beams);
  if (decoder.options().output_all_scores) {
    stack_steps_into(s.all_scores, batch, tm, raw.all_scores, beams, decoder.vocab_size());
  } else {
    raw.all_scores.resize(0, 0, 0, 0);
  }
  result.final_sequence_lengths.resize(batch, beams);
  for (Index i = 0; i < batch * beams; ++i) {
    result.final_sequence_lengths.data()[i] = static_cast<int32_t>(s.state.lengths.data()[i]);
  }
}

}  // namespace detail

/// TF's dynamic_decode for a BasicDecoder:
///   finished = the helper's initial flags (all, when maximum_iterations is 0)
///   while not all(finished) and time < maximum_iterations:
///     step; lengths[b] = time + 1 for rows not finished before the step;
///     impute_finished: rows finished before the step emit zeros and keep their state
///     finished |= the step's flags
/// A row's length counts the step that finished it (its end token); rows that never finish get
/// the number of steps run; rows finished at the start get 0. Fields TF does not copy through
/// (AttentionWrapperState::time and alignment_history) advance for every row.
template <class Cell, class Helper>
DynamicDecodeResult<BasicDecoderOutput<typename Cell::Scalar>, typename Cell::state_type,
                    IntTensor<1>>
dynamic_decode(const BasicDecoder<Cell, Helper>& decoder, const DynamicDecodeOptions& options = {}) {
  DynamicDecodeResult<BasicDecoderOutput<typename Cell::Scalar>, typename Cell::state_type,
                      IntTensor<1>>
      result;
  detail::DynamicDecodeBuffers<BasicDecoder<Cell, Helper>> buffers;
  detail::run_dynamic_decode(decoder, options, buffers, result);
  detail::trim_history(buffers.step.state);
  result.final_state = std::move(buffers.step.state);
  return result;
}

/// TF's dynamic_decode for a BeamSearchDecoder (impute_finished must be false, as TF cannot
/// impute beam states): runs until every beam is finished or maximum_iterations, then finalize
/// (gather_tree, alignment_history re-ordered). final_sequence_lengths = the state's lengths
/// [B, K] as int32 (the end-token step counted).
template <class Cell>
DynamicDecodeResult<FinalBeamSearchDecoderOutput<typename Cell::Scalar>,
                    BeamSearchDecoderState<typename Cell::state_type, typename Cell::Scalar>,
                    IntTensor<2>>
dynamic_decode(const BeamSearchDecoder<Cell>& decoder, const DynamicDecodeOptions& options = {}) {
  DynamicDecodeResult<FinalBeamSearchDecoderOutput<typename Cell::Scalar>,
                      BeamSearchDecoderState<typename Cell::state_type, typename Cell::Scalar>,
                      IntTensor<2>>
      result;
  detail::DynamicDecodeBuffers<BeamSearchDecoder<Cell>> buffers;
  detail::run_dynamic_decode(decoder, options, buffers, result);
  detail::trim_history(buffers.step.state.cell_state);
  result.final_state = std::move(buffers.step.state);
  return result;
}

}  // namespace seq2seq
