// LSTMCell against TensorFlow's tf.compat.v1.nn.rnn_cell.LSTMCell: one step (tests/golden/
// lstm_cell_*, including a forget_bias of 0.5), and the full cell with use_peepholes, cell_clip,
// num_proj, proj_clip and forget_bias 0.7, one step and under dynamic_rnn with ragged lengths
// (tests/golden/lstm_full_*, tools/reference/golden_lstm.py).
#include <seq2seq/cells/lstm_cell.hpp>

#include <cmath>
#include <limits>
#include <optional>

#include <seq2seq/rnn/dynamic_rnn.hpp>

#include "alloc_counter.hpp"
#include "golden.hpp"

namespace {

using seq2seq::Index;
using seq2seq::LSTMCell;
using seq2seq::LSTMCellOptions;
using seq2seq::LSTMCellWeights;
using seq2seq::LSTMStateTuple;
using seq2seq::Tensor1;
using seq2seq::Tensor2;
using seq2seq::Tensor3;

TEST(LSTMCell, OneStepEqualsTensorFlow) {
  const auto names = golden::cases("lstm_cell_");
  ASSERT_EQ(names.size(), 4u);  // f32, f64, and each with forget_bias 0.5
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      const auto cell = golden::make_lstm<T>(f);
      EXPECT_EQ(cell.forget_bias(), static_cast<T>(std::stod(f.metadata("forget_bias"))));
      const auto state = golden::load_state<LSTMStateTuple<T>, T>(f, "state/");
      const auto [output, next] = cell(f.template tensor<T, 2>("inputs"), state);
      golden::expect_close(output, f.template tensor<T, 2>("output"), "output");
      golden::expect_state(next, f, "next_state/");
    });
  }
}

TEST(LSTMCell, ForgetBiasIsAddedAtRunTime) {
  // With a zero kernel and bias, c' = sigmoid(forget_bias) c + sigmoid(0) tanh(0): the forget
  // bias must reach the f gate without being stored in the bias.
  Tensor2<double> k(3, 8);
  Tensor1<double> b(8);
  k.setZero();
  b.setZero();
  const LSTMCell<double> cell(2, {k, b}, 0.25);
  LSTMStateTuple<double> s{golden::zeros<double>(1, 2), golden::zeros<double>(1, 2)};
  s.c.setConstant(2.0);
  s.h.setZero();
  Tensor2<double> x(1, 1);
  x.setZero();
  const auto [out, next] = cell(x, s);
  const double c = 2.0 / (1.0 + std::exp(-0.25));
  EXPECT_NEAR(next.c(0, 0), c, 1e-15);
  EXPECT_NEAR(next.h(0, 1), 0.5 * std::tanh(c), 1e-15);
  EXPECT_EQ(out(0, 1), next.h(0, 1));
  EXPECT_EQ(cell.weights().bias(2 * 2), 0.0);
}

TEST(LSTMCell, RejectsWeightsInputsAndStateOfTheWrongShape) {
  auto k = golden::zeros<float>(7, 16), bad_k = golden::zeros<float>(7, 12);
  auto b = golden::zeros<float>(16), bad_b = golden::zeros<float>(12);
  golden::expect_error([&] { LSTMCell<float>(4, {bad_k, b}); },
                       {"LSTMCell: kernel", "[7,12]", "[7,16]"});
  golden::expect_error([&] { LSTMCell<float>(4, {k, bad_b}); },
                       {"LSTMCell: bias", "[12]", "[16]"});
  k.setZero();
  b.setZero();
  const LSTMCell<float> cell(4, {k, b});
  Tensor2<float> x(2, 3), bad_x(2, 4);
  x.setZero();
  bad_x.setZero();
  golden::expect_error([&] { cell(bad_x, cell.zero_state(2)); },
                       {"LSTMCell: inputs", "[2,4]", "[2,3]"});
  auto s = cell.zero_state(2);
  s.h = golden::zeros<float>(2, 5);
  golden::expect_error([&] { cell(x, s); }, {"LSTMCell: state.h", "[2,5]", "[2,4]"});
}

// ---------------------------------------------------------------------------------------------
// The full cell (lstm_full_* fixtures): options from the fixture's metadata, weights by TF name.

