// Monotonic attention against TFA (tests/golden/monotonic_*):
//  - monotonic_<mech>_<mode>_*: BahdanauMonotonicAttention (normalize off/on) and
//    LuongMonotonicAttention (scale off/on) x parallel / recursive / hard, attention_score_bias
//    of both signs, ragged memory lengths: one call from the initial (one-hot) state and one from
//    a previous state (soft; one-hot past position 0 in hard mode), with keys, values and TF's
//    initial state;
//  - monotonic_function_*: tfa.seq2seq.monotonic_attention on choosing probabilities that reach
//    safe_cumprod's tiny clip (p = 1) and parallel mode's 1e-10 clip (long rows of p = 0.9);
//  - monotonic_wrapper_*: each mechanism for 3 steps in tfa AttentionWrapper(GRUCell) under
//    dynamic_rnn (ragged input lengths, alignment history): every output and state field, so the
//    previous-state chaining is checked.
//
// TFA's "recursive" mode fails in float64 (monotonic_attention builds float32 ones and zeros;
// golden_attention.py checks it still does), so there are no float64 recursive fixtures. Our
// float64 recursive mode is checked (1) against TFA's float32 recursive fixtures, inputs widened
// to double, at float tolerance, and (2) against TFA's float64 parallel fixtures at double
// tolerance: without the clips (cumprod >= 1e-10 there) the two modes are the same function.
#include <seq2seq/attention/monotonic_attention.hpp>

#include <seq2seq/attention/attention_wrapper.hpp>
#include <seq2seq/cells/gru_cell.hpp>
#include <seq2seq/rnn/dynamic_rnn.hpp>

#include "alloc_counter.hpp"
#include "golden.hpp"

namespace {

using seq2seq::BahdanauMonotonicAttention;
using seq2seq::BahdanauMonotonicAttentionWeights;
using seq2seq::Index;
using seq2seq::LuongMonotonicAttention;
using seq2seq::LuongMonotonicAttentionWeights;
using seq2seq::MonotonicMode;
using seq2seq::Tensor1;
using seq2seq::Tensor2;
using seq2seq::Tensor3;
using seq2seq::io::SafetensorsFile;

MonotonicMode mode_of(const std::string& name) {
  if (name == "parallel") return MonotonicMode::parallel;
  if (name == "recursive") return MonotonicMode::recursive;
  EXPECT_EQ(name, "hard");
  return MonotonicMode::hard;
}

// Fixture tensors read as T (float fixtures read as double are exactly widened).
template <class T>
BahdanauMonotonicAttention<T> make_bahdanau_monotonic(const SafetensorsFile& f, MonotonicMode mode) {
  const bool normalize = golden::meta_int(f, "normalize") != 0;
  BahdanauMonotonicAttentionWeights<T> w;
  w.memory_layer_kernel = f.tensor<T, 2>("memory_layer/kernel");
  w.query_layer_kernel = f.tensor<T, 2>("query_layer/kernel");
  w.attention_v = f.tensor<T, 1>("attention_v");
  if (normalize) {
    w.attention_g = static_cast<T>(f.scalar("attention_g"));
    w.attention_b = f.tensor<T, 1>("attention_b");
  }
  w.attention_score_bias = static_cast<T>(f.scalar("attention_score_bias"));
  const Index units = golden::meta_int(f, f.metadata().count("attention_units") ? "attention_units"
                                                                                 : "num_units");
  return BahdanauMonotonicAttention<T>(units, f.tensor<T, 3>("memory"),
                                       golden::lengths(f, "memory_sequence_length"),
                                       std::move(w), normalize, mode);
}

template <class T>
LuongMonotonicAttention<T> make_luong_monotonic(const SafetensorsFile& f, MonotonicMode mode) {
  const bool scale = golden::meta_int(f, "scale") != 0;
  LuongMonotonicAttentionWeights<T> w;
  w.memory_layer_kernel = f.tensor<T, 2>("memory_layer/kernel");
  if (scale) w.attention_g = static_cast<T>(f.scalar("attention_g"));
  w.attention_score_bias = static_cast<T>(f.scalar("attention_score_bias"));
  const Index units = golden::meta_int(f, f.metadata().count("attention_units") ? "attention_units"
                                                                                 : "num_units");
  return LuongMonotonicAttention<T>(units, f.tensor<T, 3>("memory"),
                                    golden::lengths(f, "memory_sequence_length"), std::move(w),
                                    scale, mode);
}

// Runs body(mechanism) with the fixture's mechanism in dtype T and the given mode.
template <class T, class Body>
void with_mechanism(const SafetensorsFile& f, MonotonicMode mode, Body&& body) {
  if (f.metadata("mechanism") == "bahdanau") {
    body(make_bahdanau_monotonic<T>(f, mode));
  } else {
    body(make_luong_monotonic<T>(f, mode));
  }
}

// Single-step fixture names (not the function or wrapper ones).
std::vector<std::string> step_cases() {
  std::vector<std::string> names;
  for (const auto& n : golden::cases("monotonic_")) {
    if (n.rfind("monotonic_function_", 0) != 0 && n.rfind("monotonic_wrapper_", 0) != 0) {
      names.push_back(n);
    }
  }
  return names;
}

// Our results narrowed to float, for comparisons of double runs with float32 fixtures.
template <class T, int Rank>
Eigen::Tensor<float, Rank, Eigen::RowMajor, Index> narrow(
    const Eigen::Tensor<T, Rank, Eigen::RowMajor, Index>& t) {
  return t.template cast<float>();
}

TEST(MonotonicAttention, OneStepEqualsTensorFlow) {
  const auto names = step_cases();
  // {bahdanau, bahdanau_norm, luong, luong_scale} x {parallel, hard} x {f32, f64} + recursive f32
  ASSERT_EQ(names.size(), 4u * 5u);
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      const MonotonicMode mode = mode_of(f.metadata("mode"));
      with_mechanism<T>(f, mode, [&](const auto& mech) {
        EXPECT_EQ(mech.mode(), mode);
        golden::expect_close(mech.values(), f.template tensor<T, 3>("values"), "values");
        golden::expect_close(mech.keys(), f.template tensor<T, 3>("keys"), "keys");
        golden::expect_close(mech.initial_state(3), f.template tensor<T, 2>("initial_state"),
                             "initial_state");
        golden::expect_close(mech.initial_alignments(3),
                             f.template tensor<T, 2>("initial_alignments"), "initial_alignments");
        const Tensor2<T> query = f.template tensor<T, 2>("query");
        golden::expect_close(mech(query, mech.initial_state(3)),
                             f.template tensor<T, 2>("alignments_initial"), "alignments_initial");
        golden::expect_close(mech(query, f.template tensor<T, 2>("prev_state")),
                             f.template tensor<T, 2>("alignments"), "alignments");
      });
    });
  }
}

