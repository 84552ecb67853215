// onednn_peer: oneDNN's RNN primitives (Debian's libdnnl-dev, C++ API) under the peer protocol of
// benchmarks/compare/ (peer_protocol.hpp). Bare layers only (case kind "rnn").
//
//   case cell "gru"     gru_forward      (vanilla GRU = TF 1.x GRUCell: reset before the matmul)
//   case cell "gru_ra"  lbr_gru_forward  (linear-before-reset = reset_after / PyTorch GRU)
//   case cell "lstm"    lstm_forward     (no peepholes, no projection; forget bias folded)
// forward_inference, unidirectional left-to-right, one layer, zero initial state. src_layer and
// dst_layer are batch-major (format ntc), read and written in place: no transposes. Weights come
// in oneDNN's ldigo / ldgo order from the case file (onednn/*, gates u, r, o / i, f, c, o) and are
// reordered once to the layout the primitive chooses (format any), outside the timed call. The
// timed call is one primitive execute + stream wait.
// Threads: Debian's libdnnl2 uses OpenMP (libgomp): omp_set_num_threads(--threads).
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

#include "peer_protocol.hpp"

namespace {

using compare::CaseMeta;
using compare::make_output;
using compare::Output;
using compare::SafetensorsFile;
using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

void set_threads(int n) { omp_set_num_threads(n); }

/// Copies tensor `name` of the case file into a new oneDNN memory of `md` (plain layout).
memory user_memory(const SafetensorsFile& f, const std::string& name, const memory::desc& md,
                   const dnnl::engine& eng) {
  const auto& shape = f.shape(name);
  std::vector<float> v;
  if (shape.size() == 2) {
    auto t = f.tensor<float, 2>(name);
    v.assign(t.data(), t.data() + t.size());
  } else {
    auto t = f.tensor<float, 3>(name);
    v.assign(t.data(), t.data() + t.size());
  }
  if (v.size() * sizeof(float) != md.get_size()) {
    throw std::runtime_error("onednn_peer: " + name + " has " + std::to_string(v.size()) +
                             " values, the descriptor wants " +
                             std::to_string(md.get_size() / sizeof(float)));
  }
  memory m(md, eng);
  std::memcpy(m.get_data_handle(), v.data(), md.get_size());
  return m;
}

/// Reorders `user` into a new memory of `want` unless the layouts already agree.
memory to_layout(const memory& user, const memory::desc& want, const dnnl::engine& eng,
                 dnnl::stream& s) {
  if (user.get_desc() == want) return user;
  memory m(want, eng);
  dnnl::reorder(user, m).execute(s, const_cast<memory&>(user), m);
  s.wait();
  return m;
}

class OneDnnModel : public compare::Model {
 public:
  OneDnnModel(const SafetensorsFile& f, const CaseMeta& m)
      : eng_(dnnl::engine::kind::cpu, 0), stream_(eng_), meta_(m) {
    if (m.kind != "rnn") throw std::runtime_error("onednn_peer: only bare layers (kind rnn)");
    const memory::dim B = m.B, T = m.T, I = m.I, H = m.H;
    const bool lstm = m.cell == "lstm", lbr = m.cell == "gru_ra";
    const memory::dim G = lstm ? 4 : 3, bias_gates = lbr ? 4 : G;
    inputs_ = f.tensor<float, 3>("inputs");  // [B, T, I]
    const memory::desc src_md({T, B, I}, dt::f32, tag::ntc);
    const memory::desc dst_md({T, B, H}, dt::f32, tag::ntc);
    const memory::desc wl_any({1, 1, I, G, H}, dt::f32, tag::any);
    const memory::desc wi_any({1, 1, H, G, H}, dt::f32, tag::any);
    const memory::desc bias_md({1, 1, bias_gates, H}, dt::f32, tag::ldgo);
    const memory::desc iter_md({1, 1, B, H}, dt::f32, tag::ldnc);
    const memory::desc none;
    const auto prop = dnnl::prop_kind::forward_inference;
    const auto dir = dnnl::rnn_direction::unidirectional_left2right;

    memory::desc wl_md, wi_md, scratch_md;
    if (lstm) {
      dnnl::lstm_forward::primitive_desc pd(
          dnnl::lstm_forward::desc(prop, dir, src_md, none, none, wl_any, wi_any, bias_md,
                                   dst_md, iter_md, iter_md),
          eng_);
      wl_md = pd.weights_layer_desc();
      wi_md = pd.weights_iter_desc();
      prim_ = dnnl::lstm_forward(pd);
      impl_ = pd.impl_info_str();
    } else if (lbr) {
      dnnl::lbr_gru_forward::primitive_desc pd(
          dnnl::lbr_gru_forward::desc(prop, dir, src_md, none, wl_any, wi_any, bias_md, dst_md,
                                      iter_md),
          eng_);
      wl_md = pd.weights_layer_desc();
      wi_md = pd.weights_iter_desc();
      prim_ = dnnl::lbr_gru_forward(pd);
      impl_ = pd.impl_info_str();
    } else {
      dnnl::gru_forward::primitive_desc pd(
          dnnl::gru_forward::desc(prop, dir, src_md, none, wl_any, wi_any, bias_md, dst_md,
                                  iter_md),
          eng_);
      wl_md = pd.weights_layer_desc();
      wi_md = pd.weights_iter_desc();
      prim_ = dnnl::gru_forward(pd);
      impl_ = pd.impl_info_str();
    }
    // Weights reordered once to the primitive's layout, outside the timed call.
    const memory::desc wl_user({1, 1, I, G, H}, dt::f32, tag::ldigo);
    const memory::desc wi_user({1, 1, H, G, H}, dt::f32, tag::ldigo);
    weights_layer_ = to_layout(user_memory(f, "onednn/weights_layer", wl_user, eng_), wl_md, eng_,
                               stream_);
    weights_iter_ = to_layout(user_memory(f, "onednn/weights_iter", wi_user, eng_), wi_md, eng_,
                              stream_);
    bias_ = user_memory(f, "onednn/bias", bias_md, eng_);
    src_ = memory(src_md, eng_, inputs_.data());
    dst_ = memory(dst_md, eng_);
    dst_iter_ = memory(iter_md, eng_);
    args_ = {{DNNL_ARG_SRC_LAYER, src_},         {DNNL_ARG_WEIGHTS_LAYER, weights_layer_},
             {DNNL_ARG_WEIGHTS_ITER, weights_iter_}, {DNNL_ARG_BIAS, bias_},
             {DNNL_ARG_DST_LAYER, dst_},         {DNNL_ARG_DST_ITER, dst_iter_}};
    if (lstm) {
      dst_iter_c_ = memory(iter_md, eng_);
      args_[DNNL_ARG_DST_ITER_C] = dst_iter_c_;
    }
  }