template <class T>
std::optional<T> optional_value(const seq2seq::io::SafetensorsFile& f, const std::string& key) {
  const std::string v = f.metadata(key);
  if (v == "none") return std::nullopt;
  return static_cast<T>(std::stod(v));
}

template <class T>
LSTMCell<T> make_full_lstm(const seq2seq::io::SafetensorsFile& f) {
  LSTMCellOptions<T> o;
  o.use_peepholes = golden::meta_int(f, "use_peepholes") != 0;
  o.cell_clip = optional_value<T>(f, "cell_clip");
  if (golden::meta_int(f, "num_proj") != 0) o.num_proj = golden::meta_int(f, "num_proj");
  o.proj_clip = optional_value<T>(f, "proj_clip");
  o.forget_bias = static_cast<T>(std::stod(f.metadata("forget_bias")));
  LSTMCellWeights<T> w{f.template tensor<T, 2>("cell/kernel"),
                       f.template tensor<T, 1>("cell/bias")};
  if (o.use_peepholes) {
    w.w_f_diag = f.template tensor<T, 1>("cell/w_f_diag");
    w.w_i_diag = f.template tensor<T, 1>("cell/w_i_diag");
    w.w_o_diag = f.template tensor<T, 1>("cell/w_o_diag");
  }
  if (o.num_proj) w.projection_kernel = f.template tensor<T, 2>("cell/projection/kernel");
  return LSTMCell<T>(golden::meta_int(f, "num_units"), std::move(w), o);
}

// The lstm_full_* fixtures of one mode ("step", or the dynamic_rnn ones "rnn", "rnn_early").
std::vector<std::string> full_cases(bool step) {
  const auto all = golden::cases("lstm_full_");
  EXPECT_EQ(all.size(), 30u);  // 5 option sets x {step, rnn, rnn_early} x {f32, f64}
  std::vector<std::string> names;
  for (const auto& name : all) {
    if ((name.find("_step_") != std::string::npos) == step) names.push_back(name);
  }
  return names;
}

TEST(LSTMCell, FullOptionsOneStepEqualsTensorFlow) {
  const auto names = full_cases(true);
  ASSERT_EQ(names.size(), 10u);
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      const auto cell = make_full_lstm<T>(f);
      const Index p = f.template tensor<T, 2>("next_state/h").dimension(1);
      EXPECT_EQ(cell.output_size(), p);
      EXPECT_EQ(cell.input_size(), golden::meta_int(f, "input_depth"));
      const auto state = golden::load_state<LSTMStateTuple<T>, T>(f, "state/");
      const auto [output, next] = cell(f.template tensor<T, 2>("inputs"), state);
      golden::expect_close(output, f.template tensor<T, 2>("output"), "output");
      golden::expect_state(next, f, "next_state/");
    });
  }
}

TEST(LSTMCell, FullOptionsUnderDynamicRnnEqualTensorFlow) {
  // Lengths [6, 1, 4, 3] and, with an early stop at 5 < T = 6, [5, 1, 2, 4]; given initial state.
  const auto names = full_cases(false);
  ASSERT_EQ(names.size(), 20u);
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      const auto [outputs, state] = seq2seq::dynamic_rnn(
          make_full_lstm<T>(f), f.template tensor<T, 3>("inputs"),
          golden::lengths(f, "sequence_length"),
          golden::load_state<LSTMStateTuple<T>, T>(f, "initial_state/"));
      golden::expect_close(outputs, f.template tensor<T, 3>("outputs"), "outputs");
      golden::expect_state(state, f, "final_state/");
    });
  }
}

// Row b of a [B, D] tensor.
template <class T>
Tensor1<T> row(const Tensor2<T>& m, Index b) {
  Tensor1<T> r(m.dimension(1));
  for (Index d = 0; d < m.dimension(1); ++d) r(d) = m(b, d);
  return r;
}

