// The helpers (TF 1.x) / samplers (TF Addons) of BasicDecoder: how each step's ids are picked
// from the outputs and what the next step reads. TrainingHelper feeds the given inputs (teacher
// forcing); GreedyEmbeddingHelper feeds the embedding of the previous argmax.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <seq2seq/core/tensor.hpp>

namespace seq2seq {

namespace detail {

/// The index of the largest value of row `r` (TF's argmax: ties go to the lowest index). A NaN
/// never wins over a number (TF leaves NaN order unspecified).
template <class Matrix>
int32_t argmax_row(const Matrix& m, Index r) {
  Index best = 0;
  for (Index j = 1; j < m.cols(); ++j) {
    if (m(r, j) > m(r, best) || (std::isnan(m(r, best)) && !std::isnan(m(r, j)))) best = j;
  }
  return static_cast<int32_t>(best);
}

/// Rows `ids` of `embedding` [V, E] into `out` [ids.size(), E]; ids are checked by the caller.
template <class T, class Ids>
void embedding_lookup(const EigenTensor<T, 2>& embedding, const Ids& ids, MatrixRef<T> out) {
  const auto table = as_matrix(embedding);
  for (Index b = 0; b < out.rows(); ++b) out.row(b) = table.row(static_cast<Index>(ids[b]));
}

/// Throws unless `token` is a valid int32 id: `where` names it.
inline int32_t check_token(int64_t token, int64_t vocab, const std::string& where) {
  if (token < 0 || token >= vocab) {
    fail(where, "=", token, " is outside the embedding's vocabulary [0, ", vocab, ")");
  }
  return static_cast<int32_t>(token);
}

inline int32_t check_end_token(int64_t token, const std::string& where) {
  if (token < std::numeric_limits<int32_t>::min() || token > std::numeric_limits<int32_t>::max()) {
    fail(where, ": end_token=", token, " does not fit int32 (TF's dtype for ids)");
  }
  return static_cast<int32_t>(token);
}

}  // namespace detail

/// Teacher forcing (tf.contrib.seq2seq.TrainingHelper, tfa.seq2seq.TrainingSampler): step t
/// reads inputs[:, t]. Row b is finished once t + 1 >= sequence_length[b] (at the start when its
/// length is 0); when every row is finished the next inputs are zeros. ids = argmax(outputs).
///
/// A helper provides batch_size(), input_size(), check_output_size(O, where),
/// initialize(finished, first_inputs), sample(t, outputs, ids) and
/// next_inputs(t, outputs, ids, finished, next_inputs); BasicDecoder calls them in TF's order.
template <class T>
class TrainingHelper {
 public:
  using Scalar = T;  ///< float or double.

  /// `inputs` [B, T, D] ([T, B, D] when time_major); `sequence_length` empty (every row T) or B
  /// lengths in 0..T. Throws seq2seq::Error otherwise.
  template <class Inputs, std::enable_if_t<!std::is_same_v<std::decay_t<Inputs>, TrainingHelper>,
                                            int> = 0>  // (not the copy constructor)
  explicit TrainingHelper(Inputs&& inputs, std::vector<int64_t> sequence_length = {},
                          bool time_major = false)
      : inputs_(detail::ranked_arg<T, 3>(std::forward<Inputs>(inputs))),
        lengths_(std::move(sequence_length)),
        time_major_(time_major) {
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<Inputs>, T, 3,
                                "TrainingHelper: inputs must be rank 3 [batch, time, depth] (or "
                                "[time, batch, depth] with time_major)");
    const Index batch = batch_size(), steps = max_time();
    if (lengths_.empty()) lengths_.assign(static_cast<std::size_t>(batch), steps);
    if (static_cast<Index>(lengths_.size()) != batch) {
      detail::fail("TrainingHelper: sequence_length has ", lengths_.size(),
                   " entries, expected batch ", batch, " (inputs ", shape_string(inputs_), ")");
    }
    for (std::size_t b = 0; b < lengths_.size(); ++b) {
      if (lengths_[b] < 0 || lengths_[b] > steps) {
        detail::fail("TrainingHelper: sequence_length[", b, "]=", lengths_[b],
                     " is outside [0, max_time=", steps, "] (inputs ", shape_string(inputs_),
                     ")");
      }
    }
  }

