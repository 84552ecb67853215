// BeamSearchDecoder: TF's beam search over any cell of the library (usually an AttentionWrapper
// whose memory was tile_batch-ed), with the length and coverage penalties, end-token handling,
// gather_tree back-tracking and alignment_history re-ordered with the beams.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <seq2seq/core/cell_call.hpp>
#include <seq2seq/core/tensor.hpp>
#include <seq2seq/decode/basic_decoder.hpp>
#include <seq2seq/decode/decoder_state.hpp>
#include <seq2seq/decode/dense.hpp>
#include <seq2seq/decode/gather_tree.hpp>
#include <seq2seq/decode/helpers.hpp>

namespace seq2seq {

/// TF's BeamSearchDecoderState. The cell state has B*K rows (row b*K + k is beam k of example
/// b); the rest is [B, K].
template <class CellState, class T>
struct BeamSearchDecoderState {
  CellState cell_state;  ///< the cell's state, B*K rows (row b*K + k is beam k of example b)
  Tensor2<T> log_probs;                   ///< [B, K] raw log-probabilities (no penalties)
  Eigen::Tensor<bool, 2, Eigen::RowMajor, Index> finished;  ///< [B, K]
  Eigen::Tensor<int64_t, 2, Eigen::RowMajor, Index> lengths;  ///< [B, K], EOS step counted
  Tensor3<T> accumulated_attention_probs;  ///< [B, K, memory_time]; empty without coverage
};

/// TF's BeamSearchDecoderOutput of one step: [B, K] each.
template <class T>
struct BeamSearchDecoderOutput {
  Tensor2<T> scores;          ///< the penalised scores that top_k ranked
  IntTensor<2> predicted_ids; ///< the ids chosen (before back-tracking)
  IntTensor<2> parent_ids;    ///< the beam each one continues
};

/// BeamSearchDecoder's options beyond the cell, embedding, tokens, state and width.
template <class T>
struct BeamSearchDecoderOptions {
  std::optional<Dense<T>> output_layer;  ///< projection of the cell output to the logits
  double length_penalty_weight = 0.0;    ///< α of ((5 + len)^α) / (6^α); 0 disables it
  double coverage_penalty_weight = 0.0;  ///< β of Wu et al.; needs an AttentionWrapper cell
  bool reorder_tensor_arrays = true;     ///< re-order alignment_history with the beams
  /// Keep every candidate's penalised score of every step (TFA's output_all_scores):
  /// dynamic_decode returns them as beam_search_decoder_output.all_scores [B, T, K, V].
  bool output_all_scores = false;
};

/// TF's BeamSearchDecoder(cell, embedding, start_tokens, end_token, initial_state, beam_width,
/// output_layer, length_penalty_weight, coverage_penalty_weight, reorder_tensor_arrays), with
/// TF Addons 0.23's arithmetic. Each step, with K beams per example and vocabulary V:
///   logits    = output_layer(cell(inputs [B*K, E], cell_state))         [B, K, V]
///   step_lp   = log_softmax(logits); a finished beam gets 0 at end_token, lowest elsewhere
///   total     = log_probs + step_lp
///   len       = lengths + (id != end_token) * !finished       (EOS not counted for scoring)
///   scores    = total / (((5 + len)^α) / 6^α)   (α = 0: / 1; computed in float32, as TF)
///             + β * Σ_t log(min(acc, 1)) for beams already finished (coverage, acc == 0 -> 1)
///   top K of scores over K*V per example (ties: lower index first); parent = index / V,
///   id = index % V; log_probs, finished, lengths (EOS counted), acc and every batch-indexed
///   tensor of the cell state follow their parent; next inputs = embedding[id], or the start
///   inputs once every beam is finished.
/// Beam 0 starts with log-prob 0, beams 1..K-1 with -inf and finished. The memory, its lengths
/// and the encoder state in `initial_state` must be tile_batch-ed to B*K rows (an Error says so
/// otherwise). dynamic_decode runs it with impute_finished = false (TF cannot impute beams).
template <class Cell>
class BeamSearchDecoder {
 public:
  using Scalar = typename Cell::Scalar;  ///< The cell's scalar: float or double.
  using T = Scalar;                       ///< Shorthand for Scalar.
  using cell_state_type = typename Cell::state_type;  ///< The cell's state, at B*K rows.
  /// The decoder's state: the cell state at B*K rows; log_probs, finished, lengths [B, K].
  using state_type = BeamSearchDecoderState<cell_state_type, T>;
  /// One step's output: scores, predicted_ids and parent_ids, [B, K] each.
  using output_type = BeamSearchDecoderOutput<T>;