TEST(MonotonicAttention, Float64RecursiveEqualsTensorFlowsFloat32Recursive) {
  int checked = 0;
  for (const auto& name : step_cases()) {
    const auto f = golden::open(name);
    if (f.metadata("mode") != "recursive") continue;
    SCOPED_TRACE(name);
    ASSERT_EQ(f.dtype("memory"), "F32");
    golden::count_case("f32");
    ++checked;
    with_mechanism<double>(f, MonotonicMode::recursive, [&](const auto& mech) {
      const Tensor2<double> query = f.tensor<double, 2>("query");
      golden::expect_close(narrow(mech(query, mech.initial_state(3))),
                           f.tensor<float, 2>("alignments_initial"), "double alignments_initial");
      golden::expect_close(narrow(mech(query, f.tensor<double, 2>("prev_state"))),
                           f.tensor<float, 2>("alignments"), "double alignments");
    });
  }
  EXPECT_EQ(checked, 4);
}

TEST(MonotonicAttention, Float64RecursiveEqualsTensorFlowsFloat64Parallel) {
  int checked = 0;
  for (const auto& name : step_cases()) {
    const auto f = golden::open(name);
    if (f.metadata("mode") != "parallel" || f.dtype("memory") != "F64") continue;
    SCOPED_TRACE(name);
    golden::count_case("f64");
    ++checked;
    with_mechanism<double>(f, MonotonicMode::recursive, [&](const auto& mech) {
      const Tensor2<double> query = f.tensor<double, 2>("query");
      golden::expect_close(mech(query, mech.initial_state(3)),
                           f.tensor<double, 2>("alignments_initial"), "recursive vs parallel");
      golden::expect_close(mech(query, f.tensor<double, 2>("prev_state")),
                           f.tensor<double, 2>("alignments"), "recursive vs parallel");
    });
  }
  EXPECT_EQ(checked, 4);
}

