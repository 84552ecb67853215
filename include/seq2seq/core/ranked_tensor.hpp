// RankedTensor: the row-major Eigen::Tensor behind Tensor1/2/3, which refuses at compile time to
// be built from or assigned a tensor of another rank, scalar type or layout; and the
// compile-time checks that entry points run on their tensor arguments.
//
// Why: Eigen's Tensor converts implicitly from any tensor expression, whatever its rank. A rank-2
// `inputs` passed where rank 3 is expected compiles, then allocates from garbage dimensions; a
// rank-3 kernel stored in a rank-2 field overflows the heap (Eigen checks the dimensions only
// with assertions on). Here such a call does not compile, and the message says what was needed.
#pragma once

#include <array>
#include <type_traits>
#include <utility>

#include <Eigen/Core>
#include <unsupported/Eigen/CXX11/Tensor>

namespace seq2seq {

/// Sizes and indices: Eigen::Index (std::ptrdiff_t), as Eigen uses.
using Index = Eigen::Index;

namespace detail {

// The expression type behind an Eigen tensor, map or expression X (X itself, or the Eigen::Tensor
// a RankedTensor derives from). Two overloads, as Eigen's own constructors: a writable tensor
// derives from both TensorBase<D, WriteAccessors> and TensorBase<D, ReadOnlyAccessors>, and the
// nearer base wins.
template <class D>
D* tensor_expression_of(const Eigen::TensorBase<D, Eigen::WriteAccessors>*);
template <class D>
D* tensor_expression_of(const Eigen::TensorBase<D, Eigen::ReadOnlyAccessors>*);

/// What the compile-time checks know of an argument type X: whether it is an Eigen tensor,
/// TensorMap or tensor expression, and then its rank, scalar type and layout.
template <class X, class = void>
struct tensor_info {
  static constexpr bool is_tensor = false;
  static constexpr int rank = -1;
  using Scalar = void;
  static constexpr bool row_major = true;
};
template <class X>
struct tensor_info<X, std::void_t<decltype(tensor_expression_of(std::declval<const X*>()))>> {
  using Expression =
      std::remove_pointer_t<decltype(tensor_expression_of(std::declval<const X*>()))>;
  using Traits = Eigen::internal::traits<Expression>;
  static constexpr bool is_tensor = true;
  static constexpr int rank = Traits::NumDimensions;
  using Scalar = std::remove_const_t<typename Traits::Scalar>;
  static constexpr bool row_major = static_cast<int>(Traits::Layout) == Eigen::RowMajor;
};

/// Whether X is a row-major tensor, map or expression of rank Rank and scalar type T.
template <class X, class T, int Rank>
constexpr bool tensor_fits = tensor_info<X>::is_tensor && tensor_info<X>::rank == Rank &&
                             std::is_same_v<typename tensor_info<X>::Scalar, T> &&
                             tensor_info<X>::row_major;

/// True unless X is a tensor whose rank is `got` instead of `expected` (one static_assert per
/// possible rank, so that the message can say which rank it got).
template <class X>
constexpr bool rank_is_not(int expected, int got) {
  return !(tensor_info<X>::is_tensor && tensor_info<X>::rank != expected &&
           tensor_info<X>::rank == got);
}
/// True unless X is a tensor of the expected rank whose scalar type or layout is not T's row-major.
template <class X, class T>
constexpr bool scalar_fits(int expected) {
  return !tensor_info<X>::is_tensor || tensor_info<X>::rank != expected ||
         std::is_same_v<typename tensor_info<X>::Scalar, T>;
}
template <class X>
constexpr bool layout_fits(int expected) {
  return !tensor_info<X>::is_tensor || tensor_info<X>::rank != expected ||
         tensor_info<X>::row_major;
}

}  // namespace detail
}  // namespace seq2seq

