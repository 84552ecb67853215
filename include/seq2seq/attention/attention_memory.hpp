// What every attention mechanism shares: the memory prepared as TF's _prepare_memory does it
// (masked values, projected keys, per-row lengths) and the scratch of one `align` call.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <seq2seq/attention/probability_fn.hpp>
#include <seq2seq/core/gemm.hpp>
#include <seq2seq/core/tensor.hpp>

namespace seq2seq::detail {

/// A mechanism's memory. `values` [B, Tm, Dm] is the memory with every position t >= length[b]
/// zeroed; `keys` [B, Tm, U] = values · memory_layer/kernel, computed once (bias-free, so padded
/// keys are 0 too). Scores are computed for t < length[b] only: the masked positions' scores are
/// never read (TF sets them to −inf / dtype.min before the probability function).
template <class T>
struct AttentionMemory {
  Index batch = 0, time = 0, depth = 0, units = 0;
  std::vector<Index> lengths;  // per row; Tm for every row when no lengths were given
  Tensor3<T> values, keys;

  AttentionMemory() = default;

  /// `where` names the mechanism in messages ("LuongAttention"). `memory_sequence_length` is
  /// empty (no masking) or B values in 1..Tm (TensorFlow asserts they are positive).
  AttentionMemory(const std::string& where, Index num_units, const EigenTensor<T, 3>& memory,
                  const std::vector<int64_t>& memory_sequence_length,
                  const Tensor2<T>& memory_layer_kernel)
      : batch(memory.dimension(0)),
        time(memory.dimension(1)),
        depth(memory.dimension(2)),
        units(num_units) {
    if (units <= 0) fail(where, ": num_units=", units, " must be positive");
    if (batch <= 0 || time <= 0 || depth <= 0) {
      fail(where, ": memory has shape ", shape_string(memory),
           ", expected [batch, memory_time, memory_depth] with every size > 0");
    }
    check_shape(memory_layer_kernel, {depth, units}, where + ": memory_layer/kernel");
    set_lengths(where, memory_sequence_length, memory);

    values = memory;
    for (Index b = 0; b < batch; ++b) {
      for (Index t = lengths[b]; t < time; ++t) {
        for (Index d = 0; d < depth; ++d) values(b, t, d) = T(0);
      }
    }
    keys = Tensor3<T>(batch, time, units);
    gemm<T>(Eigen::Map<const RowMatrix<T>>(values.data(), batch * time, depth),
            as_matrix(memory_layer_kernel),
            Eigen::Map<RowMatrix<T>>(keys.data(), batch * time, units));
  }

  /// The first `rows` keys of batch row `b`, [rows, U].
  Eigen::Map<const RowMatrix<T>> keys_of(Index b, Index rows) const {
    return Eigen::Map<const RowMatrix<T>>(keys.data() + b * time * units, rows, units);
  }

