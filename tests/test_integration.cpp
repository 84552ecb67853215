// Integration golden cases (tools/reference/golden_integration.py): features that each have their
// own fixtures, combined in one model and compared with real TensorFlow.
//
// integration_multi_attention_stacked_peephole_proj_lstm_*: tfa AttentionWrapper over
// MultiRNNCell([LSTMCell(6, peepholes, num_proj=5[, cell_clip]), LSTMCell(5, peepholes,
// num_proj=4, proj_clip=0.3)]) with [BahdanauAttention(3, normalize), LuongAttention(4, scale)],
// attention_layer_size [5, 3], alignment_history, under dynamic_rnn with ragged input and memory
// lengths; every output and final-state field per layer and per mechanism.
#include <seq2seq/attention/attention_wrapper.hpp>
#include <seq2seq/attention/bahdanau_attention.hpp>
#include <seq2seq/attention/luong_attention.hpp>
#include <seq2seq/cells/lstm_cell.hpp>
#include <seq2seq/cells/multi_rnn_cell.hpp>
#include <seq2seq/rnn/dynamic_rnn.hpp>

#include <optional>
#include <string>
#include <tuple>
#include <type_traits>

#include "golden.hpp"

namespace {

using seq2seq::AttentionWrapper;
using seq2seq::BahdanauAttention;
using seq2seq::dynamic_rnn;
using seq2seq::Index;
using seq2seq::LSTMCell;
using seq2seq::LSTMCellOptions;
using seq2seq::LuongAttention;
using seq2seq::MultiAttentionWrapperConfig;
using seq2seq::MultiRNNCell;
using seq2seq::Tensor2;
using seq2seq::Tensor3;
using golden::SafetensorsFile;

std::string str(std::size_t i) { return std::to_string(i); }

// "none" or a clip limit.
template <class T>
std::optional<T> clip(const SafetensorsFile& f, const std::string& key) {
  const std::string v = f.metadata(key);
  if (v == "none") return std::nullopt;
  return static_cast<T>(std::stod(v));
}

// Layer k of the stack: TF's LSTMCell(num_units, use_peepholes, cell_clip, num_proj, proj_clip).
template <class T>
LSTMCell<T> layer(const SafetensorsFile& f, std::size_t k) {
  const std::string p = "cell_" + str(k) + "/";
  LSTMCellOptions<T> o;
  o.use_peepholes = golden::meta_int(f, "use_peepholes" + str(k)) != 0;
  o.cell_clip = clip<T>(f, "cell_clip" + str(k));
  o.num_proj = golden::meta_int(f, "num_proj" + str(k));
  o.proj_clip = clip<T>(f, "proj_clip" + str(k));
  o.forget_bias = static_cast<T>(std::stod(f.metadata("forget_bias")));
  seq2seq::LSTMCellWeights<T> w{f.tensor<T, 2>(p + "kernel"), f.tensor<T, 1>(p + "bias")};
  w.w_f_diag = f.tensor<T, 1>(p + "w_f_diag");
  w.w_i_diag = f.tensor<T, 1>(p + "w_i_diag");
  w.w_o_diag = f.tensor<T, 1>(p + "w_o_diag");
  w.projection_kernel = f.tensor<T, 2>(p + "projection/kernel");
  return LSTMCell<T>(golden::meta_int(f, "num_units" + str(k)), std::move(w), o);
}

template <class T>
BahdanauAttention<T> bahdanau(const SafetensorsFile& f) {
  const std::string p = "mechanism0/";
  seq2seq::BahdanauAttentionWeights<T> w{
      f.tensor<T, 2>(p + "memory_layer/kernel"), f.tensor<T, 2>(p + "query_layer/kernel"),
      f.tensor<T, 1>(p + "attention_v"), static_cast<T>(f.scalar(p + "attention_g")),
      f.tensor<T, 1>(p + "attention_b")};
  return BahdanauAttention<T>(golden::meta_int(f, "attention_units0"),
                              f.tensor<T, 3>(p + "memory"),
                              golden::lengths(f, p + "memory_sequence_length"), std::move(w),
                              /*normalize=*/true);
}

template <class T>
LuongAttention<T> luong(const SafetensorsFile& f, bool scale = true) {
  const std::string p = "mechanism1/";
  seq2seq::LuongAttentionWeights<T> w{f.tensor<T, 2>(p + "memory_layer/kernel"),
                                      static_cast<T>(f.scalar(p + "attention_g"))};
  return LuongAttention<T>(golden::meta_int(f, "attention_units1"), f.tensor<T, 3>(p + "memory"),
                           golden::lengths(f, p + "memory_sequence_length"), std::move(w), scale);
}

template <class T>
MultiAttentionWrapperConfig<T> wrapper_config(const SafetensorsFile& f) {
  MultiAttentionWrapperConfig<T> config;
  for (std::size_t i = 0; i < 2; ++i) {
    config.attention_layer_size.push_back(golden::meta_int(f, "attention_layer_size" + str(i)));
    config.attention_layer_kernel.push_back(f.tensor<T, 2>("attention_layer" + str(i) + "/kernel"));
  }
  config.alignment_history = true;
  config.output_attention = golden::meta_int(f, "output_attention") != 0;
  return config;
}

template <class T>
auto make_wrapper(const SafetensorsFile& f, bool luong_scale = true) {
  return AttentionWrapper(MultiRNNCell(layer<T>(f, 0), layer<T>(f, 1)),
                          std::tuple{bahdanau<T>(f), luong<T>(f, luong_scale)},
                          wrapper_config<T>(f));
}

const char* const kPrefix = "integration_multi_attention_stacked_peephole_proj_lstm_";

TEST(IntegrationMultiAttentionStackedLSTM, DynamicRnnEqualsTensorFlow) {
  const auto names = golden::cases(kPrefix);
  ASSERT_EQ(names.size(), 2u * 2);  // noclip, cellclip x f32, f64
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const SafetensorsFile& f) {
      using T = decltype(tag);
      ASSERT_EQ(golden::meta_int(f, "num_layers"), 2);
      ASSERT_EQ(golden::meta_int(f, "num_mechanisms"), 2);
      const auto wrapper = make_wrapper<T>(f);
      using Cell = MultiRNNCell<LSTMCell<T>, LSTMCell<T>>;
      static_assert(std::is_same_v<typename decltype(wrapper)::state_type,
                                   seq2seq::MultiAttentionWrapperState<typename Cell::state_type, T>>);
      EXPECT_EQ(wrapper.attention_size(), 5 + 3);
      EXPECT_EQ(wrapper.input_size(), golden::meta_int(f, "input_depth"));
      EXPECT_EQ(wrapper.output_size(), 5 + 3);

      const auto [outputs, state] = dynamic_rnn(wrapper, f.tensor<T, 3>("inputs"),
                                                golden::lengths(f, "sequence_length"));
      golden::expect_close(outputs, f.tensor<T, 3>("outputs"), "outputs");
      golden::expect_state(std::get<0>(state.cell_state), f, "final_state/cell_state/cell_0/");
      golden::expect_state(std::get<1>(state.cell_state), f, "final_state/cell_state/cell_1/");
      golden::expect_close(state.attention, f.tensor<T, 2>("final_state/attention"),
                           "attention");
      EXPECT_EQ(state.time, golden::meta_int(f, "time"));
      ASSERT_EQ(state.alignments.size(), 2u);
      ASSERT_EQ(state.attention_state.size(), 2u);
      ASSERT_EQ(state.alignment_history.size(), 2u);
      for (std::size_t i = 0; i < 2; ++i) {
        golden::expect_close(state.alignments[i],
                             f.tensor<T, 2>("final_state/alignments/" + str(i)),
                             "alignments/" + str(i));
        golden::expect_close(state.attention_state[i],
                             f.tensor<T, 2>("final_state/attention_state/" + str(i)),
                             "attention_state/" + str(i));
        golden::expect_close(state.alignment_history[i],
                             f.tensor<T, 3>("final_state/alignment_history/" + str(i)),
                             "alignment_history/" + str(i));
      }
    });
  }
}