/// Compile-time check of a tensor argument: type X must be an Eigen tensor, TensorMap or tensor
/// expression of rank RANK, scalar type T, row-major. WHAT is a string literal naming the entry
/// point, the argument and the layout it needs, e.g.
///   "dynamic_rnn: inputs must be rank 3 [batch, time, depth]"
/// and each failure appends what was wrong: "; got rank 2".
#define SEQ2SEQ_STATIC_CHECK_TENSOR(X, T, RANK, WHAT)                                            \
  static_assert(::seq2seq::detail::tensor_info<X>::is_tensor,                                   \
                WHAT "; got a type that is not an Eigen tensor, TensorMap or tensor expression"); \
  static_assert(::seq2seq::detail::rank_is_not<X>(RANK, 0), WHAT "; got rank 0");                \
  static_assert(::seq2seq::detail::rank_is_not<X>(RANK, 1), WHAT "; got rank 1");                \
  static_assert(::seq2seq::detail::rank_is_not<X>(RANK, 2), WHAT "; got rank 2");                \
  static_assert(::seq2seq::detail::rank_is_not<X>(RANK, 3), WHAT "; got rank 3");                \
  static_assert(::seq2seq::detail::rank_is_not<X>(RANK, 4), WHAT "; got rank 4");                \
  static_assert(::seq2seq::detail::rank_is_not<X>(RANK, 5), WHAT "; got rank 5");                \
  static_assert(::seq2seq::detail::tensor_info<X>::rank <= 5 ||                                 \
                    ::seq2seq::detail::tensor_info<X>::rank == RANK,                             \
                WHAT "; got a rank above 5");                                                    \
  static_assert(::seq2seq::detail::scalar_fits<X, T>(RANK),                                      \
                WHAT "; got another scalar type (float vs double?): convert it with .cast<T>()"); \
  static_assert(::seq2seq::detail::layout_fits<X>(RANK),                                         \
                WHAT "; got a column-major tensor: declare it Eigen::RowMajor (TensorFlow's "    \
                     "layout)")

namespace seq2seq {

/// A row-major Eigen::Tensor<T, Rank> (TensorFlow's layout) that behaves as one in every Eigen
/// expression, but is built from or assigned only tensors, maps and expressions of the same rank,
/// scalar type and layout: anything else fails to compile with a message that says so.
/// `Tensor1/2/3<T>` are this type; an `Eigen::Tensor<T, Rank, Eigen::RowMajor>` converts to it
/// (and it to that, by reference) without a copy of the wrong kind ever compiling.
template <class T, int Rank>
class RankedTensor : public Eigen::Tensor<T, Rank, Eigen::RowMajor, Index> {
 public:
  /// The Eigen::Tensor this derives from, for Eigen's expression machinery (and conversions).
  using EigenTensor = Eigen::Tensor<T, Rank, Eigen::RowMajor, Index>;
  // Eigen expressions hold their operands as `Operand::Nested` and call `operand.derived()`;
  // the base's versions name the base, which would make Eigen copy this tensor into every
  // expression that uses it. These name this type.
  /// For Eigen's expression machinery: expressions hold this tensor by reference.
  using Nested = const RankedTensor&;
  /// For Eigen's expression machinery: this tensor, as this type.
  const RankedTensor& derived() const { return *this; }
  /// For Eigen's expression machinery: this tensor, as this type.
  RankedTensor& derived() { return *this; }

  RankedTensor() = default;
  /// Copy (the same type: no rank check needed).
  RankedTensor(const RankedTensor&) = default;
  /// Move (the same type: no rank check needed).
  RankedTensor(RankedTensor&&) = default;
  /// Copy assignment (the same type: no rank check needed).
  RankedTensor& operator=(const RankedTensor&) = default;
  /// Move assignment (the same type: no rank check needed).
  RankedTensor& operator=(RankedTensor&&) = default;
  ~RankedTensor() = default;