TEST(MonotonicAttention, FunctionEqualsTensorFlowAtTheClips) {
  const auto names = golden::cases("monotonic_function_");
  ASSERT_EQ(names.size(), 2u);
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const auto file = golden::open(name);
    const auto check = [](auto tag, const SafetensorsFile& f) {
      using T = decltype(tag);
      golden::count_case(golden::dtype_name<T>());
      const Tensor2<T> p = f.tensor<T, 2>("p"), prev = f.tensor<T, 2>("prev");
      golden::expect_close(seq2seq::monotonic_attention(p, prev, MonotonicMode::parallel),
                           f.template tensor<T, 2>("parallel"), "parallel");
      golden::expect_close(
          seq2seq::monotonic_attention(f.template tensor<T, 2>("hard_p"),
                                       f.template tensor<T, 2>("hard_prev"), MonotonicMode::hard),
          f.template tensor<T, 2>("hard"), "hard");
      if constexpr (std::is_same_v<T, float>) {
        golden::expect_close(seq2seq::monotonic_attention(p, prev, MonotonicMode::recursive),
                             f.template tensor<T, 2>("recursive"), "recursive");
        // Double recursion on the same (widened) probabilities, at float tolerance.
        golden::expect_close(
            narrow(seq2seq::monotonic_attention(Tensor2<double>(p.template cast<double>()),
                                                Tensor2<double>(prev.template cast<double>()),
                                                MonotonicMode::recursive)),
            f.template tensor<T, 2>("recursive"), "double recursive");
      } else {
        EXPECT_FALSE(f.contains("recursive"));
      }
    };
    if (file.dtype("p") == "F32") {
      check(float{}, file);
    } else {
      check(double{}, file);
    }
  }
}

TEST(MonotonicAttention, ParallelAndRecursiveAgreeAwayFromTheClips) {
  // The closed form is exact when every cumulative product stays above 1e-10.
  Tensor2<double> p(2, 7), prev(2, 7);
  for (Index i = 0; i < p.size(); ++i) p.data()[i] = 0.5 + 0.45 * std::sin(1.7 * i);
  for (Index i = 0; i < prev.size(); ++i) prev.data()[i] = 0.1 + 0.05 * std::cos(0.9 * i);
  const auto a = seq2seq::monotonic_attention(p, prev, MonotonicMode::parallel);
  const auto b = seq2seq::monotonic_attention(p, prev, MonotonicMode::recursive);
  for (Index i = 0; i < a.size(); ++i) EXPECT_NEAR(a.data()[i], b.data()[i], 1e-14);
  // Hard mode: from one-hot prev at 2, the first chosen position at or after 2 wins.
  Tensor2<double> hp(1, 6), hprev(1, 6);
  hp.setValues({{1, 0, 0, 0, 1, 1}});
  hprev.setValues({{0, 0, 1, 0, 0, 0}});
  const auto h = seq2seq::monotonic_attention(hp, hprev, MonotonicMode::hard);
  for (Index t = 0; t < 6; ++t) EXPECT_EQ(h(0, t), t == 4 ? 1.0 : 0.0);
  golden::expect_error(
      [&] { seq2seq::monotonic_attention(hp, golden::zeros<double>(1, 5), MonotonicMode::hard); },
      {"monotonic_attention: previous_attention", "[1,5]", "[1,6]"});
}

