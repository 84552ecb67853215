// The LevelDB-style table of a TensorFlow checkpoint's .index file, as
// tensorflow/core/lib/io/{format,block,table}.cc write it: masked crc32c, varints, and
// TableReader (footer, index block, data blocks with restart arrays and prefix-compressed
// keys; Snappy-compressed blocks with SEQ2SEQ_SNAPPY). Every function bounds-checks what it
// reads and throws seq2seq::Error naming the file. Used by tf_checkpoint_format.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if defined(__SSE4_2__)
#include <nmmintrin.h>
#endif
#if defined(SEQ2SEQ_SNAPPY)
#include <snappy.h>
#endif

#include <seq2seq/core/error.hpp>
#include <seq2seq/io/tensor_file.hpp>

namespace seq2seq::io::detail {

template <class... Parts>
[[noreturn]] void checkpoint_fail(const std::string& file, Parts&&... parts) {
  seq2seq::detail::fail("TensorFlow checkpoint file '", file, "': ", std::forward<Parts>(parts)...);
}

// ---- crc32c (Castagnoli, reflected polynomial 0x82F63B78), as TensorFlow and LevelDB use it.

/// Slicing-by-8 tables: entry [k][b] is the crc of byte b followed by k zero bytes.
inline const std::array<std::uint32_t, 8 * 256>& crc32c_tables() {
  static const std::array<std::uint32_t, 8 * 256> tables = [] {
    std::array<std::uint32_t, 8 * 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t crc = i;
      for (int bit = 0; bit < 8; ++bit) crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
      t[i] = crc;
    }
    for (std::size_t k = 1; k < 8; ++k) {
      for (std::size_t i = 0; i < 256; ++i) {
        const std::uint32_t prev = t[(k - 1) * 256 + i];
        t[k * 256 + i] = (prev >> 8) ^ t[prev & 0xFFu];
      }
    }
    return t;
  }();
  return tables;
}

/// crc32c of `n` more bytes at `data`, continuing `crc` (0 to start), as crc32c::Extend.
inline std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
#if defined(__SSE4_2__)
  std::uint64_t c = crc;
  for (; n >= 8; n -= 8, p += 8) c = _mm_crc32_u64(c, load_le<std::uint64_t>(p));
  crc = static_cast<std::uint32_t>(c);
  for (; n > 0; --n) crc = _mm_crc32_u8(crc, *p++);
