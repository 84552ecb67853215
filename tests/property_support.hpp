// Support for the property tests (tests/test_property_*.cpp): a seeded random source, random
// weights built once in the reference's plain form (reference_impl.hpp) and handed to both the
// reference and the library, conversions between the library's tensors/states and the
// reference's per-row states, and a tolerant comparison that reports the first mismatch.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <seq2seq/seq2seq.hpp>

#include "reference_impl.hpp"

namespace prop {

using namespace seq2seq;

/// Every property test derives case i's generator from kSeed + i, and prints it on failure, so
/// a failing case can be replayed alone.
constexpr uint64_t kSeed = 20240611;

/// float64 comparisons: |lib − ref| <= kTol · (1 + |ref|).
constexpr double kTol = 1e-12;

struct Rng {
  std::mt19937_64 g;
  explicit Rng(uint64_t seed) : g(seed) {}
  int integer(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g); }
  double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(g); }
  bool coin(double p = 0.5) { return std::bernoulli_distribution(p)(g); }
  template <class V>
  const typename V::value_type& pick(const V& v) {
    return v[static_cast<std::size_t>(integer(0, static_cast<int>(v.size()) - 1))];
  }
};

inline ref::Mat rand_mat(Rng& r, int rows, int cols, double scale = 1.0) {
  ref::Mat m(rows, cols);
  for (double& x : m.v) x = r.uniform(-scale, scale);
  return m;
}
inline ref::Vec rand_vec(Rng& r, int n, double scale = 1.0) {
  ref::Vec v(static_cast<std::size_t>(n));
  for (double& x : v) x = r.uniform(-scale, scale);
  return v;
}

inline Tensor2<double> t2(const ref::Mat& m) {
  Tensor2<double> t(m.rows, m.cols);
  for (int i = 0; i < m.rows; ++i) {
    for (int j = 0; j < m.cols; ++j) t(i, j) = m(i, j);
  }
  return t;
}
inline Tensor1<double> t1(const ref::Vec& v) {
  Tensor1<double> t(static_cast<Index>(v.size()));
  for (std::size_t i = 0; i < v.size(); ++i) t(static_cast<Index>(i)) = v[i];
  return t;
}

// ---------------------------------------------------------------------------------------------
// Library state <-> reference per-row state (a list of component rows, in TF's order).

inline void to_rows(const Tensor2<double>& s, std::vector<ref::RowState>& rows) {
  rows.resize(static_cast<std::size_t>(s.dimension(0)));
  for (Index b = 0; b < s.dimension(0); ++b) {
    ref::Vec v(static_cast<std::size_t>(s.dimension(1)));
    for (Index j = 0; j < s.dimension(1); ++j) v[j] = s(b, j);
    rows[b].push_back(v);
  }
}
inline void to_rows(const LSTMStateTuple<double>& s, std::vector<ref::RowState>& rows) {
  to_rows(s.c, rows);
  to_rows(s.h, rows);
}
template <class... S>
void to_rows(const std::tuple<S...>& s, std::vector<ref::RowState>& rows) {
  std::apply([&rows](const auto&... layer) { (to_rows(layer, rows), ...); }, s);
}
template <class CS>
void to_rows(const AttentionWrapperState<CS, double>& s, std::vector<ref::RowState>& rows) {
  to_rows(s.cell_state, rows);
  to_rows(s.attention, rows);
  to_rows(s.alignments, rows);
  to_rows(s.attention_state, rows);
}
template <class State>
std::vector<ref::RowState> rows_of(const State& s) {
  std::vector<ref::RowState> rows;
  to_rows(s, rows);
  return rows;
}

