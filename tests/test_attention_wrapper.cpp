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

#include <tuple>

#include "alloc_counter.hpp"
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
                       {"input size 4", "attention_size (4)"});
  auto w = s.w;
  w.query_layer_kernel = golden::zeros<double>(4, Small::U);
  golden::expect_error(
      [&] { AttentionWrapper(s.gru(Small::Dm), BahdanauAttention<double>(Small::U, s.memory, {}, w)); },
      {"query depth 4", "cell output size 5", "memory [2,3,4]"});
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The rest of TF's AttentionWrapper constructor (tests/golden/wrapper_*, tools/reference/
// golden_wrapper.py): several mechanisms (TF's multi mode, also a list of one), attention_layer_size
// per mechanism, a user attention_layer (Dense(size, tanh, no bias)), a user cell_input_fn and
// initial_cell_state, clone of a multi state; every output and every state field per mechanism.

namespace {

using seq2seq::AttentionLayerFn;
using seq2seq::AttentionWrapperState;
using seq2seq::CellInputFn;
using seq2seq::ConstMatrixRef;
using seq2seq::LSTMCell;
using seq2seq::LSTMStateTuple;
using seq2seq::MatrixRef;
using seq2seq::MultiAttentionWrapperConfig;
using seq2seq::MultiAttentionWrapperState;
using seq2seq::RowMatrix;
using seq2seq::io::SafetensorsFile;

// A mechanism of another type (its own Workspace) that forwards to a BahdanauAttention: mixing
// it with a BahdanauAttention proves that one wrapper takes mechanisms of different types.
template <class T>
class Forwarding {
 public:
  using Scalar = T;
  struct Workspace {
    typename BahdanauAttention<T>::Workspace inner;
  };
  explicit Forwarding(BahdanauAttention<T> m) : m_(std::move(m)) {}
  Index batch_size() const { return m_.batch_size(); }
  Index alignments_size() const { return m_.alignments_size(); }
  Index memory_depth() const { return m_.memory_depth(); }
  Index query_depth() const { return m_.query_depth(); }
  const Tensor3<T>& values() const { return m_.values(); }
  Tensor2<T> initial_alignments(Index batch) const { return m_.initial_alignments(batch); }
  Tensor2<T> initial_state(Index batch) const { return m_.initial_state(batch); }
  Workspace make_workspace() const { return {m_.make_workspace()}; }
  void align(ConstMatrixRef<T> query, ConstMatrixRef<T> state, MatrixRef<T> alignments,
             Workspace& ws) const {
    m_.align(query, state, alignments, ws.inner);
  }