#else
  const auto& t = crc32c_tables();
  for (; n >= 8; n -= 8, p += 8) {
    const std::uint32_t lo = load_le<std::uint32_t>(p) ^ crc;
    const std::uint32_t hi = load_le<std::uint32_t>(p + 4);
    crc = t[7 * 256 + (lo & 0xFFu)] ^ t[6 * 256 + ((lo >> 8) & 0xFFu)] ^
          t[5 * 256 + ((lo >> 16) & 0xFFu)] ^ t[4 * 256 + (lo >> 24)] ^
          t[3 * 256 + (hi & 0xFFu)] ^ t[2 * 256 + ((hi >> 8) & 0xFFu)] ^
          t[1 * 256 + ((hi >> 16) & 0xFFu)] ^ t[hi >> 24];
  }
  for (; n > 0; --n) crc = t[(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
#endif
  return ~crc;
}

/// TensorFlow stores crcs "masked" (crc32c::Mask) so that a crc of data holding crcs differs.
inline std::uint32_t crc32c_mask(std::uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}
inline std::uint32_t crc32c_unmask(std::uint32_t masked) {
  const std::uint32_t rot = masked - 0xA282EAD8u;
  return (rot >> 17) | (rot << 15);
}

// ---- varints

/// Reads a base-128 varint of at most 10 bytes at p (< end); false if it runs past end.
inline bool read_varint(const unsigned char*& p, const unsigned char* end, std::uint64_t& out) {
  std::uint64_t value = 0;
  for (int shift = 0; shift <= 63 && p < end; shift += 7) {
    const unsigned char byte = *p++;
    value |= static_cast<std::uint64_t>(byte & 0x7Fu) << shift;
    if ((byte & 0x80u) == 0) {
      out = value;
      return true;
    }
  }
  return false;
}

// ---- the .index table

/// The key/value pairs of a TensorFlow table (LevelDB's format without filter blocks): the
/// footer's index block lists the data blocks, each block ends in its restart array, keys are
/// prefix-compressed against the previous key. Every block's masked crc32c is verified.
class TableReader {
 public:
  /// `file` is the whole .index file; `name` its path, for messages.
  TableReader(const std::string& file, std::string name) : file_(file), name_(std::move(name)) {}

  /// Every entry of every data block, in key order (checked strictly ascending).
  std::vector<std::pair<std::string, std::string>> entries() const {
    constexpr std::size_t kFooter = 48;  // two BlockHandles padded to 40 bytes, then the magic
    if (file_.size() < kFooter) {
      fail("the index is ", file_.size(), " bytes, shorter than the 48-byte table footer");
    }
    const auto* footer = bytes() + file_.size() - kFooter;
    if (load_le<std::uint32_t>(footer + 40) != 0x8B80FB57u ||
        load_le<std::uint32_t>(footer + 44) != 0xDB477524u) {
      fail("not a TensorFlow checkpoint index (bad table magic number)");
    }
    const unsigned char* p = footer;
    std::uint64_t meta_offset = 0, meta_size = 0, index_offset = 0, index_size = 0;
    if (!read_varint(p, footer + 40, meta_offset) || !read_varint(p, footer + 40, meta_size) ||
        !read_varint(p, footer + 40, index_offset) || !read_varint(p, footer + 40, index_size)) {
      fail("corrupt table footer");
    }
    // TensorFlow writes no filters, so the metaindex block is unused; it is still verified.
    block(meta_offset, meta_size, "metaindex block");
    std::vector<std::pair<std::string, std::string>> out;
    const std::string index = block(index_offset, index_size, "index block");
    for_each_entry(index, "index block", [&](const std::string& separator, std::string_view handle) {
      const auto* h = reinterpret_cast<const unsigned char*>(handle.data());
      const auto* h_end = h + handle.size();
      std::uint64_t offset = 0, size = 0;
      if (!read_varint(h, h_end, offset) || !read_varint(h, h_end, size) || h != h_end) {
        fail("index block: corrupt block handle for key '", separator, "'");
      }
      const std::string data = block(offset, size, "data block");
      for_each_entry(data, "data block", [&](const std::string& key, std::string_view value) {
        if (!out.empty() && !(out.back().first < key)) {
          fail("keys out of order: '", key, "' after '", out.back().first, "'");
        }
        if (key > separator) fail("key '", key, "' lies past its index separator '", separator, "'");
        out.emplace_back(key, std::string(value));
      });
    });
    return out;
  }

 private:
  template <class... Parts>
  [[noreturn]] void fail(Parts&&... parts) const {
    checkpoint_fail(name_, std::forward<Parts>(parts)...);
  }
  const unsigned char* bytes() const { return reinterpret_cast<const unsigned char*>(file_.data()); }

  /// The verified, uncompressed contents of the block at [offset, offset + size), followed in the
  /// file by its 5-byte trailer: the compression type and the masked crc32c of contents + type.
  std::string block(std::uint64_t offset, std::uint64_t size, const char* what) const {
    const std::uint64_t file_size = file_.size();
    if (offset > file_size || size > file_size - offset || file_size - offset - size < 5) {
      fail(what, " [", offset, ", +", size, ") and its trailer lie outside the ", file_size,
           "-byte index (truncated or corrupt)");
    }
    const auto* contents = bytes() + offset;
    const unsigned char type = contents[size];
    const std::uint32_t stored = crc32c_unmask(load_le<std::uint32_t>(contents + size + 1));
    if (crc32c_extend(0, contents, static_cast<std::size_t>(size + 1)) != stored) {
      fail(what, " at offset ", offset, ": checksum mismatch (corrupt index)");
    }
    const auto* text = reinterpret_cast<const char*>(contents);
    if (type == 0) return std::string(text, static_cast<std::size_t>(size));
    if (type != 1) fail(what, " at offset ", offset, ": unknown compression type ", int(type));
#if defined(SEQ2SEQ_SNAPPY)
    std::size_t length = 0;
    // Snappy expands at most ~21x (a 3-byte copy tag yields 64 bytes): a larger claim is corrupt,
    // and it is checked before anything of that size is allocated.
    if (!snappy::GetUncompressedLength(text, static_cast<std::size_t>(size), &length) ||
        length > 32 * size + 64) {
      fail(what, " at offset ", offset, ": corrupt Snappy header");
    }
    std::string out(length, '\0');
    if (!snappy::RawUncompress(text, static_cast<std::size_t>(size), out.data())) {
      fail(what, " at offset ", offset, ": corrupt Snappy data");
    }
    return out;
#else
    fail(what, " at offset ", offset, " is Snappy-compressed, and this build has no Snappy: "
         "install libsnappy-dev and build with SEQ2SEQ_SNAPPY (the seq2seq::io CMake target "
         "does this when it finds Snappy)");
#endif
  }

  /// Calls f(key, value) for each entry of a block: entries of (varint32 shared, varint32
  /// non_shared, varint32 value_length, key delta, value), then fixed32 restart offsets, then
  /// their fixed32 count. Entries at restart points share nothing with the previous key.
  template <class F>
  void for_each_entry(const std::string& block, const char* what, F&& f) const {
    if (block.size() < 4) fail(what, ": ", block.size(), " bytes, too short for a restart count");
    const auto* base = reinterpret_cast<const unsigned char*>(block.data());
    const std::uint64_t restarts = load_le<std::uint32_t>(base + block.size() - 4);
    if (restarts == 0 || restarts > (block.size() - 4) / 4) {
      fail(what, ": restart count ", restarts, " does not fit its ", block.size(), " bytes");
    }
    const std::size_t limit = block.size() - 4 - static_cast<std::size_t>(restarts) * 4;
    std::set<std::uint32_t> restart_points;
    for (std::uint64_t i = 0; i < restarts; ++i) {
      const std::uint32_t r = load_le<std::uint32_t>(base + limit + 4 * i);
      if (r > limit || (limit > 0 && r == limit) || (i == 0 && r != 0)) {
        fail(what, ": restart point ", r, " outside its ", limit, " bytes of entries");
      }
      restart_points.insert(r);
    }
    const unsigned char* p = base;
    const unsigned char* end = base + limit;
    std::string key;
    while (p < end) {
      const auto at = static_cast<std::uint32_t>(p - base);
      std::uint64_t shared = 0, non_shared = 0, value_size = 0;
      if (!read_varint(p, end, shared) || !read_varint(p, end, non_shared) ||
          !read_varint(p, end, value_size)) {
        fail(what, ": corrupt entry at offset ", at);
      }
      if (shared > key.size() || (restart_points.count(at) && shared != 0)) {
        fail(what, ": entry at offset ", at, " shares ", shared, " bytes with a ", key.size(),
             "-byte previous key");
      }
      const auto left = static_cast<std::uint64_t>(end - p);
      if (non_shared > left || value_size > left - non_shared) {
        fail(what, ": entry at offset ", at, " runs past the end of the block");
      }
      key.resize(static_cast<std::size_t>(shared));
      key.append(reinterpret_cast<const char*>(p), static_cast<std::size_t>(non_shared));
      p += non_shared;
      f(key, std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(value_size)));
      p += value_size;
    }
  }

  const std::string& file_;
  std::string name_;
};

}  // namespace seq2seq::io::detail
