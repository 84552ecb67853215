// LoadStatus: which tensors of a weight file the builders read, so that no model runs with its
// weights half loaded. The name follows TensorFlow's tf.train.Checkpoint.restore(...) status,
// whose assert_consumed() fails when checkpoint values were not matched to the model.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <seq2seq/core/error.hpp>
#include <seq2seq/io/tensor_file.hpp>

namespace seq2seq::io {

/// Wraps a weight file (TFCheckpoint, SafetensorsFile, NpzFile) for the io::tf1 / io::keras /
/// io::pytorch builders, which take it in place of the file, and records every tensor they
/// read. Then unused() lists the file's model variables that nothing read, and
/// assert_consumed() throws if there are any:
///
///   auto ckpt = seq2seq::io::TFCheckpoint::load("train/model.ckpt-12000");
///   seq2seq::io::LoadStatus status(ckpt);
///   auto cell = seq2seq::io::tf1::gru_cell<float>(status, "rnn/gru_cell");
///   status.assert_consumed();   // throws, naming e.g. 'dense/kernel' [6,4], if nothing read it
///
/// Optimizer slots and variables, step counters and the object graph are not model variables
/// (is_training_state). In a TF2 checkpoint a variable read by its TensorFlow name or by its
/// checkpoint key counts once, reported under its TensorFlow name. `file` must outlive the
/// status. Not thread-safe (it records as it reads).
template <class File>
class LoadStatus {
 public:
  /// Wraps `file`, which must outlive the status; nothing is recorded yet.
  explicit LoadStatus(const File& file) : file_(&file) {}

  /// The file's reading interface, as TensorFile's (tensor_file.hpp); reads are recorded.
  const std::string& name() const { return file_->name(); }
  /// Forwards to the file's names(); not recorded as a read.
  std::vector<std::string> names() const { return file_->names(); }
  /// Forwards to the file's contains(); not recorded as a read.
  bool contains(const std::string& tensor_name) const { return file_->contains(tensor_name); }
  /// Forwards to the file's shape(); not recorded as a read.
  const std::vector<std::int64_t>& shape(const std::string& tensor_name) const {
    return file_->shape(tensor_name);
  }
  /// Forwards to the file's dtype(); not recorded as a read.
  const std::string& dtype(const std::string& tensor_name) const { return file_->dtype(tensor_name); }
  /// Forwards to the file's tensor<T, Rank>(tensor_name) and, once it returns, records
  /// `tensor_name` as used.
  template <class T, int Rank>
  RankedTensor<T, Rank> tensor(const std::string& tensor_name) const {
    auto out = file_->template tensor<T, Rank>(tensor_name);
    record(tensor_name);
    return out;
  }
  /// Forwards to the file's tensor<T, Rank>(tensor_name, expected) and, once it returns, records
  /// `tensor_name` as used.
  template <class T, int Rank>
  RankedTensor<T, Rank> tensor(const std::string& tensor_name,
                               const std::array<Eigen::Index, Rank>& expected) const {
    auto out = file_->template tensor<T, Rank>(tensor_name, expected);
    record(tensor_name);
    return out;
  }
  /// Forwards to the file's integers() and, once it returns, records `tensor_name` as used.
  std::vector<std::int64_t> integers(const std::string& tensor_name) const {
    auto out = file_->integers(tensor_name);
    record(tensor_name);
    return out;
  }
  /// Forwards to the file's scalar() and, once it returns, records `tensor_name` as used.
  double scalar(const std::string& tensor_name) const {
    const double out = file_->scalar(tensor_name);
    record(tensor_name);
    return out;
  }

  /// The tensors read so far, as the builders named them.
  const std::set<std::string>& used() const { return used_; }

  /// True for what training keeps beside the weights: the file's own notion where it has one
  /// (TFCheckpoint knows its TF2 optimizer variables), else TensorFlow's and Keras's names.
  bool is_training_state(const std::string& tensor_name) const {
    if constexpr (has_training_state<File>::value) {
      return file_->is_training_state(tensor_name);
    } else {
      return detail::is_training_state_name(tensor_name);
    }
  }

  /// The file's model variables that nothing has read, sorted.
  std::vector<std::string> unused() const {
    std::set<std::string> read;
    for (const auto& n : used_) read.insert(key_of(n));
    std::map<std::string, std::string> shown;  // key -> the name to report it under
    for (const auto& n : file_->names()) {
      const std::string& key = key_of(n);
      if (read.count(key) || is_training_state(n) || is_training_state(key)) continue;
      auto it = shown.find(key);
      if (it == shown.end()) {
        shown.emplace(key, n);
      } else if (n != key) {
        it->second = n;  // a TF2 variable: its TensorFlow name rather than its key
      }
    }
    std::vector<std::string> out;
    for (const auto& kv : shown) out.push_back(kv.second);
    std::sort(out.begin(), out.end());
    return out;
  }

  /// Throws Error listing every unused() variable with its shape, unless there are none.
  void assert_consumed() const {
    const auto names = unused();
    if (names.empty()) return;
    std::string list;
    for (std::size_t i = 0; i < names.size() && i < 20; ++i) {
      list += (i ? ", '" : "'") + names[i] + "' " + seq2seq::detail::dims_string(file_->shape(names[i]));
    }
    if (names.size() > 20) list += ", ...";
    seq2seq::detail::fail("weight file '", file_->name(), "': ", names.size(),
                          " model variable(s) were not used by any builder: ", list,
                          " (read them, or leave them out of the file; optimizer slots and "
                          "counters are ignored)");
  }

 private:
  template <class F, class = void>
  struct has_training_state : std::false_type {};
  template <class F>
  struct has_training_state<F, std::void_t<decltype(std::declval<const F&>().is_training_state(
                                   std::declval<const std::string&>()))>> : std::true_type {};
  template <class F, class = void>
  struct has_key_of : std::false_type {};
  template <class F>
  struct has_key_of<F, std::void_t<decltype(std::declval<const F&>().key_of(
                           std::declval<const std::string&>()))>> : std::true_type {};

  const std::string& key_of(const std::string& n) const {
    if constexpr (has_key_of<File>::value) {
      return file_->key_of(n);
    } else {
      return n;
    }
  }
  void record(const std::string& tensor_name) const { used_.insert(tensor_name); }

  const File* file_;
  mutable std::set<std::string> used_;
};

}  // namespace seq2seq::io
