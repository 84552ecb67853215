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
  Outputs outputs;
  State final_state;
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

/// [T, B, rest] (the order steps are produced in) -> [B, T, rest] unless time-major is wanted.
template <class V>
Eigen::Tensor<V, 3, Eigen::RowMajor, Index> stack_steps(const std::vector<V>& steps, Index batch,
                                                        Index rest, bool time_major) {
  const Index time = batch * rest == 0 ? 0 : static_cast<Index>(steps.size()) / (batch * rest);
  Eigen::Tensor<V, 3, Eigen::RowMajor, Index> out;
  if (time_major) {
    out.resize(time, batch, rest);
    std::copy_n(steps.data(), out.size(), out.data());
  } else {
    out.resize(batch, time, rest);
    for (Index t = 0; t < time; ++t) {
      for (Index b = 0; b < batch; ++b) {
        std::copy_n(steps.data() + (t * batch + b) * rest, rest, out.data() + (b * time + t) * rest);
      }
    }
  }
  return out;
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
  using T = typename Cell::Scalar;
  detail::check_decode_options(options);
  const Index batch = decoder.batch_size(), depth = decoder.output_size();
  auto s = decoder.initialize();
  Tensor1<bool> finished = s.finished;
  if (!detail::more_steps(options, 0)) finished.setConstant(true);
  IntTensor<1> lengths(batch);
  lengths.setZero();
  std::vector<T> outputs;
  std::vector<int32_t> ids;
  const Index reserve = detail::steps_to_reserve(options);
  outputs.reserve(static_cast<std::size_t>(reserve * batch * depth));
  ids.reserve(static_cast<std::size_t>(reserve * batch));
  detail::reserve_state(decoder.cell(), s.state, reserve, s.reserved);
  // impute_finished: a row's state when it finished, restored after every later step.
  typename Cell::state_type kept = options.impute_finished ? s.state : typename Cell::state_type{};
  std::vector<uint8_t> saved(static_cast<std::size_t>(batch), 0);
  auto all = [](const Tensor1<bool>& f) {
    for (Index b = 0; b < f.size(); ++b) {
      if (!f(b)) return false;
    }
    return true;
  };
  for (Index t = 0; !all(finished) && detail::more_steps(options, t); ++t) {
    if (options.impute_finished) {
      for (Index b = 0; b < batch; ++b) {
        if (finished(b) && !saved[b]) {
          decoder.cell().copy_state_row(s.state, kept, b);
          saved[b] = 1;
        }
      }
    }
    decoder.step(s);
    for (Index b = 0; b < batch; ++b) {
      if (!finished(b)) lengths(b) = static_cast<int32_t>(t + 1);
      if (options.impute_finished && finished(b)) {
        decoder.cell().copy_state_row(kept, s.state, b);
        detail::as_matrix(s.rnn_output).row(b).setZero();
        s.sample_id(b) = 0;
      }
    }
    outputs.insert(outputs.end(), s.rnn_output.data(), s.rnn_output.data() + batch * depth);
    ids.insert(ids.end(), s.sample_id.data(), s.sample_id.data() + batch);
    for (Index b = 0; b < batch; ++b) finished(b) = finished(b) || s.finished(b);
  }
  decoder.finalize(s);
  const bool tm = options.output_time_major;
  const auto stacked_ids = detail::stack_steps(ids, batch, 1, tm);
  IntTensor<2> sample_id(stacked_ids.dimension(0), stacked_ids.dimension(1));
  std::copy_n(stacked_ids.data(), stacked_ids.size(), sample_id.data());
  return {{detail::stack_steps(outputs, batch, depth, tm), std::move(sample_id)},
          std::move(s.state),
          std::move(lengths)};
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
  detail::check_decode_options(options);
  if (options.impute_finished) {
    detail::fail("dynamic_decode: impute_finished=true is not supported with BeamSearchDecoder "
                 "(TensorFlow cannot impute beam states either); use false");
  }
  const Index batch = decoder.batch_size(), beams = decoder.beam_width();
  auto s = decoder.initialize();
  const Index reserve = detail::steps_to_reserve(options);
  for (auto* kept : {&s.predicted_ids, &s.parent_ids}) {
    kept->reserve(static_cast<std::size_t>(reserve * batch * beams));
  }
  s.scores.reserve(static_cast<std::size_t>(reserve * batch * beams));
  if (decoder.options().output_all_scores) {
    s.all_scores.reserve(static_cast<std::size_t>(reserve * batch * beams * decoder.vocab_size()));
  }
  detail::reserve_state(decoder.cell(), s.state.cell_state, reserve, s.reserved);
  bool stop = !detail::more_steps(options, 0);
  for (Index t = 0; !stop; ++t) {
    decoder.step(s);
    stop = decoder.all_finished(s.state) || !detail::more_steps(options, t + 1);
  }
  const bool tm = options.output_time_major;
  DynamicDecodeResult<FinalBeamSearchDecoderOutput<typename Cell::Scalar>,
                      BeamSearchDecoderState<typename Cell::state_type, typename Cell::Scalar>,
                      IntTensor<2>>
      result;
  const IntTensor<3> ids = decoder.finalize(s);  // [T, B, K]
  auto batch_major = [&](const auto& time_major) {
    std::vector<typename std::decay_t<decltype(time_major)>::Scalar> v(
        time_major.data(), time_major.data() + time_major.size());
    return detail::stack_steps(v, batch, beams, tm);
  };
  result.outputs.predicted_ids = batch_major(ids);
  result.outputs.beam_search_decoder_output.scores = detail::stack_steps(s.scores, batch, beams, tm);
  result.outputs.beam_search_decoder_output.predicted_ids =
      detail::stack_steps(s.predicted_ids, batch, beams, tm);
  result.outputs.beam_search_decoder_output.parent_ids =
      detail::stack_steps(s.parent_ids, batch, beams, tm);
  if (decoder.options().output_all_scores) {
    const Index vocab = decoder.vocab_size();
    const auto flat = detail::stack_steps(s.all_scores, batch, beams * vocab, tm);
    auto& all = result.outputs.beam_search_decoder_output.all_scores;
    all.resize(flat.dimension(0), flat.dimension(1), beams, vocab);
    std::copy_n(flat.data(), flat.size(), all.data());
  }
  result.final_sequence_lengths = IntTensor<2>(batch, beams);
  for (Index i = 0; i < batch * beams; ++i) {
    result.final_sequence_lengths.data()[i] = static_cast<int32_t>(s.state.lengths.data()[i]);
  }
  result.final_state = std::move(s.state);
  return result;
}

}  // namespace seq2seq