  /// Everything one step reads and writes, sized once by initialize(); the step outputs of
  /// every step so far are kept (time-major) for finalize.
  struct Step {
    Index time = 0;        ///< the step that step() runs next
    Tensor2<T> inputs;     ///< [B*K, E]
    state_type state;      ///< the state before step `time`
    output_type output;    ///< the last step's output
    std::vector<T> scores;            ///< every step's scores, [time, B, K]
    std::vector<int32_t> predicted_ids;  ///< every step's ids, [time, B, K]
    std::vector<int32_t> parent_ids;     ///< every step's parents, [time, B, K]
    std::vector<T> all_scores;  ///< with output_all_scores: every candidate's, [time, B, K, V]
    // Workspace.
    typename Cell::Workspace workspace;  ///< the cell's scratch for one step at B*K rows
    RowMatrix<T> cell_output;   ///< [B*K, cell output] (with an output layer)
    RowMatrix<T> logits;        ///< [B*K, V]
    RowMatrix<T> total;         ///< [B, K*V] raw log-probabilities of every candidate
    RowMatrix<T> ranked;        ///< [B, K*V] scores
    RowMatrix<T> attention;     ///< [B*K, Tm] alignments (coverage)
    RowMatrix<T> accumulated;   ///< [B*K, Tm] (coverage)
    std::vector<Index> order;   ///< [K*V] candidate indices
    std::vector<Index> rows;    ///< [B*K] parent rows
    std::vector<uint8_t> was_finished;  ///< [B*K] finished before the step
    std::vector<int64_t> was_length;    ///< [B*K] lengths before the step
    cell_state_type gathered;   ///< the cell state gathered by parent (B*K rows)
    std::vector<int32_t> max_len;  ///< [B] finalize: each example's longest beam
    std::vector<int32_t> beam_ids;  ///< [T, B, K] finalize: each entry's own beam k
    std::vector<int32_t> sorted;    ///< [T, B, K] finalize: the beam whose history entry it takes
    std::vector<T> history_copy;   ///< [T, B*K, Tm] finalize: one history's entries of this decode
    Index reserved = 0;            ///< steps alignment_history has room for
  };

