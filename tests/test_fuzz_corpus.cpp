// Replays every committed fuzz input (tests/fuzz/corpus/<target>/ and the crashers of
// tests/fuzz/regressions/<target>/) through the fuzz targets in the normal build, without
// libFuzzer or sanitizers: each must return or throw seq2seq::Error. tools/fuzz.sh runs the same
// targets under libFuzzer with ASan and UBSan (tests/fuzz/README.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/fuzz_files.hpp"
#include "fuzz/fuzz_shapes.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path kFuzzDir = fs::path(SEQ2SEQ_GOLDEN_DIR) / ".." / "fuzz";

std::vector<fs::path> inputs(const std::string& target) {
  std::vector<fs::path> files;
  for (const char* kind : {"corpus", "regressions"}) {
    const fs::path dir = kFuzzDir / kind / target;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Runs `target` on every input of `name`; any exception other than seq2seq::Error fails.
template <class Target>
void replay(const std::string& name, Target target, std::size_t at_least) {
  const auto files = inputs(name);
  EXPECT_GE(files.size(), at_least) << "corpus of " << name << " under " << kFuzzDir;
  for (const auto& file : files) {
    const std::string bytes = read(file);
    try {
      target(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    } catch (const std::exception& e) {
      ADD_FAILURE() << file << ": " << e.what();
    } catch (...) {
      ADD_FAILURE() << file << ": a non-std exception";
    }
  }
}

TEST(FuzzCorpus, Safetensors) { replay("safetensors", seq2seq::fuzz::fuzz_safetensors, 20); }
TEST(FuzzCorpus, Npz) { replay("npz", seq2seq::fuzz::fuzz_npz, 20); }
TEST(FuzzCorpus, Shapes) { replay("shapes", seq2seq::fuzz::fuzz_shapes, 20); }
TEST(FuzzCorpus, TFCheckpoint) { replay("tf_checkpoint", seq2seq::fuzz::fuzz_tf_checkpoint, 6); }

// The crasher that found the layout converters' overflow (tests/fuzz/regressions/safetensors/
// layout_*): a Keras recurrent_kernel [2^62, 0] is a valid empty tensor, and 4 * 2^62 wrapped to
// 0, so that every shape check passed and the bias loop wrote 2^62 floats into a [0] tensor.
TEST(FuzzCorpus, LayoutRejectsHugeLayerSizes) {
  const auto file = [](const std::string& name) {
    return seq2seq::io::SafetensorsFile::parse(read(kFuzzDir / "regressions" / "safetensors" / name), name);
  };
  const auto expect_error = [](auto&& f, const std::string& needle) {
    try {
      f();
      ADD_FAILURE() << "no error; expected one with \"" << needle << "\"";
    } catch (const seq2seq::Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  const auto keras_lstm = file("layout_keras_lstm_units_wrap");
  expect_error([&] { (void)seq2seq::io::keras::lstm_cell<float>(keras_lstm); },
               "tensor 'lstm/lstm_cell/recurrent_kernel' has shape [4611686018427387904,0]: dimension "
               "4611686018427387904 is too large for a layer size");
  const auto keras_gru = file("layout_keras_gru_units_overflow");
  expect_error([&] { (void)seq2seq::io::keras::gru_cell<float>(keras_gru); }, "is too large for a layer size");
  const auto torch_lstm = file("layout_torch_lstm_units_overflow");
  expect_error([&] { (void)seq2seq::io::pytorch::lstm_cell<float>(torch_lstm); },
               "tensor 'weight_hh_l0' has shape [0,4611686018427387904]");
  expect_error([&] { (void)seq2seq::io::pytorch::gru_cell<float>(torch_lstm); }, "is too large for a layer size");
}

}  // namespace