 private:
  BahdanauAttention<T> m_;
};

std::string str(std::size_t i) { return std::to_string(i); }

// Mechanism i of a wrapper_* fixture.
template <class T>
BahdanauAttention<T> mechanism(const SafetensorsFile& f, std::size_t i) {
  const std::string p = "mechanism" + str(i) + "/";
  const bool normalize = golden::meta_int(f, "normalize" + str(i)) != 0;
  seq2seq::BahdanauAttentionWeights<T> w{f.tensor<T, 2>(p + "memory_layer/kernel"),
                                         f.tensor<T, 2>(p + "query_layer/kernel"),
                                         f.tensor<T, 1>(p + "attention_v"), T(0), {}};
  if (normalize) {
    w.attention_g = static_cast<T>(f.scalar(p + "attention_g"));
    w.attention_b = f.tensor<T, 1>(p + "attention_b");
  }
  return BahdanauAttention<T>(golden::meta_int(f, "attention_units" + str(i)),
                              f.tensor<T, 3>(p + "memory"),
                              golden::lengths(f, p + "memory_sequence_length"), std::move(w),
                              normalize);
}

// Keras Dense(size, activation="tanh", use_bias=False) over [cell_output ; context].
template <class T>
AttentionLayerFn<T> tanh_dense(const Tensor2<T>& kernel) {
  const RowMatrix<T> k = seq2seq::detail::as_matrix(kernel);
  return {[k](ConstMatrixRef<T> in, MatrixRef<T> out) {
            out.noalias() = in * k;
            out = out.array().tanh();
          },
          kernel.dimension(1)};
}

// The fixture's cell_input_fn (golden_wrapper.CELL_INPUT_FNS); empty for TF's default.
template <class T>
CellInputFn<T> cell_input_fn(const std::string& kind, Index depth, Index attention) {
  if (kind == "attention_twice_inputs") {
    return {[](ConstMatrixRef<T> x, ConstMatrixRef<T> a, MatrixRef<T> out) {
              out.leftCols(a.cols()) = a;
              out.rightCols(x.cols()) = T(2) * x;
            },
            depth, attention + depth};
  }
  if (kind == "attention_twice_inputs_squares") {
    return {[](ConstMatrixRef<T> x, ConstMatrixRef<T> a, MatrixRef<T> out) {
              out.leftCols(a.cols()) = a;
              out.middleCols(a.cols(), x.cols()) = T(2) * x;
              out.rightCols(x.cols()) = x.array().square().matrix();
            },
            depth, attention + 2 * depth};
  }
  EXPECT_EQ(kind, "default");
  return {};
}

// Mechanism i's fields of either state type.
template <class C, class T>
auto mechanism_fields(const AttentionWrapperState<C, T>& s, std::size_t) {
  return std::tie(s.alignments, s.attention_state, s.alignment_history);
}
template <class C, class T>
auto mechanism_fields(const MultiAttentionWrapperState<C, T>& s, std::size_t i) {
  return std::tie(s.alignments.at(i), s.attention_state.at(i), s.alignment_history.at(i));
}

// Runs the wrapper like the fixture's dynamic_rnn and compares every output and state field.
template <class Wrapper>
void expect_tensorflows_run(const Wrapper& wrapper, const SafetensorsFile& f) {
  using T = typename Wrapper::Scalar;
  const Tensor3<T> inputs = f.tensor<T, 3>("inputs");
  const bool time_major = golden::meta_int(f, "time_major") != 0;
  std::optional<typename Wrapper::state_type> initial;
  if (golden::meta_int(f, "clone") != 0) {
    initial = wrapper.zero_state(inputs.dimension(time_major ? 1 : 0))
                  .clone(golden::load_state<typename Wrapper::cell_state_type, T>(
                      f, "initial_cell_state/"));
  }
  const auto [outputs, state] = dynamic_rnn(wrapper, inputs,
                                            golden::lengths(f, "sequence_length"), initial,
                                            time_major);
  golden::expect_close(outputs, f.tensor<T, 3>("outputs"), "outputs");
  golden::expect_state(state.cell_state, f, "final_state/cell_state/");
  golden::expect_close(state.attention, f.tensor<T, 2>("final_state/attention"), "attention");
  const auto n = static_cast<std::size_t>(golden::meta_int(f, "num_mechanisms"));
  for (std::size_t i = 0; i < n; ++i) {
    const auto [alignments, attention_state, history] = mechanism_fields(state, i);
    golden::expect_close(alignments, f.tensor<T, 2>("final_state/alignments/" + str(i)),
                         "alignments/" + str(i));
    golden::expect_close(attention_state,
                         f.tensor<T, 2>("final_state/attention_state/" + str(i)),
                         "attention_state/" + str(i));
    golden::expect_close(history, f.tensor<T, 3>("final_state/alignment_history/" + str(i)),
                         "alignment_history/" + str(i));
  }
  EXPECT_EQ(state.time, golden::meta_int(f, "time"));
}

template <class Cell>
std::optional<typename Cell::state_type> ctor_initial_cell_state(const SafetensorsFile& f) {
  if (golden::meta_int(f, "initial_cell_state") == 0) return std::nullopt;
  return golden::load_state<typename Cell::state_type, typename Cell::Scalar>(
      f, "initial_cell_state/");
}

// The attention width of mechanism i under the fixture's layer.
Index attention_width(const SafetensorsFile& f, std::size_t i) {
  return f.metadata("layer") == "none" ? golden::meta_int(f, "memory_depth" + str(i))
                                       : golden::meta_int(f, "attention_layer_size" + str(i));
}

// AttentionWrapper<Cell, BahdanauAttention> with the fixture's layer, cell_input_fn and
// initial_cell_state.
template <class Cell>
void run_single(Cell cell, const SafetensorsFile& f) {
  using T = typename Cell::Scalar;
  AttentionWrapperConfig<T> config;
  const std::string layer = f.metadata("layer");
  if (layer == "size") {
    config.attention_layer_size = golden::meta_int(f, "attention_layer_size0");
    config.attention_layer_kernel = f.tensor<T, 2>("attention_layer0/kernel");
  } else if (layer == "tanh_dense") {
    config.attention_layer = tanh_dense(f.tensor<T, 2>("attention_layer0/kernel"));
  }
  config.cell_input_fn = cell_input_fn<T>(f.metadata("cell_input_fn"),
                                          golden::meta_int(f, "input_depth"),
                                          attention_width(f, 0));
  config.alignment_history = true;
  config.output_attention = golden::meta_int(f, "output_attention") != 0;
  const AttentionWrapper<Cell, BahdanauAttention<T>> wrapper(
      std::move(cell), mechanism<T>(f, 0), config, ctor_initial_cell_state<Cell>(f));
  expect_tensorflows_run(wrapper, f);
}

// AttentionWrapper<Cell, std::tuple<...>> (TF's list of mechanisms) with the fixture's layers,
// cell_input_fn and initial_cell_state.
template <class Cell, class... Mechanisms>
void run_multi(Cell cell, std::tuple<Mechanisms...> mechanisms, const SafetensorsFile& f) {
  using T = typename Cell::Scalar;
  MultiAttentionWrapperConfig<T> config;
  const std::string layer = f.metadata("layer");
  Index attention = 0;
  for (std::size_t i = 0; i < sizeof...(Mechanisms); ++i) {
    const std::string kernel = "attention_layer" + str(i) + "/kernel";
    if (layer == "size") {
      config.attention_layer_size.push_back(golden::meta_int(f, "attention_layer_size" + str(i)));
      config.attention_layer_kernel.push_back(f.tensor<T, 2>(kernel));
    } else if (layer == "tanh_dense") {
      config.attention_layer.push_back(tanh_dense(f.tensor<T, 2>(kernel)));
    }
    attention += attention_width(f, i);
  }
  config.cell_input_fn = cell_input_fn<T>(f.metadata("cell_input_fn"),
                                          golden::meta_int(f, "input_depth"), attention);
  config.alignment_history = true;
  config.output_attention = golden::meta_int(f, "output_attention") != 0;
  const AttentionWrapper wrapper(std::move(cell), std::move(mechanisms), config,
                                 ctor_initial_cell_state<Cell>(f));
  static_assert(std::is_same_v<typename decltype(wrapper)::state_type,
                               MultiAttentionWrapperState<typename Cell::state_type, T>>);
  EXPECT_EQ(wrapper.attention_size(), attention);
  expect_tensorflows_run(wrapper, f);
}

template <class Cell>
void run_wrapper_case(Cell cell, const SafetensorsFile& f) {
  using T = typename Cell::Scalar;
  if (golden::meta_int(f, "multi") == 0) {
    ASSERT_EQ(golden::meta_int(f, "num_mechanisms"), 1);
    run_single(std::move(cell), f);
  } else if (golden::meta_int(f, "num_mechanisms") == 1) {
    run_multi(std::move(cell), std::tuple{mechanism<T>(f, 0)}, f);
  } else {
    ASSERT_EQ(golden::meta_int(f, "num_mechanisms"), 2);
    run_multi(cell, std::tuple{mechanism<T>(f, 0), mechanism<T>(f, 1)}, f);
    // The same numbers with the second mechanism of another type.
    run_multi(std::move(cell), std::tuple{mechanism<T>(f, 0), Forwarding<T>(mechanism<T>(f, 1))},
              f);
  }
}

TEST(AttentionWrapperComplete, DynamicRnnEqualsTensorFlow) {
  const auto names = golden::cases("wrapper_");
  // multi2 {gru, lstm} x attention_layer_size [5, 3] / none x output_attention (8), multi1 (2),
  // tanh layers (2), cell_input_fn (2), initial_cell_state (2), multi clone (1); f32 and f64.
  ASSERT_EQ(names.size(), 2u * 17);
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const SafetensorsFile& f) {
      using T = decltype(tag);
      if (f.metadata("cell") == "gru") {
        run_wrapper_case(golden::make_gru<T>(f), f);
      } else {
        run_wrapper_case(golden::make_lstm<T>(f), f);
      }
    });
  }
}