inline void from_rows(Tensor2<double>& s, const std::vector<ref::RowState>& rows,
                      std::size_t& comp) {
  for (Index b = 0; b < s.dimension(0); ++b) {
    for (Index j = 0; j < s.dimension(1); ++j) s(b, j) = rows[b][comp][j];
  }
  ++comp;
}
inline void from_rows(LSTMStateTuple<double>& s, const std::vector<ref::RowState>& rows,
                      std::size_t& comp) {
  from_rows(s.c, rows, comp);
  from_rows(s.h, rows, comp);
}
template <class... S>
void from_rows(std::tuple<S...>& s, const std::vector<ref::RowState>& rows, std::size_t& comp) {
  std::apply([&](auto&... layer) { (from_rows(layer, rows, comp), ...); }, s);
}
template <class CS>
void from_rows(AttentionWrapperState<CS, double>& s, const std::vector<ref::RowState>& rows,
               std::size_t& comp) {
  from_rows(s.cell_state, rows, comp);
  from_rows(s.attention, rows, comp);
  from_rows(s.alignments, rows, comp);
  from_rows(s.attention_state, rows, comp);
}
/// `shape` (a library state of the right shapes, e.g. zero_state) filled from `rows`.
template <class State>
State state_from_rows(State shape, const std::vector<ref::RowState>& rows) {
  std::size_t comp = 0;
  from_rows(shape, rows, comp);
  return shape;
}

