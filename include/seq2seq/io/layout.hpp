// Shared pieces of the framework layout converters (tf1.hpp, keras.hpp, pytorch.hpp): reading
// sizes from a weight file and copying column blocks. A weight file is anything with the
// SafetensorsFile / NpzFile interface (name, contains, shape, tensor<T, Rank>(name, shape)).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <seq2seq/attention/bahdanau_attention.hpp>
#include <seq2seq/core/tensor.hpp>

namespace seq2seq::io::detail {

/// The largest layer size dim() returns: the converters compute sizes such as gates * H and
/// I + H, which must not overflow Index. No data bounds a dimension of a tensor with a zero
/// dimension (recurrent_kernel [2^62, 0] is a valid empty tensor), so dim() bounds it.
inline constexpr Index kMaxLayerSize = std::numeric_limits<Index>::max() / 8;

/// Dimension `axis` of a stored tensor of rank `rank`; throws naming the file and tensor, also if
/// the dimension exceeds kMaxLayerSize.
template <class File>
Index dim(const File& file, const std::string& tensor, std::size_t rank, std::size_t axis) {
  const auto& shape = file.shape(tensor);
  if (shape.size() != rank) {
    seq2seq::detail::fail("weight file '", file.name(), "': tensor '", tensor, "' has shape ",
                          seq2seq::detail::dims_string(shape), ", expected rank ", rank);
  }
  if (shape[axis] > kMaxLayerSize) {
    seq2seq::detail::fail("weight file '", file.name(), "': tensor '", tensor, "' has shape ",
                          seq2seq::detail::dims_string(shape), ": dimension ", shape[axis],
                          " is too large for a layer size (at most ", kMaxLayerSize, ")");
  }
  return static_cast<Index>(shape[axis]);
}

/// Throws unless `size` is a positive multiple of `parts` (e.g. a bias of 4 gates).
template <class File>
Index units_from(const File& file, const std::string& tensor, Index size, Index parts) {
  if (size <= 0 || size % parts != 0) {
    seq2seq::detail::fail("weight file '", file.name(), "': tensor '", tensor, "' has ", size,
                          " columns, expected a positive multiple of ", parts);
  }
  return size / parts;
}

/// Copies columns [from_col, from_col + width) of `from` into columns [to_col, ...) of `to`,
/// rows starting at `to_row`. `transpose` reads `from` as [cols, rows] (PyTorch's [out, in]).
template <class T>
void copy_block(const Tensor2<T>& from, Index from_col, Index width, Tensor2<T>& to,
                Index to_row, Index to_col, bool transpose = false) {
  auto src = seq2seq::detail::as_matrix(from);
  auto dst = seq2seq::detail::as_matrix(to);
  if (transpose) {
    dst.block(to_row, to_col, src.cols(), width) = src.middleRows(from_col, width).transpose();
  } else {
    dst.block(to_row, to_col, src.rows(), width) = src.middleCols(from_col, width);
  }
}

/// Elements [from, from + width) of `v` as a new vector.
template <class T>
Tensor1<T> slice(const Tensor1<T>& v, Index from, Index width) {
  Tensor1<T> out(width);
  for (Index i = 0; i < width; ++i) out(i) = v(from + i);
  return out;
}

/// Concatenation of vectors, e.g. gate biases reordered block by block.
template <class T>
Tensor1<T> concat(std::initializer_list<Tensor1<T>> parts) {
  Index size = 0;
  for (const auto& p : parts) size += p.dimension(0);
  Tensor1<T> out(size);
  Index at = 0;
  for (const auto& p : parts) {
    for (Index i = 0; i < p.dimension(0); ++i) out(at++) = p(i);
  }
  return out;
}

/// BahdanauAttention over `memory` [B, Tm, Dm] from the tensors `memory_kernel` [Dm, U],
/// `query_kernel` [Hq, U], `<scope>/attention_v` [U] and, when `<scope>/attention_g` exists,
/// normalize with `<scope>/attention_g` [] and `<scope>/attention_b` [U]. TF 1.x and TFA-in-Keras
/// differ only in the first two names.
template <class T, class File>
BahdanauAttention<T> bahdanau_attention(const File& file,
                                        const seq2seq::detail::EigenTensor<T, 3>& memory,
                                        std::vector<int64_t> memory_sequence_length,
                                        const std::string& memory_kernel,
                                        const std::string& query_kernel,
                                        const std::string& scope) {
  const std::string p = scope + "/";
  const Index u = dim(file, p + "attention_v", 1, 0);
  const Index hq = dim(file, query_kernel, 2, 0);
  BahdanauAttentionWeights<T> w{
      file.template tensor<T, 2>(memory_kernel, {memory.dimension(2), u}),
      file.template tensor<T, 2>(query_kernel, {hq, u}),
      file.template tensor<T, 1>(p + "attention_v", {u}), T(0), {}};
  const bool normalize = file.contains(p + "attention_g");
  if (normalize) {
    w.attention_g = static_cast<T>(file.scalar(p + "attention_g"));
    w.attention_b = file.template tensor<T, 1>(p + "attention_b", {u});
  }
  return BahdanauAttention<T>(u, memory, std::move(memory_sequence_length), std::move(w),
                              normalize);
}

}  // namespace seq2seq::io::detail