TEST(AttentionWrapperComplete, InitialCellStateIsUsedByZeroState) {
  // Without the ctor's initial_cell_state the same wrapper must give other numbers than TF's:
  // the fixture really depends on it.
  golden::with_dtype("wrapper_single_lstm_initial_cell_state_f64.safetensors",
                     [](auto tag, const SafetensorsFile& f) {
    using T = decltype(tag);
    using Cell = LSTMCell<T>;
    AttentionWrapperConfig<T> config;
    config.output_attention = false;
    const auto given = ctor_initial_cell_state<Cell>(f);
    ASSERT_TRUE(given.has_value());
    const AttentionWrapper<Cell, BahdanauAttention<T>> with(golden::make_lstm<T>(f),
                                                            mechanism<T>(f, 0), config, given);
    const AttentionWrapper<Cell, BahdanauAttention<T>> without(golden::make_lstm<T>(f),
                                                               mechanism<T>(f, 0), config);
    const auto z = with.zero_state(3);
    EXPECT_EQ(z.cell_state.c(1, 2), given->c(1, 2));
    EXPECT_EQ(z.cell_state.h(2, 5), given->h(2, 5));
    EXPECT_EQ(without.zero_state(3).cell_state.c(1, 2), T(0));
    const auto inputs = f.tensor<T, 3>("inputs");
    const auto lengths = golden::lengths(f, "sequence_length");
    const auto a = dynamic_rnn(with, inputs, lengths).outputs;
    const auto b = dynamic_rnn(without, inputs, lengths).outputs;
    const auto expected = f.tensor<T, 3>("outputs");
    double differ = 0;
    for (Index k = 0; k < expected.size(); ++k) {
      EXPECT_NEAR(a.data()[k], expected.data()[k], 1e-12);
      differ = std::max(differ, std::abs(static_cast<double>(b.data()[k] - expected.data()[k])));
    }
    EXPECT_GT(differ, 1e-3);
  });
}

