// A slow, plain-loop reference of the TensorFlow semantics the library reimplements, written
// from /work/shared/reference/tf_seq2seq_spec.md (§1 cells, §2 dynamic_rnn, §3 attention, §4
// AttentionWrapper, §5 decoding), not from the library's code. Everything is float64 in
// std::vector, one batch row at a time; no Eigen, so that the property tests compare two
// independent implementations. Used by tests/test_property_*.cpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ref {

using Vec = std::vector<double>;

/// A [rows, cols] matrix, row-major; kernels are [in, out] and applied as y = x · W.
struct Mat {
  int rows = 0, cols = 0;
  Vec v;
  Mat() = default;
  Mat(int r, int c) : rows(r), cols(c), v(static_cast<std::size_t>(r) * c, 0.0) {}
  double& operator()(int i, int j) { return v[static_cast<std::size_t>(i) * cols + j]; }
  double operator()(int i, int j) const { return v[static_cast<std::size_t>(i) * cols + j]; }
};

/// y = x · W (x has W.rows entries).
inline Vec vecmat(const Vec& x, const Mat& w) {
  Vec y(static_cast<std::size_t>(w.cols), 0.0);
  for (int j = 0; j < w.cols; ++j) {
    double s = 0.0;
    for (int i = 0; i < w.rows; ++i) s += x[i] * w(i, j);
    y[j] = s;
  }
  return y;
}

inline Vec concat(const Vec& a, const Vec& b) {
  Vec c = a;
  c.insert(c.end(), b.begin(), b.end());
  return c;
}

inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline double clip(double x, double limit) { return std::min(std::max(x, -limit), limit); }

/// One batch row's state: the flattened list of state tensors' rows, in TF's order
/// (e.g. LSTM: c, h; AttentionWrapper: cell state..., attention, alignments, attention_state).
using RowState = std::vector<Vec>;

/// A cell, one batch row at a time. `row` is the batch row (which memory row attention reads).
struct Cell {
  virtual ~Cell() = default;
  virtual int input_size() const = 0;
  virtual int output_size() const = 0;
  virtual RowState zero_state(int row) const = 0;
  virtual Vec step(const Vec& x, RowState& s, int row) const = 0;
};

// §1.1 BasicRNNCell: h' = tanh([x, h] · kernel + bias).
struct BasicRNN : Cell {
  int I = 0, H = 0;
  Mat kernel;  // [I+H, H]
  Vec bias;    // [H]
  int input_size() const override { return I; }
  int output_size() const override { return H; }
  RowState zero_state(int) const override { return {Vec(H, 0.0)}; }
  Vec step(const Vec& x, RowState& s, int) const override {
    Vec z = vecmat(concat(x, s[0]), kernel);
    for (int j = 0; j < H; ++j) z[j] = std::tanh(z[j] + bias[j]);
    s[0] = z;
    return z;
  }
};

// §1.2 GRUCell (TF1: reset before the candidate matmul); reset_after: the Keras/PyTorch form
// c = tanh(x·Wc[:I] + bc + r ⊙ (h·Wc[I:] + b_rh)) (§1.5 with the gates in TF1 layout).
struct GRU : Cell {
  int I = 0, H = 0;
  Mat gates_kernel;      // [I+H, 2H], columns r then u
  Vec gates_bias;        // [2H]
  Mat candidate_kernel;  // [I+H, H]
  Vec candidate_bias;    // [H]
  bool reset_after = false;
  Vec recurrent_bias;    // [H], reset_after only
  int input_size() const override { return I; }
  int output_size() const override { return H; }
  RowState zero_state(int) const override { return {Vec(H, 0.0)}; }
  Vec step(const Vec& x, RowState& s, int) const override {
    const Vec& h = s[0];
    Vec g = vecmat(concat(x, h), gates_kernel);
    Vec r(H), u(H);
    for (int j = 0; j < H; ++j) {
      r[j] = sigmoid(g[j] + gates_bias[j]);
      u[j] = sigmoid(g[H + j] + gates_bias[H + j]);
    }
    Vec c(H);
    if (!reset_after) {
      Vec rs(H);
      for (int j = 0; j < H; ++j) rs[j] = r[j] * h[j];
      Vec z = vecmat(concat(x, rs), candidate_kernel);
      for (int j = 0; j < H; ++j) c[j] = std::tanh(z[j] + candidate_bias[j]);
    } else {
      for (int j = 0; j < H; ++j) {
        double xin = 0.0, hin = 0.0;
        for (int i = 0; i < I; ++i) xin += x[i] * candidate_kernel(i, j);
        for (int i = 0; i < H; ++i) hin += h[i] * candidate_kernel(I + i, j);
        c[j] = std::tanh(xin + candidate_bias[j] + r[j] * (hin + recurrent_bias[j]));
      }
    }
    Vec hn(H);
    for (int j = 0; j < H; ++j) hn[j] = u[j] * h[j] + (1.0 - u[j]) * c[j];
    s[0] = hn;
    return hn;
  }
};