TEST(LSTMCell, FullOptionsOneStepAtATimeFollowsTensorFlowsSequences) {
  // operator() called T times on the dynamic_rnn fixtures: each row's output at t < its length
  // and its state after exactly `length` steps are TensorFlow's.
  for (const auto& name : full_cases(false)) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      const auto cell = make_full_lstm<T>(f);
      const Tensor3<T> x = f.template tensor<T, 3>("inputs");
      const Tensor3<T> outputs = f.template tensor<T, 3>("outputs");
      const auto lengths = golden::lengths(f, "sequence_length");
      const Tensor2<T> final_c = f.template tensor<T, 2>("final_state/c");
      const Tensor2<T> final_h = f.template tensor<T, 2>("final_state/h");
      auto state = golden::load_state<LSTMStateTuple<T>, T>(f, "initial_state/");
      const Index batch = x.dimension(0), time = x.dimension(1), p = outputs.dimension(2);
      for (Index t = 0; t < time; ++t) {
        Tensor2<T> x_t(batch, x.dimension(2));
        for (Index b = 0; b < batch; ++b) {
          for (Index d = 0; d < x.dimension(2); ++d) x_t(b, d) = x(b, t, d);
        }
        const auto [out, next] = cell(x_t, state);
        state = next;
        for (Index b = 0; b < batch; ++b) {
          const std::string at = "[" + std::to_string(b) + "," + std::to_string(t) + "]";
          if (t < lengths[b]) {
            Tensor1<T> expected(p);
            for (Index d = 0; d < p; ++d) expected(d) = outputs(b, t, d);
            golden::expect_close(row(out, b), expected, "output" + at);
          }
          if (t + 1 == lengths[b]) {
            golden::expect_close(row(state.c, b), row(final_c, b), "c" + at);
            golden::expect_close(row(state.h, b), row(final_h, b), "h" + at);
          }
        }
      }
    });
  }
}

// A double cell with every option: H units, P = num_proj, I inputs, smooth nonzero weights.
LSTMCell<double> full_cell(Index in, Index units, Index proj) {
  LSTMCellWeights<double> w{Tensor2<double>(in + proj, 4 * units), Tensor1<double>(4 * units)};
  for (Index i = 0; i < w.kernel.size(); ++i) w.kernel.data()[i] = std::sin(0.37 * i);
  w.bias.setConstant(0.1);
  for (auto* d : {&w.w_f_diag, &w.w_i_diag, &w.w_o_diag}) {
    *d = Tensor1<double>(units);
    d->setConstant(0.3);
  }
  w.projection_kernel = Tensor2<double>(units, proj);
  for (Index i = 0; i < w.projection_kernel.size(); ++i) {
    w.projection_kernel.data()[i] = std::cos(0.53 * i);
  }
  LSTMCellOptions<double> o;
  o.use_peepholes = true;
  o.cell_clip = 1.5;
  o.num_proj = proj;
  o.proj_clip = 0.75;
  o.forget_bias = 0.7;
  return LSTMCell<double>(units, std::move(w), o);
}

TEST(LSTMCell, ClipsKeepNaNAsTensorFlowDoes) {
  // TF's clip_by_value is minimum then maximum, both propagating NaN: a NaN input must not come
  // out clipped to a finite value.
  const auto cell = full_cell(2, 3, 2);
  Tensor2<double> x(1, 2);
  x.setConstant(std::numeric_limits<double>::quiet_NaN());
  const auto [out, next] = cell(x, cell.zero_state(1));
  for (Index i = 0; i < next.c.size(); ++i) EXPECT_TRUE(std::isnan(next.c.data()[i])) << i;
  for (Index i = 0; i < out.size(); ++i) EXPECT_TRUE(std::isnan(out.data()[i])) << i;
}

#ifdef SEQ2SEQ_COUNTS_ALLOCATIONS
TEST(LSTMCell, ProjectedPeepholeCellAllocatesNothingPerStep) {
  SEQ2SEQ_SKIP_UNLESS_EIGEN_GEMM();
  const Index B = 8, I = 16, H = 32, P = 12;
  const auto cell = full_cell(I, H, P);
  long counts[2];
  for (int k = 0; k < 2; ++k) {
    const Index T = k == 0 ? 3 : 12;
    Tensor3<double> x(B, T, I);
    for (Index i = 0; i < x.size(); ++i) x.data()[i] = std::sin(1.1 * i + 0.2);
    const std::vector<int64_t> len(B, T - 1);
    counts[k] = steady_allocations_during([&] { seq2seq::dynamic_rnn(cell, x, len); });
  }
  EXPECT_GT(counts[0], 0);  // the counter works: outputs and state are allocated
  EXPECT_EQ(counts[0], counts[1]) << "LSTMCell (peepholes, clips, projection) allocations grow";
}
#endif

