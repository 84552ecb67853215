// The peer protocol of benchmarks/compare/ for the C++ peers (ours_peer, onednn_peer); the
// Python peers implement the same in peer_common.py, whose docstring describes it.
//
//   PEER --threads N --serve                 JSON commands on stdin, "RESULT {json}" replies
//   PEER --threads N --case F [--out O] [--min-iters K] [--min-time S] [--max-iters M]
//                                            one shot: load, write outputs, time, print
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <seq2seq/io/safetensors.hpp>

namespace compare {

using seq2seq::io::SafetensorsFile;

/// The case's metadata (gen_cases.py metadata()).
struct CaseMeta {
  std::string name, kind, cell;
  long B = 0, T = 0, I = 0, H = 0, U = 0, Tm = 0, Dm = 0;
  bool output_attention = true;
  float forget_bias = 1.0f;

  static CaseMeta from(const SafetensorsFile& f) {
    CaseMeta m;
    m.name = f.metadata("name");
    m.kind = f.metadata("kind");
    m.cell = f.metadata("cell");
    for (auto [key, field] : {std::pair{"B", &m.B}, {"T", &m.T}, {"I", &m.I}, {"H", &m.H},
                              {"U", &m.U}, {"Tm", &m.Tm}, {"Dm", &m.Dm}}) {
      *field = std::stol(f.metadata(key));
    }
    m.output_attention = std::stoi(f.metadata("output_attention")) != 0;
    m.forget_bias = std::stof(f.metadata("forget_bias"));
    return m;
  }
};

/// One output tensor for the agreement check: float32, row-major.
struct Output {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> data;
};

/// A loaded case: call() is one full forward (what is timed); outputs() the last call's results
/// (outputs [B, T, D], final_h [B, H], final_c [B, H] for LSTM, final_attention [B, Dm]).
struct Model {
  virtual ~Model() = default;
  virtual void call() = 0;
  virtual std::vector<Output> outputs() = 0;
};

/// Writes `tensors` as a safetensors file (F32, names sorted as the format's writers do).
inline void write_safetensors(const std::string& path, std::vector<Output> tensors,
                              const std::string& peer, const std::string& case_name) {
  std::sort(tensors.begin(), tensors.end(),
            [](const Output& a, const Output& b) { return a.name < b.name; });
  nlohmann::json header;
  header["__metadata__"] = {{"peer", peer}, {"case", case_name}};
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    const std::uint64_t bytes = t.data.size() * sizeof(float);
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string raw = header.dump();
  raw.append((8 - raw.size() % 8) % 8, ' ');
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error("cannot write " + path);
  const std::uint64_t n = raw.size();  // little-endian host (x86-64)
  out.write(reinterpret_cast<const char*>(&n), 8);
  out.write(raw.data(), static_cast<std::streamsize>(raw.size()));
  for (const auto& t : tensors) {
    out.write(reinterpret_cast<const char*>(t.data.data()),
              static_cast<std::streamsize>(t.data.size() * sizeof(float)));
  }
  if (!out) throw std::runtime_error("cannot write " + path);
}

/// Copies a row-major buffer into an Output.
inline Output make_output(std::string name, std::vector<std::int64_t> shape, const float* data) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return {std::move(name), std::move(shape), std::vector<float>(data, data + n)};
}

struct PeerSpec {
  std::string name;
  std::function<std::unique_ptr<Model>(const SafetensorsFile&, const CaseMeta&)> load;
  std::function<nlohmann::json()> versions;
  std::function<void(int)> set_threads;
  /// Optional: the GEMM peak of this peer's build, GFLOP/s at the current thread count.
  std::function<double()> peak = nullptr;
};

