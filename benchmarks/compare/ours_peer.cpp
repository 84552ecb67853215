// ours_peer: this library under the peer protocol of benchmarks/compare/ (peer_protocol.hpp).
//
//   rnn:        dynamic_rnn(cell, inputs) over all T, no sequence lengths; the cell is built
//               once. GRUCell (TF 1.x form, or reset_after=true for case cell "gru_ra") or
//               LSTMCell(forget_bias from the case, TF's 1.0).
//   attention:  per call: BahdanauAttention(U, memory, {}, weights) (masks the memory and runs
//               the keys GEMM, as every peer does per call), AttentionWrapper(cell, mechanism,
//               {attention_layer_size none, alignment_history off, output_attention per case})
//               and dynamic_rnn(wrapper, inputs). The timed call therefore also copies the
//               cell's and the mechanism's weights into the wrapper (the API takes them by value).
//   decode:     the trained date model through examples/date_model.hpp, the functions
//               examples/translate.cpp uses: per call, date_model::encode (embedding + GRU
//               encoder under dynamic_rnn) then date_model::greedy or date_model::beam (each
//               builds the mechanism over the encoder outputs, tiled for beam, with its keys
//               GEMM, the AttentionWrapper and the decoder, then runs dynamic_decode). The model
//               is loaded once. Outputs: "ids" (greedy sample_id [B, T] or beam predicted_ids
//               [B, T, K], as float32: exact for ids < 2^24) and "logits" (greedy rnn_output) or
//               "scores" (beam step scores [B, T, K]).
#include <chrono>

#include <Eigen/Core>

#include <seq2seq/seq2seq.hpp>
#include <seq2seq/version.hpp>

#include "date_model.hpp"
#include "peer_protocol.hpp"

#ifndef SEQ2SEQ_COMPARE_FLAGS
#define SEQ2SEQ_COMPARE_FLAGS ""
#endif

namespace {

using namespace seq2seq;
using compare::CaseMeta;
using compare::make_output;
using compare::Output;
using compare::SafetensorsFile;

/// Sets the number of threads the library may use (its GEMMs and, built with OpenMP as here,
/// its per-row attention loops).
void set_threads(int n) { seq2seq::set_num_threads(n); }

Tensor1<float> t1(const SafetensorsFile& f, const std::string& name) {
  return f.tensor<float, 1>(name);
}
Tensor2<float> t2(const SafetensorsFile& f, const std::string& name) {
  return f.tensor<float, 2>(name);
}

GRUCell<float> make_gru(const SafetensorsFile& f, const CaseMeta& m) {
  const bool reset_after = m.cell == "gru_ra";
  GRUCellWeights<float> w{t2(f, "tf1/gates/kernel"), t1(f, "tf1/gates/bias"),
                          t2(f, "tf1/candidate/kernel"), t1(f, "tf1/candidate/bias"), {}};
  if (reset_after) w.candidate_recurrent_bias = t1(f, "tf1/candidate_recurrent_bias");
  return GRUCell<float>(m.H, std::move(w), reset_after);
}

LSTMCell<float> make_lstm(const SafetensorsFile& f, const CaseMeta& m) {
  return LSTMCell<float>(m.H, {t2(f, "tf1/kernel"), t1(f, "tf1/bias")}, m.forget_bias);
}

Output out3(const char* name, const Tensor3<float>& t) {
  return make_output(name, {t.dimension(0), t.dimension(1), t.dimension(2)}, t.data());
}
Output out2(const char* name, const Tensor2<float>& t) {
  return make_output(name, {t.dimension(0), t.dimension(1)}, t.data());
}

void add_state(std::vector<Output>& o, const Tensor2<float>& h) { o.push_back(out2("final_h", h)); }
void add_state(std::vector<Output>& o, const LSTMStateTuple<float>& s) {
  o.push_back(out2("final_h", s.h));
  o.push_back(out2("final_c", s.c));
}

template <class Cell>
class RnnModel : public compare::Model {
 public:
  RnnModel(Cell cell, Tensor3<float> inputs) : cell_(std::move(cell)), inputs_(std::move(inputs)) {}
  void call() override { result_ = dynamic_rnn(cell_, inputs_); }
  std::vector<Output> outputs() override {
    std::vector<Output> o{out3("outputs", result_.outputs)};
    add_state(o, result_.final_state);
    return o;
  }

 private:
  Cell cell_;
  Tensor3<float> inputs_;
  DynamicRnnResult<float, typename Cell::state_type> result_;
};

template <class Cell>
class AttentionModel : public compare::Model {
 public:
  AttentionModel(Cell cell, const SafetensorsFile& f, const CaseMeta& m)
      : cell_(std::move(cell)),
        units_(m.U),
        inputs_(f.tensor<float, 3>("inputs")),
        memory_(f.tensor<float, 3>("memory")),
        weights_{t2(f, "tf1/memory_layer/kernel"), t2(f, "tf1/query_layer/kernel"),
                 t1(f, "tf1/attention_v")} {
    config_.alignment_history = false;
    config_.output_attention = m.output_attention;
  }

