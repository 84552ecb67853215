// bidirectional_dynamic_rnn: a forward and a backward dynamic_rnn over the same inputs, with
// TensorFlow 1.x graph-mode semantics (tf.compat.v1.nn.bidirectional_dynamic_rnn).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <seq2seq/core/tensor.hpp>
#include <seq2seq/rnn/dynamic_rnn.hpp>

namespace seq2seq {

/// What bidirectional_dynamic_rnn returns: TF's `((outputs_fw, outputs_bw), (state_fw,
/// state_bw))` as named fields, usable with structured bindings in this order.
template <class T, class StateFw, class StateBw>
struct BidirectionalDynamicRnnResult {
  Tensor3<T> outputs_fw;   ///< [B, T, fw output_size], or [T, B, ...] when time_major
  Tensor3<T> outputs_bw;   ///< [B, T, bw output_size], in input order (already reversed back)
  StateFw final_state_fw;  ///< the fw state after each row's last step
  StateBw final_state_bw;  ///< the bw state after each row's step at t = 0
};

namespace detail {

// TF's reverse_sequence along the time axis of [B, T, D] ([T, B, D] when time_major): row b's
// first len_b steps are reversed, its padding stays in place; no lengths reverse all T steps.
// Lengths are the caller's contract (0..T).
template <class T>
Tensor3<T> reverse_sequence(const EigenTensor<T, 3>& x, const std::vector<int64_t>& lengths,
                            bool time_major) {
  const Index batch = x.dimension(time_major ? 1 : 0);
  const Index max_time = x.dimension(time_major ? 0 : 1);
  const Index depth = x.dimension(2);
  const auto at = [&](Index b, Index t) {
    return (time_major ? t * batch + b : b * max_time + t) * depth;
  };
  Tensor3<T> out(x.dimensions());
  for (Index b = 0; b < batch; ++b) {
    const Index len = lengths.empty() ? max_time : static_cast<Index>(lengths[b]);
    for (Index t = 0; t < max_time; ++t) {
      const Index from = t < len ? len - 1 - t : t;
      std::copy_n(x.data() + at(b, from), depth, out.data() + at(b, t));
    }
  }
  return out;
}

}  // namespace detail

/// Runs `cell_fw` over `inputs` and `cell_bw` over each row's first sequence_length[b] steps in
/// reverse, like tf.compat.v1.nn.bidirectional_dynamic_rnn in graph mode:
///  - `inputs` [B, T, D] ([T, B, D] when `time_major`); both cells' input size must be D.
///  - forward: dynamic_rnn(cell_fw, inputs, sequence_length, initial_state_fw, time_major).
///  - backward: x_rev = reverse_sequence(inputs, sequence_length) (row b's steps 0..len_b-1
///    reversed, its padding left in place; a full reverse of the time axis without lengths),
///    then dynamic_rnn(cell_bw, x_rev, ...), whose outputs are reversed back the same way. So
///    outputs_bw[b, t] for t < len_b has consumed x[b, len_b-1] ... x[b, t], final_state_bw is
///    the state after x[b, 0], and both outputs are exactly 0 for t >= len_b.
///  - `sequence_length`: empty (every row runs T steps) or B lengths in 0..T; initial states
///    default to each cell's zero_state(B).
/// `inputs` takes the forms dynamic_rnn takes (a wrong rank does not compile).
/// Throws seq2seq::Error naming bidirectional_dynamic_rnn on any shape or length mismatch.
/// Allocates per call (the reversed copies), never per step.
template <class CellFw, class CellBw, class Inputs>
BidirectionalDynamicRnnResult<typename CellFw::Scalar, typename CellFw::state_type,
                              typename CellBw::state_type>
bidirectional_dynamic_rnn(const CellFw& cell_fw, const CellBw& cell_bw, const Inputs& inputs_arg,
                          const std::vector<int64_t>& sequence_length = {},
                          std::optional<typename CellFw::state_type> initial_state_fw = std::nullopt,
                          std::optional<typename CellBw::state_type> initial_state_bw = std::nullopt,
                          bool time_major = false) {
  static_assert(std::is_same_v<typename CellFw::Scalar, typename CellBw::Scalar>,
                "cell_fw and cell_bw must have the same Scalar type");
  using T = typename CellFw::Scalar;
  SEQ2SEQ_STATIC_CHECK_TENSOR(Inputs, T, 3,
                              "bidirectional_dynamic_rnn: inputs must be rank 3 [batch, time, "
                              "depth] (or [time, batch, depth] with time_major)");
  const detail::EigenTensor<T, 3>& inputs = detail::tensor_arg<T, 3>(inputs_arg);
  const char* where = "bidirectional_dynamic_rnn: ";
  const Index batch = inputs.dimension(time_major ? 1 : 0);
  const Index max_time = inputs.dimension(time_major ? 0 : 1);
  const Index depth = inputs.dimension(2);
  const char* layout = time_major ? "[max_time, batch, depth]" : "[batch, max_time, depth]";
  if (batch <= 0 || max_time <= 0) {
    detail::fail(where, "inputs has shape ", shape_string(inputs), " (", layout,
                 "); batch and max_time must be positive");
  }
  if (depth != cell_fw.input_size() || depth != cell_bw.input_size()) {
    detail::fail(where, "inputs has shape ", shape_string(inputs), " (", layout, "), depth ",
                 depth, " must equal cell_fw's input size ", cell_fw.input_size(),
                 " and cell_bw's input size ", cell_bw.input_size());
  }
  if (!sequence_length.empty()) {
    if (static_cast<Index>(sequence_length.size()) != batch) {
      detail::fail(where, "sequence_length has ", sequence_length.size(),
                   " entries, expected batch ", batch, " (inputs ", shape_string(inputs), ")");
    }
    for (std::size_t b = 0; b < sequence_length.size(); ++b) {
      if (sequence_length[b] < 0) {
        detail::fail(where, "sequence_length[", b, "]=", sequence_length[b], " is negative");
      }
      if (sequence_length[b] > max_time) {
        detail::fail(where, "sequence_length[", b, "]=", sequence_length[b],
                     " exceeds max_time=", max_time, " (inputs ", shape_string(inputs), ")");
      }
    }
  }
  if (initial_state_fw) {
    cell_fw.check_state(*initial_state_fw, batch, std::string(where) + "initial_state_fw");
  }
  if (initial_state_bw) {
    cell_bw.check_state(*initial_state_bw, batch, std::string(where) + "initial_state_bw");
  }

  auto fw = dynamic_rnn(cell_fw, inputs, sequence_length, std::move(initial_state_fw),
                        time_major);
  auto bw = dynamic_rnn(cell_bw, detail::reverse_sequence(inputs, sequence_length, time_major),
                        sequence_length, std::move(initial_state_bw), time_major);
  return {std::move(fw.outputs),
          detail::reverse_sequence(bw.outputs, sequence_length, time_major),
          std::move(fw.final_state), std::move(bw.final_state)};
}

}  // namespace seq2seq
