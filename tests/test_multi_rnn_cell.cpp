// MultiRNNCell against tf.compat.v1.nn.rnn_cell.MultiRNNCell in graph mode
// (tests/golden/multi_rnn_*, tools/reference/golden_rnn.py), float32 and float64:
//  - one call of [LSTM(5), GRU(3)];
//  - dynamic_rnn over [LSTM(5), GRU(3)] (ragged lengths 6, 2, 4, 0) and over
//    [GRU(4), LSTM(3), LSTM(5)] (time-major, early stop), each from a given per-layer state;
//  - tfa AttentionWrapper(MultiRNNCell([LSTM(6), LSTM(4)]), BahdanauAttention) under dynamic_rnn:
//    with attention_layer_size 5 and ragged lengths, and normalized / cell output / time-major /
//    early stop from a state made by clone(cell_state=...). Every field of the final state is
//    compared, alignment_history included, and `time` against the steps TF's loop ran.
#include <seq2seq/cells/multi_rnn_cell.hpp>

#include <seq2seq/attention/attention_wrapper.hpp>
#include <seq2seq/attention/bahdanau_attention.hpp>
#include <seq2seq/cells/gru_cell.hpp>
#include <seq2seq/cells/lstm_cell.hpp>
#include <seq2seq/rnn/dynamic_rnn.hpp>

#include <sstream>
#include <tuple>

#include "alloc_counter.hpp"
#include "golden.hpp"

namespace {

using seq2seq::AttentionWrapper;
using seq2seq::AttentionWrapperConfig;
using seq2seq::BahdanauAttention;
using seq2seq::dynamic_rnn;
using seq2seq::GRUCell;
using seq2seq::Index;
using seq2seq::LSTMCell;
using seq2seq::LSTMStateTuple;
using seq2seq::MultiRNNCell;
using seq2seq::Tensor1;
using seq2seq::Tensor2;
using seq2seq::Tensor3;
using File = seq2seq::io::SafetensorsFile;

// Per-layer widths from the fixture's "units" metadata ("5,3").
std::vector<Index> layer_units(const File& f) {
  std::vector<Index> units;
  std::stringstream ss(f.metadata("units"));
  for (std::string item; std::getline(ss, item, ',');) units.push_back(std::stol(item));
  return units;
}

// Layer k of a fixture: its weights under cell_<k>/.
template <class Cell>
Cell make_layer(const File& f, std::size_t k) {
  using T = typename Cell::Scalar;
  const Index units = layer_units(f).at(k);
  const std::string p = "cell_" + std::to_string(k) + "/";
  if constexpr (std::is_same_v<Cell, GRUCell<T>>) {
    return GRUCell<T>(units, {f.tensor<T, 2>(p + "gates/kernel"), f.tensor<T, 1>(p + "gates/bias"),
                              f.tensor<T, 2>(p + "candidate/kernel"),
                              f.tensor<T, 1>(p + "candidate/bias")});
  } else {
    return LSTMCell<T>(units, {f.tensor<T, 2>(p + "kernel"), f.tensor<T, 1>(p + "bias")},
                       static_cast<T>(std::stod(f.metadata("forget_bias"))));
  }
}

template <class... Cells, std::size_t... K>
MultiRNNCell<Cells...> make_stack(const File& f, std::index_sequence<K...>) {
  return MultiRNNCell<Cells...>(make_layer<Cells>(f, K)...);
}
template <class... Cells>
MultiRNNCell<Cells...> make_stack(const File& f) {
  EXPECT_EQ(golden::meta_int(f, "num_layers"), static_cast<long>(sizeof...(Cells)));
  return make_stack<Cells...>(f, std::index_sequence_for<Cells...>{});
}

// A MultiRNNCell state from prefix + "cell_<k>/" (h, or c and h).
template <class State, class T, std::size_t... K>
State load_layers(const File& f, const std::string& prefix, std::index_sequence<K...>) {
  return State{golden::load_state<std::tuple_element_t<K, State>, T>(
      f, prefix + "cell_" + std::to_string(K) + "/")...};
}
template <class State, class T>
State load_layers(const File& f, const std::string& prefix) {
  return load_layers<State, T>(f, prefix, std::make_index_sequence<std::tuple_size_v<State>>{});
}

template <class... States>
void expect_layers(const std::tuple<States...>& s, const File& f, const std::string& prefix) {
  std::apply(
      [&](const auto&... layer) {
        std::size_t k = 0;
        (golden::expect_state(layer, f, prefix + "cell_" + std::to_string(k++) + "/"), ...);
      },
      s);
}

template <class Multi>
void run_dynamic_case(const Multi& multi, const File& f) {
  using T = typename Multi::Scalar;
  using State = typename Multi::state_type;
  const auto [outputs, state] =
      dynamic_rnn(multi, f.tensor<T, 3>("inputs"), golden::lengths(f, "sequence_length"),
                  load_layers<State, T>(f, "initial_state/"),
                  golden::meta_int(f, "time_major") != 0);
  golden::expect_close(outputs, f.tensor<T, 3>("outputs"), "outputs");
  expect_layers(state, f, "final_state/");
}

TEST(MultiRNNCell, OneCallOfLstmGruStackEqualsTensorFlow) {
  const auto names = golden::cases("multi_rnn_step_");
  ASSERT_EQ(names.size(), 2u);  // f32, f64
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const File& f) {
      using T = decltype(tag);
      ASSERT_EQ(f.metadata("layers"), "lstm,gru");
      const auto multi = make_stack<LSTMCell<T>, GRUCell<T>>(f);
      using State = typename decltype(multi)::state_type;
      const auto [output, next] = multi(f.tensor<T, 2>("inputs"), load_layers<State, T>(f, "state/"));
      golden::expect_close(output, f.tensor<T, 2>("output"), "output");
      expect_layers(next, f, "next_state/");
    });
  }
}