// A second small memory for the multi-mechanism property and error tests: [B, 5, 3], 2 units.
BahdanauAttention<double> other_mechanism(Index batch = Small::B, Index query_depth = Small::H) {
  Tensor3<double> memory(batch, 5, 3);
  for (Index i = 0; i < memory.size(); ++i) memory.data()[i] = std::cos(0.7 * i);
  seq2seq::BahdanauAttentionWeights<double> w{golden::zeros<double>(3, 2),
                                              golden::zeros<double>(query_depth, 2),
                                              golden::zeros<double>(2), 0.8,
                                              golden::zeros<double>(2)};
  for (Index i = 0; i < w.memory_layer_kernel.size(); ++i) {
    w.memory_layer_kernel.data()[i] = std::sin(0.3 * i);
  }
  for (Index i = 0; i < w.query_layer_kernel.size(); ++i) {
    w.query_layer_kernel.data()[i] = std::cos(0.5 * i);
  }
  w.attention_v.setConstant(-0.6);
  std::vector<int64_t> lengths(static_cast<std::size_t>(batch), 5);
  lengths[0] = 2;
  return BahdanauAttention<double>(2, memory, lengths, w, /*normalize=*/true);
}

// Step t of batch-major inputs [B, T, D]: [B, D].
Tensor2<double> row_of(const Tensor3<double>& x, Index t) {
  Tensor2<double> x_t(x.dimension(0), x.dimension(2));
  for (Index b = 0; b < x.dimension(0); ++b) {
    for (Index d = 0; d < x.dimension(2); ++d) x_t(b, d) = x(b, t, d);
  }
  return x_t;
}

TEST(AttentionWrapperComplete, MultiZeroStateHasTensorFlowsShapes) {
  Small s;
  MultiAttentionWrapperConfig<double> config;
  config.attention_layer_size = {6, 1};
  config.attention_layer_kernel = {golden::zeros<double>(Small::H + Small::Dm, 6),
                                   golden::zeros<double>(Small::H + 3, 1)};
  config.alignment_history = true;
  const AttentionWrapper wrapper(s.gru(7), std::tuple{s.mechanism(), other_mechanism()}, config);
  EXPECT_EQ(wrapper.attention_size(), 7);
  EXPECT_EQ(wrapper.attention_size(0), 6);
  EXPECT_EQ(wrapper.attention_size(1), 1);
  EXPECT_EQ(wrapper.input_size(), Small::I);
  EXPECT_EQ(wrapper.output_size(), 7);
  const auto z = wrapper.zero_state(Small::B);
  EXPECT_EQ(seq2seq::shape_string(z.cell_state), "[2,5]");
  EXPECT_EQ(seq2seq::shape_string(z.attention), "[2,7]");
  EXPECT_EQ(z.time, 0);
  ASSERT_EQ(z.alignments.size(), 2u);
  ASSERT_EQ(z.alignment_history.size(), 2u);
  ASSERT_EQ(z.attention_state.size(), 2u);
  EXPECT_EQ(seq2seq::shape_string(z.alignments[0]), "[2,3]");
  EXPECT_EQ(seq2seq::shape_string(z.alignments[1]), "[2,5]");
  EXPECT_EQ(seq2seq::shape_string(z.alignment_history[0]), "[0,2,3]");
  EXPECT_EQ(seq2seq::shape_string(z.alignment_history[1]), "[0,2,5]");
  EXPECT_EQ(seq2seq::shape_string(z.attention_state[1]), "[2,5]");
}

TEST(AttentionWrapperComplete, ListOfOneMechanismComputesWhatTheBareMechanismComputes) {
  // TF's multi mode with one mechanism differs from the single form only in the state's
  // structure: the same outputs, attention and alignments, bit for bit.
  Small s;
  AttentionWrapperConfig<double> single_config;
  single_config.alignment_history = true;
  single_config.attention_layer_size = 3;
  single_config.attention_layer_kernel = golden::zeros<double>(Small::H + Small::Dm, 3);
  for (Index i = 0; i < single_config.attention_layer_kernel.size(); ++i) {
    single_config.attention_layer_kernel.data()[i] = std::sin(1.1 * i);
  }
  MultiAttentionWrapperConfig<double> multi_config;
  multi_config.alignment_history = true;
  multi_config.attention_layer_size = {3};
  multi_config.attention_layer_kernel = {single_config.attention_layer_kernel};
  const AttentionWrapper single(s.gru(3), s.mechanism(), single_config);
  const AttentionWrapper multi(s.gru(3), std::tuple{s.mechanism()}, multi_config);
  const auto x = s.inputs(Small::B, 4);
  const std::vector<int64_t> lengths{4, 2};
  const auto a = dynamic_rnn(single, x, lengths);
  const auto b = dynamic_rnn(multi, x, lengths);
  ASSERT_EQ(b.final_state.alignments.size(), 1u);
  for (Index k = 0; k < a.outputs.size(); ++k) EXPECT_EQ(a.outputs.data()[k], b.outputs.data()[k]);
  for (Index k = 0; k < a.final_state.attention.size(); ++k) {
    EXPECT_EQ(a.final_state.attention.data()[k], b.final_state.attention.data()[k]);
  }
  for (Index k = 0; k < a.final_state.alignment_history.size(); ++k) {
    EXPECT_EQ(a.final_state.alignment_history.data()[k],
              b.final_state.alignment_history[0].data()[k]);
  }
  EXPECT_EQ(seq2seq::shape_string(b.final_state.alignment_history[0]), "[4,2,3]");
  EXPECT_EQ(b.final_state.time, 4);
}

