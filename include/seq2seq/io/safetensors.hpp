// Reader for the safetensors weight format (Hugging Face's safetensors).
//
// Layout: an 8-byte little-endian u64 N, then N bytes of UTF-8 JSON header, then the data buffer.
// The header maps tensor name -> {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin,
// end]} with offsets relative to the start of the data buffer, plus an optional "__metadata__"
// object of string -> string. Every malformed input is reported as seq2seq::Error; nothing the
// header merely claims is trusted before it has been checked against the actual byte count.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <seq2seq/core/tensor.hpp>
#include <seq2seq/io/tensor_file.hpp>

namespace seq2seq::io {

/// An in-memory safetensors file: the validated header plus the raw bytes. Tensors are decoded
/// (and copied) on request; the accessors are TensorFile's. Every dtype of the format is read;
/// tensor() and scalar() accept F16, BF16, F32 and F64, and metadata() is the "__metadata__" map
/// (empty if the header has none). Copyable; all accessors are const and thread-compatible.
class SafetensorsFile : public TensorFile {
 public:
  /// Reads and validates the whole file at `path`; name() is `path`. Throws Error if the file
  /// cannot be opened/read or is malformed. Allocates at most the file's actual size.
  static SafetensorsFile load(const std::string& path);

  /// Validates `bytes` (a complete safetensors file) and takes ownership of them. `name` is used
  /// in error messages. Throws Error for any malformed header, offsets or sizes.
  static SafetensorsFile parse(std::string bytes, std::string name = "<memory>");

 private:
  static constexpr Format kFormat{"safetensors", "F16, BF16, F32 or F64", "__metadata__", ""};

  explicit SafetensorsFile(std::string name) : TensorFile(kFormat, std::move(name)) {}

  void parse_header(std::size_t block);
  void parse_metadata(const nlohmann::json& value);
  Entry parse_entry(const std::string& key, const nlohmann::json& value, std::size_t block, std::size_t data_start,
                    std::uint64_t data_size) const;
  void check_overlaps(std::size_t data_start) const;
};

// ---------------------------------------------------------------------------------------------

inline SafetensorsFile SafetensorsFile::load(const std::string& path) {
  return parse(read_file(kFormat, path), path);
}

inline SafetensorsFile SafetensorsFile::parse(std::string bytes, std::string name) {
  SafetensorsFile file(std::move(name));
  file.parse_header(file.add_block(std::move(bytes)));
  return file;
}

inline void SafetensorsFile::parse_header(std::size_t block) {
  const std::string& bytes = block_bytes(block);
  if (bytes.size() < 8) {
    fail("file is too short: ", bytes.size(), " bytes, but the header length prefix needs 8");
  }
  const auto* raw = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::uint64_t header_size = detail::load_le<std::uint64_t>(raw);
  const std::uint64_t rest = bytes.size() - 8;
  if (header_size > rest) {  // checked before anything of size header_size is touched
    fail("header length ", header_size, " exceeds the ", rest,
         " bytes remaining after the 8-byte prefix (truncated or corrupt file)");
  }
  const auto data_start = static_cast<std::size_t>(8 + header_size);
  const std::uint64_t data_size = rest - header_size;

  // Duplicate top-level keys would silently replace each other in the parsed object.
  std::set<std::string> keys;
  const auto reject_duplicates = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (depth == 1 && event == nlohmann::json::parse_event_t::key &&
        !keys.insert(parsed.get<std::string>()).second) {
      fail("header has duplicate key '", parsed.get<std::string>(), "'");
    }
    return true;
  };
  const char* first = bytes.data() + 8;
  // nlohmann's lexer stops at a NUL byte as if the input ended there, which would silently ignore
  // whatever follows; valid JSON text never contains a raw NUL.
  if (std::memchr(first, '\0', static_cast<std::size_t>(header_size)) != nullptr) {
    fail("header is not valid JSON: it contains a NUL byte");
  }
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(first, first + header_size, reject_duplicates);
  } catch (const nlohmann::json::exception& e) {
    fail("header is not valid JSON: ", e.what());
  }
  if (!header.is_object()) fail("header must be a JSON object, found ", header.type_name());

  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      parse_metadata(value);
    } else {
      add_entry(key, parse_entry(key, value, block, data_start, data_size));
    }
  }
  check_overlaps(data_start);
}