  void call() override {
    BahdanauAttention<float> mechanism(units_, memory_, {}, weights_);
    AttentionWrapper wrapper(cell_, std::move(mechanism), config_);
    auto [outputs, state] = dynamic_rnn(wrapper, inputs_);
    outputs_ = std::move(outputs);
    cell_state_ = std::move(state.cell_state);
    attention_ = std::move(state.attention);
  }

  std::vector<Output> outputs() override {
    std::vector<Output> o{out3("outputs", outputs_), out2("final_attention", attention_)};
    add_state(o, cell_state_);
    return o;
  }

 private:
  Cell cell_;
  Index units_;
  Tensor3<float> inputs_, memory_;
  BahdanauAttentionWeights<float> weights_;
  AttentionWrapperConfig<float> config_;
  Tensor3<float> outputs_;
  typename Cell::state_type cell_state_;
  Tensor2<float> attention_;
};

template <class IntTensor>
Output ids_as_float(const char* name, const IntTensor& ids) {
  std::vector<std::int64_t> shape;
  for (int d = 0; d < IntTensor::NumDimensions; ++d) shape.push_back(ids.dimension(d));
  Output o{name, shape, std::vector<float>(ids.data(), ids.data() + ids.size())};
  return o;
}

class DecodeModel : public compare::Model {
 public:
  DecodeModel(const SafetensorsFile& f, const CaseMeta& m)
      : model_(f.metadata("model")), beam_(f.metadata("mode") == "beam") {
    const auto ids = f.integers("source_ids");
    const auto lengths = f.integers("source_length");
    const auto width = static_cast<std::size_t>(f.shape("source_ids")[1]);
    for (std::size_t b = 0; b < lengths.size(); ++b) {
      ids_.emplace_back(ids.begin() + static_cast<std::ptrdiff_t>(b * width),
                        ids.begin() + static_cast<std::ptrdiff_t>(b * width + lengths[b]));
    }
    if (static_cast<long>(ids_.size()) != m.B) throw std::runtime_error("decode case: batch");
  }

  void call() override {
    const auto enc = date_model::encode(model_, ids_);
    if (beam_) {
      auto r = date_model::beam(model_, enc);
      ids_out_ = std::move(r.outputs.predicted_ids);
      values_ = std::move(r.outputs.beam_search_decoder_output.scores);
    } else {
      auto r = date_model::greedy(model_, enc);
      greedy_ids_ = std::move(r.outputs.sample_id);
      values_ = std::move(r.outputs.rnn_output);
    }
  }

  std::vector<Output> outputs() override {
    if (beam_) return {ids_as_float("ids", ids_out_), out3("scores", values_)};
    return {ids_as_float("ids", greedy_ids_), out3("logits", values_)};
  }

 private:
  date_model::DateModel model_;
  bool beam_;
  std::vector<std::vector<int64_t>> ids_;
  IntTensor<3> ids_out_;
  IntTensor<2> greedy_ids_;
  Tensor3<float> values_;
};

std::unique_ptr<compare::Model> load(const SafetensorsFile& f, const CaseMeta& m) {
  if (m.kind == "decode") return std::make_unique<DecodeModel>(f, m);
  if (m.kind == "rnn") {
    auto inputs = f.tensor<float, 3>("inputs");
    if (m.cell == "lstm") return std::make_unique<RnnModel<LSTMCell<float>>>(make_lstm(f, m), inputs);
    return std::make_unique<RnnModel<GRUCell<float>>>(make_gru(f, m), inputs);
  }
  if (m.cell == "lstm") return std::make_unique<AttentionModel<LSTMCell<float>>>(make_lstm(f, m), f, m);
  return std::make_unique<AttentionModel<GRUCell<float>>>(make_gru(f, m), f, m);
}

/// The GEMM peak of this build (GFLOP/s): the best of 5 products [1536, 1536] x [1536, 1536]
/// through the library's GEMM (oneDNN's sgemm in the default build, Eigen's in ours_eigen), at
/// the thread count set: what "% of peak" in the tables is measured against.
double peak() {
  const Index n = 1536;
  const RowMatrix<float> a = RowMatrix<float>::Random(n, n), b = RowMatrix<float>::Random(n, n);
  RowMatrix<float> c(n, n);
  seq2seq::detail::gemm<float>(a, b, c);
  double best = 1e30;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    seq2seq::detail::gemm<float>(a, b, c);
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return 2.0 * double(n) * double(n) * double(n) / best * 1e-9;
}

nlohmann::json versions() {
  return {{"seq2seq", std::to_string(SEQ2SEQ_VERSION_MAJOR) + "." +
                          std::to_string(SEQ2SEQ_VERSION_MINOR) + "." +
                          std::to_string(SEQ2SEQ_VERSION_PATCH)},
          {"eigen", std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) +
                        "." + std::to_string(EIGEN_MINOR_VERSION)},
          {"simd", Eigen::SimdInstructionSetsInUse()},
          {"compiler", std::string("g++ ") + __VERSION__},
          {"flags", SEQ2SEQ_COMPARE_FLAGS},
          {"gemm_backend", seq2seq::gemm_backend()},
          {"threads_api", "seq2seq::set_num_threads (OpenMP build)"}};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return compare::peer_main(argc, argv, {"ours", load, versions, set_threads, peak});
  } catch (const std::exception& e) {
    std::cerr << "ours_peer: " << e.what() << "\n";
    return 1;
  }
}
