// tile_batch: repeats every batch row K times in place (row b -> rows b*K .. b*K+K-1), as
// tfa.seq2seq.tile_batch does for beam search. Not tf.tile, which repeats the whole batch.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <tuple>
#include <type_traits>
#include <vector>

#include <seq2seq/cells/lstm_cell.hpp>
#include <seq2seq/core/tensor.hpp>

namespace seq2seq {

namespace detail {
/// Throws unless multiplier > 0 and `count` values times it stay within `limit`.
inline void check_multiplier(Index multiplier, Index count,
                             Index limit = std::numeric_limits<Index>::max()) {
  if (multiplier <= 0) detail::fail("tile_batch: multiplier=", multiplier, " must be positive");
  if (count > 0 && multiplier > limit / count) {
    detail::fail("tile_batch: multiplier=", multiplier, " times ", count, " values is too large");
  }
}
}  // namespace detail

/// A tensor [B, ...] -> [B*K, ...] with rows t[0] K times, then t[1] K times, ... (K =
/// `multiplier`). Tile the memory, the memory_sequence_length and the encoder's final state this
/// way before building a BeamSearchDecoder's AttentionWrapper. Throws unless multiplier > 0 and
/// the tensor has rank >= 1.
template <class X, class T = typename detail::tensor_info<X>::Scalar,
          int Rank = detail::tensor_info<X>::rank,
          std::enable_if_t<detail::tensor_info<X>::is_tensor, int> = 0>
RankedTensor<T, Rank> tile_batch(const X& t_arg, Index multiplier) {
  static_assert(Rank >= 1, "tile_batch: t must have a batch dimension (rank >= 1); got rank 0");
  SEQ2SEQ_STATIC_CHECK_TENSOR(X, T, Rank, "tile_batch: t must be a row-major tensor [batch, ...]");
  const detail::EigenTensor<T, Rank>& t = detail::tensor_arg<T, Rank>(t_arg);
  detail::check_multiplier(multiplier, t.size());
  auto dims = t.dimensions();
  const Index batch = dims[0];
  const Index row = batch == 0 ? 0 : t.size() / batch;
  dims[0] = batch * multiplier;
  RankedTensor<T, Rank> out(dims);
  for (Index b = 0; b < batch; ++b) {
    for (Index k = 0; k < multiplier; ++k) {
      std::copy_n(t.data() + b * row, row, out.data() + (b * multiplier + k) * row);
    }
  }
  return out;
}

/// Lengths [B] (e.g. memory_sequence_length) -> [B*K], each entry repeated K times.
template <class Int>
std::vector<Int> tile_batch(const std::vector<Int>& lengths, Index multiplier) {
  std::vector<Int> out;
  detail::check_multiplier(multiplier, static_cast<Index>(lengths.size()),
                           static_cast<Index>(std::min<std::size_t>(
                               out.max_size(), std::numeric_limits<Index>::max())));
  out.reserve(lengths.size() * static_cast<std::size_t>(multiplier));
  for (const Int& v : lengths) out.insert(out.end(), static_cast<std::size_t>(multiplier), v);
  return out;
}

/// An LSTM state: c and h tiled.
template <class T>
LSTMStateTuple<T> tile_batch(const LSTMStateTuple<T>& s, Index multiplier) {
  return {tile_batch(s.c, multiplier), tile_batch(s.h, multiplier)};
}

/// A MultiRNNCell state: every layer's state tiled.
template <class... States>
std::tuple<States...> tile_batch(const std::tuple<States...>& s, Index multiplier) {
  return std::apply(
      [multiplier](const auto&... layer) {
        return std::tuple<States...>{tile_batch(layer, multiplier)...};
      },
      s);
}

}  // namespace seq2seq
