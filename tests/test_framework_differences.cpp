// The claims of docs/guide/differences.md (where TensorFlow 1.x, Keras, TFA and PyTorch differ,
// and what seq2seq does), each checked on what the framework itself computed
// (tests/golden/differences/, written by tools/reference/gen_differences.py with TensorFlow
// 2.15.1 + Keras 2.15 + TFA 0.23.0, and gen_differences_torch.py with PyTorch).
#include <seq2seq/io/keras.hpp>
#include <seq2seq/io/pytorch.hpp>
#include <seq2seq/seq2seq.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "golden.hpp"

namespace {

using seq2seq::Index;
using seq2seq::Tensor2;
using seq2seq::Tensor3;

// Row b of a [B, T, D] tensor at step t.
template <class T>
std::vector<T> step(const Tensor3<T>& x, Index b, Index t) {
  std::vector<T> v;
  for (Index d = 0; d < x.dimension(2); ++d) v.push_back(x(b, t, d));
  return v;
}

// Masking in Keras: by default a masked step repeats the last valid output; with
// zero_output_for_mask=True it is zero, as in TF 1.x dynamic_rnn and here. The state is carried
// through either way.
TEST(FrameworkDifferences, KerasMaskRepeatsOutputsWeGiveZerosAsZeroOutputForMask) {
  const auto names = golden::cases("differences/keras_masking");
  ASSERT_EQ(names.size(), 2u);
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      EXPECT_EQ(golden::meta_int(f, "zero_output_for_mask_default"), 0);
      const auto lengths = f.integers("lengths");
      const Tensor3<T> keras_default = f.template tensor<T, 3>("outputs_default");
      const Tensor3<T> keras_zero = f.template tensor<T, 3>("outputs_zero");
      const auto [outputs, state] = seq2seq::dynamic_rnn(seq2seq::io::keras::gru_cell<T>(f),
                                                         f.template tensor<T, 3>("inputs"), lengths);
      golden::expect_close(outputs, keras_zero, "outputs vs zero_output_for_mask=True");
      golden::expect_close(state, f.template tensor<T, 2>("final_state_zero"), "state");
      golden::expect_close(state, f.template tensor<T, 2>("final_state_default"),
                           "state vs the default");
      int masked = 0;
      for (Index b = 0; b < outputs.dimension(0); ++b) {
        for (Index t = lengths[b]; t < outputs.dimension(1); ++t) {
          ++masked;
          // Keras's default: the last valid output again; ours: exact zeros.
          EXPECT_EQ(step(keras_default, b, t), step(keras_default, b, lengths[b] - 1));
          EXPECT_EQ(step(outputs, b, t), std::vector<T>(outputs.dimension(2), T(0)));
          EXPECT_NE(step(keras_default, b, t), step(outputs, b, t));
        }
        for (Index t = 0; t < lengths[b]; ++t) {
          EXPECT_EQ(step(keras_default, b, t), step(keras_zero, b, t));
        }
      }
      EXPECT_EQ(masked, 5);  // lengths {5, 3, 2} over 5 steps
    });
  }
}

