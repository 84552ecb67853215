// The fuzz targets of the weight-file readers (SafetensorsFile, NpzFile), shared by the
// libFuzzer harnesses (fuzz_safetensors.cpp, fuzz_npz.cpp, built with clang by tools/fuzz.sh)
// and by tests/test_fuzz_corpus.cpp, which replays every committed corpus and regression file
// through the same functions in the normal build.
//
// Contract: for any input, a target returns normally or throws seq2seq::Error. Anything else
// (another exception, a sanitizer report, an Eigen assertion, a crash, a hang, an allocation of a
// size the file merely claims) is a finding.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <zip.h>

#include <seq2seq/seq2seq.hpp>
#include <seq2seq/io/keras.hpp>
#include <seq2seq/io/npz.hpp>
#include <seq2seq/io/pytorch.hpp>
#include <seq2seq/io/safetensors.hpp>
#include <seq2seq/io/tf1.hpp>
#include <seq2seq/io/tf_checkpoint.hpp>
#include <seq2seq/io/tfa.hpp>

#include "../tf_table_writer.hpp"

namespace seq2seq::fuzz {

/// Runs `f`, accepting seq2seq::Error (the documented outcome for bad input); every other
/// exception propagates to the harness, which reports it.
template <class F>
void allow_error(F&& f) {
  try {
    f();
  } catch (const seq2seq::Error&) {
  }
}

/// Sizes small enough that running a cell built from a file stays cheap.
inline bool small(Index n) { return n >= 0 && n <= 64; }

/// One step of a cell the converters built, at batch 2, when its sizes are small: validated
/// weights must also be usable.
template <class Cell>
void run_cell(const Cell& cell) {
  if (!small(cell.input_size()) || !small(cell.output_size())) return;
  Tensor2<typename Cell::Scalar> inputs(2, cell.input_size());
  inputs.setConstant(typename Cell::Scalar(0.5));
  const auto [output, state] = cell(inputs, cell.zero_state(2));
  (void)output;
  (void)state;
}

/// A tensor of rank R read as float and double, with and without an expected shape.
template <int R>
void read_tensor(const io::TensorFile& file, const std::string& name) {
  allow_error([&] { (void)file.tensor<float, R>(name); });
  allow_error([&] { (void)file.tensor<double, R>(name); });
  std::array<Index, R> expected{};
  for (auto& d : expected) d = 1;
  allow_error([&] { (void)file.tensor<float, R>(name, expected); });
}

/// Every accessor on every tensor, then every layout converter with its default names (the seed
/// corpus uses them), and one step of whatever they build.
template <class File>
void exercise_file(const File& file) {
  (void)file.name();
  (void)file.metadata();
  allow_error([&] { (void)file.metadata("format"); });
  allow_error([&] { (void)file.shape("missing"); });
  for (const auto& name : file.names()) {
    if (!file.contains(name)) throw std::logic_error("names() lists a tensor that contains() denies");
    const auto& shape = file.shape(name);
    (void)file.dtype(name);
    switch (shape.size()) {
      case 0: read_tensor<0>(file, name); break;
      case 1: read_tensor<1>(file, name); break;
      case 2: read_tensor<2>(file, name); break;
      case 3: read_tensor<3>(file, name); break;
      default: read_tensor<4>(file, name); break;  // rank 4, or a rank mismatch
    }
    read_tensor<1>(file, name);  // a rank mismatch for most tensors
    allow_error([&] { (void)file.integers(name); });
    allow_error([&] { (void)file.scalar(name); });
  }

  allow_error([&] { run_cell(io::tf1::gru_cell<float>(file)); });
  allow_error([&] { run_cell(io::tf1::lstm_cell<float>(file)); });
  allow_error([&] { run_cell(io::keras::gru_cell<float>(file)); });
  allow_error([&] { run_cell(io::keras::lstm_cell<float>(file)); });
  allow_error([&] { run_cell(io::pytorch::gru_cell<float>(file)); });
  allow_error([&] { run_cell(io::pytorch::lstm_cell<float>(file)); });
  allow_error([&] { (void)io::tf1::attention_wrapper_config<float>(file); });

  // Bahdanau over a small memory [2, 3, Dm], Dm from the memory kernel when it is small.
  const auto memory_depth = [&](const std::string& kernel) -> Index {
    if (file.contains(kernel) && file.shape(kernel).size() == 2 && file.shape(kernel)[0] > 0 &&
        file.shape(kernel)[0] <= 16) {
      return static_cast<Index>(file.shape(kernel)[0]);
    }
    return 4;
  };
  const auto attend = [&](const auto& mechanism) {
    if (!small(mechanism.query_depth())) return;
    Tensor2<float> query(2, mechanism.query_depth());
    query.setConstant(0.25f);
    (void)mechanism(query, mechanism.initial_state(2));
  };
  allow_error([&] {
    Tensor3<float> memory(2, 3, memory_depth("memory_layer/kernel"));
    memory.setConstant(0.5f);
    attend(io::tf1::bahdanau_attention<float>(file, memory, {3, 2}));
  });
  allow_error([&] {
    Tensor3<float> memory(2, 3, memory_depth("BahdanauAttention/memory_layer/kernel"));
    memory.setConstant(0.5f);
    attend(io::keras::bahdanau_attention<float>(file, memory));
  });
  allow_error([&] {
    Tensor3<float> memory(2, 3, memory_depth("BahdanauAttention/kernel"));
    memory.setConstant(0.5f);
    attend(io::tfa::bahdanau_attention<float>(file, memory));
  });
}

/// Target 1: `data` is a safetensors file.
inline void fuzz_safetensors(const std::uint8_t* data, std::size_t size) {
  allow_error([&] {
    const auto file = io::SafetensorsFile::parse(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    exercise_file(file);
  });
}

/// Member names the "built archive" mode picks from: the converters' defaults, so that the
/// fuzzer reaches them, and a few that the reader must reject.
inline const std::vector<std::string>& npz_member_names() {
  static const std::vector<std::string> names = {
      "a.npy",
      "b.npy",
      "rnn/gru_cell/gates/kernel.npy",
      "rnn/gru_cell/gates/bias.npy",
      "rnn/gru_cell/candidate/kernel.npy",
      "rnn/gru_cell/candidate/bias.npy",
      "rnn/lstm_cell/kernel.npy",
      "rnn/lstm_cell/bias.npy",
      "lstm/lstm_cell/kernel.npy",
      "lstm/lstm_cell/recurrent_kernel.npy",
      "lstm/lstm_cell/bias.npy",
      "weight_ih_l0.npy",
      "weight_hh_l0.npy",
      "bias_ih_l0.npy",
      "bias_hh_l0.npy",
      "memory_layer/kernel.npy",
      "bahdanau_attention/query_layer/kernel.npy",
      "bahdanau_attention/attention_v.npy",
      "bahdanau_attention/attention_g.npy",
      "bahdanau_attention/attention_b.npy",
      "a",        // not a .npy member
      ".npy",     // the empty tensor name
      "a.npy/",   // a directory entry
  };
  return names;
}

/// A zip archive in memory with the given members, stored or deflated, written by libzip; empty
/// if libzip refuses (e.g. a duplicate name).
inline std::string build_zip(const std::vector<std::pair<std::string, std::string>>& members, bool deflate) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* out = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_error_fini(&error);
  if (out == nullptr) return {};
  zip_source_keep(out);
  std::string bytes;
  if (zip_t* archive = zip_open_from_source(out, ZIP_TRUNCATE, nullptr)) {
    bool ok = true;
    for (const auto& [name, content] : members) {
      zip_source_t* src = zip_source_buffer(archive, content.data(), content.size(), 0);
      const zip_int64_t index = src ? zip_file_add(archive, name.c_str(), src, ZIP_FL_ENC_UTF_8) : -1;
      if (index < 0) {
        if (src) zip_source_free(src);
        ok = false;
        break;
      }
      zip_set_file_compression(archive, static_cast<zip_uint64_t>(index),
                               deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
    }
    if (ok && zip_close(archive) == 0) {
      if (zip_source_open(out) == 0) {
        char buf[4096];
        zip_int64_t n;
        while ((n = zip_source_read(out, buf, sizeof buf)) > 0) bytes.append(buf, static_cast<std::size_t>(n));
        zip_source_close(out);
      }
    } else {
      zip_discard(archive);
    }
  }
  zip_source_free(out);
  return bytes;
}

/// Target 2: an .npz archive. The first byte chooses the mode:
///  - even: the rest is the archive itself (zip structure, libzip's checks, our member checks);
///  - odd: the rest describes members, each [name index (1 byte), length (2 bytes LE), content],
///    which libzip writes into a valid archive (deflated when bit 1 is set), so that mutations
///    of the .npy headers and data get past the CRC-32 check.
inline void fuzz_npz(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return;
  const std::uint8_t mode = data[0];
  std::string bytes;
  if ((mode & 1) == 0) {
    bytes.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  } else {
    std::vector<std::pair<std::string, std::string>> members;
    std::size_t at = 1;
    const auto& names = npz_member_names();
    while (at + 3 <= size && members.size() < 16) {
      const std::string& name = names[data[at] % names.size()];
      std::size_t length = data[at + 1] | (static_cast<std::size_t>(data[at + 2]) << 8);
      at += 3;
      length = std::min(length, size - at);
      members.emplace_back(name, std::string(reinterpret_cast<const char*>(data) + at, length));
      at += length;
    }
    bytes = build_zip(members, (mode & 2) != 0);
    if (bytes.empty()) return;
  }
  allow_error([&] {
    const auto file = io::NpzFile::parse(std::move(bytes), "fuzz");
    exercise_file(file);
  });
}

/// Target 4: a TensorFlow checkpoint (TFCheckpoint::parse). The first byte is the mode:
///  - bit 0 clear: [u16 LE n][n bytes: the .index][the rest: the data] — the table as given
///    (footer, blocks, checksums, restarts);
///  - bit 0 set: records [u8 key length][key][u16 LE value length][value] until a key length of
///    255, then the data: the harness writes them into a valid table (sorted, duplicates
///    dropped, three entries per block, Snappy-compressed when bit 1 is set), so that mutations
///    of the BundleHeaderProto and BundleEntryProto bytes get past the block checksums;
///  - bit 2: the data is two shards, split at its middle (else one).
inline void fuzz_tf_checkpoint(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return;
  const std::uint8_t mode = data[0];
  const char* bytes = reinterpret_cast<const char*>(data);
  std::size_t at = 1;
  std::string index;
  if ((mode & 1) == 0) {
    const std::size_t n = std::min<std::size_t>(data[1] | (std::size_t(data[2]) << 8), size - 3);
    index.assign(bytes + 3, n);
    at = 3 + n;
  } else {
    std::map<std::string, std::string> entries;
    while (at < size && data[at] != 255) {
      const std::size_t key_length = std::min<std::size_t>(data[at], size - at - 1);
      std::string key(bytes + at + 1, key_length);
      at += 1 + key_length;
      if (at + 2 > size) break;
      const std::size_t value_length = std::min<std::size_t>(data[at] | (std::size_t(data[at + 1]) << 8), size - at - 2);
      entries.emplace(std::move(key), std::string(bytes + at + 2, value_length));
      at += 2 + value_length;
    }
    at = std::min(at + 1, size);
    index = tf_table_writer::write_table(tf_table_writer::Entries(entries.begin(), entries.end()), 3,
                                         (mode & 2) != 0);
  }
  const std::string rest(bytes + at, size - at);
  std::vector<std::string> shards{rest};
  if (mode & 4) shards = {rest.substr(0, rest.size() / 2), rest.substr(rest.size() / 2)};
  allow_error([&] {
    const auto ckpt = io::TFCheckpoint::parse(std::move(index), std::move(shards), "fuzz");
    exercise_file(ckpt);
    for (const auto& entry : ckpt.unreadable()) {
      const std::string& name = entry.first;  // a structured binding cannot be captured in C++17
      allow_error([&] { (void)ckpt.strings(name); });
      allow_error([&] { (void)ckpt.tensor<float, 1>(name); });
      (void)ckpt.is_training_state(name);
    }
    for (const auto& [name, key] : ckpt.variables()) (void)ckpt.is_training_state(name);
  });
}

}  // namespace seq2seq::fuzz