// GRU + AttentionWrapper(mech) under dynamic_rnn against the fixture. A double run of a float32
// fixture is compared in float (see the file comment).
template <class Mechanism>
void run_wrapper_case(Mechanism mech, const SafetensorsFile& f) {
  using T = typename Mechanism::Scalar;
  seq2seq::AttentionWrapperConfig<T> config;
  if (const long size = golden::meta_int(f, "attention_layer_size"); size > 0) {
    config.attention_layer_size = size;
    config.attention_layer_kernel = f.template tensor<T, 2>("attention_layer/kernel");
  }
  config.alignment_history = true;
  const seq2seq::AttentionWrapper wrapper(golden::make_gru<T>(f), std::move(mech), config);
  const auto [outputs, state] =
      seq2seq::dynamic_rnn(wrapper, f.template tensor<T, 3>("inputs"),
                           golden::lengths(f, "sequence_length"));
  EXPECT_EQ(state.time, golden::meta_int(f, "time"));
  const bool narrow_to_float = f.dtype("inputs") == "F32" && std::is_same_v<T, double>;
  const auto check2 = [&](const Tensor2<T>& actual, const std::string& key) {
    if (narrow_to_float) {
      golden::expect_close(narrow(actual), f.template tensor<float, 2>(key), key);
    } else {
      golden::expect_close(actual, f.template tensor<T, 2>(key), key);
    }
  };
  const auto check3 = [&](const Tensor3<T>& actual, const std::string& key) {
    if (narrow_to_float) {
      golden::expect_close(narrow(actual), f.template tensor<float, 3>(key), key);
    } else {
      golden::expect_close(actual, f.template tensor<T, 3>(key), key);
    }
  };
  check3(outputs, "outputs");
  check2(state.cell_state, "final_state/cell_state/h");
  check2(state.attention, "final_state/attention");
  check2(state.alignments, "final_state/alignments");
  check2(state.attention_state, "final_state/attention_state");
  check3(state.alignment_history, "final_state/alignment_history");
}

template <class T>
void run_wrapper_fixture(const SafetensorsFile& f) {
  const MonotonicMode mode = mode_of(f.metadata("mode"));
  with_mechanism<T>(f, mode, [&](auto mech) { run_wrapper_case(std::move(mech), f); });
}

TEST(MonotonicAttention, InsideAttentionWrapperEqualsTensorFlow) {
  const auto names = golden::cases("monotonic_wrapper_");
  ASSERT_EQ(names.size(), 2u * 5u);  // {bahdanau, luong} x (3 modes f32 + 2 modes f64)
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      run_wrapper_fixture<decltype(tag)>(f);
    });
  }
}

TEST(MonotonicAttention, Float64RecursiveInsideAttentionWrapperEqualsFloat32TensorFlow) {
  int checked = 0;
  for (const auto& name : golden::cases("monotonic_wrapper_")) {
    const auto f = golden::open(name);
    if (f.metadata("mode") != "recursive") continue;
    SCOPED_TRACE(name);
    golden::count_case("f32");
    ++checked;
    run_wrapper_fixture<double>(f);
  }
  EXPECT_EQ(checked, 2);
}

// A small double mechanism pair for the property and error tests: B = 2, Tm = 4, Dm = 3, U = 3.
struct Parts {
  Tensor3<double> memory{2, 4, 3};
  BahdanauMonotonicAttentionWeights<double> bw;
  LuongMonotonicAttentionWeights<double> lw;
  Tensor2<double> bq{2, 5}, lq{2, 3};
  Parts() {
    for (Index i = 0; i < memory.size(); ++i) memory.data()[i] = std::sin(0.7 * i);
    bw.memory_layer_kernel = lw.memory_layer_kernel = golden::zeros<double>(3, 3);
    for (Index i = 0; i < 9; ++i) bw.memory_layer_kernel.data()[i] = std::cos(0.3 * i);
    lw.memory_layer_kernel = bw.memory_layer_kernel;
    bw.query_layer_kernel = golden::zeros<double>(5, 3);
    for (Index i = 0; i < 15; ++i) bw.query_layer_kernel.data()[i] = std::sin(0.5 * i + 1);
    bw.attention_v = golden::zeros<double>(3);
    bw.attention_v.setValues({0.8, -0.6, 1.1});
    bw.attention_score_bias = lw.attention_score_bias = -0.25;
    for (Index i = 0; i < bq.size(); ++i) bq.data()[i] = std::cos(1.3 * i);
    for (Index i = 0; i < lq.size(); ++i) lq.data()[i] = std::sin(0.9 * i + 0.2);
  }
};

TEST(MonotonicAttention, InitialStateIsOneHotAtPositionZero) {
  Parts p;
  const BahdanauMonotonicAttention<double> b(3, p.memory, {4, 2}, p.bw);
  const LuongMonotonicAttention<double> l(3, p.memory, {4, 2}, p.lw);
  for (const auto& s : {b.initial_state(2), b.initial_alignments(2), l.initial_state(2),
                        l.initial_alignments(2)}) {
    ASSERT_EQ(seq2seq::shape_string(s), "[2,4]");
    for (Index r = 0; r < 2; ++r) {
      for (Index t = 0; t < 4; ++t) EXPECT_EQ(s(r, t), t == 0 ? 1.0 : 0.0);
    }
  }
  EXPECT_EQ(b.mode(), MonotonicMode::parallel);  // TF's default
  EXPECT_EQ(l.query_depth(), 3);
  EXPECT_EQ(b.query_depth(), 5);
}

