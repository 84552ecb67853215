// Property tests of the cells and dynamic_rnn against the plain-loop reference
// (reference_impl.hpp, written from the TF spec §1 and §2) on thousands of random shapes,
// options, lengths and states, in float64:
//  - one step of BasicRNNCell, GRUCell (TF1 and reset_after), LSTMCell (random peepholes,
//    cell_clip, num_proj, proj_clip, forget_bias);
//  - dynamic_rnn over those cells and two MultiRNNCell stacks: random T, lengths 0..T (none,
//    all 0, all full, mixed), time-major or not, zero or given initial state; outputs and final
//    state against the reference loop, plus the masking rules checked exactly (outputs past a
//    row's length are exactly 0; a zero-length row's final state is its initial state, bit for
//    bit).
#include <gtest/gtest.h>

#include <optional>

#include "property_support.hpp"

using namespace prop;

namespace {

constexpr int kStepCases = 4000;  // one cell step: 1000 per cell kind
constexpr int kRnnCases = 3000;   // dynamic_rnn: 600 per cell kind

// One step of `lib` against `refc` from a random state (or the zero state).
template <class LibCell>
void check_one_step(Rng& r, const ref::Cell& refc, const LibCell& lib, int B) {
  const int I = refc.input_size();
  ASSERT_EQ(lib.input_size(), I);
  ASSERT_EQ(lib.output_size(), refc.output_size());
  const double scale = r.coin(0.2) ? 4.0 : 1.0;  // sometimes saturating
  std::vector<ref::Vec> x(B);
  for (auto& v : x) v = rand_vec(r, I, scale);
  const auto state = r.coin(0.8) ? rand_states(r, refc, B) : zero_states(refc, B);
  Tensor2<double> inputs(B, I);
  for (int b = 0; b < B; ++b) {
    for (int i = 0; i < I; ++i) inputs(b, i) = x[b][i];
  }
  const auto [out, next] = lib(inputs, state_from_rows(lib.zero_state(B), state));
  Compare c;
  std::vector<ref::RowState> want = state;
  for (int b = 0; b < B; ++b) {
    const ref::Vec o = refc.step(x[b], want[b], b);
    c.vec(&out(b, 0), o, "output row " + std::to_string(b));
  }
  c.rows(rows_of(next), want, "new state");
  c.report();
}

TEST(PropertyCells, OneStepEqualsReference) {
  for (int i = 0; i < kStepCases; ++i) {
    Rng r(kSeed + i);
    const int B = r.integer(1, 5), I = r.integer(1, 7), H = r.integer(1, 8);
    const int kind = i % 4;
    std::string what = "B=" + std::to_string(B) + " I=" + std::to_string(I) +
                       " H=" + std::to_string(H) + " ";
    if (kind == 0) {
      const auto p = make_rnn(r, I, H);
      SCOPED_TRACE(case_name(i, what + "BasicRNNCell"));
      check_one_step(r, *p.ref, p.lib, B);
    } else if (kind == 1 || kind == 2) {
      const auto p = make_gru(r, I, H, kind == 2);
      SCOPED_TRACE(case_name(i, what + "GRUCell reset_after=" + std::to_string(kind == 2)));
      check_one_step(r, *p.ref, p.lib, B);
    } else {
      const auto p = make_lstm(r, I, H);
      SCOPED_TRACE(case_name(i, what + "LSTMCell " + lstm_options(*p.ref)));
      check_one_step(r, *p.ref, p.lib, B);
    }
  }
}

// Random lengths: none, all 0, all T, or each in 0..T.
std::vector<int> rand_lengths(Rng& r, int B, int T, std::string& what) {
  std::vector<int> l;
  switch (r.integer(0, 5)) {
    case 0: what += " lengths=none"; return l;
    case 1: l.assign(B, 0); break;
    case 2: l.assign(B, T); break;
    default:
      for (int b = 0; b < B; ++b) l.push_back(r.integer(0, T));
  }
  what += " lengths=[";
  for (int b = 0; b < B; ++b) what += (b ? "," : "") + std::to_string(l[b]);
  what += "]";
  return l;
}

template <class LibCell>
void check_dynamic_rnn(Rng& r, const ref::Cell& refc, const LibCell& lib, int B,
                       const std::string& cell_name, int i) {
  const int T = r.integer(1, 7), I = refc.input_size(), O = refc.output_size();
  const bool time_major = r.coin();
  const bool given_state = r.coin();
  std::string what = cell_name + " B=" + std::to_string(B) + " T=" + std::to_string(T) +
                     " time_major=" + std::to_string(time_major) +
                     " initial_state=" + (given_state ? "random" : "zero");
  const std::vector<int> lengths = rand_lengths(r, B, T, what);
  SCOPED_TRACE(case_name(i, what));
  const auto x = rand_inputs(r, B, T, I);
  const auto init = given_state ? rand_states(r, refc, B) : zero_states(refc, B);
  const std::vector<int64_t> lib_len(lengths.begin(), lengths.end());
  std::optional<typename LibCell::state_type> lib_init;
  if (given_state) lib_init = state_from_rows(lib.zero_state(B), init);
  const auto got = dynamic_rnn(lib, lib_inputs(x, time_major), lib_len, lib_init, time_major);
  const auto want = ref::dynamic_rnn(refc, x, lengths, init);

  Compare c;
  ASSERT_EQ(got.outputs.dimension(0), time_major ? T : B);
  ASSERT_EQ(got.outputs.dimension(1), time_major ? B : T);
  ASSERT_EQ(got.outputs.dimension(2), O);
  for (int b = 0; b < B; ++b) {
    for (int t = 0; t < T; ++t) {
      const double* o = time_major ? &got.outputs(t, b, 0) : &got.outputs(b, t, 0);
      c.vec(o, want.outputs[b][t], "output b=" + std::to_string(b) + " t=" + std::to_string(t));
      // §2.3: past a row's length the output is exactly 0 (and so are the steps not run).
      if (!lengths.empty() && t >= lengths[b]) {
        for (int j = 0; j < O; ++j) {
          if (o[j] != 0.0) c.fail("output past the length is not exactly 0 at b=" + std::to_string(b) + " t=" + std::to_string(t));
        }
      }
    }
  }
  const auto final_rows = rows_of(got.final_state);
  c.rows(final_rows, want.final_state, "final state");
  // §2.4: a zero-length row's final state is its initial state, exactly.
  for (int b = 0; b < B && !lengths.empty(); ++b) {
    if (lengths[b] != 0) continue;
    for (std::size_t k = 0; k < init[b].size(); ++k) {
      if (final_rows[b][k] != init[b][k]) c.fail("zero-length row " + std::to_string(b) + " state changed");
    }
  }
  c.report();
}

TEST(PropertyCells, DynamicRnnEqualsReference) {
  for (int i = 0; i < kRnnCases; ++i) {
    Rng r(kSeed + 100000 + i);
    const int B = r.integer(1, 5), I = r.integer(1, 7), H = r.integer(1, 8);
    switch (i % 5) {
      case 0: {
        const auto p = make_rnn(r, I, H);
        check_dynamic_rnn(r, *p.ref, p.lib, B, "BasicRNNCell", 100000 + i);
        break;
      }
      case 1: {
        const bool reset_after = r.coin();
        const auto p = make_gru(r, I, H, reset_after);
        check_dynamic_rnn(r, *p.ref, p.lib, B,
                          "GRUCell reset_after=" + std::to_string(reset_after), 100000 + i);
        break;
      }
      case 2: {
        const auto p = make_lstm(r, I, H);
        check_dynamic_rnn(r, *p.ref, p.lib, B, "LSTMCell " + lstm_options(*p.ref), 100000 + i);
        break;
      }
      case 3: {  // MultiRNNCell(GRU, LSTM)
        const auto g = make_gru(r, I, H, r.coin());
        const auto l = make_lstm(r, H, r.integer(1, 8));
        auto m = std::make_shared<ref::Multi>();
        m->layers = {g.ref, l.ref};
        const MultiRNNCell lib(g.lib, l.lib);
        check_dynamic_rnn(r, *m, lib, B, "MultiRNNCell(GRU, LSTM " + lstm_options(*l.ref) + ")",
                          100000 + i);
        break;
      }
      default: {  // MultiRNNCell(LSTM, BasicRNN, GRU)
        const auto l = make_lstm(r, I, H);
        const auto n = make_rnn(r, l.ref->P(), r.integer(1, 8));
        const auto g = make_gru(r, n.ref->H, r.integer(1, 8), r.coin());
        auto m = std::make_shared<ref::Multi>();
        m->layers = {l.ref, n.ref, g.ref};
        const MultiRNNCell lib(l.lib, n.lib, g.lib);
        check_dynamic_rnn(r, *m, lib, B,
                          "MultiRNNCell(LSTM " + lstm_options(*l.ref) + ", BasicRNN, GRU)",
                          100000 + i);
      }
    }
  }
}

}  // namespace