  /// Throws seq2seq::Error unless beam_width > 0, the embedding [V_e, E] feeds the cell
  /// (E = cell input size), start_tokens are rows of it, the logits' width (output layer units
  /// or cell output size) is at most V_e, `initial_state` has batch B*K (tile_batch), and the
  /// coverage penalty, if on, has an AttentionWrapper state to read.
  template <class Embedding>
  BeamSearchDecoder(Cell cell, Embedding&& embedding, const std::vector<int64_t>& start_tokens,
                    int64_t end_token, cell_state_type initial_state, Index beam_width,
                    BeamSearchDecoderOptions<T> options = {})
      : cell_(std::move(cell)),
        helper_(embedding_helper(embedding_arg(std::forward<Embedding>(embedding)), start_tokens,
                                 end_token)),
        initial_state_(std::move(initial_state)),
        beams_(beam_width),
        opt_(std::move(options)) {
    if (beams_ <= 0) detail::fail("BeamSearchDecoder: beam_width=", beams_, " must be positive");
    if (beams_ > std::numeric_limits<int32_t>::max() / helper_.batch_size()) {
      detail::fail("BeamSearchDecoder: beam_width=", beams_, " is too large: times batch ",
                   helper_.batch_size(), " it does not fit int32 (TF's dtype for beam ids)");
    }
    if (helper_.input_size() != cell_.input_size()) {
      detail::fail("BeamSearchDecoder: embedding has shape ", shape_string(helper_.embedding()),
                   ", its depth must be the cell's input size ", cell_.input_size());
    }
    const Index batch = helper_.batch_size();
    cell_.check_state(initial_state_, batch * beams_,
                      "BeamSearchDecoder: initial_state (tile_batch the memory, its lengths and "
                      "the initial state to batch * beam_width = " +
                          std::to_string(batch * beams_) + " rows)");
    const auto& layer = opt_.output_layer;
    if (layer && layer->input_size() != cell_.output_size()) {
      detail::fail("BeamSearchDecoder: output_layer kernel has shape ",
                   shape_string(layer->kernel()), ", expected [cell output size ",
                   cell_.output_size(), ", units]");
    }
    helper_.check_output_size(vocab_size(), "BeamSearchDecoder");
    if (!std::isfinite(opt_.length_penalty_weight) ||
        !std::isfinite(opt_.coverage_penalty_weight)) {
      detail::fail("BeamSearchDecoder: length_penalty_weight=", opt_.length_penalty_weight,
                   " and coverage_penalty_weight=", opt_.coverage_penalty_weight,
                   " must be finite");
    }
    if (coverage()) {
      if constexpr (!detail::has_alignments<cell_state_type>()) {
        detail::fail("BeamSearchDecoder: coverage_penalty_weight must be 0.0 if no cell is "
                     "attentional (the cell state has no alignments)");
      } else if constexpr (detail::is_multi_wrapper_state<cell_state_type>::value) {
        for (const auto& a : initial_state_.alignments) {
          if (a.dimension(1) != initial_state_.alignments[0].dimension(1)) {
            detail::fail("BeamSearchDecoder: the coverage penalty averages the mechanisms' "
                         "alignments, which needs equal memory times; got ",
                         shape_string(initial_state_.alignments[0]), " and ", shape_string(a));
          }
        }
      }
    }
  }

  /// The cell given at construction.
  const Cell& cell() const { return cell_; }
  /// B: the number of start tokens (examples, before tile_batch).
  Index batch_size() const { return helper_.batch_size(); }
  /// K: the beam width given at construction.
  Index beam_width() const { return beams_; }
  /// The end token given at construction.
  int32_t end_token() const { return helper_.end_token(); }
  /// The options given at construction.
  const BeamSearchDecoderOptions<T>& options() const { return opt_; }
  /// V: the width of the logits.
  Index vocab_size() const {
    return opt_.output_layer ? opt_.output_layer->units() : cell_.output_size();
  }

  /// TF's initialize(): start inputs embedding[start_tokens] for every beam, beam 0 alive with
  /// log-prob 0, beams 1..K-1 finished with -inf, lengths 0, accumulated attention = the
  /// initial alignments (with coverage).
  Step initialize() const {
    Step s;
    initialize(s);
    return s;
  }