/// Random reference states, shaped like `cell`'s zero state, in ±scale.
inline std::vector<ref::RowState> rand_states(Rng& r, const ref::Cell& cell, int batch,
                                              double scale = 1.0) {
  std::vector<ref::RowState> s(static_cast<std::size_t>(batch));
  for (int b = 0; b < batch; ++b) {
    s[b] = cell.zero_state(b);
    for (auto& comp : s[b]) {
      for (double& x : comp) x = r.uniform(-scale, scale);
    }
  }
  return s;
}
inline std::vector<ref::RowState> zero_states(const ref::Cell& cell, int batch) {
  std::vector<ref::RowState> s(static_cast<std::size_t>(batch));
  for (int b = 0; b < batch; ++b) s[b] = cell.zero_state(b);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Comparison: collects the first mismatch and the number of mismatches; `report` adds one gtest
// failure per case (not one per element).

struct Compare {
  int mismatches = 0;
  std::string first;

  void num(double lib, double want, const std::string& what, double tol = kTol) {
    const bool same_inf = std::isinf(lib) && std::isinf(want) && (lib > 0) == (want > 0);
    if (same_inf || std::abs(lib - want) <= tol * (1.0 + std::abs(want))) return;
    fail(what + ": library " + str(lib) + ", reference " + str(want));
  }
  void exact(long long lib, long long want, const std::string& what) {
    if (lib != want) fail(what + ": library " + std::to_string(lib) + ", reference " + std::to_string(want));
  }
  void vec(const double* lib, const ref::Vec& want, const std::string& what, double tol = kTol) {
    for (std::size_t j = 0; j < want.size(); ++j) num(lib[j], want[j], what + "[" + std::to_string(j) + "]", tol);
  }
  void rows(const std::vector<ref::RowState>& lib, const std::vector<ref::RowState>& want,
            const std::string& what, double tol = kTol) {
    if (lib.size() != want.size()) return fail(what + ": batch differs");
    for (std::size_t b = 0; b < lib.size(); ++b) {
      if (lib[b].size() != want[b].size()) return fail(what + ": component count differs");
      for (std::size_t c = 0; c < lib[b].size(); ++c) {
        if (lib[b][c].size() != want[b][c].size()) {
          return fail(what + ": component " + std::to_string(c) + " width differs");
        }
        vec(lib[b][c].data(), want[b][c],
            what + " row " + std::to_string(b) + " component " + std::to_string(c), tol);
      }
    }
  }
  void fail(const std::string& msg) {
    if (mismatches++ == 0) first = msg;
  }
  /// One gtest failure (the first mismatch) per failing case; returns whether the case passed.
  bool report() const {
    if (mismatches == 0) return true;
    ADD_FAILURE() << mismatches << " mismatch(es); first: " << first;
    return false;
  }
  static std::string str(double x) {
    std::ostringstream os;
    os.precision(17);
    os << x;
    return os.str();
  }
};

/// "case 12 (seed 20240623): B=3 ..." for SCOPED_TRACE.
inline std::string case_name(int i, const std::string& what) {
  return "case " + std::to_string(i) + " (Rng seed kSeed+" + std::to_string(i) + " = " +
         std::to_string(kSeed + static_cast<uint64_t>(i)) + "): " + what;
}

// ---------------------------------------------------------------------------------------------
// Random cells: the reference cell and the library cell over the same weights.

struct RnnPair {
  std::shared_ptr<ref::BasicRNN> ref;
  BasicRNNCell<double> lib;
};
inline RnnPair make_rnn(Rng& r, int I, int H) {
  auto c = std::make_shared<ref::BasicRNN>();
  c->I = I;
  c->H = H;
  c->kernel = rand_mat(r, I + H, H);
  c->bias = rand_vec(r, H);
  return {c, BasicRNNCell<double>(H, {t2(c->kernel), t1(c->bias)})};
}

struct GruPair {
  std::shared_ptr<ref::GRU> ref;
  GRUCell<double> lib;
};
inline GruPair make_gru(Rng& r, int I, int H, bool reset_after) {
  auto c = std::make_shared<ref::GRU>();
  c->I = I;
  c->H = H;
  c->gates_kernel = rand_mat(r, I + H, 2 * H);
  c->gates_bias = rand_vec(r, 2 * H);
  c->candidate_kernel = rand_mat(r, I + H, H);
  c->candidate_bias = rand_vec(r, H);
  c->reset_after = reset_after;
  if (reset_after) c->recurrent_bias = rand_vec(r, H);
  GRUCellWeights<double> w{t2(c->gates_kernel), t1(c->gates_bias), t2(c->candidate_kernel),
                           t1(c->candidate_bias),
                           reset_after ? t1(c->recurrent_bias) : Tensor1<double>{}};
  return {c, GRUCell<double>(H, std::move(w), reset_after)};
}

struct LstmPair {
  std::shared_ptr<ref::LSTM> ref;
  LSTMCell<double> lib;
};
/// An LSTM with a random combination of peepholes, cell_clip, num_proj, proj_clip and
/// forget_bias (`plain`: none of them but forget_bias, so that output = num_units).
inline LstmPair make_lstm(Rng& r, int I, int H, bool plain = false) {
  auto c = std::make_shared<ref::LSTM>();
  c->I = I;
  c->H = H;
  c->forget_bias = r.coin(0.3) ? 1.0 : r.uniform(-1.0, 2.0);
  if (!plain) {
    c->peepholes = r.coin();
    if (r.coin()) c->cell_clip = r.uniform(0.05, 1.5);
    if (r.coin()) {
      c->num_proj = r.integer(1, 6);
      if (r.coin()) c->proj_clip = r.uniform(0.02, 0.6);
    }
  }
  const int P = c->P();
  c->kernel = rand_mat(r, I + P, 4 * H);
  c->bias = rand_vec(r, 4 * H);
  LSTMCellWeights<double> w{t2(c->kernel), t1(c->bias)};
  if (c->peepholes) {
    c->w_f = rand_vec(r, H);
    c->w_i = rand_vec(r, H);
    c->w_o = rand_vec(r, H);
    w.w_f_diag = t1(c->w_f);
    w.w_i_diag = t1(c->w_i);
    w.w_o_diag = t1(c->w_o);
  }
  if (c->num_proj) {
    c->projection = rand_mat(r, H, P);
    w.projection_kernel = t2(c->projection);
  }
  LSTMCellOptions<double> o;
  o.use_peepholes = c->peepholes;
  o.cell_clip = c->cell_clip;
  if (c->num_proj) o.num_proj = *c->num_proj;
  o.proj_clip = c->proj_clip;
  o.forget_bias = c->forget_bias;
  return {c, LSTMCell<double>(H, std::move(w), o)};
}

inline std::string lstm_options(const ref::LSTM& c) {
  std::ostringstream os;
  os << "peepholes=" << c.peepholes << " cell_clip=" << (c.cell_clip ? Compare::str(*c.cell_clip) : "none")
     << " num_proj=" << (c.num_proj ? std::to_string(*c.num_proj) : "none")
     << " proj_clip=" << (c.proj_clip ? Compare::str(*c.proj_clip) : "none")
     << " forget_bias=" << c.forget_bias;
  return os.str();
}

// ---------------------------------------------------------------------------------------------
// Attention: a random reference mechanism, and the library's over the same weights, its memory
// optionally tile_batch-ed (`tile` copies of each row, for beam search).

inline ref::Mechanism rand_mechanism(Rng& r, ref::Mechanism::Kind kind, int B, int Tm, int Dm,
                                     int U, int query_depth, bool masked) {
  ref::Mechanism m;
  m.kind = kind;
  m.U = U;
  m.Tm = Tm;
  m.Dm = Dm;
  for (int b = 0; b < B; ++b) {
    m.memory.push_back(rand_mat(r, Tm, Dm));
    m.lengths.push_back(masked ? r.integer(1, Tm) : Tm);
  }
  m.memory_kernel = rand_mat(r, Dm, U);
  if (kind == ref::Mechanism::bahdanau) {
    m.query_kernel = rand_mat(r, query_depth, U);
    m.v = rand_vec(r, U);
    m.normalize = r.coin();
    if (m.normalize) {
      m.g = r.uniform(0.2, 2.0);
      m.b = rand_vec(r, U);
    }
  } else {
    m.scale = r.coin();
    if (m.scale) m.luong_g = r.uniform(-2.0, 2.0);
  }
  return m;
}

inline Tensor3<double> lib_memory(const ref::Mechanism& m, int tile) {
  const int B = static_cast<int>(m.memory.size());
  Tensor3<double> t(B * tile, m.Tm, m.Dm);
  for (int b = 0; b < B * tile; ++b) {
    for (int i = 0; i < m.Tm; ++i) {
      for (int d = 0; d < m.Dm; ++d) t(b, i, d) = m.memory[b / tile](i, d);
    }
  }
  return t;
}
/// The lengths, or empty (no masking) when every row is full and `drop_full` says so.
inline std::vector<int64_t> lib_lengths(const ref::Mechanism& m, int tile, bool pass_lengths) {
  std::vector<int64_t> l;
  if (!pass_lengths) return l;
  for (int len : m.lengths) l.insert(l.end(), static_cast<std::size_t>(tile), len);
  return l;
}
inline BahdanauAttention<double> lib_bahdanau(const ref::Mechanism& m, int tile,
                                              bool pass_lengths) {
  BahdanauAttentionWeights<double> w{t2(m.memory_kernel), t2(m.query_kernel), t1(m.v), m.g,
                                     m.normalize ? t1(m.b) : Tensor1<double>{}};
  return BahdanauAttention<double>(m.U, lib_memory(m, tile), lib_lengths(m, tile, pass_lengths),
                                   std::move(w), m.normalize);
}
inline LuongAttention<double> lib_luong(const ref::Mechanism& m, int tile, bool pass_lengths) {
  LuongAttentionWeights<double> w{t2(m.memory_kernel), m.luong_g};
  return LuongAttention<double>(m.U, lib_memory(m, tile), lib_lengths(m, tile, pass_lengths),
                                std::move(w), m.scale);
}

inline std::string mechanism_options(const ref::Mechanism& m) {
  std::ostringstream os;
  os << (m.kind == ref::Mechanism::bahdanau ? "Bahdanau" : "Luong") << " U=" << m.U
     << " Tm=" << m.Tm << " Dm=" << m.Dm;
  if (m.kind == ref::Mechanism::bahdanau) os << " normalize=" << m.normalize;
  else os << " scale=" << m.scale;
  os << " lengths=[";
  for (std::size_t b = 0; b < m.lengths.size(); ++b) os << (b ? "," : "") << m.lengths[b];
  os << "]";
  return os.str();
}

// Inputs: reference [B][T] -> [D] and the library's [B, T, D] ([T, B, D] when time_major).
inline std::vector<std::vector<ref::Vec>> rand_inputs(Rng& r, int B, int T, int D,
                                                      double scale = 1.0) {
  std::vector<std::vector<ref::Vec>> x(B, std::vector<ref::Vec>(T));
  for (auto& row : x) {
    for (auto& v : row) v = rand_vec(r, D, scale);
  }
  return x;
}
inline Tensor3<double> lib_inputs(const std::vector<std::vector<ref::Vec>>& x, bool time_major) {
  const int B = static_cast<int>(x.size()), T = static_cast<int>(x[0].size());
  const int D = static_cast<int>(x[0][0].size());
  Tensor3<double> t = time_major ? Tensor3<double>(T, B, D) : Tensor3<double>(B, T, D);
  for (int b = 0; b < B; ++b) {
    for (int i = 0; i < T; ++i) {
      for (int d = 0; d < D; ++d) (time_major ? t(i, b, d) : t(b, i, d)) = x[b][i][d];
    }
  }
  return t;
}

}  // namespace prop