TEST(MonotonicAttention, ScoreBiasShiftsEveryScore) {
  // Hard mode chooses where score + bias > 0: from the initial state a huge bias chooses
  // position 0 in every row, a hugely negative one chooses nothing.
  Parts p;
  auto w = p.lw;
  w.attention_score_bias = 1e6;
  const LuongMonotonicAttention<double> yes(3, p.memory, {4, 2}, w, false, MonotonicMode::hard);
  w.attention_score_bias = -1e6;
  const LuongMonotonicAttention<double> no(3, p.memory, {4, 2}, w, false, MonotonicMode::hard);
  const auto a = yes(p.lq, yes.initial_state(2));
  const auto z = no(p.lq, no.initial_state(2));
  for (Index r = 0; r < 2; ++r) {
    for (Index t = 0; t < 4; ++t) {
      EXPECT_EQ(a(r, t), t == 0 ? 1.0 : 0.0);
      EXPECT_EQ(z(r, t), 0.0);
    }
  }
}

TEST(MonotonicAttention, ZeroSigmoidNoiseIsDeterministicAndNeverDrawsNoise) {
  Parts p;
  long draws = 0;
  const auto counting = [&draws] {
    ++draws;
    return 3.0;
  };
  const BahdanauMonotonicAttention<double> plain(3, p.memory, {4, 2}, p.bw);
  const BahdanauMonotonicAttention<double> with_gen(3, p.memory, {4, 2}, p.bw, false,
                                                    MonotonicMode::parallel, 0.0, counting);
  const auto a = plain(p.bq, plain.initial_state(2));
  const auto b = with_gen(p.bq, with_gen.initial_state(2));
  EXPECT_EQ(draws, 0);
  for (Index i = 0; i < a.size(); ++i) EXPECT_EQ(a.data()[i], b.data()[i]);
  const auto again = plain(p.bq, plain.initial_state(2));
  for (Index i = 0; i < a.size(); ++i) EXPECT_EQ(a.data()[i], again.data()[i]);
}

TEST(MonotonicAttention, SigmoidNoiseIsAddedToEveryValidScore) {
  // A "generator" returning a constant c adds sigmoid_noise · c to each valid score: the same as
  // a larger score bias. One draw per valid position per call (lengths 4 + 2).
  Parts p;
  long draws = 0;
  const auto constant = [&draws] {
    ++draws;
    return 2.0;
  };
  for (MonotonicMode mode : {MonotonicMode::parallel, MonotonicMode::recursive}) {
    draws = 0;
    const LuongMonotonicAttention<double> noisy(3, p.memory, {4, 2}, p.lw, false, mode, 0.25,
                                                constant);
    auto shifted_w = p.lw;
    shifted_w.attention_score_bias += 0.25 * 2.0;
    const LuongMonotonicAttention<double> shifted(3, p.memory, {4, 2}, shifted_w, false, mode);
    const auto a = noisy(p.lq, noisy.initial_state(2));
    const auto b = shifted(p.lq, shifted.initial_state(2));
    EXPECT_EQ(draws, 6);
    for (Index i = 0; i < a.size(); ++i) EXPECT_NEAR(a.data()[i], b.data()[i], 1e-15);
    EXPECT_EQ(a(1, 2), 0.0);  // masked: no noise reaches it
    EXPECT_EQ(noisy.sigmoid_noise(), 0.25);
  }
  // Hard mode too: a large positive draw makes every valid p = 1, so from the initial state
  // each row attends to position 0 whatever the scores.
  const BahdanauMonotonicAttention<double> hard(3, p.memory, {4, 2}, p.bw, false,
                                                MonotonicMode::hard, 1.0, [] { return 1e3; });
  const auto h = hard(p.bq, hard.initial_state(2));
  for (Index r = 0; r < 2; ++r) {
    for (Index t = 0; t < 4; ++t) EXPECT_EQ(h(r, t), t == 0 ? 1.0 : 0.0);
  }
}