TEST(AttentionWrapperComplete, MultiStepByStepEqualsDynamicRnn) {
  // TF's wrapper(inputs, state) T times (each call allocates and grows the histories) must give
  // what dynamic_rnn gives; the attention is the mechanisms' attentions side by side.
  Small s;
  MultiAttentionWrapperConfig<double> config;
  config.alignment_history = true;
  const AttentionWrapper wrapper(s.gru(Small::Dm + 3), std::tuple{s.mechanism(), other_mechanism()},
                                 config);
  const auto x = s.inputs(Small::B, 3);
  const auto [outputs, final_state] = dynamic_rnn(wrapper, x);
  auto state = wrapper.zero_state(Small::B);
  for (Index t = 0; t < 3; ++t) {
    auto [out, next] = wrapper(row_of(x, t), state);
    for (Index b = 0; b < Small::B; ++b) {
      for (Index d = 0; d < Small::Dm + 3; ++d) EXPECT_NEAR(out(b, d), outputs(b, t, d), 1e-14);
    }
    state = std::move(next);
  }
  EXPECT_EQ(state.time, 3);
  for (std::size_t i = 0; i < 2; ++i) {
    ASSERT_EQ(seq2seq::shape_string(state.alignment_history[i]),
              seq2seq::shape_string(final_state.alignment_history[i]));
    for (Index k = 0; k < state.alignment_history[i].size(); ++k) {
      EXPECT_NEAR(state.alignment_history[i].data()[k],
                  final_state.alignment_history[i].data()[k], 1e-14);
    }
  }
  // Without a layer, attention = [context_0 ; context_1]: context_1 = alignments_1 · values_1.
  const auto m1 = other_mechanism();
  for (Index b = 0; b < Small::B; ++b) {
    for (Index d = 0; d < 3; ++d) {
      double context = 0;
      for (Index t = 0; t < 5; ++t) context += state.alignments[1](b, t) * m1.values()(b, t, d);
      EXPECT_NEAR(state.attention(b, Small::Dm + d), context, 1e-14);
    }
  }
  // Row 0 of mechanism 1 has memory length 2: its alignments past 2 are exactly 0.
  EXPECT_EQ(state.alignments[1](0, 2), 0.0);
  EXPECT_GT(state.alignments[1](0, 1), 0.0);
}

TEST(AttentionWrapperComplete, CellInputFnReceivesTheInputsAndThePreviousAttention) {
  // A cell_input_fn that writes [attention ; inputs] must give TF's default concat [inputs ;
  // attention] once the cell's kernel rows are swapped accordingly.
  Small s;
  const auto gru = s.gru(Small::Dm);
  auto w = gru.weights();
  auto swap_rows = [](const Tensor2<double>& k) {
    Tensor2<double> out = k;  // rows [I ; A ; H] -> [A ; I ; H]
    for (Index c = 0; c < k.dimension(1); ++c) {
      for (Index r = 0; r < Small::Dm; ++r) out(r, c) = k(Small::I + r, c);
      for (Index r = 0; r < Small::I; ++r) out(Small::Dm + r, c) = k(r, c);
    }
    return out;
  };
  w.gates_kernel = swap_rows(w.gates_kernel);
  w.candidate_kernel = swap_rows(w.candidate_kernel);
  AttentionWrapperConfig<double> config;
  config.alignment_history = true;
  config.cell_input_fn = {[](ConstMatrixRef<double> x, ConstMatrixRef<double> a,
                             MatrixRef<double> out) {
                            out.leftCols(a.cols()) = a;
                            out.rightCols(x.cols()) = x;
                          },
                          Small::I, Small::I + Small::Dm};
  const AttentionWrapper plain(gru, s.mechanism());
  const AttentionWrapper swapped(GRUCell<double>(Small::H, w), s.mechanism(), config);
  EXPECT_EQ(swapped.input_size(), Small::I);
  const auto x = s.inputs(Small::B, 4);
  const auto a = dynamic_rnn(plain, x, {4, 3}).outputs;
  const auto b = dynamic_rnn(swapped, x, {4, 3}).outputs;
  for (Index k = 0; k < a.size(); ++k) EXPECT_NEAR(a.data()[k], b.data()[k], 1e-13);
}