  /// Uninitialised, of the given dimensions: `Tensor3<float> x(batch, time, depth)`.
  template <class... Dims>
  RankedTensor(Index first, Dims... rest) : EigenTensor(first, static_cast<Index>(rest)...) {
    static_assert(sizeof...(Dims) + 1 == Rank, "seq2seq tensor: give one dimension per rank");
  }
  /// Uninitialised, of the given dimensions (an array of exactly Rank: no further check).
  explicit RankedTensor(const std::array<Index, Rank>& dimensions) : EigenTensor(dimensions) {}

  /// From the same Eigen::Tensor type, copied (same rank by type: no check needed).
  RankedTensor(const EigenTensor& t) : EigenTensor(t) {}  // NOLINT: implicit on purpose
  /// From the same Eigen::Tensor type, moved (same rank by type: no check needed).
  RankedTensor(EigenTensor&& t) : EigenTensor(std::move(t)) {}  // NOLINT
  /// Assigns the same Eigen::Tensor type, copied (same rank by type: no check needed).
  RankedTensor& operator=(const EigenTensor& t) {
    EigenTensor::operator=(t);
    return *this;
  }
  /// Assigns the same Eigen::Tensor type, moved (same rank by type: no check needed).
  RankedTensor& operator=(EigenTensor&& t) {
    EigenTensor::operator=(std::move(t));
    return *this;
  }

  /// From a TensorMap or tensor expression of the same rank, scalar type and layout (evaluated);
  /// another rank, scalar type or layout fails to compile (static_assert).
  template <class Other, std::enable_if_t<detail::tensor_info<Other>::is_tensor &&
                                              !std::is_base_of_v<EigenTensor, Other>,
                                          int> = 0>
  RankedTensor(const Other& other) {  // NOLINT: implicit on purpose
    check<Other>();
    if constexpr (detail::tensor_fits<Other, T, Rank>) EigenTensor::operator=(other);
  }
  /// Assigns a TensorMap or tensor expression (evaluated), checked as the constructor above:
  /// another rank, scalar type or layout fails to compile (static_assert).
  template <class Other, std::enable_if_t<detail::tensor_info<Other>::is_tensor &&
                                              !std::is_base_of_v<EigenTensor, Other>,
                                          int> = 0>
  RankedTensor& operator=(const Other& other) {
    check<Other>();
    if constexpr (detail::tensor_fits<Other, T, Rank>) EigenTensor::operator=(other);
    return *this;
  }