TEST(MonotonicAttention, RejectsBadNoiseQueriesAndStates) {
  Parts p;
  golden::expect_error(
      [&] {
        BahdanauMonotonicAttention<double>(3, p.memory, {}, p.bw, false, MonotonicMode::parallel,
                                           0.5);
      },
      {"BahdanauMonotonicAttention: sigmoid_noise=0.5", "generator"});
  golden::expect_error(
      [&] {
        LuongMonotonicAttention<double>(3, p.memory, {}, p.lw, false, MonotonicMode::hard, -1.0,
                                        [] { return 0.0; });
      },
      {"LuongMonotonicAttention: sigmoid_noise=-1", ">= 0"});
  const BahdanauMonotonicAttention<double> b(3, p.memory, {4, 2}, p.bw);
  const LuongMonotonicAttention<double> l(3, p.memory, {4, 2}, p.lw);
  golden::expect_error([&] { b(p.lq, b.initial_state(2)); },
                       {"BahdanauMonotonicAttention: query", "[2,3]", "[2,5]"});
  golden::expect_error([&] { l(p.bq, l.initial_state(2)); },
                       {"LuongMonotonicAttention: query", "[2,5]", "[2,3]", "num_units=3"});
  golden::expect_error([&] { l(p.lq, golden::zeros<double>(2, 3)); },
                       {"LuongMonotonicAttention: state", "[2,3]", "[2,4]"});
  golden::expect_error([&] { LuongMonotonicAttention<double>(3, p.memory, {0, 2}, p.lw); },
                       {"LuongMonotonicAttention: memory_sequence_length[0]=0"});
  auto w = p.bw;
  w.attention_v = golden::zeros<double>(4);
  golden::expect_error([&] { BahdanauMonotonicAttention<double>(3, p.memory, {}, w); },
                       {"BahdanauMonotonicAttention: attention_v", "[4]", "[3]"});
}

TEST(MonotonicAttention, NamesAreTensorFlows) {
  EXPECT_STREQ(seq2seq::monotonic_mode_name(MonotonicMode::parallel), "parallel");
  EXPECT_STREQ(seq2seq::monotonic_mode_name(MonotonicMode::recursive), "recursive");
  EXPECT_STREQ(seq2seq::monotonic_mode_name(MonotonicMode::hard), "hard");
}

#ifdef SEQ2SEQ_COUNTS_ALLOCATIONS
TEST(MonotonicAttention, WrapperStepsAllocateNothing) {
  SEQ2SEQ_SKIP_UNLESS_EIGEN_GEMM();
  // dynamic_rnn's allocations must not grow with the number of steps, in every mode. One
  // thread: a batch split starts threads whose GEMM packing buffers are new at every call (and
  // sized by the call's products).
  const int threads = seq2seq::num_threads();
  seq2seq::set_num_threads(1);
  Parts p;
  for (MonotonicMode mode :
       {MonotonicMode::parallel, MonotonicMode::recursive, MonotonicMode::hard}) {
    SCOPED_TRACE(seq2seq::monotonic_mode_name(mode));
    const Index H = 3, I = 2;
    Tensor2<double> gk(I + 3 + H, 2 * H), ck(I + 3 + H, H);
    gk.setConstant(0.1);
    ck.setConstant(-0.2);
    seq2seq::AttentionWrapperConfig<double> config;
    config.alignment_history = true;
    const seq2seq::AttentionWrapper wrapper(
        seq2seq::GRUCell<double>(H, {gk, golden::zeros<double>(2 * H), ck,
                                     golden::zeros<double>(H)}),
        LuongMonotonicAttention<double>(3, p.memory, {4, 2}, p.lw, true, mode), config);
    long counts[2];
    for (int k = 0; k < 2; ++k) {
      const Index T = k == 0 ? 3 : 12;
      Tensor3<double> x(2, T, I);
      for (Index i = 0; i < x.size(); ++i) x.data()[i] = std::sin(0.11 * i);
      counts[k] = steady_allocations_during([&] { seq2seq::dynamic_rnn(wrapper, x); });
    }
    EXPECT_GT(counts[0], 0);
    EXPECT_EQ(counts[0], counts[1]);
  }
  seq2seq::set_num_threads(threads);
}
#endif

}  // namespace