inline nlohmann::json time_calls(Model& model, int min_iters, double min_time, int max_iters) {
  using clock = std::chrono::steady_clock;
  std::vector<double> times;
  const auto start = clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(clock::now() - start).count(); };
  while (static_cast<int>(times.size()) < max_iters &&
         (static_cast<int>(times.size()) < min_iters || elapsed() < min_time)) {
    const auto t0 = clock::now();
    model.call();
    times.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
  }
  std::vector<double> s = times;
  std::sort(s.begin(), s.end());
  const std::size_t n = s.size();
  const double median = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  nlohmann::json r = {{"median_ms", median}, {"min_ms", s.front()}, {"iters", n}};
  if (n <= 100) {  // every call's time only for short runs (tutorial sizes make ~100k calls)
    nlohmann::json rounded = nlohmann::json::array();
    for (double t : times) rounded.push_back(std::round(t * 1e4) / 1e4);
    r["times_ms"] = rounded;
  }
  return r;
}

class Session {
 public:
  Session(PeerSpec spec, int threads) : spec_(std::move(spec)), threads_(threads) {}

  nlohmann::json load(const std::string& case_path, const std::string& out) {
    const auto t0 = std::chrono::steady_clock::now();
    model_.reset();
    const auto file = SafetensorsFile::load(case_path);
    const auto meta = CaseMeta::from(file);
    auto model = spec_.load(file, meta);
    model->call();
    if (!out.empty()) write_safetensors(out, model->outputs(), spec_.name, meta.name);
    model->call();
    model_ = std::move(model);
    case_ = meta.name;
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return {{"ok", true}, {"peer", spec_.name}, {"case", case_}, {"load_s", s}};
  }

  nlohmann::json time(int min_iters, double min_time, int max_iters) {
    if (!model_) throw std::runtime_error("time: no case loaded");
    auto r = time_calls(*model_, min_iters, min_time, max_iters);
    r["ok"] = true;
    r["peer"] = spec_.name;
    r["case"] = case_;
    r["threads"] = threads_;
    return r;
  }

  nlohmann::json info() const {
    return {{"ok", true}, {"peer", spec_.name}, {"threads", threads_},
            {"versions", spec_.versions()}};
  }

 private:
  PeerSpec spec_;
  int threads_;
  std::unique_ptr<Model> model_;
  std::string case_;
};

inline void reply(const nlohmann::json& j) {
  std::cout << "RESULT " << j.dump() << std::endl;
}

inline int peer_main(int argc, char** argv, PeerSpec spec) {
  int threads = 1, min_iters = 3, max_iters = 1000000;
  double min_time = 0.5;
  bool serve = false;
  std::string case_path, out;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--threads") threads = std::stoi(next());
    else if (a == "--serve") serve = true;
    else if (a == "--case") case_path = next();
    else if (a == "--out") out = next();
    else if (a == "--min-iters") min_iters = std::stoi(next());
    else if (a == "--min-time") min_time = std::stod(next());
    else if (a == "--max-iters") max_iters = std::stoi(next());
    else {
      std::cerr << "usage: " << argv[0] << " --threads N (--serve | --case FILE [--out FILE] "
                << "[--min-iters K] [--min-time S] [--max-iters M])\n";
      return 2;
    }
  }
  spec.set_threads(threads);
  Session session(spec, threads);
  if (!serve) {
    if (case_path.empty()) {
      std::cerr << argv[0] << ": --case or --serve\n";
      return 2;
    }
    session.load(case_path, out);
    reply(session.time(min_iters, min_time, max_iters));
    return 0;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    try {
      const auto cmd = nlohmann::json::parse(line);
      const std::string op = cmd.at("cmd");
      if (op == "quit") {
        reply({{"ok", true}});
        break;
      } else if (op == "load") {
        const auto& o = cmd.value("out", nlohmann::json());
        reply(session.load(cmd.at("case"), o.is_string() ? o.get<std::string>() : ""));
      } else if (op == "time") {
        reply(session.time(cmd.value("min_iters", 3), cmd.value("min_time", 0.5),
                           cmd.value("max_iters", 1000000)));
      } else if (op == "info") {
        reply(session.info());
      } else if (op == "peak" && spec.peak) {
        reply({{"ok", true}, {"gflops", spec.peak()}});
      } else {
        reply({{"ok", false}, {"error", "unknown command " + op}});
      }
    } catch (const std::exception& e) {
      std::cerr << spec.name << ": " << e.what() << "\n";
      reply({{"ok", false}, {"error", e.what()}});
    }
  }
  return 0;
}

}  // namespace compare