TEST(AttentionWrapperComplete, MultiRejectsMemoryBatchesThatDiffer) {
  Small s;
  golden::expect_error(
      [&] { AttentionWrapper(s.gru(7), std::tuple{s.mechanism(), other_mechanism(3)}); },
      {"AttentionWrapper", "mechanism 1", "memory batch 3", "[3,5,3]", "memory batch 2",
       "[2,3,4]"});
  golden::expect_error(
      [&] { AttentionWrapper(s.gru(7), std::tuple{s.mechanism(), other_mechanism(2, 4)}); },
      {"mechanism 1's query depth 4", "cell output size 5", "[2,5,3]"});
  const AttentionWrapper wrapper(s.gru(7), std::tuple{s.mechanism(), other_mechanism()});
  golden::expect_error([&] { dynamic_rnn(wrapper, s.inputs(3, 4)); },
                       {"batch_size 3", "memory batch 2", "[2,3,4]"});
  golden::expect_error([&] { wrapper.zero_state(1); }, {"zero_state", "memory batch 2"});
}

TEST(AttentionWrapperComplete, RejectsAttentionLayerListsThatDoNotFit) {
  Small s;
  const auto two = [&] { return std::tuple{s.mechanism(), other_mechanism()}; };
  MultiAttentionWrapperConfig<double> config;
  config.attention_layer_size = {4};  // TF: a single size for two mechanisms is an error too
  config.attention_layer_kernel = {golden::zeros<double>(9, 4)};
  golden::expect_error([&] { AttentionWrapper(s.gru(4), two(), config); },
                       {"attention_layer_size has 1 entries", "one per attention mechanism (2)"});
  config.attention_layer_size = {4, 2};
  golden::expect_error([&] { AttentionWrapper(s.gru(6), two(), config); },
                       {"attention_layer_kernel has 1 entries", "(2)"});
  config.attention_layer_kernel = {golden::zeros<double>(9, 4), golden::zeros<double>(8, 3)};
  golden::expect_error([&] { AttentionWrapper(s.gru(6), two(), config); },
                       {"attention_layer_1/kernel", "[8,3]", "[8,2]"});
  config.attention_layer_kernel = {golden::zeros<double>(9, 4), golden::zeros<double>(8, 2)};
  const auto noop = [](ConstMatrixRef<double>, MatrixRef<double>) {};
  config.attention_layer = {AttentionLayerFn<double>{noop, 2}, AttentionLayerFn<double>{noop, 2}};
  golden::expect_error([&] { AttentionWrapper(s.gru(6), two(), config); },
                       {"only one of attention_layer_size", "attention_layer"});
  config.attention_layer_size.clear();
  config.attention_layer_kernel.clear();
  config.attention_layer.pop_back();
  golden::expect_error([&] { AttentionWrapper(s.gru(4), two(), config); },
                       {"attention_layer has 1 entries", "one per attention mechanism (2)"});
  config.attention_layer.push_back({});
  golden::expect_error([&] { AttentionWrapper(s.gru(4), two(), config); },
                       {"attention_layer[1].size=0", "without attention_layer[1].fn"});
  MultiAttentionWrapperConfig<double> kernels_only;
  kernels_only.attention_layer_kernel = {golden::zeros<double>(9, 4), golden::zeros<double>(8, 2)};
  golden::expect_error([&] { AttentionWrapper(s.gru(6), two(), kernels_only); },
                       {"attention_layer_kernel (2 entries) given without attention_layer_size"});
}

TEST(AttentionWrapperComplete, RejectsAttentionLayerTogetherWithAttentionLayerSize) {
  Small s;
  AttentionWrapperConfig<double> config;
  config.attention_layer_size = 4;
  config.attention_layer_kernel = golden::zeros<double>(9, 4);
  config.attention_layer = {[](ConstMatrixRef<double>, MatrixRef<double>) {}, 4};
  golden::expect_error([&] { AttentionWrapper(s.gru(4), s.mechanism(), config); },
                       {"only one of attention_layer_size=4 and attention_layer (size 4)"});
  config = {};
  config.attention_layer = {[](ConstMatrixRef<double>, MatrixRef<double>) {}, 0};
  golden::expect_error([&] { AttentionWrapper(s.gru(4), s.mechanism(), config); },
                       {"attention_layer.size=0", "must be positive"});
  config.attention_layer = {nullptr, 3};
  golden::expect_error([&] { AttentionWrapper(s.gru(4), s.mechanism(), config); },
                       {"attention_layer.size=3", "without attention_layer.fn"});
  // A user layer of width 3 makes the attention 3 wide, whatever the memory depth (4): a cell
  // taking 6 inputs leaves 3 for the wrapper's inputs, one taking 3 leaves none.
  config.attention_layer = {[](ConstMatrixRef<double>, MatrixRef<double> out) { out.setZero(); },
                            3};
  const AttentionWrapper wrapper(s.gru(4), s.mechanism(), config);
  EXPECT_EQ(wrapper.attention_size(), 3);
  EXPECT_EQ(wrapper.input_size(), 3);
  EXPECT_EQ(wrapper.output_size(), 3);
  golden::expect_error([&] { AttentionWrapper(s.gru(1), s.mechanism(), config); },
                       {"input size 3", "attention_size (3)"});
}

