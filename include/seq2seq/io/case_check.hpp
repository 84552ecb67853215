// Proof that a ported model matches: a "case" holds inputs and the outputs TensorFlow computed
// from them (tools/export/write_case.py writes one next to exported weights); check_case builds
// the layer the case names from a weight file, runs it, and reports the largest difference.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <seq2seq/core/error.hpp>
#include <seq2seq/io/keras.hpp>
#include <seq2seq/io/safetensors.hpp>
#include <seq2seq/io/tf1.hpp>
#include <seq2seq/rnn/dynamic_rnn.hpp>

namespace seq2seq::io {

/// How far a model's outputs are from the ones TensorFlow computed, element by element:
/// `max_error` is |ours - TF| / max(1, |TF|), the measure of the library's own golden tests.
struct CaseReport {
  std::string builder;  ///< what was built: the builder (from the case's metadata)
  std::string scope;    ///< what was built: the variable scope (from the case's metadata)
  Index values = 0;     ///< elements compared
  /// The largest |ours - TF| over all elements.
  double max_abs_error = 0;
  /// The largest |ours - TF| / max(1, |TF|) over all elements.
  double max_error = 0;
  Index worst = 0;  ///< flat index of the element with max_error

  /// True when every element is within `tolerance` (1e-5 is the library's float tolerance).
  bool matches(double tolerance = 1e-5) const { return max_error <= tolerance; }
};

/// Runs `cell` under dynamic_rnn on the case's inputs [B, T, I] (and sequence_length [B], when
/// the case has it) and compares with its outputs [B, T, H]. Throws Error if the case is not a
/// dynamic_rnn case or its shapes do not fit the cell.
template <class Cell>
CaseReport check_rnn_case(const Cell& cell, const SafetensorsFile& case_file) {
  using T = typename Cell::Scalar;
  const auto inputs = case_file.tensor<T, 3>("inputs");
  const auto expected = case_file.tensor<T, 3>("outputs");
  std::vector<int64_t> lengths;
  if (case_file.contains("sequence_length")) lengths = case_file.integers("sequence_length");
  const auto outputs = dynamic_rnn(cell, inputs, lengths).outputs;
  if (shape_string(outputs) != shape_string(expected)) {
    seq2seq::detail::fail("case '", case_file.name(), "': the model's outputs are ",
                          shape_string(outputs), " but the case's are ", shape_string(expected));
  }
  CaseReport r;
  r.values = expected.size();
  for (Index i = 0; i < expected.size(); ++i) {
    const double e = expected.data()[i];
    double err = std::abs(static_cast<double>(outputs.data()[i]) - e);
    if (std::isnan(err)) err = INFINITY;  // a NaN on either side is a mismatch
    const double rel = err / std::max(1.0, std::abs(e));
    r.max_abs_error = std::max(r.max_abs_error, err);
    if (i == 0 || rel > r.max_error) {
      r.max_error = rel;
      r.worst = i;
    }
  }
  return r;
}

/// Builds the layer the case's metadata names ("builder": tf1::gru_cell, tf1::lstm_cell,
/// keras::gru_cell or keras::lstm_cell; "scope") from `weights` — any weight file, e.g. a
/// TFCheckpoint or a LoadStatus over one — in T, and checks it with check_rnn_case. Throws Error
/// naming the case for an unknown builder or a case without one.
template <class T = float, class Weights>
CaseReport check_case(const Weights& weights, const SafetensorsFile& case_file) {
  const auto& meta = case_file.metadata();
  const auto kind = meta.find("seq2seq_case");
  if (kind == meta.end() || kind->second != "dynamic_rnn" || !meta.count("builder") ||
      !meta.count("scope")) {
    seq2seq::detail::fail("case '", case_file.name(),
                          "': not a case file (its metadata needs seq2seq_case = dynamic_rnn, "
                          "builder and scope; tools/export/write_case.py writes them)");
  }
  const std::string builder = meta.at("builder"), scope = meta.at("scope");
  CaseReport r;
  if (builder == "tf1::gru_cell") {
    r = check_rnn_case(tf1::gru_cell<T>(weights, scope), case_file);
  } else if (builder == "tf1::lstm_cell") {
    r = check_rnn_case(tf1::lstm_cell<T>(weights, scope), case_file);
  } else if (builder == "keras::gru_cell") {
    r = check_rnn_case(keras::gru_cell<T>(weights, scope), case_file);
  } else if (builder == "keras::lstm_cell") {
    r = check_rnn_case(keras::lstm_cell<T>(weights, scope), case_file);
  } else {
    seq2seq::detail::fail("case '", case_file.name(), "': unknown builder '", builder,
                          "' (expected tf1::gru_cell, tf1::lstm_cell, keras::gru_cell or "
                          "keras::lstm_cell)");
  }
  r.builder = builder;
  r.scope = scope;
  return r;
}

}  // namespace seq2seq::io