// §1.4 LSTMCell: gates i, j, f, o; state (c [H], m [P]).
struct LSTM : Cell {
  int I = 0, H = 0;
  Mat kernel;  // [I+P, 4H]
  Vec bias;    // [4H]
  double forget_bias = 1.0;
  bool peepholes = false;
  Vec w_f, w_i, w_o;  // [H] each, peepholes only
  std::optional<double> cell_clip;
  std::optional<int> num_proj;
  std::optional<double> proj_clip;
  Mat projection;  // [H, P], num_proj only
  int P() const { return num_proj ? *num_proj : H; }
  int input_size() const override { return I; }
  int output_size() const override { return P(); }
  RowState zero_state(int) const override { return {Vec(H, 0.0), Vec(P(), 0.0)}; }
  Vec step(const Vec& x, RowState& s, int) const override {
    const Vec c_prev = s[0], m_prev = s[1];
    Vec z = vecmat(concat(x, m_prev), kernel);
    for (int k = 0; k < 4 * H; ++k) z[k] += bias[k];
    Vec c(H), m(H);
    for (int j = 0; j < H; ++j) {
      const double i = z[j], jj = z[H + j], f = z[2 * H + j];
      if (peepholes) {
        c[j] = sigmoid(f + forget_bias + w_f[j] * c_prev[j]) * c_prev[j] +
               sigmoid(i + w_i[j] * c_prev[j]) * std::tanh(jj);
      } else {
        c[j] = sigmoid(f + forget_bias) * c_prev[j] + sigmoid(i) * std::tanh(jj);
      }
      if (cell_clip) c[j] = clip(c[j], *cell_clip);
      const double o = z[3 * H + j];
      m[j] = (peepholes ? sigmoid(o + w_o[j] * c[j]) : sigmoid(o)) * std::tanh(c[j]);
    }
    if (num_proj) {
      m = vecmat(m, projection);
      if (proj_clip) {
        for (double& v : m) v = clip(v, *proj_clip);
      }
    }
    s[0] = c;
    s[1] = m;
    return m;
  }
};

// §2.7 MultiRNNCell: layer k reads layer k-1's output; the state is the layers' states in order.
struct Multi : Cell {
  std::vector<std::shared_ptr<const Cell>> layers;
  int input_size() const override { return layers.front()->input_size(); }
  int output_size() const override { return layers.back()->output_size(); }
  RowState zero_state(int row) const override {
    RowState s;
    for (const auto& l : layers) {
      RowState z = l->zero_state(row);
      s.insert(s.end(), z.begin(), z.end());
    }
    return s;
  }
  Vec step(const Vec& x, RowState& s, int row) const override {
    Vec in = x;
    std::size_t at = 0;
    for (const auto& l : layers) {
      const std::size_t n = l->zero_state(row).size();
      RowState part(s.begin() + at, s.begin() + at + n);
      in = l->step(in, part, row);
      std::copy(part.begin(), part.end(), s.begin() + at);
      at += n;
    }
    return in;
  }
};

// §3 attention mechanisms over a memory [B][Tm][Dm] with lengths (>= 1).
struct Mechanism {
  enum Kind { bahdanau, luong } kind = bahdanau;
  int U = 0, Tm = 0, Dm = 0;
  std::vector<Mat> memory;  // per batch row, [Tm, Dm]
  std::vector<int> lengths;  // per batch row, in 1..Tm
  Mat memory_kernel;         // [Dm, U]
  // Bahdanau
  Mat query_kernel;          // [Hq, U]
  Vec v;                     // [U]
  bool normalize = false;
  double g = 0.0;
  Vec b;                     // [U], normalize only
  // Luong
  bool scale = false;
  double luong_g = 1.0;

