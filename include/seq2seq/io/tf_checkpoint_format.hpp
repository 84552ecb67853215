// The pieces of TensorFlow's checkpoint format that TFCheckpoint (tf_checkpoint.hpp) reads
// beside the .index table (tf_table.hpp): the protobuf messages the table holds
// (BundleHeaderProto, BundleEntryProto with TensorShapeProto and TensorSliceProto,
// TrackableObjectGraph) through a small wire-format decoder, TensorFlow's dtype enum, the layout
// of string tensors in a data shard, and the keys of partitioned variables' slices. Sources:
// tensorflow/core/util/tensor_bundle/tensor_bundle.{proto,cc}, trackable_object_graph.proto,
// tensor_slice_util, lib/strings/ordered_code.cc. Every function bounds-checks what it reads and
// throws seq2seq::Error naming the file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <seq2seq/core/error.hpp>
#include <seq2seq/io/tensor_file.hpp>
#include <seq2seq/io/tf_table.hpp>

namespace seq2seq::io::detail {

// ---- protobuf wire format (only what the four messages use)

/// Walks the fields of one serialized message.
class WireReader {
 public:
  WireReader(std::string_view bytes, const char* message, const std::string& file)
      : p_(reinterpret_cast<const unsigned char*>(bytes.data())), end_(p_ + bytes.size()),
        message_(message), file_(file) {}