  /// initialize() into an existing Step, reusing its buffers (the kept step outputs are
  /// emptied, their capacity kept): nothing is allocated when `s` last held a decode of the
  /// same sizes (a DynamicDecodeSession's Step). An alignment_history keeps the room reserved
  /// by the last decode (finalize trims it).
  void initialize(Step& s) const {
    const Index batch = batch_size(), rows = batch * beams_, vocab = vocab_size();
    s.time = 0;
    s.reserved = 0;
    s.inputs.resize(rows, helper_.input_size());
    start_inputs(detail::as_matrix(s.inputs));
    detail::copy_state(initial_state_, s.state.cell_state, detail::HistoryCopy::kKeepRoom);
    s.state.log_probs.resize(batch, beams_);
    s.state.finished.resize(batch, beams_);
    s.state.lengths.resize(batch, beams_);
    s.state.lengths.setZero();
    for (Index b = 0; b < batch; ++b) {
      for (Index k = 0; k < beams_; ++k) {
        s.state.log_probs(b, k) = k == 0 ? T(0) : -std::numeric_limits<T>::infinity();
        s.state.finished(b, k) = k != 0;
      }
    }
    for (auto* ids : {&s.output.predicted_ids, &s.output.parent_ids}) {
      ids->resize(batch, beams_);
      ids->setZero();
    }
    s.output.scores.resize(batch, beams_);
    s.output.scores.setZero();
    s.scores.clear();
    s.predicted_ids.clear();
    s.parent_ids.clear();
    s.all_scores.clear();
    detail::prepare_workspace(cell_, s.workspace, rows);
    if (opt_.output_layer) s.cell_output.resize(rows, cell_.output_size());
    s.logits.resize(rows, vocab);
    s.total.resize(batch, beams_ * vocab);
    s.ranked.resize(batch, beams_ * vocab);
    s.order.resize(static_cast<std::size_t>(beams_ * vocab));
    s.rows.resize(static_cast<std::size_t>(rows));
    s.was_finished.resize(static_cast<std::size_t>(rows));
    s.was_length.resize(static_cast<std::size_t>(rows));
    detail::copy_state(initial_state_, s.gathered, detail::HistoryCopy::kKeepRoom);
    if (!coverage()) {
      s.state.accumulated_attention_probs.resize(0, 0, 0);
    } else if constexpr (detail::has_alignments<cell_state_type>()) {
      const Index tm = alignments_size();
      s.attention.resize(rows, tm);
      s.accumulated.resize(rows, tm);
      detail::attention_probs(initial_state_, s.attention);
      s.state.accumulated_attention_probs.resize(batch, beams_, tm);
      std::copy_n(s.attention.data(), rows * tm, s.state.accumulated_attention_probs.data());
    }
  }

  /// TF's step(): runs step `s.time` for every beam and advances `s`.
  void step(Step& s) const {
    const Index batch = batch_size(), vocab = vocab_size(), cands = beams_ * vocab;
    const int32_t eos = end_token();
    auto& st = s.state;
    detail::reserve_ahead(cell_, st.cell_state, s.time, s.reserved);
    if (opt_.output_layer) {
      cell_.step(detail::as_matrix(s.inputs), st.cell_state, s.cell_output, s.workspace);
      opt_.output_layer->apply(s.cell_output, s.logits);
    } else {
      cell_.step(detail::as_matrix(s.inputs), st.cell_state, s.logits, s.workspace);
    }
    if (coverage()) accumulate_attention(s);
    const T lowest = std::numeric_limits<T>::lowest();
    for (Index b = 0; b < batch; ++b) {
      for (Index k = 0; k < beams_; ++k) {
        const Index r = b * beams_ + k;
        const bool done = st.finished(b, k);
        auto total = s.total.row(b).segment(k * vocab, vocab);
        auto scores = s.ranked.row(b).segment(k * vocab, vocab);
        if (done) {
          for (Index v = 0; v < vocab; ++v) total(v) = st.log_probs(b, k) + (v == eos ? T(0) : lowest);
        } else {
          // log_softmax as TF's kernel: (x - max) - log(Σ exp(x - max)).
          const auto x = s.logits.row(r);
          const T max = x.maxCoeff();
          const T log_sum = std::log((x.array() - max).exp().sum());
          for (Index v = 0; v < vocab; ++v) total(v) = st.log_probs(b, k) + ((x(v) - max) - log_sum);
        }
        const int64_t len = st.lengths(b, k);
        const T kept = length_penalty(len), grown = length_penalty(len + 1);
        for (Index v = 0; v < vocab; ++v) {
          scores(v) = total(v) / (done || v == eos ? kept : grown);
        }
        if (coverage() && done) {
          T penalty = 0;
          for (Index j = 0; j < s.accumulated.cols(); ++j) {
            const T a = s.accumulated(r, j);
            penalty += std::log(std::min(a == T(0) ? T(1) : a, T(1)));
          }
          scores.array() += penalty * static_cast<T>(opt_.coverage_penalty_weight);
        }
      }
      top_k(s, b, cands);
    }
    select(s);
    s.scores.insert(s.scores.end(), s.output.scores.data(),
                    s.output.scores.data() + s.output.scores.size());
    s.predicted_ids.insert(s.predicted_ids.end(), s.output.predicted_ids.data(),
                           s.output.predicted_ids.data() + s.output.predicted_ids.size());
    s.parent_ids.insert(s.parent_ids.end(), s.output.parent_ids.data(),
                        s.output.parent_ids.data() + s.output.parent_ids.size());
    if (opt_.output_all_scores) {
      s.all_scores.insert(s.all_scores.end(), s.ranked.data(), s.ranked.data() + s.ranked.size());
    }
    ++s.time;
  }

