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

namespace seq2seq {

using Index = Eigen::Index;

/// Row-major tensors, as TensorFlow lays them out: Tensor2 is [batch, depth], Tensor3 is
/// [batch, time, depth] (or [time, batch, depth] when time-major).
template <class T>
using Tensor1 = Eigen::Tensor<T, 1, Eigen::RowMajor, Index>;
template <class T>
using Tensor2 = Eigen::Tensor<T, 2, Eigen::RowMajor, Index>;
template <class T>
using Tensor3 = Eigen::Tensor<T, 3, Eigen::RowMajor, Index>;

/// Row-major matrix, the type of every workspace buffer.
template <class T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Views of a [rows, cols] block whose rows may be strided (e.g. one time step of a batch-major
/// [B, T, D] tensor: B rows of D values, T*D apart). Cells read inputs and write outputs through
/// these, so dynamic_rnn never copies a time slice.
template <class T>
using MatrixRef = Eigen::Ref<RowMatrix<T>, 0, Eigen::OuterStride<>>;
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
Eigen::Map<RowMatrix<T>> as_matrix(Tensor2<T>& t) {
  return Eigen::Map<RowMatrix<T>>(t.data(), t.dimension(0), t.dimension(1));
}
template <class T>
Eigen::Map<const RowMatrix<T>> as_matrix(const Tensor2<T>& t) {
  return Eigen::Map<const RowMatrix<T>>(t.data(), t.dimension(0), t.dimension(1));
}

/// A [size] vector view over a rank-1 tensor.
template <class T>
Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>> as_row(const Tensor1<T>& t) {
  return Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>(t.data(), t.dimension(0));
}

/// A zero-filled tensor of the given shape.
template <class T, int Rank>
Eigen::Tensor<T, Rank, Eigen::RowMajor, Index> zeros(const std::array<Index, Rank>& dims) {
  Eigen::Tensor<T, Rank, Eigen::RowMajor, Index> t(dims);
  t.setZero();
  return t;
}

/// Throws unless `t` has exactly the shape `expected`; `where` names entry point and argument.
template <class T, int Rank>
void check_shape(const Eigen::Tensor<T, Rank, Eigen::RowMajor, Index>& t,
                 const std::array<Index, Rank>& expected, const std::string& where) {
  for (int i = 0; i < Rank; ++i) {
    if (t.dimension(i) != expected[i]) {
      fail(where, " has shape ", shape_string(t), ", expected ", dims_string(expected));
    }
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
void copy_row(const Tensor2<T>& from, Tensor2<T>& to, Index b) {
  as_matrix(to).row(b) = as_matrix(from).row(b);
}

}  // namespace detail
}  // namespace seq2seq