  void call() override {
    prim_.execute(stream_, args_);
    stream_.wait();
  }

  std::vector<Output> outputs() override {
    const auto B = meta_.B, T = meta_.T, H = meta_.H;
    std::vector<Output> o{
        make_output("outputs", {B, T, H}, static_cast<const float*>(dst_.get_data_handle())),
        make_output("final_h", {B, H}, static_cast<const float*>(dst_iter_.get_data_handle()))};
    if (meta_.cell == "lstm") {
      o.push_back(
          make_output("final_c", {B, H}, static_cast<const float*>(dst_iter_c_.get_data_handle())));
    }
    return o;
  }

  const std::string& impl() const { return impl_; }

 private:
  dnnl::engine eng_;
  dnnl::stream stream_;
  CaseMeta meta_;
  seq2seq::Tensor3<float> inputs_;
  dnnl::primitive prim_;
  std::string impl_;
  memory weights_layer_, weights_iter_, bias_, src_, dst_, dst_iter_, dst_iter_c_;
  std::unordered_map<int, memory> args_;
};

std::string last_impl = "(no case loaded)";

std::unique_ptr<compare::Model> load(const SafetensorsFile& f, const CaseMeta& m) {
  auto model = std::make_unique<OneDnnModel>(f, m);
  last_impl = model->impl();
  return model;
}

nlohmann::json versions() {
  const auto* v = dnnl::version();
  const char* runtime = v->cpu_runtime == DNNL_RUNTIME_OMP   ? "OpenMP"
                        : v->cpu_runtime == DNNL_RUNTIME_TBB ? "TBB"
                        : v->cpu_runtime == DNNL_RUNTIME_SEQ ? "sequential"
                                                             : "other";
  return {{"onednn", std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                         std::to_string(v->patch)},
          {"cpu_runtime", runtime},
          {"omp_max_threads", omp_get_max_threads()},
          {"effective_isa", static_cast<int>(dnnl::get_effective_cpu_isa())},
          {"last_impl", last_impl}};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return compare::peer_main(argc, argv, {"onednn", load, versions, set_threads});
  } catch (const std::exception& e) {
    std::cerr << "onednn_peer: " << e.what() << "\n";
    return 1;
  }
}
