// AttentionWrapper(GRUCell | LSTMCell, BahdanauAttention) under dynamic_rnn against
// tfa.seq2seq.AttentionWrapper under tf.compat.v1.nn.dynamic_rnn in graph mode
// (tests/golden/attention_wrapper_*, tutorial_encoder_f32): every output and every field of the
// final AttentionWrapperState, alignment_history included, for normalize on/off x
// attention_layer_size none/5 x output_attention true/false, ragged input lengths (1 and full)
// and memory lengths, time-major input with an early stop and a state made by clone, float32
// and float64.
//
// TF 1.x vs TFA: TFA's state has no `time` field. In TF 1.x `time` counts the loop's steps and is
// never masked by dynamic_rnn, and alignment_history gets exactly one entry per step (TF 1.x
// writes it at index `time`, TFA at `size()`: the same index from a zero state). The generator
// therefore stores the number of history entries TFA wrote as metadata "time", and we check our
// `time` against it; with an early stop (clone_time_major cases) that is max(lengths) < max_time.
#include <seq2seq/attention/attention_wrapper.hpp>

#include <seq2seq/attention/bahdanau_attention.hpp>
#include <seq2seq/cells/gru_cell.hpp>
#include <seq2seq/cells/lstm_cell.hpp>
#include <seq2seq/rnn/dynamic_rnn.hpp>

#include "golden.hpp"
#include "tutorial_encoder.hpp"

