// Property tests of the attention stack against the plain-loop reference (reference_impl.hpp,
// written from the TF spec §3 and §4) on random shapes, options and lengths, in float64:
//  - BahdanauAttention (normalize on/off) and LuongAttention (scale on/off): alignments for a
//    random query over a random memory with random lengths >= 1 (or none), masked positions
//    exactly 0, values (masked memory) exactly 0 past each length;
//  - AttentionWrapper under dynamic_rnn over GRU / LSTM / MultiRNNCell with either mechanism:
//    attention_layer_size none or int, output_attention on/off, alignment_history on, random
//    decoder lengths 0..T, time-major or not, zero or random initial state. Outputs, the final
//    state (cell state, attention, alignments, attention_state), `time` = the loop's step count
//    min(T, max(1, max len)) and every alignment_history entry (written for every row, never
//    masked: spec §2.3/§4.5).
#include <gtest/gtest.h>

#include <optional>

#include "property_support.hpp"

using namespace prop;

namespace {

constexpr int kMechanismCases = 3000;  // half Bahdanau, half Luong
constexpr int kWrapperCases = 2000;    // 400 per cell/mechanism combination

TEST(PropertyAttention, MechanismAlignmentsEqualReference) {
  for (int i = 0; i < kMechanismCases; ++i) {
    Rng r(kSeed + 200000 + i);
    const bool bahdanau = i % 2 == 0;
    const int B = r.integer(1, 5), Tm = r.integer(1, 7), Dm = r.integer(1, 6);
    const int U = r.integer(1, 6), Hq = bahdanau ? r.integer(1, 7) : U;
    const bool masked = r.coin(0.75), pass_lengths = masked || r.coin();
    const auto m = rand_mechanism(r, bahdanau ? ref::Mechanism::bahdanau : ref::Mechanism::luong,
                                  B, Tm, Dm, U, Hq, masked);
    SCOPED_TRACE(case_name(200000 + i, mechanism_options(m) + " B=" + std::to_string(B) +
                                           " lengths passed=" + std::to_string(pass_lengths)));
    const double scale = r.coin(0.2) ? 3.0 : 1.0;
    Tensor2<double> query(B, Hq);
    std::vector<ref::Vec> q(B);
    for (int b = 0; b < B; ++b) {
      q[b] = rand_vec(r, Hq, scale);
      for (int j = 0; j < Hq; ++j) query(b, j) = q[b][j];
    }
    Tensor2<double> state(B, Tm);
    state.setConstant(0.25);  // the previous state: ignored by both mechanisms
    Tensor2<double> got;
    Tensor3<double> values;
    if (bahdanau) {
      const auto mech = lib_bahdanau(m, 1, pass_lengths);
      got = mech(query, state);
      values = mech.values();
    } else {
      const auto mech = lib_luong(m, 1, pass_lengths);
      got = mech(query, state);
      values = mech.values();
    }
    Compare c;
    for (int b = 0; b < B; ++b) {
      c.vec(&got(b, 0), m.align(q[b], b), "alignments row " + std::to_string(b));
      for (int t = m.lengths[b]; t < Tm; ++t) {
        if (got(b, t) != 0.0) c.fail("alignment past the memory length is not exactly 0");
        for (int d = 0; d < Dm; ++d) {
          if (values(b, t, d) != 0.0) c.fail("value past the memory length is not exactly 0");
        }
      }
      for (int t = 0; t < m.lengths[b]; ++t) {
        for (int d = 0; d < Dm; ++d) c.num(values(b, t, d), m.memory[b](t, d), "values");
      }
    }
    c.report();
  }
}

template <class LibCell, class LibMech>
void check_wrapper(Rng& r, const ref::Wrapper& w, const AttentionWrapper<LibCell, LibMech>& lib,
                   int B) {
  const int I = w.input_size(), T = r.integer(1, 6), Tm = w.mech.Tm;
  ASSERT_EQ(lib.input_size(), I);
  ASSERT_EQ(lib.output_size(), w.output_size());
  const bool time_major = r.coin();
  const bool given_state = r.coin();
  std::vector<int> lengths;
  switch (r.integer(0, 4)) {
    case 0: break;                          // no sequence_length
    case 1: lengths.assign(B, 0); break;    // all 0: one masked step still runs
    default:
      for (int b = 0; b < B; ++b) lengths.push_back(r.integer(0, T));
  }
  std::string what = "T=" + std::to_string(T) + " time_major=" + std::to_string(time_major) +
                     " initial_state=" + (given_state ? "random" : "zero") + " lengths=";
  if (lengths.empty()) what += "none";
  for (int b = 0; b < static_cast<int>(lengths.size()); ++b) {
    what += (b ? "," : "[") + std::to_string(lengths[b]) + (b + 1 == B ? "]" : "");
  }
  SCOPED_TRACE(what);
  const auto x = rand_inputs(r, B, T, I);
  const auto init = given_state ? rand_states(r, w, B) : zero_states(w, B);
  std::optional<typename AttentionWrapper<LibCell, LibMech>::state_type> lib_init;
  if (given_state) lib_init = state_from_rows(lib.zero_state(B), init);
  const std::vector<int64_t> lib_len(lengths.begin(), lengths.end());
  const auto got = dynamic_rnn(lib, lib_inputs(x, time_major), lib_len, lib_init, time_major);
  const auto want = ref::dynamic_rnn(w, x, lengths, init, w.alignments_index());

  Compare c;
  for (int b = 0; b < B; ++b) {
    for (int t = 0; t < T; ++t) {
      const double* o = time_major ? &got.outputs(t, b, 0) : &got.outputs(b, t, 0);
      c.vec(o, want.outputs[b][t], "output b=" + std::to_string(b) + " t=" + std::to_string(t));
    }
  }
  c.rows(rows_of(got.final_state), want.final_state, "final state");
  // `time` and alignment_history are never copied through: one entry per loop step.
  c.exact(got.final_state.time, want.steps, "final_state.time");
  const auto& h = got.final_state.alignment_history;
  if (h.dimension(0) != want.steps || h.dimension(1) != B || h.dimension(2) != Tm) {
    c.fail("alignment_history has shape " + shape_string(h) + ", expected [" +
           std::to_string(want.steps) + "," + std::to_string(B) + "," + std::to_string(Tm) + "]");
  } else {
    for (int t = 0; t < want.steps; ++t) {
      for (int b = 0; b < B; ++b) {
        c.vec(&h(t, b, 0), want.history[t][b],
              "alignment_history t=" + std::to_string(t) + " b=" + std::to_string(b));
      }
    }
  }
  c.report();
}

// A wrapper over `cell` (reference + library) with a random mechanism of `kind`, attention
// layer (none or random size) and output_attention; the cell's input is I + attention size.
template <class LibCell>
void wrapper_case(Rng& r, std::shared_ptr<const ref::Cell> cell, const LibCell& lib_cell,
                  ref::Mechanism::Kind kind, int B, int Dm, std::optional<int> layer, int id,
                  const std::string& cell_name) {
  ref::Wrapper w;
  w.cell = cell;
  const int H = cell->output_size();
  const int U = kind == ref::Mechanism::luong ? H : r.integer(1, 5);
  w.mech = rand_mechanism(r, kind, B, r.integer(1, 6), Dm, U, H, r.coin(0.8));
  w.output_attention = r.coin();
  AttentionWrapperConfig<double> config;
  config.alignment_history = true;
  config.output_attention = w.output_attention;
  if (layer) {
    w.attention_layer = rand_mat(r, H + Dm, *layer);
    config.attention_layer_size = *layer;
    config.attention_layer_kernel = t2(*w.attention_layer);
  }
  SCOPED_TRACE(case_name(id, cell_name + " " + mechanism_options(w.mech) + " B=" +
                                 std::to_string(B) + " attention_layer_size=" +
                                 (layer ? std::to_string(*layer) : "none") +
                                 " output_attention=" + std::to_string(w.output_attention)));
  if (kind == ref::Mechanism::luong) {
    const AttentionWrapper lib(lib_cell, lib_luong(w.mech, 1, true), config);
    check_wrapper(r, w, lib, B);
  } else {
    const AttentionWrapper lib(lib_cell, lib_bahdanau(w.mech, 1, true), config);
    check_wrapper(r, w, lib, B);
  }
}

TEST(PropertyAttention, WrapperUnderDynamicRnnEqualsReference) {
  for (int i = 0; i < kWrapperCases; ++i) {
    const int id = 300000 + i;
    Rng r(kSeed + id);
    const int B = r.integer(1, 4), I = r.integer(1, 5), H = r.integer(1, 6);
    const int Dm = r.integer(1, 5);
    const std::optional<int> layer = r.coin() ? std::optional<int>(r.integer(1, 5)) : std::nullopt;
    const int A = layer ? *layer : Dm;
    using K = ref::Mechanism;
    switch (i % 5) {
      case 0: {
        const auto g = make_gru(r, I + A, H, r.coin());
        wrapper_case(r, g.ref, g.lib, K::bahdanau, B, Dm, layer, id, "GRU");
        break;
      }
      case 1: {
        const auto g = make_gru(r, I + A, H, r.coin());
        wrapper_case(r, g.ref, g.lib, K::luong, B, Dm, layer, id, "GRU");
        break;
      }
      case 2: {
        const auto l = make_lstm(r, I + A, H);
        wrapper_case(r, l.ref, l.lib, K::bahdanau, B, Dm, layer, id, "LSTM " + lstm_options(*l.ref));
        break;
      }
      case 3: {
        const auto l = make_lstm(r, I + A, H);
        wrapper_case(r, l.ref, l.lib, K::luong, B, Dm, layer, id, "LSTM " + lstm_options(*l.ref));
        break;
      }
      default: {
        const auto g = make_gru(r, I + A, H, false);
        const auto l = make_lstm(r, H, r.integer(1, 6));
        auto m = std::make_shared<ref::Multi>();
        m->layers = {g.ref, l.ref};
        const MultiRNNCell lib(g.lib, l.lib);
        wrapper_case(r, std::shared_ptr<const ref::Cell>(m), lib,
                     r.coin() ? K::bahdanau : K::luong, B, Dm, layer, id,
                     "MultiRNNCell(GRU, LSTM " + lstm_options(*l.ref) + ")");
      }
    }
  }
}

}  // namespace
