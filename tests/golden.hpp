// Test support: reading the golden fixtures that real TensorFlow wrote (tools/reference/
// gen_golden.py), building our objects from them, and comparing within the golden tolerance.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "throws_error.hpp"

#include <seq2seq/io/safetensors.hpp>
#include <seq2seq/seq2seq.hpp>

namespace golden {

using seq2seq::Index;
using seq2seq::io::SafetensorsFile;

/// Relative tolerance per dtype: ~1e-5 in float, ~1e-12 in double (DEVELOPERS.md).
template <class T>
constexpr double rtol() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

/// Largest errors seen per dtype over the whole run, printed at exit for the issue notes.
struct Stats {
  double max_abs = 0, max_rel = 0;
  long values = 0, cases = 0;
  std::string worst;  // where max_abs was seen
};
inline std::map<std::string, Stats>& stats() {
  static std::map<std::string, Stats> s;
  return s;
}
struct StatsPrinter : ::testing::Environment {
  void TearDown() override {
    for (const auto& [dtype, s] : stats()) {
      std::printf("[golden] %s: %ld cases, %ld values, max abs error %.3g (%s), max rel error "
                  "%.3g\n",
                  dtype.c_str(), s.cases, s.values, s.max_abs, s.worst.c_str(), s.max_rel);
    }
  }
};
inline const bool stats_printer_registered =
    (::testing::AddGlobalTestEnvironment(new StatsPrinter), true);

template <class T>
const char* dtype_name() {
  return std::is_same_v<T, float> ? "f32" : "f64";
}

/// Checks |actual - expected| <= rtol * (1 + |expected|) element-wise, and that every value TF
/// gives as exactly 0 (masked outputs and alignments) is exactly 0 here too.
template <class T, int Rank>
void expect_close(const Eigen::Tensor<T, Rank, Eigen::RowMajor, Index>& actual,
                  const Eigen::Tensor<T, Rank, Eigen::RowMajor, Index>& expected,
                  const std::string& what) {
  ASSERT_EQ(seq2seq::shape_string(actual), seq2seq::shape_string(expected)) << what;
  Stats& s = stats()[dtype_name<T>()];
  const double tol = rtol<T>();
  long bad = 0;
  for (Index i = 0; i < expected.size(); ++i) {
    const double a = actual.data()[i], e = expected.data()[i];
    if (std::isinf(e) && a == e) continue;  // TF's -inf (e.g. beam scores of dead candidates)
    const double err = std::abs(a - e);
    if (err > s.max_abs) {
      s.max_abs = err;
      s.worst = what + " |expected| " + std::to_string(std::abs(e));
    }
    if (std::abs(e) > 1e-3) s.max_rel = std::max(s.max_rel, err / std::abs(e));
    ++s.values;
    const bool ok = e == 0 ? a == 0 : err <= tol * (1 + std::abs(e));
    if (!ok && bad++ < 5) {
      ADD_FAILURE() << what << "[" << i << "]: got " << a << ", TensorFlow " << e
                    << " (error " << err << ")";
    }
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << expected.size() << " values differ";
}

/// Fixture names (relative to tests/golden) that start with `prefix`, sorted. A prefix may name
/// a subdirectory: "keras/keras_" lists tests/golden/keras/keras_*.
inline std::vector<std::string> cases(const std::string& prefix) {
  const std::size_t slash = prefix.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : prefix.substr(0, slash + 1);
  const std::string start = prefix.substr(dir.size());
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(SEQ2SEQ_GOLDEN_DIR "/" + dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(start, 0) == 0 && entry.path().extension() == ".safetensors") {
      names.push_back(dir + name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

inline SafetensorsFile open(const std::string& name) {
  return SafetensorsFile::load(std::string(SEQ2SEQ_GOLDEN_DIR) + "/" + name);
}

inline long meta_int(const SafetensorsFile& f, const std::string& key) {
  return std::stol(f.metadata(key));
}

inline std::vector<int64_t> lengths(const SafetensorsFile& f, const std::string& name) {
  return f.contains(name) ? f.integers(name) : std::vector<int64_t>{};
}

template <class T>
seq2seq::GRUCell<T> make_gru(const SafetensorsFile& f, const std::string& p = "cell/") {
  return seq2seq::GRUCell<T>(
      meta_int(f, "num_units"),
      {f.tensor<T, 2>(p + "gates/kernel"), f.tensor<T, 1>(p + "gates/bias"),
       f.tensor<T, 2>(p + "candidate/kernel"), f.tensor<T, 1>(p + "candidate/bias")});
}

template <class T>
seq2seq::LSTMCell<T> make_lstm(const SafetensorsFile& f, const std::string& p = "cell/") {
  return seq2seq::LSTMCell<T>(meta_int(f, "num_units"),
                              {f.tensor<T, 2>(p + "kernel"), f.tensor<T, 1>(p + "bias")},
                              static_cast<T>(std::stod(f.metadata("forget_bias"))));
}

template <class T>
seq2seq::BahdanauAttention<T> make_bahdanau(const SafetensorsFile& f) {
  const bool normalize = meta_int(f, "normalize") != 0;
  seq2seq::BahdanauAttentionWeights<T> w{f.tensor<T, 2>("memory_layer/kernel"),
                                         f.tensor<T, 2>("query_layer/kernel"),
                                         f.tensor<T, 1>("attention_v"), T(0), {}};
  if (normalize) {
    w.attention_g = static_cast<T>(f.scalar("attention_g"));
    w.attention_b = f.tensor<T, 1>("attention_b");
  }
  const Index units = meta_int(f, f.metadata().count("attention_units") ? "attention_units"
                                                                         : "num_units");
  return seq2seq::BahdanauAttention<T>(units, f.tensor<T, 3>("memory"),
                                       lengths(f, "memory_sequence_length"), std::move(w),
                                       normalize);
}

/// A GRU state (prefix + "h") or an LSTMStateTuple (prefix + "c", prefix + "h").
template <class State, class T>
State load_state(const SafetensorsFile& f, const std::string& prefix) {
  if constexpr (std::is_same_v<State, seq2seq::Tensor2<T>>) {
    return f.tensor<T, 2>(prefix + "h");
  } else {
    return State{f.tensor<T, 2>(prefix + "c"), f.tensor<T, 2>(prefix + "h")};
  }
}

template <class T>
void expect_state(const seq2seq::Tensor2<T>& actual, const SafetensorsFile& f,
                  const std::string& prefix) {
  expect_close(actual, f.tensor<T, 2>(prefix + "h"), prefix + "h");
}
template <class T>
void expect_state(const seq2seq::LSTMStateTuple<T>& actual, const SafetensorsFile& f,
                  const std::string& prefix) {
  expect_close(actual.c, f.tensor<T, 2>(prefix + "c"), prefix + "c");
  expect_close(actual.h, f.tensor<T, 2>(prefix + "h"), prefix + "h");
}

/// Zero-filled tensors for tests that only need a shape.
template <class T>
seq2seq::Tensor1<T> zeros(Index a) {
  return seq2seq::detail::zeros<T, 1>({a});
}
template <class T>
seq2seq::Tensor2<T> zeros(Index a, Index b) {
  return seq2seq::detail::zeros<T, 2>({a, b});
}
template <class T>
seq2seq::Tensor3<T> zeros(Index a, Index b, Index c) {
  return seq2seq::detail::zeros<T, 3>({a, b, c});
}

/// Calls `fn(cell, file)` for every dynamic_rnn_* golden case ({gru, lstm} x 4 variants x {f32,
/// f64}), with the case's cell.
template <class Fn>
void for_each_dynamic_rnn_case(Fn&& fn) {
  const auto names = cases("dynamic_rnn_");
  ASSERT_EQ(names.size(), 16u);
  for (const auto& name : names) {
    with_dtype(name, [&](auto tag, const auto& f) {
      using T = decltype(tag);
      if (f.metadata("cell") == "gru") {
        fn(make_gru<T>(f), f);
      } else {
        fn(make_lstm<T>(f), f);
      }
    });
  }
}

/// Small float64 cells with smooth weights, for tests that compare two ways of running them
/// (not TensorFlow's values): GRU `0.5 sin(0.3 k)` / `0.5 cos(0.7 k)`, LSTM `0.5 sin(0.37 k)`.
inline seq2seq::GRUCell<double> wave_gru(Index in, Index units) {
  seq2seq::Tensor2<double> gk(in + units, 2 * units), ck(in + units, units);
  seq2seq::Tensor1<double> gb(2 * units), cb(units);
  for (Index i = 0; i < gk.size(); ++i) gk.data()[i] = 0.5 * std::sin(0.3 * double(i));
  for (Index i = 0; i < ck.size(); ++i) ck.data()[i] = 0.5 * std::cos(0.7 * double(i));
  gb.setConstant(0.5);
  cb.setConstant(-0.25);
  return seq2seq::GRUCell<double>(units, {gk, gb, ck, cb});
}
inline seq2seq::LSTMCell<double> wave_lstm(Index in, Index units) {
  seq2seq::Tensor2<double> k(in + units, 4 * units);
  seq2seq::Tensor1<double> b(4 * units);
  for (Index i = 0; i < k.size(); ++i) k.data()[i] = 0.5 * std::sin(0.37 * double(i));
  b.setConstant(0.1);
  return seq2seq::LSTMCell<double>(units, {k, b});
}

/// A float32 tensor for `safetensors_file`: shape and row-major values.
struct NamedTensor {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

/// An in-memory safetensors file holding float32 `tensors` (for tests of bad weight files).
inline SafetensorsFile safetensors_file(const std::map<std::string, NamedTensor>& tensors,
                                        const std::string& name = "test.safetensors") {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& [key, t] : tensors) {
    const std::size_t begin = data.size();
    data.append(reinterpret_cast<const char*>(t.values.data()), t.values.size() * sizeof(float));
    header[key] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {begin, data.size()}}};
  }
  const std::string json = header.dump();
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((json.size() >> (8 * i)) & 0xff);
  return SafetensorsFile::parse(bytes + json + data, name);
}

/// `count` values 0.01 * sin(k) for a NamedTensor.
inline std::vector<float> values(std::size_t count) {
  std::vector<float> v(count);
  for (std::size_t k = 0; k < count; ++k) v[k] = 0.01f * std::sin(static_cast<float>(k));
  return v;
}

inline void count_case(const std::string& dtype) { ++stats()[dtype].cases; }

/// Runs `body(T{}, file)` with T the fixture's dtype (float or double), the stored type of its
/// `inputs` (or `memory`).
template <class Body>
void with_dtype(const std::string& name, Body&& body) {
  SCOPED_TRACE(name);
  const SafetensorsFile f = open(name);
  const bool is_float = f.dtype(f.contains("inputs") ? "inputs" : "memory") == "F32";
  count_case(is_float ? "f32" : "f64");
  if (is_float) {
    body(float{}, f);
  } else {
    body(double{}, f);
  }
}

/// EXPECT that `fn` throws seq2seq::Error whose message contains every one of `parts`.
template <class Fn>
void expect_error(Fn&& fn, std::initializer_list<std::string> parts) {
  EXPECT_TRUE(throws_error([&] { fn(); }, parts));
}

}  // namespace golden