  /// Has every beam of every example finished?
  static bool all_finished(const state_type& st) {
    for (Index i = 0; i < st.finished.size(); ++i) {
      if (!st.finished.data()[i]) return false;
    }
    return true;
  }

  /// TF's finalize(): back-tracks the kept step outputs with gather_tree (max length per
  /// example = its longest beam) into `predicted_ids` [T, B, K] (time-major), and, with
  /// reorder_tensor_arrays, re-orders every alignment_history of the cell state with the beams
  /// (TF's gather_tree_from_array); trims spare history entries.
  IntTensor<3> finalize(Step& s) const {
    IntTensor<3> predicted_ids;
    finalize(s, predicted_ids);
    return predicted_ids;
  }

  /// finalize() into `predicted_ids` (resized to [T, B, K]: no allocation when it has that size
  /// already). With `trim` false the spare alignment_history entries stay (the histories then
  /// hold at least `time` entries, the first `time` of them TF's): a session copies the state
  /// out trimmed and keeps the room for its next decode.
  void finalize(Step& s, IntTensor<3>& predicted_ids, bool trim = true) const {
    const Index batch = batch_size(), steps = s.time;
    if (trim) detail::trim_history(s.state.cell_state);
    s.max_len.assign(static_cast<std::size_t>(batch), 0);
    for (Index b = 0; b < batch; ++b) {
      for (Index k = 0; k < beams_; ++k) {
        s.max_len[b] =
            std::max<int32_t>(s.max_len[b], static_cast<int32_t>(s.state.lengths(b, k)));
      }
    }
    if (opt_.reorder_tensor_arrays && steps > 0) reorder_history(s);
    predicted_ids.resize(steps, batch, beams_);
    detail::gather_tree_into(s.predicted_ids.data(), s.parent_ids.data(), steps, batch, beams_,
                             s.max_len, end_token(), predicted_ids.data());
  }

  /// [time, B, K] of one kept step output.
  template <class V>
  Eigen::Tensor<V, 3, Eigen::RowMajor, Index> step_history(const std::vector<V>& kept,
                                                           Index steps) const {
    Eigen::Tensor<V, 3, Eigen::RowMajor, Index> out(steps, batch_size(), beams_);
    std::copy_n(kept.data(), out.size(), out.data());
    return out;
  }

 private:
  bool coverage() const { return opt_.coverage_penalty_weight != 0.0; }

  // The embedding argument, checked at compile time.
  template <class Embedding>
  static Tensor2<T> embedding_arg(Embedding&& embedding) {
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<Embedding>, T, 2,
                                "BeamSearchDecoder: embedding must be rank 2 [vocab_size, depth]");
    return detail::ranked_arg<T, 2>(std::forward<Embedding>(embedding));
  }

