// Test support: writing TensorFlow checkpoint index tables (LevelDB-style, as
// tensorflow/core/lib/io/table_builder.cc writes them), for the fuzz harness (valid checksums
// around fuzzed entries) and for a TensorFlow-written index written again with every block
// Snappy-compressed (TensorFlow writes its indexes uncompressed; other writers and older files
// compress them), so that the reader's Snappy path runs on TensorFlow's own entries. Snappy
// compression needs <snappy.h> (Debian libsnappy-dev).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

// Compressing needs the library linked: seq2seq::io links it when it defines SEQ2SEQ_SNAPPY (a
// test that hides SEQ2SEQ_SNAPPY from the reader sets SEQ2SEQ_TEST_LINKS_SNAPPY instead).
#if defined(SEQ2SEQ_SNAPPY) || defined(SEQ2SEQ_TEST_LINKS_SNAPPY)
#include <snappy.h>
#define SEQ2SEQ_TEST_HAS_SNAPPY 1
#endif

#include <seq2seq/io/tf_checkpoint_format.hpp>

namespace tf_table_writer {

using Entries = std::vector<std::pair<std::string, std::string>>;

inline void put_varint(std::string& out, std::uint64_t v) {
  for (; v >= 0x80; v >>= 7) out += static_cast<char>((v & 0x7F) | 0x80);
  out += static_cast<char>(v);
}

inline void put_fixed32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

/// Block contents holding `entries`, every entry a restart point (no shared key prefix).
inline std::string build_block(const Entries& entries) {
  std::string out;
  std::vector<std::uint32_t> restarts;
  for (const auto& [key, value] : entries) {
    restarts.push_back(static_cast<std::uint32_t>(out.size()));
    put_varint(out, 0);
    put_varint(out, key.size());
    put_varint(out, value.size());
    out += key;
    out += value;
  }
  if (restarts.empty()) restarts.push_back(0);
  for (const auto r : restarts) put_fixed32(out, r);
  put_fixed32(out, static_cast<std::uint32_t>(restarts.size()));
  return out;
}

/// Appends `body` with its trailer (compression `type`, masked crc32c); returns its BlockHandle.
inline std::string append_raw(std::string& file, const std::string& body, char type) {
  std::string handle;
  put_varint(handle, file.size());
  put_varint(handle, body.size());
  file += body;
  file += type;
  const std::uint32_t crc = seq2seq::io::detail::crc32c_extend(
      0, file.data() + file.size() - body.size() - 1, body.size() + 1);
  put_fixed32(file, seq2seq::io::detail::crc32c_mask(crc));
  return handle;
}

/// Appends a block of `contents`, Snappy-compressed when `snappy` (and <snappy.h> is there).
inline std::string append_block(std::string& file, const std::string& contents, bool snappy) {
#if defined(SEQ2SEQ_TEST_HAS_SNAPPY)
  if (snappy) {
    std::string body;
    snappy::Compress(contents.data(), contents.size(), &body);
    return append_raw(file, body, 1);
  }
#endif
  (void)snappy;
  return append_raw(file, contents, 0);
}

/// Finishes a table file after its data blocks: an empty metaindex, the index block listing the
/// data blocks (last key, handle), and the footer.
inline std::string finish(std::string file, const Entries& index_entries, bool snappy) {
  const std::string meta = append_block(file, build_block({}), snappy);
  const std::string index = append_block(file, build_block(index_entries), snappy);
  std::string footer = meta + index;
  footer.resize(40, '\0');
  put_fixed32(footer, 0x8B80FB57u);
  put_fixed32(footer, 0xDB477524u);
  return file + footer;
}

/// A table of `entries` (sorted by key, unique) with `per_block` entries per data block.
inline std::string write_table(const Entries& entries, std::size_t per_block, bool snappy) {
  std::string file;
  Entries index_entries;
  for (std::size_t i = 0; i < entries.size(); i += per_block) {
    const Entries chunk(entries.begin() + static_cast<std::ptrdiff_t>(i),
                        entries.begin() + static_cast<std::ptrdiff_t>(std::min(i + per_block, entries.size())));
    index_entries.emplace_back(chunk.back().first, append_block(file, build_block(chunk), snappy));
  }
  return finish(std::move(file), index_entries, snappy);
}

/// The table of `index` (a whole .index file) again, `per_block` entries per data block, every
/// block Snappy-compressed.
inline std::string recompress(const std::string& index, std::size_t per_block) {
  return write_table(seq2seq::io::detail::TableReader(index, "index").entries(), per_block, true);
}

/// A table whose one data block claims (in its Snappy header) to expand to 2^40 bytes.
inline std::string huge_claim() {
  std::string body;
  put_varint(body, std::uint64_t(1) << 40);
  body += std::string(16, 'x');
  std::string file;
  Entries index_entries{{"a", append_raw(file, body, 1)}};
  return finish(std::move(file), index_entries, false);
}

}  // namespace tf_table_writer