 private:
  void set_lengths(const std::string& where, const std::vector<int64_t>& given,
                   const EigenTensor<T, 3>& memory) {
    if (given.empty()) {
      lengths.assign(static_cast<std::size_t>(batch), time);
      return;
    }
    if (static_cast<Index>(given.size()) != batch) {
      fail(where, ": memory_sequence_length has ", given.size(),
           " entries, expected the memory batch ", batch, " (memory ", shape_string(memory), ")");
    }
    for (std::size_t b = 0; b < given.size(); ++b) {
      if (given[b] > time) {
        fail(where, ": memory_sequence_length[", b, "]=", given[b], " exceeds memory_time=", time,
             " (memory ", shape_string(memory), ", [batch, memory_time, memory_depth])");
      }
      if (given[b] <= 0) {
        fail(where, ": memory_sequence_length[", b, "]=", given[b],
             " is not positive (memory ", shape_string(memory),
             "); TensorFlow requires every length to be in 1..memory_time=", time);
      }
    }
    lengths.assign(given.begin(), given.end());
  }
};

/// Scratch for one `align` call of any mechanism (its `Workspace`); sized by make_workspace.
template <class T>
struct AttentionWorkspace {
  RowMatrix<T> processed_query;  // [B, U]   query · query_layer/kernel (additive scores only)
  RowVector<T> sort;             // [Tm]     sparsemax's sort buffer
  /// The memory row of the query's row 0: a part of a batch split aligns its rows of the memory
  /// (0 otherwise). align reads memory rows first_row .. first_row + query rows.
  Index first_row = 0;
};

/// Mechanism workspaces that can point align at a range of memory rows (first_row): the
/// library's. A wrapper over another mechanism does not split its batch between threads.
template <class Workspace, class = void>
struct has_first_row : std::false_type {};
template <class Workspace>
struct has_first_row<Workspace, std::void_t<decltype(std::declval<Workspace&>().first_row)>>
    : std::true_type {};

/// The memory row of a query's row 0 in `ws` (0 for workspaces without first_row).
template <class Workspace>
Index first_row_of(const Workspace& ws) {
  if constexpr (has_first_row<Workspace>::value) {
    return ws.first_row;
  } else {
    return 0;
  }
}

/// Points `ws` at memory rows from `first` on (workspaces without first_row: nothing to do).
template <class Workspace>
void set_first_row(Workspace& ws, Index first) {
  if constexpr (has_first_row<Workspace>::value) ws.first_row = first;
}

/// Sizes `ws` for `memory` in place (allocates only when a size changes); `additive` sizes the
/// Bahdanau buffers (empty otherwise).
template <class T>
void prepare_attention_workspace(const AttentionMemory<T>& m, AttentionWorkspace<T>& ws,
                                 bool additive) {
  ws.processed_query.resize(additive ? m.batch : 0, additive ? m.units : 0);
  ws.sort.resize(m.time);
}

/// A workspace for `memory`; `additive` sizes the Bahdanau buffers (empty otherwise).
template <class T>
AttentionWorkspace<T> make_attention_workspace(const AttentionMemory<T>& m, bool additive) {
  AttentionWorkspace<T> ws;
  prepare_attention_workspace(m, ws, additive);
  return ws;
}

/// What every mechanism exposes about its memory (the AttentionWrapper reads these members).
/// Mechanisms derive from it and score with `memory_`.
template <class T>
class AttentionMechanismBase {
 public:
  Index num_units() const { return memory_.units; }
  Index batch_size() const { return memory_.batch; }
  /// Tm, the width of alignments and of the attention state.
  Index alignments_size() const { return memory_.time; }
  /// Dm, the width of the context vector.
  Index memory_depth() const { return memory_.depth; }
  /// Per-row valid memory length (Tm for every row when no lengths were given).
  const std::vector<Index>& memory_sequence_length() const { return memory_.lengths; }
  /// Masked memory [B, Tm, Dm]: the context is alignments · values.
  const Tensor3<T>& values() const { return memory_.values; }
  /// Projected masked memory [B, Tm, U].
  const Tensor3<T>& keys() const { return memory_.keys; }

 protected:
  AttentionMechanismBase(const std::string& where, Index num_units,
                         const EigenTensor<T, 3>& memory,
                         const std::vector<int64_t>& memory_sequence_length,
                         const Tensor2<T>& memory_layer_kernel)
      : memory_(where, num_units, memory, memory_sequence_length, memory_layer_kernel) {}

  AttentionMemory<T> memory_;
};

/// TensorFlow's `mechanism(query, state)` for any mechanism: query [B, query_depth], state [B, Tm]
/// -> alignments [B, Tm], after checking both shapes (errors name `name`). Allocates; the
/// wrapper calls `align` instead.
template <class Mechanism, class T = typename Mechanism::Scalar>
Tensor2<T> call_mechanism(const Mechanism& m, const EigenTensor<T, 2>& query,
                          const EigenTensor<T, 2>& state, const std::string& name) {
  check_shape(query, {m.batch_size(), m.query_depth()}, name + ": query");
  check_shape(state, {m.batch_size(), m.alignments_size()}, name + ": state");
  Tensor2<T> alignments(m.batch_size(), m.alignments_size());
  auto workspace = m.make_workspace();
  m.align(as_matrix(query), as_matrix(state), as_matrix(alignments), workspace);
  return alignments;
}

}  // namespace seq2seq::detail