  // values = memory ⊙ mask (padded steps exactly 0).
  Mat values(int row) const {
    Mat m = memory[row];
    for (int t = lengths[row]; t < Tm; ++t) {
      for (int d = 0; d < Dm; ++d) m(t, d) = 0.0;
    }
    return m;
  }
  // keys = values · memory_layer.
  Mat keys(int row) const {
    const Mat val = values(row);
    Mat k(Tm, U);
    for (int t = 0; t < Tm; ++t) {
      for (int u = 0; u < U; ++u) {
        double s = 0.0;
        for (int d = 0; d < Dm; ++d) s += val(t, d) * memory_kernel(d, u);
        k(t, u) = s;
      }
    }
    return k;
  }
  // Raw scores for t < length (the masked ones are never a probability's argument).
  Vec scores(const Vec& query, int row) const {
    const Mat k = keys(row);
    Vec sc(Tm, 0.0);
    if (kind == luong) {
      for (int t = 0; t < lengths[row]; ++t) {
        double s = 0.0;
        for (int u = 0; u < U; ++u) s += query[u] * k(t, u);
        sc[t] = scale ? luong_g * s : s;
      }
      return sc;
    }
    const Vec pq = vecmat(query, query_kernel);
    Vec vv = v;
    if (normalize) {
      double n2 = 0.0;
      for (double x : v) n2 += x * x;
      for (double& x : vv) x = g * x / std::sqrt(n2);
    }
    for (int t = 0; t < lengths[row]; ++t) {
      double s = 0.0;
      for (int u = 0; u < U; ++u) {
        s += vv[u] * std::tanh(k(t, u) + pq[u] + (normalize ? b[u] : 0.0));
      }
      sc[t] = s;
    }
    return sc;
  }
  // softmax(where(mask, score, -inf)): the masked entries are exactly 0.
  Vec align(const Vec& query, int row) const {
    const Vec sc = scores(query, row);
    const int len = lengths[row];
    double mx = -std::numeric_limits<double>::infinity();
    for (int t = 0; t < len; ++t) mx = std::max(mx, sc[t]);
    double sum = 0.0;
    Vec a(Tm, 0.0);
    for (int t = 0; t < len; ++t) sum += (a[t] = std::exp(sc[t] - mx));
    for (int t = 0; t < len; ++t) a[t] /= sum;
    return a;
  }
};

// §4.4 AttentionWrapper: state = cell state..., attention, alignments, attention_state.
struct Wrapper : Cell {
  std::shared_ptr<const Cell> cell;
  Mechanism mech;
  std::optional<Mat> attention_layer;  // [cell_out + Dm, A], bias-free, linear
  bool output_attention = true;
  int attention_size() const { return attention_layer ? attention_layer->cols : mech.Dm; }
  int cell_components() const { return static_cast<int>(cell->zero_state(0).size()); }
  int alignments_index() const { return cell_components() + 1; }
  int input_size() const override { return cell->input_size() - attention_size(); }
  int output_size() const override {
    return output_attention ? attention_size() : cell->output_size();
  }
  RowState zero_state(int row) const override {
    RowState s = cell->zero_state(row);
    s.push_back(Vec(attention_size(), 0.0));
    s.push_back(Vec(mech.Tm, 0.0));
    s.push_back(Vec(mech.Tm, 0.0));
    return s;
  }
  Vec step(const Vec& x, RowState& s, int row) const override {
    const int n = cell_components();
    RowState cs(s.begin(), s.begin() + n);
    const Vec out = cell->step(concat(x, s[n]), cs, row);
    std::copy(cs.begin(), cs.end(), s.begin());
    const Vec al = mech.align(out, row);
    const Mat val = mech.values(row);
    Vec ctx(mech.Dm, 0.0);
    for (int d = 0; d < mech.Dm; ++d) {
      for (int t = 0; t < mech.Tm; ++t) ctx[d] += al[t] * val(t, d);
    }
    const Vec att = attention_layer ? vecmat(concat(out, ctx), *attention_layer) : ctx;
    s[n] = att;
    s[n + 1] = al;
    s[n + 2] = al;  // next attention_state = alignments for softmax mechanisms
    return output_attention ? att : out;
  }
};

