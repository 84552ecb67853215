// gather_tree: back-tracks beam search's per-step ids through the parent ids into whole beams
// (tfa.seq2seq.gather_tree, the GatherTree kernel).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include <seq2seq/core/tensor.hpp>

namespace seq2seq {

/// Int32 tensors of beam search: [max_time, batch, beam_width] ids, [batch, beam_width] ...
template <int Rank>
using IntTensor = RankedTensor<int32_t, Rank>;

namespace detail {

/// gather_tree on raw [steps, batch, beams] arrays into `out` (same shape, written whole);
/// max_sequence_lengths has `batch` entries. Throws on a parent outside [0, beams).
inline void gather_tree_into(const int32_t* step_ids, const int32_t* parent_ids, Index steps,
                             Index batch, Index beams,
                             const std::vector<int32_t>& max_sequence_lengths, int32_t end_token,
                             int32_t* out) {
  std::fill_n(out, steps * batch * beams, end_token);
  auto at = [&](Index t, Index b, Index k) { return (t * batch + b) * beams + k; };
  for (Index b = 0; b < batch; ++b) {
    const Index length = std::min<Index>(steps, max_sequence_lengths[b]);
    if (length <= 0) continue;
    for (Index t = 0; t < length; ++t) {  // every parent within the length, as TFA checks
      for (Index k = 0; k < beams; ++k) {
        const int32_t parent = parent_ids[at(t, b, k)];
        if (parent < 0 || parent >= beams) {
          fail("gather_tree: parent_ids[", t, ",", b, ",", k, "]=", parent,
               " is outside [0, beam_width=", beams, ")");
        }
      }
    }
    for (Index k = 0; k < beams; ++k) {
      out[at(length - 1, b, k)] = step_ids[at(length - 1, b, k)];
      int32_t parent = parent_ids[at(length - 1, b, k)];
      for (Index t = length - 2; t >= 0; --t) {
        out[at(t, b, k)] = step_ids[at(t, b, parent)];
        parent = parent_ids[at(t, b, parent)];
      }
      bool ended = false;
      for (Index t = 0; t < length; ++t) {
        if (ended) out[at(t, b, k)] = end_token;
        ended = ended || out[at(t, b, k)] == end_token;
      }
    }
  }
}

}  // namespace detail

/// step_ids and parent_ids [T, B, K] -> beams [T, B, K], as TF's GatherTree kernel: for each
/// (b, k), L = min(T, max_sequence_lengths[b]); out[L-1] = step_ids[L-1, b, k] and, going back,
/// out[t] = step_ids[t, b, p] with p the parent recorded at t+1; every position at or after
/// L, and after the first `end_token` of a beam, is `end_token`. Rows with L <= 0 are all
/// end_token. Throws seq2seq::Error on mismatched shapes and on any parent id outside [0, K) at
/// a step below its example's L (as TFA's gather_tree, which TF 2.15 runs; TF's C++ kernel
/// checked only the parents it reached, and let p == K read past the beam). step_ids and
/// parent_ids may be IntTensor<3>s, int32 Eigen::Tensors, TensorMaps or expressions.
template <class StepIds, class ParentIds>
IntTensor<3> gather_tree(const StepIds& step_ids_arg, const ParentIds& parent_ids_arg,
                         const std::vector<int32_t>& max_sequence_lengths, int32_t end_token) {
  SEQ2SEQ_STATIC_CHECK_TENSOR(StepIds, int32_t, 3,
                              "gather_tree: step_ids must be rank 3 [max_time, batch, beam_width] "
                              "of int32");
  SEQ2SEQ_STATIC_CHECK_TENSOR(ParentIds, int32_t, 3,
                              "gather_tree: parent_ids must be rank 3 [max_time, batch, "
                              "beam_width] of int32");
  const detail::EigenTensor<int32_t, 3>& step_ids = detail::tensor_arg<int32_t, 3>(step_ids_arg);
  const detail::EigenTensor<int32_t, 3>& parent_ids =
      detail::tensor_arg<int32_t, 3>(parent_ids_arg);
  const Index steps = step_ids.dimension(0), batch = step_ids.dimension(1);
  const Index beams = step_ids.dimension(2);
  detail::check_shape(parent_ids, {steps, batch, beams},
                      "gather_tree: parent_ids (step_ids " + shape_string(step_ids) + ")");
  if (static_cast<Index>(max_sequence_lengths.size()) != batch) {
    detail::fail("gather_tree: max_sequence_lengths has ", max_sequence_lengths.size(),
                 " entries, expected batch ", batch, " (step_ids ", shape_string(step_ids), ")");
  }
  IntTensor<3> out(steps, batch, beams);
  detail::gather_tree_into(step_ids.data(), parent_ids.data(), steps, batch, beams,
                           max_sequence_lengths, end_token, out.data());
  return out;
}

}  // namespace seq2seq