namespace {

using seq2seq::AttentionWrapper;
using seq2seq::AttentionWrapperConfig;
using seq2seq::BahdanauAttention;
using seq2seq::dynamic_rnn;
using seq2seq::GRUCell;
using seq2seq::Index;
using seq2seq::Tensor1;
using seq2seq::Tensor2;
using seq2seq::Tensor3;

template <class Cell, class File>
void run_case(Cell cell, const File& f) {
  using T = typename Cell::Scalar;
  AttentionWrapperConfig<T> config;
  if (const long size = golden::meta_int(f, "attention_layer_size"); size > 0) {
    config.attention_layer_size = size;
    config.attention_layer_kernel = f.template tensor<T, 2>("attention_layer/kernel");
  }
  config.alignment_history = golden::meta_int(f, "alignment_history") != 0;
  config.output_attention = golden::meta_int(f, "output_attention") != 0;
  const AttentionWrapper<Cell, BahdanauAttention<T>> wrapper(
      std::move(cell), golden::make_bahdanau<T>(f), config);

  const Tensor3<T> inputs = f.template tensor<T, 3>("inputs");
  const bool time_major = golden::meta_int(f, "time_major") != 0;
  auto initial = wrapper.zero_state(inputs.dimension(time_major ? 1 : 0));
  if (f.contains("initial_cell_state/h")) {
    initial = initial.clone(
        golden::load_state<typename Cell::state_type, T>(f, "initial_cell_state/"));
  }
  const auto [outputs, state] = dynamic_rnn(wrapper, inputs, golden::lengths(f, "sequence_length"),
                                            initial, time_major);
  golden::expect_close(outputs, f.template tensor<T, 3>("outputs"), "outputs");
  golden::expect_state(state.cell_state, f, "final_state/cell_state/");
  golden::expect_close(state.attention, f.template tensor<T, 2>("final_state/attention"),
                       "attention");
  golden::expect_close(state.alignments, f.template tensor<T, 2>("final_state/alignments"),
                       "alignments");
  golden::expect_close(state.attention_state,
                       f.template tensor<T, 2>("final_state/attention_state"), "attention_state");
  golden::expect_close(state.alignment_history,
                       f.template tensor<T, 3>("final_state/alignment_history"),
                       "alignment_history");
  EXPECT_EQ(state.time, golden::meta_int(f, "time"));
}

void run_any(const std::string& name) {
  golden::with_dtype(name, [](auto tag, const auto& file) {
    using T = decltype(tag);
    if (file.metadata("cell") == "gru") {
      run_case(golden::make_gru<T>(file), file);
    } else {
      run_case(golden::make_lstm<T>(file), file);
    }
  });
}

TEST(AttentionWrapper, DynamicRnnEqualsTensorFlow) {
  const auto names = golden::cases("attention_wrapper_");
  // {gru, lstm} x normalize x attention_layer_size x output_attention, plus clone/time-major
  // and no-lengths cases, and all lengths 0 (one step still runs), each in f32 and f64.
  ASSERT_EQ(names.size(), 2u * (16 + 4 + 1));
  for (const auto& name : names) run_any(name);
}

TEST(AttentionWrapper, TutorialEncoderEqualsTensorFlow) {
  ASSERT_EQ(golden::cases("tutorial_encoder_f32").size(), 1u);
  run_any(std::string("tutorial_encoder_f32.safetensors"));
}

TEST(AttentionWrapper, TutorialExamplePrintsTensorFlowsNumbers) {
  // examples/tutorial_encoder.cpp builds its weights and inputs from a formula; they must be the
  // ones TensorFlow used for the fixture, and its run must give TensorFlow's outputs and state.
  const auto f = golden::open("tutorial_encoder_f32.safetensors");
  ASSERT_EQ(f.metadata("weights"), "wave");
  const auto wrapper = tutorial::encoder();
  const auto& cell = wrapper.cell().weights();
  const auto& mech = wrapper.attention_mechanism().weights();
  golden::expect_close(cell.gates_kernel, f.tensor<float, 2>("cell/gates/kernel"), "gates/kernel");
  golden::expect_close(cell.gates_bias, f.tensor<float, 1>("cell/gates/bias"), "gates/bias");
  golden::expect_close(cell.candidate_kernel, f.tensor<float, 2>("cell/candidate/kernel"),
                       "candidate/kernel");
  golden::expect_close(cell.candidate_bias, f.tensor<float, 1>("cell/candidate/bias"),
                       "candidate/bias");
  golden::expect_close(mech.memory_layer_kernel, f.tensor<float, 2>("memory_layer/kernel"),
                       "memory_layer/kernel");
  golden::expect_close(mech.query_layer_kernel, f.tensor<float, 2>("query_layer/kernel"),
                       "query_layer/kernel");
  golden::expect_close(mech.attention_v, f.tensor<float, 1>("attention_v"), "attention_v");
  const auto inputs = tutorial::inputs();
  golden::expect_close(inputs, f.tensor<float, 3>("inputs"), "inputs");
  EXPECT_EQ(tutorial::kSequenceLength, f.integers("sequence_length"));
  EXPECT_EQ(tutorial::kSequenceLength, f.integers("memory_sequence_length"));

  const auto [outputs, state] = dynamic_rnn(wrapper, inputs, tutorial::kSequenceLength);
  golden::expect_close(outputs, f.tensor<float, 3>("outputs"), "outputs");
  golden::expect_state(state.cell_state, f, "final_state/cell_state/");
  golden::expect_close(state.attention, f.tensor<float, 2>("final_state/attention"), "attention");
  golden::expect_close(state.alignment_history,
                       f.tensor<float, 3>("final_state/alignment_history"), "alignment_history");
  EXPECT_EQ(state.time, 5);
}

// A small double-precision wrapper for the property and error tests.
struct Small {
  static constexpr Index B = 2, Tm = 3, Dm = 4, U = 3, H = 5, I = 2;
  Tensor3<double> memory{B, Tm, Dm};
  seq2seq::BahdanauAttentionWeights<double> w{golden::zeros<double>(Dm, U), golden::zeros<double>(H, U),
                                              golden::zeros<double>(U), 0, {}};
  Small() {
    for (Index i = 0; i < memory.size(); ++i) memory.data()[i] = std::sin(0.9 * i);
    for (Index i = 0; i < w.memory_layer_kernel.size(); ++i) {
      w.memory_layer_kernel.data()[i] = std::cos(0.4 * i);
    }
    for (Index i = 0; i < w.query_layer_kernel.size(); ++i) {
      w.query_layer_kernel.data()[i] = std::sin(0.2 * i + 1);
    }
    w.attention_v.setConstant(0.7);
  }
  GRUCell<double> gru(Index attention_size) const {
    Tensor2<double> gk(I + attention_size + H, 2 * H), ck(I + attention_size + H, H);
    Tensor1<double> gb(2 * H), cb(H);
    for (Index i = 0; i < gk.size(); ++i) gk.data()[i] = std::sin(0.37 * i);
    for (Index i = 0; i < ck.size(); ++i) ck.data()[i] = std::cos(0.21 * i);
    gb.setConstant(0.3);
    cb.setConstant(-0.1);
    return GRUCell<double>(H, {gk, gb, ck, cb});
  }
  BahdanauAttention<double> mechanism(std::vector<int64_t> lengths = {3, 2}) const {
    return BahdanauAttention<double>(U, memory, std::move(lengths), w);
  }
  Tensor3<double> inputs(Index batch, Index time) const {
    Tensor3<double> x(batch, time, I);
    for (Index i = 0; i < x.size(); ++i) x.data()[i] = std::cos(1.3 * i);
    return x;
  }
};

TEST(AttentionWrapper, ZeroStateHasTensorFlowsShapes) {
  Small s;
  AttentionWrapperConfig<double> config;
  config.alignment_history = true;
  const AttentionWrapper wrapper(s.gru(Small::Dm), s.mechanism(), config);
  const auto z = wrapper.zero_state(Small::B);
  EXPECT_EQ(seq2seq::shape_string(z.cell_state), "[2,5]");
  EXPECT_EQ(seq2seq::shape_string(z.attention), "[2,4]");
  EXPECT_EQ(z.time, 0);
  EXPECT_EQ(seq2seq::shape_string(z.alignments), "[2,3]");
  EXPECT_EQ(seq2seq::shape_string(z.alignment_history), "[0,2,3]");
  EXPECT_EQ(seq2seq::shape_string(z.attention_state), "[2,3]");
  EXPECT_EQ(wrapper.input_size(), Small::I);
  EXPECT_EQ(wrapper.output_size(), Small::Dm);
}

TEST(AttentionWrapper, StepByStepEqualsDynamicRnnWithoutLengths) {
  // TF's wrapper(inputs, state) called T times must give what dynamic_rnn gives.
  Small s;
  AttentionWrapperConfig<double> config;
  config.alignment_history = true;
  const AttentionWrapper wrapper(s.gru(Small::Dm), s.mechanism(), config);
  const auto x = s.inputs(Small::B, 3);
  const auto [outputs, final_state] = dynamic_rnn(wrapper, x);
  auto state = wrapper.zero_state(Small::B);
  for (Index t = 0; t < 3; ++t) {
    Tensor2<double> x_t(Small::B, Small::I);
    for (Index b = 0; b < Small::B; ++b) {
      for (Index d = 0; d < Small::I; ++d) x_t(b, d) = x(b, t, d);
    }
    auto [out, next] = wrapper(x_t, state);
    for (Index b = 0; b < Small::B; ++b) {
      for (Index d = 0; d < Small::Dm; ++d) EXPECT_NEAR(out(b, d), outputs(b, t, d), 1e-14);
    }
    state = std::move(next);
  }
  EXPECT_EQ(state.time, 3);
  ASSERT_EQ(seq2seq::shape_string(state.alignment_history), "[3,2,3]");
  for (Index i = 0; i < state.alignment_history.size(); ++i) {
    EXPECT_NEAR(state.alignment_history.data()[i], final_state.alignment_history.data()[i],
                1e-14);
  }
}

TEST(AttentionWrapper, RejectsMemoryBatchDifferentFromInputBatch) {
  Small s;
  const AttentionWrapper wrapper(s.gru(Small::Dm), s.mechanism());
  golden::expect_error([&] { dynamic_rnn(wrapper, s.inputs(3, 4)); },
                       {"batch_size 3", "memory batch 2", "[2,3,4]"});
  golden::expect_error([&] { wrapper.zero_state(1); }, {"zero_state", "memory batch 2"});
}

TEST(AttentionWrapper, RejectsCloneWithTheWrongCellState) {
  Small s;
  const AttentionWrapper wrapper(s.gru(Small::Dm), s.mechanism());
  const auto z = wrapper.zero_state(Small::B);
  golden::expect_error([&] { z.clone(golden::zeros<double>(3, Small::H)); },
                       {"clone", "[3,5]", "[2,5]"});
  golden::expect_error([&] { z.clone(golden::zeros<double>(Small::B, 4)); },
                       {"clone", "[2,4]", "[2,5]"});
  Tensor2<double> encoder_state(Small::B, Small::H);
  encoder_state.setConstant(0.5);
  const auto cloned = z.clone(encoder_state);
  EXPECT_EQ(cloned.cell_state(1, 4), 0.5);
  EXPECT_EQ(z.cell_state(1, 4), 0.0);
}

TEST(AttentionWrapper, RejectsAnInitialStateOfTheWrongShape) {
  Small s;
  const AttentionWrapper wrapper(s.gru(Small::Dm), s.mechanism());
  auto bad = wrapper.zero_state(Small::B);
  bad.attention = golden::zeros<double>(Small::B, 3);
  golden::expect_error([&] { dynamic_rnn(wrapper, s.inputs(2, 4), {}, bad); },
                       {"initial_state.attention", "[2,3]", "[2,4]"});
  bad = wrapper.zero_state(Small::B);
  bad.cell_state = golden::zeros<double>(Small::B, 6);
  golden::expect_error([&] { dynamic_rnn(wrapper, s.inputs(2, 4), {}, bad); },
                       {"initial_state.cell_state", "[2,6]", "[2,5]"});
}

TEST(AttentionWrapper, RejectsPiecesThatDoNotFit) {
  Small s;
  AttentionWrapperConfig<double> config;
  config.attention_layer_size = 6;
  config.attention_layer_kernel = golden::zeros<double>(Small::H + Small::Dm, 5);
  golden::expect_error([&] { AttentionWrapper(s.gru(6), s.mechanism(), config); },
                       {"attention_layer/kernel", "[9,5]", "[9,6]"});
  config = {};
  config.attention_layer_kernel = golden::zeros<double>(9, 6);
  golden::expect_error([&] { AttentionWrapper(s.gru(Small::Dm), s.mechanism(), config); },
                       {"attention_layer/kernel", "without attention_layer_size"});
  // The cell's input must be input depth + attention size: 4 leaves no room next to 4.
  golden::expect_error([&] { AttentionWrapper(s.gru(2), s.mechanism()); },
                       {"input size 4", "attention size 4"});
  auto w = s.w;
  w.query_layer_kernel = golden::zeros<double>(4, Small::U);
  golden::expect_error(
      [&] { AttentionWrapper(s.gru(Small::Dm), BahdanauAttention<double>(Small::U, s.memory, {}, w)); },
      {"query depth 4", "[4,3]", "cell output size 5"});
}

}  // namespace