// ---------------------------------------------------------------------------------------------
// §2.3/§2.4 dynamic_rnn in graph mode.
struct RnnResult {
  std::vector<std::vector<Vec>> outputs;  // [B][T] -> [O]
  std::vector<RowState> final_state;      // [B]
  int steps = 0;                          // loop iterations L
  std::vector<std::vector<Vec>> history;  // [L][B]: the alignments computed at each step
};

/// inputs [B][T] -> [I]; lengths empty (no masking) or B values in 0..T. `alignments_index` >= 0
/// records state component `alignments_index` right after each cell call, for every row and
/// before any masking (a TensorArray is never copied through).
inline RnnResult dynamic_rnn(const Cell& cell, const std::vector<std::vector<Vec>>& inputs,
                             const std::vector<int>& lengths, std::vector<RowState> state,
                             int alignments_index = -1) {
  const int B = static_cast<int>(inputs.size());
  const int T = static_cast<int>(inputs[0].size());
  int L = T;
  if (!lengths.empty()) {
    int mx = 0;
    for (int l : lengths) mx = std::max(mx, l);
    L = std::min(T, std::max(1, mx));
  }
  RnnResult r;
  r.steps = L;
  r.outputs.assign(B, std::vector<Vec>(T, Vec(cell.output_size(), 0.0)));
  for (int t = 0; t < L; ++t) {
    std::vector<Vec> hist(B);
    for (int b = 0; b < B; ++b) {
      RowState next = state[b];
      const Vec out = cell.step(inputs[b][t], next, b);
      if (alignments_index >= 0) hist[b] = next[alignments_index];
      const bool copy = !lengths.empty() && t >= lengths[b];
      if (!copy) {
        r.outputs[b][t] = out;
        state[b] = next;
      }  // else: output stays 0, state is carried through
    }
    if (alignments_index >= 0) r.history.push_back(hist);
  }
  r.final_state = state;
  return r;
}

// ---------------------------------------------------------------------------------------------
// §5 decoding.

/// TF's argmax: the first maximum.
inline int argmax(const Vec& x) {
  int best = 0;
  for (int i = 1; i < static_cast<int>(x.size()); ++i) {
    if (x[i] > x[best]) best = i;
  }
  return best;
}

/// Dense: out · kernel + bias.
struct Dense {
  Mat kernel;
  Vec bias;
  Vec operator()(const Vec& x) const {
    Vec y = vecmat(x, kernel);
    for (std::size_t j = 0; j < y.size(); ++j) y[j] += bias[j];
    return y;
  }
};

/// What one BasicDecoder step produced for every row.
struct DecodeStep {
  std::vector<Vec> rnn_output;  // [B][V]
  std::vector<int> sample_id;   // [B]
  std::vector<bool> finished;   // [B]: the helper's flags of this step
  std::vector<Vec> history;     // [B]: the alignments the cell computed (wrapper cells)
};

/// A greedy (GreedyEmbeddingHelper) or teacher-forced (TrainingHelper) BasicDecoder, one step at
/// a time: the state and inputs it carries between steps (§5.1, §5.2).
struct BasicDecoderRef {
  const Cell* cell = nullptr;
  const Dense* layer = nullptr;
  // Greedy
  Mat embedding;
  std::vector<int> start_tokens;
  int end_token = 0;
  // Training (used when `training`): inputs [B][T] -> [E], lengths.
  bool training = false;
  std::vector<std::vector<Vec>> train_inputs;
  std::vector<int> train_lengths;
  int alignments_index = -1;