TEST(MultiRNNCell, DynamicRnnOverMixedStacksWithRaggedLengthsEqualsTensorFlow) {
  std::vector<std::string> names = golden::cases("multi_rnn_lstm_gru_");
  for (const auto& n : golden::cases("multi_rnn_gru_lstm_lstm_")) names.push_back(n);
  ASSERT_EQ(names.size(), 4u);  // {[LSTM, GRU], [GRU, LSTM, LSTM] time-major} x {f32, f64}
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const File& f) {
      using T = decltype(tag);
      const std::string layers = f.metadata("layers");
      if (layers == "lstm,gru") {
        run_dynamic_case(make_stack<LSTMCell<T>, GRUCell<T>>(f), f);
      } else {
        ASSERT_EQ(layers, "gru,lstm,lstm");
        run_dynamic_case(make_stack<GRUCell<T>, LSTMCell<T>, LSTMCell<T>>(f), f);
      }
    });
  }
}

TEST(MultiRNNCell, InsideAttentionWrapperEqualsTensorFlow) {
  const auto names = golden::cases("multi_rnn_attention_");
  ASSERT_EQ(names.size(), 4u);  // {layer 5 + ragged, normalized clone time-major} x {f32, f64}
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const File& f) {
      using T = decltype(tag);
      using Multi = MultiRNNCell<LSTMCell<T>, LSTMCell<T>>;
      ASSERT_EQ(f.metadata("layers"), "lstm,lstm");
      AttentionWrapperConfig<T> config;
      if (const long size = golden::meta_int(f, "attention_layer_size"); size > 0) {
        config.attention_layer_size = size;
        config.attention_layer_kernel = f.tensor<T, 2>("attention_layer/kernel");
      }
      config.alignment_history = golden::meta_int(f, "alignment_history") != 0;
      config.output_attention = golden::meta_int(f, "output_attention") != 0;
      const AttentionWrapper<Multi, BahdanauAttention<T>> wrapper(
          make_stack<LSTMCell<T>, LSTMCell<T>>(f), golden::make_bahdanau<T>(f), config);
      const Tensor3<T> inputs = f.tensor<T, 3>("inputs");
      const bool time_major = golden::meta_int(f, "time_major") != 0;
      auto initial = wrapper.zero_state(inputs.dimension(time_major ? 1 : 0));
      if (f.contains("initial_cell_state/cell_0/h")) {
        initial = initial.clone(load_layers<typename Multi::state_type, T>(f, "initial_cell_state/"));
      }
      const auto [outputs, state] = dynamic_rnn(
          wrapper, inputs, golden::lengths(f, "sequence_length"), initial, time_major);
      golden::expect_close(outputs, f.tensor<T, 3>("outputs"), "outputs");
      expect_layers(state.cell_state, f, "final_state/cell_state/");
      golden::expect_close(state.attention, f.tensor<T, 2>("final_state/attention"), "attention");
      golden::expect_close(state.alignments, f.tensor<T, 2>("final_state/alignments"),
                           "alignments");
      golden::expect_close(state.attention_state, f.tensor<T, 2>("final_state/attention_state"),
                           "attention_state");
      golden::expect_close(state.alignment_history,
                           f.tensor<T, 3>("final_state/alignment_history"), "alignment_history");
      EXPECT_EQ(state.time, golden::meta_int(f, "time"));
    });
  }
}