  /// B: the batch size of the inputs.
  Index batch_size() const { return inputs_.dimension(time_major_ ? 1 : 0); }
  /// T: the time steps of the inputs.
  Index max_time() const { return inputs_.dimension(time_major_ ? 0 : 1); }
  /// D: the depth of the inputs, which the cell reads.
  Index input_size() const { return inputs_.dimension(2); }
  /// The B lengths (every row T when none were given at construction).
  const std::vector<int64_t>& sequence_length() const { return lengths_; }
  /// Accepts any output size (teacher forcing reads no embedding): never throws.
  void check_output_size(Index, const std::string&) const {}

  /// finished = (sequence_length == 0); first inputs = inputs[:, 0], or zeros if all finished.
  void initialize(Tensor1<bool>& finished, MatrixRef<T> first_inputs) const {
    read(0, flag_finished(finished, 0), first_inputs);
  }

  /// ids[b] = argmax(outputs[b]).
  void sample(Index, ConstMatrixRef<T> outputs, Tensor1<int32_t>& ids) const {
    for (Index b = 0; b < outputs.rows(); ++b) ids(b) = detail::argmax_row(outputs, b);
  }

  /// finished = (t + 1 >= sequence_length); next = inputs[:, t + 1], or zeros if all finished.
  void next_inputs(Index time, ConstMatrixRef<T>, const Tensor1<int32_t>&,
                   Tensor1<bool>& finished, MatrixRef<T> next) const {
    read(time + 1, flag_finished(finished, time + 1), next);
  }

 private:
  // finished[b] = (steps >= sequence_length[b]); returns whether every row is finished.
  bool flag_finished(Tensor1<bool>& finished, Index steps) const {
    bool all = true;
    for (Index b = 0; b < batch_size(); ++b) {
      const bool done = steps >= lengths_[static_cast<std::size_t>(b)];
      finished(b) = done;
      all = all && done;
    }
    return all;
  }

  void read(Index t, bool zeros, MatrixRef<T> out) const {
    if (zeros) {
      out.setZero();
      return;
    }
    const Index depth = input_size(), batch = batch_size();
    const Index stride = time_major_ ? depth : max_time() * depth;
    const Index offset = time_major_ ? t * batch * depth : t * depth;
    out = Eigen::Map<const RowMatrix<T>, 0, Eigen::OuterStride<>>(
        inputs_.data() + offset, batch, depth, Eigen::OuterStride<>(stride));
  }

  Tensor3<T> inputs_;
  std::vector<int64_t> lengths_;
  bool time_major_;
};

/// Greedy decoding (tf.contrib.seq2seq.GreedyEmbeddingHelper, tfa.seq2seq.GreedyEmbeddingSampler):
/// the first inputs are embedding[start_tokens]; ids = argmax(outputs) (ties: lowest id); a row
/// is finished at the step whose id is `end_token`; the next inputs are embedding[ids], or the
/// start inputs when every row just produced end_token. Finished rows keep being decoded, as in
/// TF (dynamic_decode's impute_finished zeroes their outputs).
template <class T>
class GreedyEmbeddingHelper {
 public:
  using Scalar = T;  ///< float or double.