TEST(AttentionWrapperComplete, RejectsCellInputFnWidthsThatDoNotFit) {
  Small s;
  const auto noop = [](ConstMatrixRef<double>, ConstMatrixRef<double>, MatrixRef<double>) {};
  AttentionWrapperConfig<double> config;
  config.cell_input_fn = {noop, 3, 8};
  golden::expect_error([&] { AttentionWrapper(s.gru(Small::Dm), s.mechanism(), config); },
                       {"cell_input_fn.output_size=8", "cell's input size 6", "[B,3]", "[B,4]"});
  config.cell_input_fn = {noop, 0, 6};
  golden::expect_error([&] { AttentionWrapper(s.gru(Small::Dm), s.mechanism(), config); },
                       {"cell_input_fn.input_size=0", "must be positive"});
  config.cell_input_fn = {nullptr, 3, 6};
  golden::expect_error([&] { AttentionWrapper(s.gru(Small::Dm), s.mechanism(), config); },
                       {"without cell_input_fn.fn"});
  // With a fitting one the wrapper's input size is the declared one, whatever the cell takes.
  config.cell_input_fn = {noop, 7, 6};
  const AttentionWrapper wrapper(s.gru(Small::Dm), s.mechanism(), config);
  EXPECT_EQ(wrapper.input_size(), 7);
  golden::expect_error([&] { dynamic_rnn(wrapper, s.inputs(2, 3)); },
                       {"depth 2", "input size 7"});
  MultiAttentionWrapperConfig<double> multi;
  multi.cell_input_fn = {noop, 2, 10};
  golden::expect_error(
      [&] { AttentionWrapper(s.gru(7), std::tuple{s.mechanism(), other_mechanism()}, multi); },
      {"cell_input_fn.output_size=10", "cell's input size 9", "attention [B,7]"});
}

TEST(AttentionWrapperComplete, RejectsInitialCellStateOfTheWrongBatchOrWidth) {
  Small s;
  golden::expect_error(
      [&] { AttentionWrapper(s.gru(Small::Dm), s.mechanism(), {}, golden::zeros<double>(3, 5)); },
      {"AttentionWrapper: initial_cell_state", "[3,5]", "[2,5]", "memory batch 2", "[2,3,4]"});
  golden::expect_error(
      [&] { AttentionWrapper(s.gru(Small::Dm), s.mechanism(), {}, golden::zeros<double>(2, 4)); },
      {"initial_cell_state", "[2,4]", "[2,5]"});
  const Index H = Small::H;
  const LSTMCell<double> lstm(
      H, {golden::zeros<double>(Small::I + 7 + H, 4 * H), golden::zeros<double>(4 * H)});
  golden::expect_error(
      [&] {
        AttentionWrapper(lstm, std::tuple{s.mechanism(), other_mechanism()}, {},
                         LSTMStateTuple<double>{golden::zeros<double>(2, 5),
                                                golden::zeros<double>(1, 5)});
      },
      {"initial_cell_state.h", "[1,5]", "[2,5]", "memory batch 2"});
}