  int B() const { return training ? static_cast<int>(train_inputs.size())
                                  : static_cast<int>(start_tokens.size()); }
  Vec start_input(int b) const {
    Vec e(static_cast<std::size_t>(embedding.cols));
    for (int j = 0; j < embedding.cols; ++j) e[j] = embedding(start_tokens[b], j);
    return e;
  }
  Vec embed(int id) const {
    Vec e(static_cast<std::size_t>(embedding.cols));
    for (int j = 0; j < embedding.cols; ++j) e[j] = embedding(id, j);
    return e;
  }
  // The training helper's inputs at step t: inputs[:, t], or zeros once every row is finished.
  std::vector<Vec> train_read(int t, std::vector<bool>& finished) const {
    bool all = true;
    for (int b = 0; b < B(); ++b) {
      finished[b] = t >= train_lengths[b];
      all = all && finished[b];
    }
    std::vector<Vec> x(B());
    for (int b = 0; b < B(); ++b) {
      x[b] = all ? Vec(train_inputs[b][0].size(), 0.0) : train_inputs[b][t];
    }
    return x;
  }
  // initialize(): (finished, first inputs).
  std::vector<Vec> initialize(std::vector<bool>& finished) const {
    finished.assign(B(), false);
    if (training) return train_read(0, finished);
    std::vector<Vec> x(B());
    for (int b = 0; b < B(); ++b) x[b] = start_input(b);
    return x;
  }
  // step(t, x, s) -> outputs; x and s advance (s: every row, nothing masked).
  DecodeStep step(int t, std::vector<Vec>& x, std::vector<RowState>& s) const {
    DecodeStep d;
    const int batch = B();
    d.rnn_output.resize(batch);
    d.sample_id.resize(batch);
    d.finished.assign(batch, false);
    d.history.resize(batch);
    for (int b = 0; b < batch; ++b) {
      const Vec out = cell->step(x[b], s[b], b);
      d.rnn_output[b] = layer ? (*layer)(out) : out;
      d.sample_id[b] = argmax(d.rnn_output[b]);
      if (alignments_index >= 0) d.history[b] = s[b][alignments_index];
    }
    if (training) {
      x = train_read(t + 1, d.finished);
      return d;
    }
    bool all = true;
    for (int b = 0; b < batch; ++b) {
      d.finished[b] = d.sample_id[b] == end_token;
      all = all && d.finished[b];
    }
    for (int b = 0; b < batch; ++b) x[b] = all ? start_input(b) : embed(d.sample_id[b]);
    return d;
  }
};

struct GreedyResult {
  std::vector<std::vector<Vec>> rnn_output;  // [B][T_out]
  std::vector<std::vector<int>> sample_id;   // [B][T_out]
  std::vector<int> lengths;                  // [B]
  std::vector<RowState> final_state;
  std::vector<std::vector<Vec>> history;     // [T_out][B]
  int steps = 0;
};

/// §5.3 dynamic_decode over a BasicDecoderRef. max_iterations < 0: none.
inline GreedyResult dynamic_decode(const BasicDecoderRef& dec, std::vector<RowState> s,
                                   int max_iterations, bool impute_finished) {
  const int B = dec.B();
  std::vector<bool> finished;
  std::vector<Vec> x = dec.initialize(finished);
  if (max_iterations == 0) finished.assign(B, true);
  GreedyResult r;
  r.lengths.assign(B, 0);
  r.rnn_output.resize(B);
  r.sample_id.resize(B);
  auto all = [&] {
    for (bool f : finished) {
      if (!f) return false;
    }
    return true;
  };
  int t = 0;
  while (!all() && (max_iterations < 0 || t < max_iterations)) {
    std::vector<RowState> next = s;
    DecodeStep d = dec.step(t, x, next);
    for (int b = 0; b < B; ++b) {
      if (!finished[b]) r.lengths[b] = t + 1;
      if (impute_finished && finished[b]) {
        d.rnn_output[b].assign(d.rnn_output[b].size(), 0.0);
        d.sample_id[b] = 0;
        next[b] = s[b];
      }
      r.rnn_output[b].push_back(d.rnn_output[b]);
      r.sample_id[b].push_back(d.sample_id[b]);
    }
    r.history.push_back(d.history);  // a TensorArray: written for every row, never imputed
    s = next;
    for (int b = 0; b < B; ++b) finished[b] = finished[b] || d.finished[b];
    ++t;
  }
  r.steps = t;
  r.final_state = s;
  return r;
}

/// §5.4 gather_tree: [T][B][K] step ids and parents -> back-tracked beams.
inline std::vector<std::vector<std::vector<int>>> gather_tree(
    const std::vector<std::vector<std::vector<int>>>& ids,
    const std::vector<std::vector<std::vector<int>>>& parents, const std::vector<int>& max_len,
    int end_token, int B, int K) {
  const int T = static_cast<int>(ids.size());
  std::vector<std::vector<std::vector<int>>> out(
      T, std::vector<std::vector<int>>(B, std::vector<int>(K, end_token)));
  for (int b = 0; b < B; ++b) {
    for (int k = 0; k < K; ++k) {
      const int L = std::min(T, max_len[b]);
      if (L <= 0) continue;
      out[L - 1][b][k] = ids[L - 1][b][k];
      int p = parents[L - 1][b][k];
      for (int t = L - 2; t >= 0; --t) {
        out[t][b][k] = ids[t][b][p];
        p = parents[t][b][p];
      }
      bool ended = false;
      for (int t = 0; t < L; ++t) {
        if (ended) out[t][b][k] = end_token;
        if (out[t][b][k] == end_token) ended = true;
      }
    }
  }
  return out;
}