  /// `embedding` [V, E]; `start_tokens` [B] in [0, V); `end_token` any int32. Throws
  /// seq2seq::Error otherwise.
  template <class Embedding>
  GreedyEmbeddingHelper(Embedding&& embedding, const std::vector<int64_t>& start_tokens,
                        int64_t end_token)
      : embedding_(detail::ranked_arg<T, 2>(std::forward<Embedding>(embedding))),
        end_token_(detail::check_end_token(end_token, "GreedyEmbeddingHelper")) {
    SEQ2SEQ_STATIC_CHECK_TENSOR(std::decay_t<Embedding>, T, 2,
                                "GreedyEmbeddingHelper: embedding must be rank 2 [vocab_size, "
                                "depth]");
    if (embedding_.dimension(0) <= 0 || embedding_.dimension(1) <= 0) {
      detail::fail("GreedyEmbeddingHelper: embedding has shape ", shape_string(embedding_),
                   ", expected [vocab_size, depth] with both positive");
    }
    if (start_tokens.empty()) detail::fail("GreedyEmbeddingHelper: start_tokens is empty");
    start_tokens_.reserve(start_tokens.size());
    for (std::size_t b = 0; b < start_tokens.size(); ++b) {
      start_tokens_.push_back(detail::check_token(
          start_tokens[b], embedding_.dimension(0),
          "GreedyEmbeddingHelper: start_tokens[" + std::to_string(b) + "]"));
    }
    start_inputs_ = RowMatrix<T>(batch_size(), input_size());
    detail::embedding_lookup<T>(embedding_, start_tokens_, start_inputs_);
  }

  /// B: the number of start tokens.
  Index batch_size() const { return static_cast<Index>(start_tokens_.size()); }
  /// E: the depth of the embedding, which the cell reads.
  Index input_size() const { return embedding_.dimension(1); }
  /// V: the rows of the embedding.
  Index vocab_size() const { return embedding_.dimension(0); }
  /// The end token given at construction.
  int32_t end_token() const { return end_token_; }
  /// The embedding [V, E].
  const Tensor2<T>& embedding() const { return embedding_; }
  /// The start inputs [B, E]: embedding[start_tokens].
  const RowMatrix<T>& start_inputs() const { return start_inputs_; }

  /// The ids argmax can produce, [0, output_size), must be rows of the embedding.
  void check_output_size(Index output_size, const std::string& where) const {
    if (output_size > vocab_size()) {
      detail::fail(where, ": outputs have ", output_size, " classes but the embedding has only ",
                   vocab_size(), " rows (", shape_string(embedding_), ")");
    }
  }

  /// finished = false for every row; first inputs [B, E] = start_inputs().
  void initialize(Tensor1<bool>& finished, MatrixRef<T> first_inputs) const {
    finished.setConstant(false);
    first_inputs = start_inputs_;
  }

  /// ids[b] = argmax(outputs[b]) (ties: lowest id).
  void sample(Index, ConstMatrixRef<T> outputs, Tensor1<int32_t>& ids) const {
    for (Index b = 0; b < outputs.rows(); ++b) ids(b) = detail::argmax_row(outputs, b);
  }

  /// finished = (ids == end_token); next [B, E] = embedding[ids], or the start inputs if all
  /// are finished.
  void next_inputs(Index, ConstMatrixRef<T>, const Tensor1<int32_t>& ids, Tensor1<bool>& finished,
                   MatrixRef<T> next) const {
    bool all = true;
    for (Index b = 0; b < ids.size(); ++b) {
      finished(b) = ids(b) == end_token_;
      all = all && finished(b);
    }
    if (all) {
      next = start_inputs_;
    } else {
      detail::embedding_lookup<T>(embedding_, ids, next);
    }
  }

 private:
  Tensor2<T> embedding_;
  std::vector<int32_t> start_tokens_;
  int32_t end_token_;
  RowMatrix<T> start_inputs_;
};

/// TF Addons' name for TrainingHelper.
template <class T>
using TrainingSampler = TrainingHelper<T>;
/// TF Addons' name for GreedyEmbeddingHelper.
template <class T>
using GreedyEmbeddingSampler = GreedyEmbeddingHelper<T>;

}  // namespace seq2seq