// The fixtures really exercise the options: dropping Luong's scale, or the cell clip, gives
// other numbers than TensorFlow's.
TEST(IntegrationMultiAttentionStackedLSTM, FixturesDependOnScaleAndCellClip) {
  const SafetensorsFile f = golden::open(std::string(kPrefix) + "cellclip_f64.safetensors");
  const auto inputs = f.tensor<double, 3>("inputs");
  const auto lengths = golden::lengths(f, "sequence_length");
  const auto expected = f.tensor<double, 3>("outputs");
  auto largest_difference = [&](const Tensor3<double>& got) {
    double d = 0;
    for (Index k = 0; k < expected.size(); ++k) {
      d = std::max(d, std::abs(got.data()[k] - expected.data()[k]));
    }
    return d;
  };
  EXPECT_LT(largest_difference(dynamic_rnn(make_wrapper<double>(f), inputs, lengths).outputs),
            1e-12);
  EXPECT_GT(largest_difference(
                dynamic_rnn(make_wrapper<double>(f, /*luong_scale=*/false), inputs, lengths)
                    .outputs),
            1e-3);
  const SafetensorsFile no_clip_meta = golden::open(std::string(kPrefix) + "noclip_f64.safetensors");
  ASSERT_EQ(no_clip_meta.metadata("cell_clip0"), "none");
  LSTMCellOptions<double> o;
  auto unclipped = [&] {
    const std::string p = "cell_0/";
    seq2seq::LSTMCellWeights<double> w{f.tensor<double, 2>(p + "kernel"),
                                       f.tensor<double, 1>(p + "bias"),
                                       f.tensor<double, 1>(p + "w_f_diag"),
                                       f.tensor<double, 1>(p + "w_i_diag"),
                                       f.tensor<double, 1>(p + "w_o_diag"),
                                       f.tensor<double, 2>(p + "projection/kernel")};
    o.use_peepholes = true;
    o.num_proj = golden::meta_int(f, "num_proj0");
    return LSTMCell<double>(golden::meta_int(f, "num_units0"), std::move(w), o);
  }();
  const AttentionWrapper without_clip(MultiRNNCell(std::move(unclipped), layer<double>(f, 1)),
                                      std::tuple{bahdanau<double>(f), luong<double>(f)},
                                      wrapper_config<double>(f));
  EXPECT_GT(largest_difference(dynamic_rnn(without_clip, inputs, lengths).outputs), 1e-3);
}

}  // namespace