  // The embedding, start tokens and end token, checked with errors that name this decoder.
  static GreedyEmbeddingHelper<T> embedding_helper(Tensor2<T> embedding,
                                                   const std::vector<int64_t>& start_tokens,
                                                   int64_t end_token) {
    detail::check_end_token(end_token, "BeamSearchDecoder");
    try {
      return GreedyEmbeddingHelper<T>(std::move(embedding), start_tokens, end_token);
    } catch (const Error& e) {
      const std::string what = e.what(), helper = "GreedyEmbeddingHelper";
      throw Error("BeamSearchDecoder" + (what.rfind(helper, 0) == 0 ? what.substr(helper.size())
                                                                      : ": " + what));
    }
  }

  Index alignments_size() const {
    if constexpr (detail::is_wrapper_state<cell_state_type>::value) {
      return initial_state_.alignments.dimension(1);
    } else if constexpr (detail::is_multi_wrapper_state<cell_state_type>::value) {
      return initial_state_.alignments[0].dimension(1);
    } else {
      return 0;
    }
  }

  void start_inputs(MatrixRef<T> out) const {
    for (Index r = 0; r < out.rows(); ++r) out.row(r) = helper_.start_inputs().row(r / beams_);
  }

  // ((5 + len)^α) / (6^α) in float32 as TF computes it (α = 0: exactly 1).
  T length_penalty(int64_t len) const {
    if (opt_.length_penalty_weight == 0.0) return T(1);
    const float alpha = static_cast<float>(opt_.length_penalty_weight);
    return static_cast<T>(std::pow(5.0f + static_cast<float>(len), alpha) /
                          std::pow(6.0f, alpha));
  }

  // acc = accumulated + alignments ⊙ !finished (before the gather, as TF).
  void accumulate_attention(Step& s) const {
    if constexpr (detail::has_alignments<cell_state_type>()) {
      detail::attention_probs(s.state.cell_state, s.attention);
      const Index tm = s.attention.cols();
      for (Index r = 0; r < s.attention.rows(); ++r) {
        const T alive = s.state.finished(r / beams_, r % beams_) ? T(0) : T(1);
        for (Index j = 0; j < tm; ++j) {
          s.accumulated(r, j) =
              s.state.accumulated_attention_probs.data()[r * tm + j] + s.attention(r, j) * alive;
        }
      }
    }
  }

  // The K best candidates of example b, best first; equal scores: lower index first; a NaN
  // never beats a number.
  void top_k(Step& s, Index b, Index cands) const {
    const auto scores = s.ranked.row(b);
    std::iota(s.order.begin(), s.order.end(), Index{0});
    auto better = [&scores](Index i, Index j) {
      const T a = scores(i), c = scores(j);
      if (a > c) return true;
      if (a < c) return false;
      const bool an = std::isnan(a), cn = std::isnan(c);
      if (an != cn) return cn;
      return i < j;
    };
    std::partial_sort(s.order.begin(), s.order.begin() + beams_, s.order.begin() + cands, better);
    const Index vocab = vocab_size();
    for (Index k = 0; k < beams_; ++k) {
      const Index index = s.order[static_cast<std::size_t>(k)];
      s.output.scores(b, k) = scores(index);
      s.output.predicted_ids(b, k) = static_cast<int32_t>(index % vocab);
      s.output.parent_ids(b, k) = static_cast<int32_t>(index / vocab);
      s.rows[static_cast<std::size_t>(b * beams_ + k)] = b * beams_ + index / vocab;
    }
  }

