// Translates dates written by people ("Nov 24, 2026", "tuesday, november 24, 2026",
// "24.11.2026", ...) into ISO 8601 (2026-11-24) with a model trained in TensorFlow
// (tools/train/train_date_attention.py: a character-level GRU encoder and an
// AttentionWrapper(GRU, Bahdanau) decoder), decoding greedily and with beam search in C++, and
// draws where the decoder looked: one PNG heatmap of the greedy alignment history per input.
// Options: see kUsage below (`translate --help`).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include "date_model.hpp"
#include "heatmap.hpp"

using namespace date_model;

namespace {

struct Decoded {
  std::vector<std::string> greedy, beam;
  std::vector<float> beam_scores;              // the best beam's final score
  std::vector<std::vector<float>> alignments;  // greedy: [steps x source length] per input
  std::vector<std::vector<std::string>> steps;  // greedy: each step's token, "</s>" for the end
};

Decoded decode(const DateModel& m, const std::vector<std::string>& sources) {
  const Encoded enc = encode(m, source_ids(m, sources));
  const auto g = greedy(m, enc);
  const auto r = beam(m, enc);
  const auto& ids = g.outputs.sample_id;                  // [B, steps]
  const auto& history = g.final_state.alignment_history;  // [steps, B, longest source]
  const auto& beams = r.outputs.predicted_ids;            // [B, steps, K], best beam first
  const auto& scores = r.outputs.beam_search_decoder_output.scores;
  Decoded out;
  for (Index b = 0; b < static_cast<Index>(sources.size()); ++b) {
    std::vector<int32_t> row(ids.data() + b * ids.dimension(1),
                             ids.data() + (b + 1) * ids.dimension(1));
    out.greedy.push_back(text(m, row));
    // The rows of the heatmap: every step up to and including the one that emitted the end token.
    std::vector<float> a;
    std::vector<std::string> tokens;
    for (Index t = 0; t < std::min(ids.dimension(1), history.dimension(0)); ++t) {
      const int32_t id = row[static_cast<std::size_t>(t)];
      tokens.push_back(id == m.eos ? "</s>" : text(m, std::vector<int32_t>{id}));
      for (Index s = 0; s < enc.lengths[b]; ++s) a.push_back(history(t, b, s));
      if (id == m.eos) break;
    }
    out.alignments.push_back(std::move(a));
    out.steps.push_back(std::move(tokens));
    std::vector<int32_t> best;
    for (Index t = 0; t < beams.dimension(1); ++t) best.push_back(beams(b, t, 0));
    out.beam.push_back(text(m, best));
    out.beam_scores.push_back(beams.dimension(1) ? scores(b, beams.dimension(1) - 1, 0) : 0.0f);
  }
  return out;
}

int heldout(const DateModel& m, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 2;
  }
  std::vector<std::string> sources, targets, tf_greedy, tf_beam;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, '\t');) fields.push_back(f);
    if (fields.size() != 4) {
      std::fprintf(stderr, "%s: expected 4 tab-separated fields: %s\n", path.c_str(), line.c_str());
      return 2;
    }
    sources.push_back(fields[0]), targets.push_back(fields[1]);
    tf_greedy.push_back(fields[2]), tf_beam.push_back(fields[3]);
  }
  const auto begin = std::chrono::steady_clock::now();
  const Decoded d = decode(m, sources);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  std::size_t greedy_ok = 0, beam_ok = 0, greedy_same = 0, beam_same = 0;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    greedy_ok += d.greedy[i] == targets[i];
    beam_ok += d.beam[i] == targets[i];
    greedy_same += d.greedy[i] == tf_greedy[i];
    beam_same += d.beam[i] == tf_beam[i];
    if (d.greedy[i] != tf_greedy[i] || d.beam[i] != tf_beam[i]) {
      std::printf("DIFFERENT from TensorFlow: \"%s\": greedy %s (TF %s), beam %s (TF %s)\n",
                  sources[i].c_str(), d.greedy[i].c_str(), tf_greedy[i].c_str(),
                  d.beam[i].c_str(), tf_beam[i].c_str());
    }
  }
  const double n = static_cast<double>(sources.size());
  std::printf("held-out: %zu dates, decoded greedy and beam (width %lld) in %.1f ms\n",
              sources.size(), static_cast<long long>(m.beam_width), 1e3 * seconds);
  std::printf("greedy: accuracy %.4f (%zu/%zu); identical to TensorFlow: %zu/%zu\n",
              greedy_ok / n, greedy_ok, sources.size(), greedy_same, sources.size());
  std::printf("beam:   accuracy %.4f (%zu/%zu); identical to TensorFlow: %zu/%zu\n",
              beam_ok / n, beam_ok, sources.size(), beam_same, sources.size());
  std::printf("TensorFlow's own accuracy: greedy %s, beam %s\n",
              m.config.at("heldout_greedy_accuracy").c_str(),
              m.config.at("heldout_beam_accuracy").c_str());
  return greedy_same == sources.size() && beam_same == sources.size() ? 0 : 1;
}

