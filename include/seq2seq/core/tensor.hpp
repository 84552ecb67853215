// Tensor aliases (row-major, TensorFlow layout), matrix views over them, and shape helpers.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <Eigen/Core>
#include <unsupported/Eigen/CXX11/Tensor>

#include <seq2seq/core/error.hpp>
#include <seq2seq/core/ranked_tensor.hpp>

namespace seq2seq {

/// Row-major tensors, as TensorFlow lays them out: Tensor2 is [batch, depth], Tensor3 is
/// [batch, time, depth] (or [time, batch, depth] when time-major). Each is an Eigen::Tensor
/// that takes only tensors of its own rank (RankedTensor): a wrong rank does not compile.
template <class T>
using Tensor1 = RankedTensor<T, 1>;
/// Rank-2 row-major tensor, e.g. a state [batch, num_units] or a kernel [input, output].
template <class T>
using Tensor2 = RankedTensor<T, 2>;
/// Rank-3 row-major tensor, e.g. inputs or outputs [batch, time, depth].
template <class T>
using Tensor3 = RankedTensor<T, 3>;

/// Row-major matrix, the type of every workspace buffer.
template <class T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Views of a [rows, cols] block whose rows may be strided (e.g. one time step of a batch-major
/// [B, T, D] tensor: B rows of D values, T*D apart). Cells read inputs and write outputs through
/// these, so dynamic_rnn never copies a time slice.
template <class T>
using MatrixRef = Eigen::Ref<RowMatrix<T>, 0, Eigen::OuterStride<>>;
/// The read-only MatrixRef: a [rows, cols] block with strided rows.
template <class T>
using ConstMatrixRef = Eigen::Ref<const RowMatrix<T>, 0, Eigen::OuterStride<>>;

namespace detail {

/// "[3,5,4]": how messages print shapes.
template <class Dims>
std::string dims_string(const Dims& dims) {
  std::ostringstream os;
  os << '[';
  for (std::size_t i = 0; i < dims.size(); ++i) os << (i ? "," : "") << dims[i];
  os << ']';
  return os.str();
}

}  // namespace detail

/// The shape of a tensor, as a state's description (see the cells' `state_shape`).
template <class T, int Rank>
std::string shape_string(const Eigen::Tensor<T, Rank, Eigen::RowMajor, Index>& t) {
  return detail::dims_string(t.dimensions());
}

/// "(LSTMStateTuple(c=[3,5], h=[3,5]), [3,3])": how messages and AttentionWrapperState::clone
/// describe a tuple state (MultiRNNCell), one entry per layer. Here in core, not next to
/// MultiRNNCell, so that it is declared before any template that describes a state.
template <class... States>
std::string shape_string(const std::tuple<States...>& s) {
  std::string out = "(";
  std::apply(
      [&out](const auto&... layer) {
        std::size_t k = 0;
        ((out += (k++ ? ", " : "") + shape_string(layer)), ...);
      },
      s);
  return out + ")";
}

namespace detail {

/// A contiguous [rows, cols] matrix view over a rank-2 tensor's storage.
template <class T>
Eigen::Map<RowMatrix<T>> as_matrix(EigenTensor<T, 2>& t) {
  return Eigen::Map<RowMatrix<T>>(t.data(), t.dimension(0), t.dimension(1));
}
template <class T>
Eigen::Map<const RowMatrix<T>> as_matrix(const EigenTensor<T, 2>& t) {
  return Eigen::Map<const RowMatrix<T>>(t.data(), t.dimension(0), t.dimension(1));
}

/// A [size] vector view over a rank-1 tensor.
template <class T>
Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>> as_row(const EigenTensor<T, 1>& t) {
  return Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>(t.data(), t.dimension(0));
}

/// A zero-filled tensor of the given shape.
template <class T, int Rank>
Eigen::Tensor<T, Rank, Eigen::RowMajor, Index> zeros(const std::array<Index, Rank>& dims) {
  Eigen::Tensor<T, Rank, Eigen::RowMajor, Index> t(dims);
  t.setZero();
  return t;
}

/// " (transposed?)" when a [rows, cols] shape is `expected` read the other way round.
inline const char* transposed_hint(Index rows, Index cols, Index expected_rows,
                                   Index expected_cols) {
  const bool swapped = rows == expected_cols && cols == expected_rows && rows != cols;
  return swapped ? " (transposed?)" : "";
}

/// Throws unless `t` has exactly the shape `expected`; `where` names entry point and argument,
/// `note` (if any) ends the message. A matrix given the other way round is named as such
/// ("... expected [6,4] (transposed?)").
template <class T, int Rank>
void check_shape(const Eigen::Tensor<T, Rank, Eigen::RowMajor, Index>& t,
                 const std::array<Index, Rank>& expected, const std::string& where,
                 const std::string& note = {}) {
  for (int i = 0; i < Rank; ++i) {
    if (t.dimension(i) != expected[i]) {
      const char* hint = "";
      if constexpr (Rank == 2) {
        hint = transposed_hint(t.dimension(0), t.dimension(1), expected[0], expected[1]);
      }
      fail(where, " has shape ", shape_string(t), ", expected ", dims_string(expected), hint,
           note);
    }
  }
}

/// For a kernel whose row count the caller infers (input_size + num_units, or a query depth):
/// throws when it has not `cols` columns but `cols` rows, i.e. it is given transposed
/// ("... has shape [4,6], expected [6,4] (transposed?)"). Other mismatches are the caller's.
template <class T>
void check_not_transposed(const EigenTensor<T, 2>& kernel, Index cols, const std::string& where) {
  if (kernel.dimension(1) != cols && kernel.dimension(0) == cols) {
    fail(where, " has shape ", shape_string(kernel), ", expected [", kernel.dimension(1), ",", cols,
         "] (transposed?)");
  }
}

/// Throws unless `batch` rows of `width` values can exist: batch >= 0 and batch * width fits
/// Index. `where` names the entry point (e.g. "GRUCell::zero_state").
inline void check_batch_size(const std::string& where, Index batch, Index width) {
  if (batch < 0) fail(where, ": batch=", batch, " must be >= 0");
  if (width > 0 && batch > std::numeric_limits<Index>::max() / width) {
    fail(where, ": batch=", batch, " times ", width, " values per row is too large");
  }
}

/// Throws unless `units` gate columns of width `gates` * units fit Index (`where`: "GRUCell").
inline void check_units(const std::string& where, Index units, Index gates) {
  if (units > std::numeric_limits<Index>::max() / (2 * gates)) {
    fail(where, ": num_units=", units, " is too large");
  }
}

/// Copies row `b` of a [B, D] tensor.
template <class T>
void copy_row(const EigenTensor<T, 2>& from, EigenTensor<T, 2>& to, Index b) {
  as_matrix(to).row(b) = as_matrix(from).row(b);
}

/// Rows [first, first + rows) of a [B, D] tensor, as a [rows, D] tensor (one part of a batch
/// split).
template <class T>
EigenTensor<T, 2> copy_rows(const EigenTensor<T, 2>& from, Index first, Index rows) {
  EigenTensor<T, 2> part(rows, from.dimension(1));
  as_matrix(part) = as_matrix(from).middleRows(first, rows);
  return part;
}

/// Copies rows [from_first, from_first + rows) of `from` [B, D] to rows [to_first, to_first +
/// rows) of `to` [B', D], in place.
template <class T>
void copy_rows(const EigenTensor<T, 2>& from, Index from_first, EigenTensor<T, 2>& to,
               Index to_first, Index rows) {
  as_matrix(to).middleRows(to_first, rows) = as_matrix(from).middleRows(from_first, rows);
}

}  // namespace detail
}  // namespace seq2seq