// Deterministic double-precision cells for the property and error tests.
GRUCell<double> gru(Index in, Index units, double salt = 0) {
  Tensor2<double> gk(in + units, 2 * units), ck(in + units, units);
  Tensor1<double> gb(2 * units), cb(units);
  for (Index i = 0; i < gk.size(); ++i) gk.data()[i] = 0.5 * std::sin(0.3 * i + salt);
  for (Index i = 0; i < ck.size(); ++i) ck.data()[i] = 0.5 * std::cos(0.7 * i + salt);
  gb.setConstant(0.5);
  cb.setConstant(-0.25);
  return GRUCell<double>(units, {gk, gb, ck, cb});
}

LSTMCell<double> lstm(Index in, Index units, double salt = 0) {
  Tensor2<double> k(in + units, 4 * units);
  Tensor1<double> b(4 * units);
  for (Index i = 0; i < k.size(); ++i) k.data()[i] = 0.5 * std::sin(0.37 * i + salt);
  for (Index i = 0; i < b.size(); ++i) b.data()[i] = 0.1 * std::cos(1.1 * i);
  return LSTMCell<double>(units, {k, b});
}

Tensor3<double> inputs(Index b, Index t, Index d) {
  Tensor3<double> x(b, t, d);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = std::sin(1.1 * i + 0.2);
  return x;
}

TEST(MultiRNNCell, OneLayerStackIsTheBareCell) {
  // TF's MultiRNNCell([cell]) computes exactly cell: same outputs and state, bit for bit.
  const auto cell = lstm(3, 4);
  const MultiRNNCell<LSTMCell<double>> multi(cell);
  const auto x = inputs(3, 5, 3);
  const auto bare = dynamic_rnn(cell, x, {5, 2, 0});
  const auto stacked = dynamic_rnn(multi, x, {5, 2, 0});
  for (Index i = 0; i < bare.outputs.size(); ++i) {
    EXPECT_EQ(bare.outputs.data()[i], stacked.outputs.data()[i]);
  }
  const auto& s = std::get<0>(stacked.final_state);
  for (Index i = 0; i < s.c.size(); ++i) EXPECT_EQ(bare.final_state.c.data()[i], s.c.data()[i]);
  for (Index i = 0; i < s.h.size(); ++i) EXPECT_EQ(bare.final_state.h.data()[i], s.h.data()[i]);
}

TEST(MultiRNNCell, ZeroStateAndSizesFollowTheLayers) {
  const MultiRNNCell multi(lstm(3, 5), gru(5, 2), lstm(2, 4));
  EXPECT_EQ(multi.input_size(), 3);
  EXPECT_EQ(multi.output_size(), 4);
  EXPECT_EQ(multi.num_layers, 3u);
  EXPECT_EQ(multi.cell<1>().num_units(), 2);
  const auto z = multi.zero_state(6);
  EXPECT_EQ(seq2seq::shape_string(z),
            "(LSTMStateTuple(c=[6,5], h=[6,5]), [6,2], LSTMStateTuple(c=[6,4], h=[6,4]))");
  for (Index i = 0; i < std::get<1>(z).size(); ++i) EXPECT_EQ(std::get<1>(z).data()[i], 0.0);
}

TEST(MultiRNNCell, CloneOfAGruStackStateChecksEveryLayersShape) {
  // The state is std::tuple<Tensor2, Tensor2>: clone must still compare per-layer shapes.
  const Index B = 2, Tm = 3, Dm = 4, U = 3, H = 5;
  Tensor3<double> memory = inputs(B, Tm, Dm);
  seq2seq::BahdanauAttentionWeights<double> w{golden::zeros<double>(Dm, U),
                                              golden::zeros<double>(H, U),
                                              golden::zeros<double>(U), 0, {}};
  w.attention_v.setConstant(0.5);
  const AttentionWrapper wrapper(MultiRNNCell(gru(2 + Dm, 6), gru(6, H)),
                                 BahdanauAttention<double>(U, memory, {3, 2}, w));
  const auto z = wrapper.zero_state(B);
  std::tuple<Tensor2<double>, Tensor2<double>> given{golden::zeros<double>(B, 6),
                                                     golden::zeros<double>(B, H)};
  std::get<1>(given).setConstant(0.25);
  EXPECT_EQ(std::get<1>(z.clone(given).cell_state)(1, 4), 0.25);
  std::get<1>(given) = golden::zeros<double>(B, 4);
  golden::expect_error([&] { z.clone(given); },
                       {"AttentionWrapperState::clone", "([2,6], [2,4])", "([2,6], [2,5])"});
}