TEST(LSTMCell, RejectsBadOptionsAndOptionalWeights) {
  const Index I = 3, H = 4, P = 2;
  // A valid peephole + projection set, then one thing wrong at a time.
  const LSTMCellWeights<float> good{golden::zeros<float>(I + P, 4 * H), golden::zeros<float>(4 * H),
                                    golden::zeros<float>(H), golden::zeros<float>(H),
                                    golden::zeros<float>(H), golden::zeros<float>(H, P)};
  LSTMCellOptions<float> opt;
  opt.use_peepholes = true;
  opt.num_proj = P;
  const LSTMCell<float> cell(H, good, opt);
  EXPECT_EQ(cell.input_size(), I);
  EXPECT_EQ(cell.output_size(), P);
  EXPECT_EQ(cell.num_units(), H);

  auto with = [&](auto change) {
    auto o = opt;
    auto w = good;
    change(o, w);
    return [=] { LSTMCell<float>(H, w, o); };
  };
  golden::expect_error(with([](auto& o, auto&) { o.num_proj = 0; }),
                       {"LSTMCell: num_proj=0", "positive"});
  golden::expect_error(with([](auto& o, auto&) { o.cell_clip = -1.0f; }),
                       {"LSTMCell: cell_clip=-1", ">= 0"});
  golden::expect_error(with([](auto& o, auto&) { o.cell_clip = std::nanf(""); }),
                       {"LSTMCell: cell_clip=nan", ">= 0"});
  golden::expect_error(with([](auto& o, auto&) { o.proj_clip = -0.5f; }),
                       {"LSTMCell: proj_clip=-0.5", ">= 0"});
  golden::expect_error(with([](auto& o, auto& w) {
                         o.num_proj.reset();
                         o.proj_clip = 2.0f;
                         w.kernel = golden::zeros<float>(I + H, 4 * H);
                         w.projection_kernel = Tensor2<float>();
                       }),
                       {"LSTMCell: proj_clip=2", "needs num_proj"});
  golden::expect_error(with([](auto&, auto& w) { w.w_f_diag = golden::zeros<float>(H + 1); }),
                       {"LSTMCell: w_f_diag (use_peepholes)", "[5]", "[4]"});
  golden::expect_error(with([](auto&, auto& w) { w.w_i_diag = Tensor1<float>(); }),
                       {"LSTMCell: w_i_diag (use_peepholes)", "[0]", "[4]"});
  golden::expect_error(with([](auto&, auto& w) { w.w_o_diag = golden::zeros<float>(3); }),
                       {"LSTMCell: w_o_diag (use_peepholes)", "[3]", "[4]"});
  golden::expect_error(with([](auto& o, auto&) { o.use_peepholes = false; }),
                       {"LSTMCell: w_f_diag (only for use_peepholes)", "[4]", "[0]"});
  golden::expect_error(with([](auto&, auto& w) { w.projection_kernel = golden::zeros<float>(2, 4); }),
                       {"LSTMCell: projection/kernel (num_proj=2)", "[2,4]", "[4,2]"});
  golden::expect_error(with([](auto& o, auto& w) {
                         o.num_proj.reset();
                         w.kernel = golden::zeros<float>(I + H, 4 * H);
                       }),
                       {"LSTMCell: projection/kernel (only for num_proj)", "[4,2]", "[0,0]"});
  golden::expect_error(with([](auto&, auto& w) { w.kernel = golden::zeros<float>(2, 16); }),
                       {"LSTMCell: kernel", "[2,16]", "[input_size + 2, 16]", "num_proj"});
  golden::expect_error(with([](auto&, auto& w) { w.kernel = golden::zeros<float>(5, 17); }),
                       {"LSTMCell: kernel", "[5,17]", "[5,16]"});

  // The state's h has num_proj columns, c has num_units.
  Tensor2<float> x(2, I);
  x.setZero();
  auto s = cell.zero_state(2);
  EXPECT_EQ(seq2seq::shape_string(s), "LSTMStateTuple(c=[2,4], h=[2,2])");
  s.h = golden::zeros<float>(2, H);
  golden::expect_error([&] { cell(x, s); }, {"LSTMCell: state.h", "[2,4]", "[2,2]"});
  golden::expect_error([&] { seq2seq::dynamic_rnn(cell, golden::zeros<float>(2, 3, I), {}, s); },
                       {"dynamic_rnn: initial_state.h", "[2,4]", "[2,2]"});
}

}  // namespace