// A printf format: %s is the default model.
constexpr const char* kUsage = R"(usage: translate [--model PATH] [--heatmap PREFIX] [DATE ...]
       translate [--model PATH] --heldout FILE.tsv

Translates dates written by people ("Nov 24, 2026", "tuesday, november 24, 2026",
"24.11.2026", ...) into ISO 8601 (2026-11-24) with a model trained in TensorFlow, decoding
greedily and with beam search, and draws where the greedy decoder looked. Without a DATE it
decodes a few examples.

  --model PATH        the trained model: the TensorFlow checkpoint directory the training
                      script saves (model.ckpt.* and config.json) or its .safetensors export;
                      by default %s
  --heatmap PREFIX    write the attention heatmap of the i-th date to PREFIX_<i>.png
                      (default: attention, i.e. attention_0.png, ... in this directory)
  --heldout FILE.tsv  decode TensorFlow's held-out set instead: print the accuracy and the
                      agreement with TensorFlow's own greedy and beam decodes (exit 1 on any
                      difference)
  -h, --help          print this help and exit
)";

int usage(std::FILE* to, int status) {
  std::fprintf(to, kUsage, SEQ2SEQ_DATE_MODEL);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_path = SEQ2SEQ_DATE_MODEL, heldout_path, prefix = "attention";
  std::vector<std::string> sources;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") return usage(stdout, 0);
    if (arg == "--model" || arg == "--heldout" || arg == "--heatmap") {
      if (i + 1 == argc) {
        std::fprintf(stderr, "translate: %s needs a value\n", arg.c_str());
        return usage(stderr, 2);
      }
      (arg == "--model" ? model_path : arg == "--heldout" ? heldout_path : prefix) = argv[++i];
    } else if (arg.rfind("--", 0) == 0) {
      std::fprintf(stderr, "translate: unknown option %s\n", arg.c_str());
      return usage(stderr, 2);
    } else {
      sources.push_back(arg);
    }
  }
  try {
    const DateModel model(model_path);
    if (!heldout_path.empty()) return heldout(model, heldout_path);
    if (sources.empty()) {
      sources = {"Nov 24, 2026", "tuesday, november 24, 2026", "24.11.2026", "3/7/1999",
                 "7 JULY 1969"};
    }
    const Decoded d = decode(model, sources);
    for (std::size_t i = 0; i < sources.size(); ++i) {
      const std::string png = prefix + "_" + std::to_string(i) + ".png";
      const bool wrote = !sources[i].empty() &&
                         heatmap::write_png(png, "\"" + sources[i] + "\" - greedy decoding",
                                            d.alignments[i], d.steps[i], sources[i]);
      std::printf("input:  %s\ngreedy: %s\nbeam:   %s (score %.4f, width %lld)\nheatmap: %s\n\n",
                  sources[i].c_str(), d.greedy[i].c_str(), d.beam[i].c_str(), d.beam_scores[i],
                  static_cast<long long>(model.beam_width), wrote ? png.c_str() : "(not written)");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "translate: %s\n", e.what());
    return 2;
  }
  return 0;
}