  // Moves every beam's state to its chosen parent's and picks the next inputs.
  void select(Step& s) const {
    const Index batch = batch_size(), vocab = vocab_size();
    auto& st = s.state;
    std::copy_n(st.finished.data(), batch * beams_, s.was_finished.begin());
    std::copy_n(st.lengths.data(), batch * beams_, s.was_length.begin());
    const int32_t eos = end_token();
    bool all = true;
    for (Index b = 0; b < batch; ++b) {
      for (Index k = 0; k < beams_; ++k) {
        const Index parent = s.output.parent_ids(b, k);
        const int32_t id = s.output.predicted_ids(b, k);
        st.log_probs(b, k) = s.total(b, parent * vocab + id);
        const auto from = static_cast<std::size_t>(b * beams_ + parent);
        const bool was = s.was_finished[from] != 0;
        st.finished(b, k) = was || id == eos;
        st.lengths(b, k) = s.was_length[from] + (was ? 0 : 1);
        all = all && st.finished(b, k);
      }
    }
    if (coverage()) {
      const Index tm = s.accumulated.cols();
      for (Index r = 0; r < batch * beams_; ++r) {
        std::copy_n(s.accumulated.row(s.rows[r]).data(), tm,
                    st.accumulated_attention_probs.data() + r * tm);
      }
    }
    detail::gather_state_rows(st.cell_state, s.gathered, s.rows);
    std::swap(st.cell_state, s.gathered);
    if (all) {
      start_inputs(detail::as_matrix(s.inputs));
    } else {
      detail::embedding_lookup<T>(helper_.embedding(), s.output.predicted_ids.data(),
                                  detail::as_matrix(s.inputs));
    }
  }

  // TF's gather_tree_from_array on every alignment_history: beam k of example b at step t takes
  // the entry of the beam its back-tracked path went through, for t < lengths[b, k]; later
  // steps keep their own beam. (Nothing to do, and nothing allocated, without a history.)
  void reorder_history(Step& s) const {
    const Index steps = s.time, batch = batch_size(), rows = batch * beams_;
    bool any = false;
    detail::for_each_history(s.state.cell_state, [&](auto& history, Index time) {
      any = any || (time >= steps && history.dimension(0) >= time);
    });
    if (!any) return;
    // sorted[t, b, k]: the beam whose entry beam k of example b takes at step t.
    s.beam_ids.resize(static_cast<std::size_t>(steps * rows));
    for (std::size_t i = 0; i < s.beam_ids.size(); ++i) {
      s.beam_ids[i] = static_cast<int32_t>(static_cast<Index>(i) % beams_);
    }
    s.sorted.resize(s.beam_ids.size());
    detail::gather_tree_into(s.beam_ids.data(), s.parent_ids.data(), steps, batch, beams_,
                             s.max_len, static_cast<int32_t>(beams_ + 1), s.sorted.data());
    for (Index t = 0; t < steps; ++t) {
      for (Index r = 0; r < rows; ++r) {
        if (t >= s.state.lengths(r / beams_, r % beams_)) {
          s.sorted[static_cast<std::size_t>(t * rows + r)] = static_cast<int32_t>(r % beams_);
        }
      }
    }
    detail::for_each_history(s.state.cell_state, [&](auto& history, Index time) {
      const Index first = time - steps;  // entries written before this decode stay as they are
      if (first < 0 || history.dimension(0) < time) return;
      const Index tm = history.dimension(2);
      const T* from_entries = history.data() + first * rows * tm;
      s.history_copy.assign(from_entries, from_entries + steps * rows * tm);
      for (Index t = 0; t < steps; ++t) {
        for (Index r = 0; r < rows; ++r) {
          const Index from =
              (r / beams_) * beams_ + s.sorted[static_cast<std::size_t>(t * rows + r)];
          std::copy_n(s.history_copy.data() + (t * rows + from) * tm, tm,
                      history.data() + ((first + t) * rows + r) * tm);
        }
      }
    });
  }

  Cell cell_;
  GreedyEmbeddingHelper<T> helper_;  // the embedding, start inputs and end token
  cell_state_type initial_state_;
  Index beams_;
  BeamSearchDecoderOptions<T> opt_;
};

}  // namespace seq2seq