// PyTorch: a packed batch (pack_padded_sequence) gives zeros past each length and h_n at each
// row's last valid step, and its backward direction starts at that step: as
// bidirectional_dynamic_rnn with sequence_length. The padded batch as it stands runs through the
// padding: as our bidirectional_dynamic_rnn without lengths.
TEST(FrameworkDifferences, TorchPackedSequencesAreSequenceLengthPaddedAreNot) {
  const auto names = golden::cases("differences/torch_packed");
  ASSERT_EQ(names.size(), 2u);
  for (const auto& name : names) {
    golden::with_dtype(name, [](auto tag, const auto& f) {
      using T = decltype(tag);
      namespace pytorch = seq2seq::io::pytorch;
      const auto fw = pytorch::gru_cell<T>(f, 0, false);
      const auto bw = pytorch::gru_cell<T>(f, 0, true);
      const Tensor3<T> x = f.template tensor<T, 3>("inputs");
      const auto lengths = f.integers("lengths");
      for (const bool packed : {true, false}) {
        SCOPED_TRACE(packed ? "packed" : "padded");
        const std::string p = packed ? "packed_" : "padded_";
        const auto r = seq2seq::bidirectional_dynamic_rnn(
            fw, bw, x, packed ? lengths : std::vector<int64_t>{});
        // PyTorch's outputs are [B, T, 2H]: forward then backward.
        const Tensor3<T> torch_out = f.template tensor<T, 3>(p + "outputs");
        const Index h = r.outputs_fw.dimension(2);
        const Tensor3<T> h_n = f.template tensor<T, 3>(p + "h_n");  // [directions, B, H]
        Tensor3<T> torch_fw(x.dimension(0), x.dimension(1), h), torch_bw = torch_fw;
        Tensor2<T> h_fw(x.dimension(0), h), h_bw = h_fw;
        for (Index b = 0; b < x.dimension(0); ++b) {
          for (Index d = 0; d < h; ++d) {
            for (Index t = 0; t < x.dimension(1); ++t) {
              torch_fw(b, t, d) = torch_out(b, t, d);
              torch_bw(b, t, d) = torch_out(b, t, h + d);
            }
            h_fw(b, d) = h_n(0, b, d);
            h_bw(b, d) = h_n(1, b, d);
          }
        }
        golden::expect_close(r.outputs_fw, torch_fw, "outputs fw");
        golden::expect_close(r.outputs_bw, torch_bw, "outputs bw");
        golden::expect_close(r.final_state_fw, h_fw, "h_n fw");
        golden::expect_close(r.final_state_bw, h_bw, "h_n bw");
      }
      // And the two runs differ where the claim says: past a length, and in the backward
      // direction of a short row everywhere.
      const Tensor3<T> packed = f.template tensor<T, 3>("packed_outputs");
      const Tensor3<T> padded = f.template tensor<T, 3>("padded_outputs");
      EXPECT_EQ(step(packed, 2, 3), std::vector<T>(packed.dimension(2), T(0)));
      EXPECT_NE(step(padded, 2, 3), step(packed, 2, 3));
      EXPECT_NE(packed(2, 0, packed.dimension(2) - 1), padded(2, 0, padded.dimension(2) - 1));
    });
  }
}

// TFA's AttentionWrapperState has no `time` field (tf.contrib's had it); ours keeps contrib's
// six fields, and `time` counts the steps taken.
TEST(FrameworkDifferences, TfaStateHasNoTimeOursKeepsContribs) {
  const auto f = golden::open("differences/tfa_state.safetensors");
  const auto split = [](const std::string& csv) {
    std::vector<std::string> out;
    std::stringstream in(csv);
    for (std::string field; std::getline(in, field, ',');) out.push_back(field);
    return out;
  };
  const auto tfa = split(f.metadata("tfa_state_fields"));
  const auto contrib = split(f.metadata("contrib_state_fields"));
  EXPECT_EQ(tfa, (std::vector<std::string>{"cell_state", "attention", "alignments",
                                           "alignment_history", "attention_state"}));
  EXPECT_EQ(contrib, (std::vector<std::string>{"cell_state", "attention", "time", "alignments",
                                               "alignment_history", "attention_state"}));
  // Ours: contrib's fields in contrib's order (a structured binding of six names compiles only
  // if there are exactly six public fields, in this order of types).
  const auto g = golden::open("attention_wrapper_gru_plain_nolayer_outattn_f64.safetensors");
  const auto mechanism = golden::make_bahdanau<double>(g);
  const seq2seq::AttentionWrapper wrapper(golden::make_gru<double>(g), mechanism,
                                          seq2seq::AttentionWrapperConfig<double>{});
  const Tensor3<double> inputs = g.tensor<double, 3>("inputs");
  const auto lengths = golden::lengths(g, "sequence_length");
  const auto [outputs, state] = seq2seq::dynamic_rnn(wrapper, inputs, lengths);
  const auto& [cell_state, attention, time, alignments, alignment_history, attention_state] = state;
  (void)cell_state, (void)attention, (void)alignments, (void)alignment_history, (void)attention_state;
  // TF's loop runs min(T, max(1, max(sequence_length))) steps; time is never masked.
  int64_t steps = inputs.dimension(1);
  if (!lengths.empty()) {
    steps = std::min<int64_t>(steps, std::max<int64_t>(1, *std::max_element(lengths.begin(), lengths.end())));
  }
  EXPECT_GT(steps, 1);
  EXPECT_EQ(time, steps);
}

}  // namespace