inline void SafetensorsFile::parse_metadata(const nlohmann::json& value) {
  if (!value.is_object()) fail("__metadata__ must be a JSON object, found ", value.type_name());
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) {
      fail("__metadata__ value for key '", key, "' must be a string, found ", item.type_name());
    }
    add_metadata(key, item.get<std::string>());
  }
}

inline SafetensorsFile::Entry SafetensorsFile::parse_entry(const std::string& key, const nlohmann::json& value,
                                                           std::size_t block, std::size_t data_start,
                                                           std::uint64_t data_size) const {
  if (!value.is_object()) fail("tensor '", key, "': entry must be a JSON object, found ", value.type_name());
  const auto field = [&](const char* field_name) -> const nlohmann::json& {
    const auto it = value.find(field_name);
    if (it == value.end()) fail("tensor '", key, "': missing field \"", field_name, "\"");
    return *it;
  };
  const auto& dtype = field("dtype");
  const auto& shape = field("shape");
  const auto& offsets = field("data_offsets");

  Entry e{};
  if (!dtype.is_string()) fail("tensor '", key, "': \"dtype\" must be a string, found ", dtype.type_name());
  const auto& dtype_name = dtype.get_ref<const std::string&>();
  e.dtype = detail::find_dtype(dtype_name);
  if (e.dtype == nullptr) fail("tensor '", key, "': unknown dtype \"", dtype_name, "\"");
  const std::size_t dtype_size = e.dtype->size;

  if (!shape.is_array()) fail("tensor '", key, "': \"shape\" must be an array, found ", shape.type_name());
  constexpr auto max_i64 = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  detail::ElementCounter count;
  for (const auto& dim : shape) {
    if (!dim.is_number_integer()) {
      fail("tensor '", key, "': shape entries must be integers, found ", dim.type_name());
    }
    if (!dim.is_number_unsigned()) fail("tensor '", key, "': negative dimension ", dim.get<std::int64_t>());
    const auto d = dim.get<std::uint64_t>();
    if (d > max_i64) fail("tensor '", key, "': dimension ", d, " is too large");
    if (!count.add(d)) fail("tensor '", key, "': element count of shape ", shape.dump(), " overflows");
    e.shape.push_back(static_cast<std::int64_t>(d));
  }
  e.count = count.count();

  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned()) {
    fail("tensor '", key, "': \"data_offsets\" must be [begin, end] with non-negative integers, found ",
         offsets.dump());
  }
  const auto begin = offsets[0].get<std::uint64_t>();
  const auto end = offsets[1].get<std::uint64_t>();
  if (begin > end) fail("tensor '", key, "': data_offsets begin ", begin, " > end ", end);
  if (end > data_size) {
    fail("tensor '", key, "': data_offsets end ", end, " is beyond the data buffer of ", data_size, " bytes");
  }
  if (e.count > std::numeric_limits<std::uint64_t>::max() / dtype_size || e.count * dtype_size != end - begin) {
    fail("tensor '", key, "': byte length ", end - begin, " does not match shape ",
         seq2seq::detail::dims_string(e.shape), " of ", dtype_name, " (", e.count, " elements of ", dtype_size,
         " bytes)");
  }
  e.block = block;
  e.offset = data_start + static_cast<std::size_t>(begin);  // end <= data_size: within the file
  return e;
}

inline void SafetensorsFile::check_overlaps(std::size_t data_start) const {
  std::vector<std::tuple<std::uint64_t, std::uint64_t, const std::string*>> ranges;
  for (const auto& [key, e] : entries()) {
    const std::uint64_t begin = e.offset - data_start;  // back to data_offsets, as in the header
    const std::uint64_t end = begin + e.count * e.dtype->size;
    if (begin != end) ranges.emplace_back(begin, end, &key);  // empty ranges hold no bytes
  }
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    const auto& [prev_begin, prev_end, prev_name] = ranges[i - 1];
    const auto& [begin, end, name] = ranges[i];
    if (begin < prev_end) {
      fail("tensors '", *prev_name, "' [", prev_begin, ",", prev_end, ") and '", *name, "' [", begin, ",", end,
           ") have overlapping data_offsets");
    }
  }
}

}  // namespace seq2seq::io
