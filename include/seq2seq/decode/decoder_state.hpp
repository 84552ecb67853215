// What the decoders do to a cell's state, for every state structure of the library (a tensor,
// LSTMStateTuple, a MultiRNNCell tuple, AttentionWrapperState and its multi form): gather beam
// rows, trim and re-order alignment_history, read the alignments for the coverage penalty.
#pragma once

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <seq2seq/attention/attention_wrapper.hpp>
#include <seq2seq/cells/lstm_cell.hpp>
#include <seq2seq/core/tensor.hpp>

namespace seq2seq::detail {

// Declared first so that the overloads can recurse into each other (a wrapper around a
// MultiRNNCell whose layers are LSTMs, ...).
template <class T>
void gather_state_rows(Tensor2<T>& from, Tensor2<T>& to, const std::vector<Index>& rows);
template <class T>
void gather_state_rows(LSTMStateTuple<T>& from, LSTMStateTuple<T>& to,
                       const std::vector<Index>& rows);
template <class... S>
void gather_state_rows(std::tuple<S...>& from, std::tuple<S...>& to,
                       const std::vector<Index>& rows);
template <class CS, class T>
void gather_state_rows(AttentionWrapperState<CS, T>& from, AttentionWrapperState<CS, T>& to,
                       const std::vector<Index>& rows);
template <class CS, class T>
void gather_state_rows(MultiAttentionWrapperState<CS, T>& from,
                       MultiAttentionWrapperState<CS, T>& to, const std::vector<Index>& rows);

/// to.row(i) = from.row(rows[i]) for every batch-indexed tensor of a state (beam search's
/// gather by parent ids). As in TF, `time` and the alignment_history TensorArray are not
/// gathered: they move from `from` to `to` unchanged. `to` must have `from`'s shapes.
template <class T>
void gather_state_rows(Tensor2<T>& from, Tensor2<T>& to, const std::vector<Index>& rows) {
  auto src = as_matrix(from);
  auto dst = as_matrix(to);
  for (std::size_t i = 0; i < rows.size(); ++i) dst.row(static_cast<Index>(i)) = src.row(rows[i]);
}
template <class T>
void gather_state_rows(LSTMStateTuple<T>& from, LSTMStateTuple<T>& to,
                       const std::vector<Index>& rows) {
  gather_state_rows(from.c, to.c, rows);
  gather_state_rows(from.h, to.h, rows);
}
template <class... S>
void gather_state_rows(std::tuple<S...>& from, std::tuple<S...>& to,
                       const std::vector<Index>& rows) {
  std::apply([&](auto&... f) {
    std::apply([&](auto&... t) { (gather_state_rows(f, t, rows), ...); }, to);
  }, from);
}
template <class CS, class T>
void gather_state_rows(AttentionWrapperState<CS, T>& from, AttentionWrapperState<CS, T>& to,
                       const std::vector<Index>& rows) {
  gather_state_rows(from.cell_state, to.cell_state, rows);
  gather_state_rows(from.attention, to.attention, rows);
  gather_state_rows(from.alignments, to.alignments, rows);
  gather_state_rows(from.attention_state, to.attention_state, rows);
  to.time = from.time;
  std::swap(to.alignment_history, from.alignment_history);
}
template <class CS, class T>
void gather_state_rows(MultiAttentionWrapperState<CS, T>& from,
                       MultiAttentionWrapperState<CS, T>& to, const std::vector<Index>& rows) {
  gather_state_rows(from.cell_state, to.cell_state, rows);
  gather_state_rows(from.attention, to.attention, rows);
  for (std::size_t i = 0; i < from.alignments.size(); ++i) {
    gather_state_rows(from.alignments[i], to.alignments[i], rows);
    gather_state_rows(from.attention_state[i], to.attention_state[i], rows);
  }
  to.time = from.time;
  std::swap(to.alignment_history, from.alignment_history);
}

template <class State>
struct is_std_tuple : std::false_type {};
template <class... S>
struct is_std_tuple<std::tuple<S...>> : std::true_type {};

template <class State>
struct is_wrapper_state : std::false_type {};
template <class CS, class T>
struct is_wrapper_state<AttentionWrapperState<CS, T>> : std::true_type {};
template <class State>
struct is_multi_wrapper_state : std::false_type {};
template <class CS, class T>
struct is_multi_wrapper_state<MultiAttentionWrapperState<CS, T>> : std::true_type {};

/// Calls f(history, time) for every alignment_history tensor [entries, batch, memory_time] in a
/// state, with the state's time (the number of valid entries).
template <class State, class F>
void for_each_history(State& s, F&& f) {
  if constexpr (is_std_tuple<State>::value) {
    std::apply([&](auto&... layer) { (for_each_history(layer, f), ...); }, s);
  } else if constexpr (is_wrapper_state<State>::value) {
    for_each_history(s.cell_state, f);
    f(s.alignment_history, static_cast<Index>(s.time));
  } else if constexpr (is_multi_wrapper_state<State>::value) {
    for_each_history(s.cell_state, f);
    for (auto& h : s.alignment_history) f(h, static_cast<Index>(s.time));
  }
}

/// Drops the spare entries that the decoders reserve ahead in every alignment_history, so that
/// it holds exactly `time` entries, as TF's stacked TensorArray does.
template <class State>
void trim_history(State& s) {
  for_each_history(s, [](auto& history, Index time) {
    if (history.dimension(0) <= time) return;
    std::remove_reference_t<decltype(history)> kept(time, history.dimension(1),
                                                    history.dimension(2));
    std::copy_n(history.data(), kept.size(), kept.data());
    history = std::move(kept);
  });
}

/// How copy_state treats every alignment_history of a state.
enum class HistoryCopy {
  /// Keep the destination's tensor when it already has room for the source's entries (the
  /// spare entries a decoder reserved ahead): copy the entries into its front.
  kKeepRoom,
  /// Exactly `time` entries, as TF's stacked TensorArray (trim_history's result).
  kTrim,
};

template <class State, std::size_t... I>
void copy_tuple_state(const State& from, State& to, HistoryCopy history,
                      std::index_sequence<I...>);

/// `to` = `from` for every field of a state, without allocating when `to` already has the
/// sizes (a session's buffers); alignment_history as `history` says.
template <class State>
void copy_state(const State& from, State& to, HistoryCopy history) {
  auto copy_history = [history](const auto& h, auto& into, Index time) {
    const Index entries = history == HistoryCopy::kTrim ? std::min(time, h.dimension(0))
                                                        : h.dimension(0);
    const bool room = history == HistoryCopy::kKeepRoom && into.dimension(0) >= entries &&
                      into.dimension(1) == h.dimension(1) && into.dimension(2) == h.dimension(2);
    if (!room) into.resize(entries, h.dimension(1), h.dimension(2));
    std::copy_n(h.data(), entries * h.dimension(1) * h.dimension(2), into.data());
  };
  if constexpr (is_std_tuple<State>::value) {
    copy_tuple_state(from, to, history, std::make_index_sequence<std::tuple_size_v<State>>());
  } else if constexpr (is_wrapper_state<State>::value || is_multi_wrapper_state<State>::value) {
    copy_state(from.cell_state, to.cell_state, history);
    to.attention = from.attention;
    to.time = from.time;
    to.alignments = from.alignments;
    to.attention_state = from.attention_state;
    const auto time = static_cast<Index>(from.time);
    if constexpr (is_wrapper_state<State>::value) {
      copy_history(from.alignment_history, to.alignment_history, time);
    } else {
      to.alignment_history.resize(from.alignment_history.size());
      for (std::size_t i = 0; i < from.alignment_history.size(); ++i) {
        copy_history(from.alignment_history[i], to.alignment_history[i], time);
      }
    }
  } else {
    to = from;
  }
}

template <class State, std::size_t... I>
void copy_tuple_state(const State& from, State& to, HistoryCopy history,
                      std::index_sequence<I...>) {
  (copy_state(std::get<I>(from), std::get<I>(to), history), ...);
}

/// Does the state carry the attention alignments that beam search's coverage penalty needs?
template <class State>
constexpr bool has_alignments() {
  return is_wrapper_state<State>::value || is_multi_wrapper_state<State>::value;
}

/// The alignments [rows, memory_time] of a wrapper state into `out`; with several mechanisms
/// their mean (TF: stack on a new last axis, reduce_mean), which needs equal memory times.
template <class State, class T>
void attention_probs(const State& s, RowMatrix<T>& out) {
  if constexpr (is_wrapper_state<State>::value) {
    out = as_matrix(s.alignments);
  } else if constexpr (is_multi_wrapper_state<State>::value) {
    out.setZero();
    for (const auto& a : s.alignments) out += as_matrix(a);
    out /= static_cast<T>(s.alignments.size());
  }
}

}  // namespace seq2seq::detail