 private:
  template <class Other>
  static constexpr void check() {
    if constexpr (Rank == 1) {
      SEQ2SEQ_STATIC_CHECK_TENSOR(Other, T, 1,
                                  "a seq2seq::Tensor1<T> is rank 1 [size] and takes only rank-1 "
                                  "tensors (Eigen would convert between ranks and overflow)");
    } else if constexpr (Rank == 2) {
      SEQ2SEQ_STATIC_CHECK_TENSOR(Other, T, 2,
                                  "a seq2seq::Tensor2<T> is rank 2 [rows, cols] and takes only "
                                  "rank-2 tensors (Eigen would convert between ranks and "
                                  "overflow)");
    } else if constexpr (Rank == 3) {
      SEQ2SEQ_STATIC_CHECK_TENSOR(Other, T, 3,
                                  "a seq2seq::Tensor3<T> is rank 3 and takes only rank-3 tensors "
                                  "(Eigen would convert between ranks and overflow)");
    } else {
      SEQ2SEQ_STATIC_CHECK_TENSOR(Other, T, Rank,
                                  "a seq2seq::RankedTensor<T, Rank> takes only tensors of its rank "
                                  "(Eigen would convert between ranks and overflow)");
    }
  }
};

namespace detail {

/// The plain Eigen tensor a RankedTensor derives from: what entry points read their arguments as.
template <class T, int Rank>
using EigenTensor = Eigen::Tensor<T, Rank, Eigen::RowMajor, Index>;

/// An entry point's tensor argument `x`, after its SEQ2SEQ_STATIC_CHECK_TENSOR, as a plain
/// Eigen tensor: the caller's own tensor by reference when it is one (a Tensor1/2/3 or
/// Eigen::Tensor, no copy), else a TensorMap or expression evaluated once (bind the result to a
/// `const EigenTensor<T, Rank>&`, which keeps it alive). When the check failed, an empty tensor,
/// so that the static_assert is the only error the compiler reports.
template <class T, int Rank, class X>
decltype(auto) tensor_arg(const X& x) {
  if constexpr (std::is_base_of_v<EigenTensor<T, Rank>, X>) {
    return static_cast<const EigenTensor<T, Rank>&>(x);
  } else if constexpr (tensor_fits<X, T, Rank>) {
    return EigenTensor<T, Rank>(x);
  } else {
    return EigenTensor<T, Rank>();
  }
}

/// A read-only row-major view of a tensor argument, as `tensor_arg`'s users need only its data.
template <class T, int Rank>
using TensorView = Eigen::TensorMap<const EigenTensor<T, Rank>>;

template <class X>
struct is_tensor_map : std::false_type {};
template <class P, int Options, template <class> class MakePointer>
struct is_tensor_map<Eigen::TensorMap<P, Options, MakePointer>> : std::true_type {};

/// Calls `f(TensorView<T, Rank>)` on a tensor argument (after its SEQ2SEQ_STATIC_CHECK_TENSOR):
/// a tensor or a TensorMap is viewed in place (no copy, no allocation), an expression evaluated
/// once into a tensor that lives until `f` returns.
template <class T, int Rank, class X, class F>
decltype(auto) with_tensor_view(const X& x, F&& f) {
  if constexpr (tensor_fits<X, T, Rank> &&
                (std::is_base_of_v<EigenTensor<T, Rank>, X> || is_tensor_map<X>::value)) {
    std::array<Index, Rank> dims;
    for (int i = 0; i < Rank; ++i) dims[static_cast<std::size_t>(i)] = x.dimension(i);
    return f(TensorView<T, Rank>(x.data(), dims));
  } else {
    const EigenTensor<T, Rank>& t = tensor_arg<T, Rank>(x);
    return f(TensorView<T, Rank>(t.data(), t.dimensions()));
  }
}

/// An argument that a constructor keeps (a weight), after its SEQ2SEQ_STATIC_CHECK_TENSOR, as a
/// RankedTensor: moved when it is an rvalue tensor, copied or evaluated otherwise; empty when the
/// check failed (the static_assert is then the only error).
template <class T, int Rank, class X>
RankedTensor<T, Rank> ranked_arg(X&& x) {
  if constexpr (tensor_fits<std::decay_t<X>, T, Rank>) {
    return RankedTensor<T, Rank>(std::forward<X>(x));
  } else {
    return RankedTensor<T, Rank>();
  }
}

}  // namespace detail
}  // namespace seq2seq

// Eigen's expressions, maps (Eigen::TensorMap<seq2seq::Tensor3<float>>) and evaluators see a
// RankedTensor as the Eigen::Tensor it is, held by reference.
namespace Eigen::internal {
template <class T, int Rank>
struct traits<seq2seq::RankedTensor<T, Rank>>
    : traits<typename seq2seq::RankedTensor<T, Rank>::EigenTensor> {};
template <class T, int Rank>
struct eval<seq2seq::RankedTensor<T, Rank>, Eigen::Dense> {
  using type = const seq2seq::RankedTensor<T, Rank>&;
};
template <class T, int Rank>
struct eval<const seq2seq::RankedTensor<T, Rank>, Eigen::Dense> {
  using type = const seq2seq::RankedTensor<T, Rank>&;
};
template <class T, int Rank>
struct nested<seq2seq::RankedTensor<T, Rank>> {
  using type = const seq2seq::RankedTensor<T, Rank>&;
};
template <class T, int Rank>
struct nested<const seq2seq::RankedTensor<T, Rank>> {
  using type = const seq2seq::RankedTensor<T, Rank>&;
};
}  // namespace Eigen::internal