/// TF's length penalty ((5 + len)^α) / (6^α), in float32 (α = 0: exactly 1).
inline double length_penalty(long len, double alpha) {
  if (alpha == 0.0) return 1.0;
  const float a = static_cast<float>(alpha);
  const float num = std::pow(5.0f + static_cast<float>(len), a);
  const float den = std::pow(6.0f, a);
  return static_cast<double>(num / den);
}

struct BeamResult {
  std::vector<std::vector<std::vector<double>>> scores;  // [T][B][K]
  std::vector<std::vector<std::vector<int>>> ids;        // [T][B][K]
  std::vector<std::vector<std::vector<int>>> parents;    // [T][B][K]
  std::vector<std::vector<std::vector<int>>> predicted;  // gather_tree'd, [T][B][K]
  std::vector<std::vector<double>> log_probs;            // [B][K]
  std::vector<std::vector<bool>> finished;               // [B][K]
  std::vector<std::vector<long>> lengths;                // [B][K]
  std::vector<RowState> final_state;                     // [B*K]
  std::vector<Vec> inputs;                               // [B*K]: the inputs after the last step
  int steps = 0;
  bool ambiguous = false;  // some step's top K hinged on a rounding-level tie between beams
};

/// §5.4 BeamSearchDecoder under §5.3 dynamic_decode (impute_finished false). `initial` holds
/// one state per example (beam rows are its copies: tile_batch). When `stop_when_finished` is
/// false it runs exactly `max_iterations` steps (the one-step API). The cell reads memory row b
/// for every beam of example b. `alignments_index` >= 0 enables the coverage penalty (weight
/// `beta`) reading that state component.
inline BeamResult beam_search(const Cell& cell, const Dense& layer, const Mat& embedding,
                              const std::vector<int>& start_tokens, int eos, int K, double alpha,
                              double beta, int alignments_index, int max_iterations,
                              const std::vector<RowState>& initial, bool stop_when_finished) {
  const int B = static_cast<int>(start_tokens.size());
  const int V = layer.kernel.cols;
  const double inf = std::numeric_limits<double>::infinity();
  const double lowest = std::numeric_limits<double>::lowest();
  auto embed = [&](int id) {
    Vec e(static_cast<std::size_t>(embedding.cols));
    for (int j = 0; j < embedding.cols; ++j) e[j] = embedding(id, j);
    return e;
  };
  BeamResult r;
  std::vector<RowState> s(B * K);
  std::vector<Vec> x(B * K);
  for (int b = 0; b < B; ++b) {
    for (int k = 0; k < K; ++k) {
      s[b * K + k] = initial[b];
      x[b * K + k] = embed(start_tokens[b]);
    }
  }
  r.log_probs.assign(B, std::vector<double>(K, -inf));
  r.finished.assign(B, std::vector<bool>(K, true));
  r.lengths.assign(B, std::vector<long>(K, 0));
  for (int b = 0; b < B; ++b) {
    r.log_probs[b][0] = 0.0;
    r.finished[b][0] = false;
  }
  std::vector<Vec> acc(B * K);  // accumulated attention, from the initial alignments
  if (alignments_index >= 0) {
    for (int i = 0; i < B * K; ++i) acc[i] = s[i][alignments_index];
  }
  auto all_finished = [&] {
    for (const auto& row : r.finished) {
      for (bool f : row) {
        if (!f) return false;
      }
    }
    return true;
  };
  int t = 0;
  while (t < max_iterations && (!stop_when_finished || !all_finished())) {
    std::vector<Vec> step_lp(B * K);
    std::vector<RowState> next = s;
    for (int i = 0; i < B * K; ++i) {
      const Vec logits = layer(cell.step(x[i], next[i], i / K));
      double mx = -inf;
      for (double l : logits) mx = std::max(mx, l);
      double sum = 0.0;
      for (double l : logits) sum += std::exp(l - mx);
      Vec lp(V);
      for (int v = 0; v < V; ++v) lp[v] = (logits[v] - mx) - std::log(sum);
      step_lp[i] = lp;
    }
    // Coverage: acc + alignments ⊙ !finished.
    std::vector<Vec> acc_new = acc;
    if (alignments_index >= 0) {
      for (int i = 0; i < B * K; ++i) {
        const bool fin = r.finished[i / K][i % K];
        for (std::size_t j = 0; j < acc[i].size(); ++j) {
          acc_new[i][j] = acc[i][j] + next[i][alignments_index][j] * (fin ? 0.0 : 1.0);
        }
      }
    }
    std::vector<std::vector<double>> sc(B), lp_out(B), total_all(B);
    std::vector<std::vector<int>> id_out(B), parent_out(B);
    auto new_log_probs = r.log_probs;
    auto new_finished = r.finished;
    auto new_lengths = r.lengths;
    std::vector<RowState> gathered(B * K);
    std::vector<Vec> acc_gathered(B * K);
    bool all = true;
    for (int b = 0; b < B; ++b) {
      std::vector<double> total(K * V), score(K * V);
      for (int k = 0; k < K; ++k) {
        const bool fin = r.finished[b][k];
        double cp = 0.0;
        if (alignments_index >= 0 && fin) {
          for (double a : acc_new[b * K + k]) cp += std::log(std::min(a == 0.0 ? 1.0 : a, 1.0));
        }
        for (int v = 0; v < V; ++v) {
          const double slp = fin ? (v == eos ? 0.0 : lowest) : step_lp[b * K + k][v];
          total[k * V + v] = r.log_probs[b][k] + slp;
          const long len = r.lengths[b][k] + ((v != eos && !fin) ? 1 : 0);
          score[k * V + v] = total[k * V + v] / length_penalty(len, alpha);
          if (alignments_index >= 0 && fin) score[k * V + v] += beta * cp;
        }
      }
      // top_k: sorted descending, ties to the lower flat index.
      std::vector<int> order(K * V);
      for (int i = 0; i < K * V; ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(),
                       [&](int a, int c) { return score[a] > score[c]; });
      // Two candidates of different beams whose scores agree to rounding (e.g. paths that
      // permute the same ids of a model whose logits ignore its inputs) are a tie only rounding
      // can break: flag the step, the caller cannot expect a particular order there.
      for (int p = 0; p < K && p + 1 < K * V; ++p) {
        const double a = score[order[p]], c = score[order[p + 1]];
        if (order[p] / V != order[p + 1] / V && std::abs(a) < 1e300 &&
            std::abs(a - c) <= 1e-9 * (1.0 + std::abs(a))) {
          r.ambiguous = true;
        }
      }
      sc[b].resize(K);
      id_out[b].resize(K);
      parent_out[b].resize(K);
      for (int k = 0; k < K; ++k) {
        const int idx = order[k];
        const int word = idx % V, parent = idx / V;
        sc[b][k] = score[idx];
        id_out[b][k] = word;
        parent_out[b][k] = parent;
        new_log_probs[b][k] = total[idx];
        const bool prev_fin = r.finished[b][parent];
        new_finished[b][k] = prev_fin || word == eos;
        new_lengths[b][k] = r.lengths[b][parent] + (prev_fin ? 0 : 1);
        gathered[b * K + k] = next[b * K + parent];
        if (alignments_index >= 0) acc_gathered[b * K + k] = acc_new[b * K + parent];
        all = all && new_finished[b][k];
      }
    }
    r.scores.push_back(sc);
    r.ids.push_back(id_out);
    r.parents.push_back(parent_out);
    r.log_probs = new_log_probs;
    r.finished = new_finished;
    r.lengths = new_lengths;
    s = gathered;
    if (alignments_index >= 0) acc = acc_gathered;
    for (int i = 0; i < B * K; ++i) {
      x[i] = all ? embed(start_tokens[i / K]) : embed(id_out[i / K][i % K]);
    }
    ++t;
  }
  r.steps = t;
  std::vector<int> max_len(B, 0);
  for (int b = 0; b < B; ++b) {
    for (int k = 0; k < K; ++k) max_len[b] = std::max<int>(max_len[b], static_cast<int>(r.lengths[b][k]));
  }
  r.predicted = gather_tree(r.ids, r.parents, max_len, eos, B, K);
  r.final_state = s;
  r.inputs = x;
  return r;
}

}  // namespace ref