  /// Reads the next field's tag; false at the end of the message.
  bool next() {
    if (p_ == end_) return false;
    std::uint64_t tag = 0;
    if (!read_varint(p_, end_, tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1FFFFFFFu) bad("tag");
    field_ = static_cast<int>(tag >> 3);
    type_ = static_cast<int>(tag & 7u);
    return true;
  }
  int field() const { return field_; }

  std::uint64_t varint() {
    if (type_ != 0) bad("wire type (expected a varint)");
    std::uint64_t v = 0;
    if (!read_varint(p_, end_, v)) bad("varint");
    return v;
  }
  std::int64_t int64() { return static_cast<std::int64_t>(varint()); }  // two's complement
  std::uint32_t fixed32() {
    if (type_ != 5 || end_ - p_ < 4) bad("fixed32");
    const std::uint32_t v = load_le<std::uint32_t>(p_);
    p_ += 4;
    return v;
  }
  std::string_view bytes() {
    if (type_ != 2) bad("wire type (expected a length-delimited field)");
    std::uint64_t n = 0;
    if (!read_varint(p_, end_, n) || n > static_cast<std::uint64_t>(end_ - p_)) bad("length");
    const std::string_view out(reinterpret_cast<const char*>(p_), static_cast<std::size_t>(n));
    p_ += n;
    return out;
  }
  /// Skips a field this reader does not use.
  void skip() {
    switch (type_) {
      case 0: varint(); break;
      case 1: if (end_ - p_ < 8) bad("fixed64"); p_ += 8; break;
      case 2: bytes(); break;
      case 5: fixed32(); break;
      default: bad("wire type");
    }
  }

 private:
  [[noreturn]] void bad(const char* what) const {
    checkpoint_fail(file_, "corrupt ", message_, ": bad ", what, " in field ", field_);
  }
  const unsigned char* p_;
  const unsigned char* end_;
  const char* message_;
  const std::string& file_;
  int field_ = 0;
  int type_ = 0;
};

/// BundleHeaderProto: the entry under the empty key.
struct BundleHeader {
  std::int64_t num_shards = 0;
  bool big_endian = false;
};

inline BundleHeader parse_bundle_header(std::string_view bytes, const std::string& file) {
  BundleHeader h;
  WireReader r(bytes, "BundleHeaderProto", file);
  while (r.next()) {
    if (r.field() == 1) {
      h.num_shards = r.int64();
    } else if (r.field() == 2) {
      h.big_endian = r.varint() != 0;
    } else if (r.field() == 3) {  // VersionDef: this reader is consumer version 1, as TF 2.15
      WireReader v(r.bytes(), "VersionDef", file);
      while (v.next()) {
        if (v.field() == 2) {
          const std::int64_t min_consumer = v.int64();
          if (min_consumer > 1) {
            checkpoint_fail(file, "written for bundle readers of version ", min_consumer,
                            " or later (this reader is version 1)");
          }
        } else if (v.field() == 3) {
          if (v.int64() == 1) checkpoint_fail(file, "the checkpoint bans bundle readers of version 1");
        } else {
          v.skip();
        }
      }
    } else {
      r.skip();
    }
  }
  return h;
}

/// BundleEntryProto: one tensor's dtype, shape and place in the data shards.
struct BundleEntry {
  int dtype = 0;
  std::vector<std::int64_t> shape;
  bool unknown_rank = false;
  std::int64_t shard_id = 0;
  std::int64_t offset = 0;
  std::int64_t size = 0;
  std::uint32_t crc32c = 0;  // masked
  /// A partitioned variable's slices (TensorSliceProto): per dimension (start, length), length
  /// -1 for the whole dimension. The data of each is another entry (tensor_slice_key).
  std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> slices;
};

inline BundleEntry parse_bundle_entry(std::string_view bytes, const std::string& key,
                                      const std::string& file) {
  BundleEntry e;
  const std::string what = "BundleEntryProto of '" + key + "'";
  WireReader r(bytes, what.c_str(), file);
  bool has_crc = false;
  while (r.next()) {
    switch (r.field()) {
      case 1: e.dtype = static_cast<int>(r.int64()); break;
      case 2: {
        WireReader shape(r.bytes(), what.c_str(), file);
        while (shape.next()) {
          if (shape.field() == 2) {
            WireReader dim(shape.bytes(), what.c_str(), file);
            std::int64_t size = 0;
            while (dim.next()) {
              if (dim.field() == 1) size = dim.int64(); else dim.skip();
            }
            e.shape.push_back(size);  // bounded: every dim consumes bytes of the entry
          } else if (shape.field() == 3) {
            e.unknown_rank = shape.varint() != 0;
          } else {
            shape.skip();
          }
        }
        break;
      }
      case 3: e.shard_id = r.int64(); break;
      case 4: e.offset = r.int64(); break;
      case 5: e.size = r.int64(); break;
      case 6: e.crc32c = r.fixed32(); has_crc = true; break;
      case 7: {
        std::vector<std::pair<std::int64_t, std::int64_t>> extents;
        WireReader slice(r.bytes(), what.c_str(), file);
        while (slice.next()) {
          if (slice.field() != 1) {
            slice.skip();
            continue;
          }
          std::pair<std::int64_t, std::int64_t> extent{0, -1};
          WireReader x(slice.bytes(), what.c_str(), file);
          while (x.next()) {
            if (x.field() == 1) extent.first = x.int64();
            else if (x.field() == 2) extent.second = x.int64();
            else x.skip();
          }
          extents.push_back(extent);
        }
        e.slices.push_back(std::move(extents));  // bounded: every slice consumes bytes
        break;
      }
      default: r.skip();
    }
  }
  if (!has_crc && e.slices.empty() && e.size > 0) {
    checkpoint_fail(file, "tensor '", key, "': the index has no checksum for it");
  }
  return e;
}

// ---- partitioned variables: the keys of their slices (tensor_slice_util / ordered_code.cc)

/// OrderedCode's signed-number encoding, whose byte order sorts as the numbers do: a header of
/// leading 1-bits gives the length (x in [-64, 64) is one byte 0x80 ^ x).
inline void put_signed_num_increasing(std::string& out, std::int64_t value) {
  const std::uint64_t x = value < 0 ? ~static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
  int bits = 0;
  while (bits < 64 && (x >> bits) != 0) ++bits;
  const int length = bits / 7 + 1;  // 1..10 bytes
  unsigned char buffer[10];
  for (int i = 0; i < 10; ++i) {
    const int shift = 8 * (9 - i);
    buffer[i] = shift >= 64 ? (value < 0 ? 0xFF : 0x00)
                            : static_cast<unsigned char>(static_cast<std::uint64_t>(value) >> shift);
  }
  static const unsigned char header[11][2] = {{0x00, 0x00}, {0x80, 0x00}, {0xC0, 0x00}, {0xE0, 0x00},
                                              {0xF0, 0x00}, {0xF8, 0x00}, {0xFC, 0x00}, {0xFE, 0x00},
                                              {0xFF, 0x00}, {0xFF, 0x80}, {0xFF, 0xC0}};
  unsigned char* begin = buffer + 10 - length;
  begin[0] ^= header[length][0];
  if (length > 1) begin[1] ^= header[length][1];
  out.append(reinterpret_cast<const char*>(begin), static_cast<std::size_t>(length));
}

/// The key under which a slice of variable `name` is stored: EncodeTensorNameSlice, i.e.
/// OrderedCode's 0, the escaped name, the rank, then start and length (-1: the whole
/// dimension) of each dimension.
inline std::string tensor_slice_key(const std::string& name,
                                    const std::vector<std::pair<std::int64_t, std::int64_t>>& extents) {
  std::string key(1, '\0');  // WriteNumIncreasing(0)
  for (const char c : name) {
    key += c;
    if (c == '\0') key += '\xff';
    if (c == '\xff') key += '\0';
  }
  key += std::string("\0\x01", 2);
  const auto rank = static_cast<std::uint64_t>(extents.size());
  std::string big_endian;
  for (std::uint64_t r = rank; r != 0; r >>= 8) big_endian.insert(big_endian.begin(), static_cast<char>(r & 0xFF));
  key += static_cast<char>(big_endian.size());  // WriteNumIncreasing(rank)
  key += big_endian;
  for (const auto& [start, length] : extents) {
    put_signed_num_increasing(key, start);
    put_signed_num_increasing(key, length);
  }
  return key;
}

/// TensorFlow's DataType enum (types.proto) for what a checkpoint can hold.
struct TFDType {
  enum class Kind { Numeric, String, Other };
  int value;
  const char* name;
  Kind kind;
  const DTypeInfo* info;  // Numeric only
};

inline const TFDType* find_tf_dtype(int value) {
  using K = TFDType::Kind;
  static const TFDType table[] = {
      {1, "float", K::Numeric, find_dtype("F32")},     {2, "double", K::Numeric, find_dtype("F64")},
      {3, "int32", K::Numeric, find_dtype("I32")},     {4, "uint8", K::Numeric, find_dtype("U8")},
      {5, "int16", K::Numeric, find_dtype("I16")},     {6, "int8", K::Numeric, find_dtype("I8")},
      {7, "string", K::String, nullptr},               {9, "int64", K::Numeric, find_dtype("I64")},
      {10, "bool", K::Numeric, find_dtype("BOOL")},    {14, "bfloat16", K::Numeric, find_dtype("BF16")},
      {17, "uint16", K::Numeric, find_dtype("U16")},   {19, "half", K::Numeric, find_dtype("F16")},
      {20, "resource", K::Other, nullptr},             {21, "variant", K::Other, nullptr},
      {22, "uint32", K::Numeric, find_dtype("U32")},   {23, "uint64", K::Numeric, find_dtype("U64")},
  };
  for (const auto& t : table) {
    if (t.value == value) return &t;
  }
  return nullptr;
}

/// A string tensor's bytes in a data shard: varint64 lengths, the masked crc32c of the lengths
/// (each as uint32, or uint64 above 4 GiB), then the strings. `masked_crc` (the entry's) covers
/// the lengths, the length checksum and the strings.
inline std::vector<std::string> decode_string_tensor(const std::string& bytes, std::uint64_t count,
                                                     std::uint32_t masked_crc, const std::string& key,
                                                     const std::string& file) {
  std::vector<std::string> out;
  if (bytes.empty() && count == 0) return out;
  const auto fail = [&](const char* what) {
    checkpoint_fail(file, "string tensor '", key, "': ", what, " (corrupt data)");
  };
  if (count > bytes.size()) fail("more elements than bytes");  // every length takes a byte
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* end = p + bytes.size();
  std::vector<std::uint64_t> lengths;
  lengths.reserve(static_cast<std::size_t>(count));
  std::uint32_t crc = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t n = 0;
    if (!read_varint(p, end, n)) fail("truncated lengths");
    if (n > bytes.size()) fail("a length exceeds the tensor's bytes");
    if (n <= 0xFFFFFFFFu) {
      unsigned char le[4];
      for (int b = 0; b < 4; ++b) le[b] = static_cast<unsigned char>(n >> (8 * b));
      crc = crc32c_extend(crc, le, 4);
    } else {
      unsigned char le[8];
      for (int b = 0; b < 8; ++b) le[b] = static_cast<unsigned char>(n >> (8 * b));
      crc = crc32c_extend(crc, le, 8);
    }
    lengths.push_back(n);
  }
  if (end - p < 4) fail("truncated length checksum");
  if (crc32c_unmask(load_le<std::uint32_t>(p)) != crc) fail("length checksum mismatch");
  crc = crc32c_extend(crc, p, 4);
  p += 4;
  out.reserve(lengths.size());
  for (const std::uint64_t n : lengths) {
    if (n > static_cast<std::uint64_t>(end - p)) fail("strings run past the tensor's bytes");
    out.emplace_back(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
    crc = crc32c_extend(crc, p, static_cast<std::size_t>(n));
    p += n;
  }
  if (p != end) fail("bytes left after the last string");
  if (crc != crc32c_unmask(masked_crc)) fail("checksum mismatch");
  return out;
}

/// TrackableObjectGraph, reduced to what names variables: each node's attributes
/// (name, full_name, checkpoint_key) and the node ids of its slot variables.
struct ObjectGraph {
  struct Attribute {
    std::string name, full_name, checkpoint_key;
  };
  struct Node {
    std::vector<Attribute> attributes;
    std::vector<std::int64_t> slot_variable_ids;
  };
  std::vector<Node> nodes;
};

inline ObjectGraph parse_object_graph(std::string_view bytes, const std::string& file) {
  ObjectGraph graph;
  const char* what = "_CHECKPOINTABLE_OBJECT_GRAPH";
  WireReader r(bytes, what, file);
  while (r.next()) {
    if (r.field() != 1) {
      r.skip();
      continue;
    }
    ObjectGraph::Node node;
    WireReader n(r.bytes(), what, file);
    while (n.next()) {
      if (n.field() == 2) {
        ObjectGraph::Attribute a;
        WireReader t(n.bytes(), what, file);
        while (t.next()) {
          switch (t.field()) {
            case 1: a.name = std::string(t.bytes()); break;
            case 2: a.full_name = std::string(t.bytes()); break;
            case 3: a.checkpoint_key = std::string(t.bytes()); break;
            default: t.skip();
          }
        }
        node.attributes.push_back(std::move(a));
      } else if (n.field() == 3) {
        WireReader s(n.bytes(), what, file);
        while (s.next()) {
          if (s.field() == 3) node.slot_variable_ids.push_back(s.int64()); else s.skip();
        }
      } else {
        n.skip();
      }
    }
    graph.nodes.push_back(std::move(node));
  }
  return graph;
}

}  // namespace seq2seq::io::detail