TEST(MultiRNNCell, RejectsLayerSizeMismatch) {
  golden::expect_error([&] { MultiRNNCell(lstm(3, 5), gru(4, 2)); },
                       {"MultiRNNCell: cells[1] has input size 4", "cells[0] outputs 5"});
  golden::expect_error([&] { MultiRNNCell(gru(3, 5), gru(5, 2), lstm(3, 4)); },
                       {"MultiRNNCell: cells[2] has input size 3", "cells[1] outputs 2"});
}

TEST(MultiRNNCell, RejectsAWrongStateOfOneLayerNamingTheLayer) {
  const MultiRNNCell multi(lstm(3, 5), gru(5, 2));
  const auto x = inputs(4, 6, 3);
  auto bad = multi.zero_state(4);
  std::get<0>(bad).c = golden::zeros<double>(4, 4);
  golden::expect_error([&] { dynamic_rnn(multi, x, {}, bad); },
                       {"dynamic_rnn: initial_state[0].c", "[4,4]", "[4,5]"});
  bad = multi.zero_state(4);
  std::get<1>(bad) = golden::zeros<double>(3, 2);
  golden::expect_error([&] { dynamic_rnn(multi, x, {}, bad); },
                       {"dynamic_rnn: initial_state[1]", "[3,2]", "[4,2]"});
  golden::expect_error([&] { multi(golden::zeros<double>(4, 3), bad); },
                       {"MultiRNNCell: state[1]", "[3,2]", "[4,2]"});
  golden::expect_error([&] { multi(golden::zeros<double>(4, 5), multi.zero_state(4)); },
                       {"MultiRNNCell: inputs", "[4,5]", "[4,3]"});
  golden::expect_error([&] { dynamic_rnn(multi, inputs(4, 6, 5)); },
                       {"dynamic_rnn: inputs", "depth 5", "input size 3"});
}

#ifdef SEQ2SEQ_COUNTS_ALLOCATIONS
TEST(MultiRNNCell, AllocatesNothingPerStepEvenWithAnAttentionWrapperLayer) {
  SEQ2SEQ_SKIP_UNLESS_EIGEN_GEMM();
  // A GNMT-style stack: layer 0 is an AttentionWrapper keeping its alignment history, which only
  // stays allocation-free if MultiRNNCell forwards reserve_steps to it.
  const Index B = 4, I = 3, H = 6, Tm = 5, Dm = 4, U = 3;
  Tensor3<double> memory = inputs(B, Tm, Dm);
  seq2seq::BahdanauAttentionWeights<double> w{golden::zeros<double>(Dm, U),
                                              golden::zeros<double>(H, U),
                                              golden::zeros<double>(U), 0, {}};
  w.attention_v.setConstant(0.5);
  AttentionWrapperConfig<double> config;
  config.alignment_history = true;
  const AttentionWrapper attention(gru(I + Dm, H), BahdanauAttention<double>(U, memory, {}, w),
                                   config);
  const MultiRNNCell plain(lstm(I, 5), gru(5, 2));
  const MultiRNNCell gnmt(attention, lstm(Dm, 4));
  long counts[2][2];
  for (int k = 0; k < 2; ++k) {
    const Index T = k == 0 ? 3 : 12;
    const auto x = inputs(B, T, I);
    const std::vector<int64_t> len(B, T - 1);
    counts[0][k] = steady_allocations_during([&] { dynamic_rnn(plain, x, len); });
    counts[1][k] = steady_allocations_during([&] {
      const auto r = dynamic_rnn(gnmt, x, len);
      EXPECT_EQ(std::get<0>(r.final_state).alignment_history.dimension(0), T - 1);
    });
  }
  EXPECT_GT(counts[0][0], 0);
  EXPECT_EQ(counts[0][0], counts[0][1]) << "MultiRNNCell allocations grow with steps";
  EXPECT_EQ(counts[1][0], counts[1][1]) << "an AttentionWrapper layer's history grows per step";
}
#endif

}  // namespace