TEST(AttentionWrapperComplete, MultiCloneChecksStructureAndShapes) {
  Small s;
  MultiAttentionWrapperConfig<double> config;
  config.alignment_history = true;
  const AttentionWrapper wrapper(s.gru(Small::Dm + 3), std::tuple{s.mechanism(), other_mechanism()},
                                 config);
  const auto z = wrapper.zero_state(Small::B);
  golden::expect_error([&] { z.clone(golden::zeros<double>(3, Small::H)); },
                       {"clone", "cell_state", "[3,5]", "[2,5]"});
  using Fields = decltype(z)::Fields;
  Fields fields;
  fields.alignments = std::vector<Tensor2<double>>{golden::zeros<double>(2, 3)};
  golden::expect_error([&] { z.clone(fields); },
                       {"clone", "alignments has 1 entries, expected 2", "structures differ"});
  fields.alignments = std::vector<Tensor2<double>>{golden::zeros<double>(2, 3),
                                                   golden::zeros<double>(2, 4)};
  golden::expect_error([&] { z.clone(fields); }, {"clone", "alignments[1]", "[2,4]", "[2,5]"});
  fields = {};
  fields.attention_state = std::vector<Tensor2<double>>{golden::zeros<double>(2, 5),
                                                        golden::zeros<double>(2, 5)};
  golden::expect_error([&] { z.clone(fields); }, {"attention_state[0]", "[2,5]", "[2,3]"});
  fields = {};
  fields.attention = golden::zeros<double>(2, 4);
  golden::expect_error([&] { z.clone(fields); }, {"attention", "[2,4]", "[2,7]"});

  // A good clone replaces exactly the given fields.
  Tensor2<double> encoder_state(Small::B, Small::H);
  encoder_state.setConstant(0.5);
  Tensor2<double> alignments1(Small::B, 5);
  alignments1.setConstant(0.2);
  fields = {};
  fields.cell_state = encoder_state;
  fields.attention_state = std::vector<Tensor2<double>>{z.attention_state[0], alignments1};
  const auto cloned = z.clone(fields);
  EXPECT_EQ(cloned.cell_state(1, 4), 0.5);
  EXPECT_EQ(cloned.attention_state[1](1, 4), 0.2);
  EXPECT_EQ(cloned.alignments[1](1, 4), 0.0);
  EXPECT_EQ(z.cell_state(1, 4), 0.0);
  EXPECT_EQ(z.clone(encoder_state).cell_state(0, 0), 0.5);

  // A state of the wrong structure is rejected as an initial state.
  auto bad = z;
  bad.attention_state.pop_back();
  golden::expect_error([&] { dynamic_rnn(wrapper, s.inputs(2, 3), {}, bad); },
                       {"initial_state.attention_state has 1 entries", "(2)"});
  bad = z;
  bad.alignments[1] = golden::zeros<double>(2, 3);
  golden::expect_error([&] { dynamic_rnn(wrapper, s.inputs(2, 3), {}, bad); },
                       {"initial_state.alignments[1]", "[2,3]", "[2,5]"});
}

#ifdef SEQ2SEQ_COUNTS_ALLOCATIONS
TEST(AttentionWrapperComplete, AllocatesNothingPerStep) {
  SEQ2SEQ_SKIP_UNLESS_EIGEN_GEMM();
  // Several mechanisms with user attention layers, a user cell_input_fn and the alignment
  // history: a dynamic_rnn call allocates once, whatever the number of steps.
  const Index B = 6, I = 5, H = 16;
  const auto make_memory = [](Index tm, Index dm) {
    Tensor3<double> m(B, tm, dm);
    for (Index i = 0; i < m.size(); ++i) m.data()[i] = std::sin(0.37 * i);
    return m;
  };
  seq2seq::BahdanauAttentionWeights<double> w0{golden::zeros<double>(12, 8),
                                               golden::zeros<double>(H, 8),
                                               golden::zeros<double>(8), 0, {}};
  w0.attention_v.setConstant(0.5);
  auto w1 = w0;
  w1.memory_layer_kernel = golden::zeros<double>(7, 8);
  const auto layer = [](Index in, Index out) {
    Tensor2<double> k(in, out);
    for (Index i = 0; i < k.size(); ++i) k.data()[i] = std::cos(0.1 * i);
    return tanh_dense(k);
  };
  MultiAttentionWrapperConfig<double> config;
  config.alignment_history = true;
  config.attention_layer = {layer(H + 12, 6), layer(H + 7, 4)};
  config.cell_input_fn = cell_input_fn<double>("attention_twice_inputs_squares", I, 10);
  Tensor2<double> gk(10 + 2 * I + H, 2 * H), ck(10 + 2 * I + H, H);
  gk.setConstant(0.01);
  ck.setConstant(-0.02);
  const AttentionWrapper wrapper(
      GRUCell<double>(H, {gk, golden::zeros<double>(2 * H), ck, golden::zeros<double>(H)}),
      std::tuple{BahdanauAttention<double>(8, make_memory(9, 12), {}, w0),
                 Forwarding<double>(BahdanauAttention<double>(8, make_memory(4, 7), {}, w1))},
      config);
  long counts[2];
  for (int k = 0; k < 2; ++k) {
    const Index T = k == 0 ? 3 : 12;
    Tensor3<double> x(B, T, I);
    for (Index i = 0; i < x.size(); ++i) x.data()[i] = std::sin(0.11 * i);
    const std::vector<int64_t> len(B, T - 1);
    counts[k] = steady_allocations_during([&] { dynamic_rnn(wrapper, x, len); });
  }
  EXPECT_GT(counts[0], 0);
  EXPECT_EQ(counts[0], counts[1]) << "AttentionWrapper<Cell, tuple> allocations grow with steps";
}
#endif

}  // namespace
