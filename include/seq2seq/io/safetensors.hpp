// Reader for the safetensors weight format (https://github.com/huggingface/safetensors).
//
// Layout: an 8-byte little-endian u64 N, then N bytes of UTF-8 JSON header, then the data buffer.
// The header maps tensor name -> {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin,
// end]} with offsets relative to the start of the data buffer, plus an optional "__metadata__"
// object of string -> string. Every malformed input is reported as seq2seq::Error; nothing the
// header merely claims is trusted before it has been checked against the actual byte count.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ios>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <unsupported/Eigen/CXX11/Tensor>

#include <seq2seq/core/error.hpp>
#include <seq2seq/core/tensor.hpp>

namespace seq2seq::io {
namespace detail {

static_assert(std::numeric_limits<float>::is_iec559 && std::numeric_limits<double>::is_iec559,
              "safetensors decoding reinterprets IEEE-754 bit patterns");

/// Storage dtypes the reader understands; all have a whole number of bytes per element.
enum class DType { Bool, U8, I8, F8_E5M2, F8_E4M3, U16, I16, F16, BF16, U32, I32, F32, U64, I64, F64 };

struct DTypeInfo {
  const char* name;
  DType dtype;
  std::size_t size;  // bytes per element
};

/// Looks up a dtype by its safetensors name ("F32", "BF16", ...); nullptr if unknown.
inline const DTypeInfo* find_dtype(const std::string& name) {
  static const DTypeInfo table[] = {
      {"BOOL", DType::Bool, 1}, {"U8", DType::U8, 1},       {"I8", DType::I8, 1},
      {"F8_E5M2", DType::F8_E5M2, 1}, {"F8_E4M3", DType::F8_E4M3, 1}, {"U16", DType::U16, 2},
      {"I16", DType::I16, 2},   {"F16", DType::F16, 2},     {"BF16", DType::BF16, 2},
      {"U32", DType::U32, 4},   {"I32", DType::I32, 4},     {"F32", DType::F32, 4},
      {"U64", DType::U64, 8},   {"I64", DType::I64, 8},     {"F64", DType::F64, 8},
  };
  for (const auto& info : table) {
    if (name == info.name) return &info;
  }
  return nullptr;
}

/// True for the float dtypes tensor() and scalar() convert: F16, BF16, F32, F64.
inline bool is_float(DType d) {
  return d == DType::F16 || d == DType::BF16 || d == DType::F32 || d == DType::F64;
}

/// True for the integer dtypes integers() converts: I8..I64 and U8..U64.
inline bool is_integer(DType d) {
  switch (d) {
    case DType::U8: case DType::I8: case DType::U16: case DType::I16:
    case DType::U32: case DType::I32: case DType::U64: case DType::I64:
      return true;
    default:
      return false;
  }
}

/// Reads an unsigned little-endian integer from p, independent of the host byte order.
template <class U>
U load_le(const unsigned char* p) {
  static_assert(std::is_unsigned_v<U>);
  U value = 0;
  for (std::size_t i = 0; i < sizeof(U); ++i) {
    value = static_cast<U>(value | (static_cast<U>(p[i]) << (8 * i)));
  }
  return value;
}

/// Reinterprets the bits of an unsigned integer as a value of type To of the same size.
template <class To, class From>
To bit_cast(From from) {
  static_assert(sizeof(To) == sizeof(From));
  To to;
  std::memcpy(&to, &from, sizeof(To));
  return to;
}

/// IEEE binary16 bits -> float (exact: every half value is a float). Handles subnormals, signed
/// zeros, infinities and NaNs (payload kept).
inline float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h >> 15) << 31;
  const std::uint32_t exponent = (h >> 10) & 0x1Fu;
  const std::uint32_t mantissa = h & 0x3FFu;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 0x1F) return bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));  // inf/NaN
  return bit_cast<float>(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
}

/// bfloat16 bits -> float (exact: bf16 is the top half of a float).
inline float bf16_to_float(std::uint16_t b) { return bit_cast<float>(static_cast<std::uint32_t>(b) << 16); }

/// Decodes one element of a float dtype (F16, BF16, F32, F64) at p.
inline double decode_float(DType d, const unsigned char* p) {
  switch (d) {
    case DType::F16: return half_to_float(load_le<std::uint16_t>(p));
    case DType::BF16: return bf16_to_float(load_le<std::uint16_t>(p));
    case DType::F32: return bit_cast<float>(load_le<std::uint32_t>(p));
    default: return bit_cast<double>(load_le<std::uint64_t>(p));  // F64
  }
}

}  // namespace detail

/// An in-memory safetensors file: the validated header plus the raw bytes. Tensors are decoded
/// (and copied) on request. Copyable; all accessors are const and thread-compatible.
class SafetensorsFile {
 public:
  /// Reads and validates the whole file at `path`; name() is `path`. Throws Error if the file
  /// cannot be opened/read or is malformed. Allocates at most the file's actual size.
  static SafetensorsFile load(const std::string& path);

  /// Validates `bytes` (a complete safetensors file) and takes ownership of them. `name` is used
  /// in error messages. Throws Error for any malformed header, offsets or sizes.
  static SafetensorsFile parse(std::string bytes, std::string name = "<memory>");

  /// The file path given to load() or the name given to parse().
  const std::string& name() const { return name_; }

  /// All tensor names, sorted ascending ("__metadata__" excluded).
  std::vector<std::string> names() const;

  /// Whether a tensor called `tensor_name` exists.
  bool contains(const std::string& tensor_name) const { return entries_.count(tensor_name) != 0; }

  /// The "__metadata__" string map; empty if the header has none.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  /// One metadata value. Throws Error if `key` is missing.
  std::string metadata(const std::string& key) const;

  /// Shape of a tensor (empty for rank 0). Throws Error if the tensor is missing.
  const std::vector<std::int64_t>& shape(const std::string& tensor_name) const { return entry(tensor_name).shape; }

  /// Stored dtype name of a tensor ("F32", "F64", "BF16", ...). Throws Error if missing.
  const std::string& dtype(const std::string& tensor_name) const { return entry(tensor_name).dtype_name; }

  /// The tensor as a row-major Eigen tensor of rank Rank with elements converted to T (float or
  /// double). Stored F16, BF16, F32 and F64 are accepted; conversions are exact except F64 ->
  /// float, which rounds (and throws for finite values outside float's range). Throws Error naming
  /// the file and tensor if it is missing, its rank is not Rank or its dtype is not a float.
  template <class T, int Rank>
  Eigen::Tensor<T, Rank, Eigen::RowMajor, Eigen::Index> tensor(const std::string& tensor_name) const;

  /// Same as tensor<T, Rank>(name), but also requires the shape to equal `expected` exactly; the
  /// error message shows both shapes, e.g. "expected shape [3,5,4] but found [3,5,2]".
  template <class T, int Rank>
  Eigen::Tensor<T, Rank, Eigen::RowMajor, Eigen::Index> tensor(
      const std::string& tensor_name, const std::array<Eigen::Index, Rank>& expected) const;

  /// An integer tensor (I8, I16, I32, I64, U8, U16, U32, U64) of any rank, flattened in row-major
  /// order, as int64. Throws Error for other dtypes and for U64 values above INT64_MAX.
  std::vector<std::int64_t> integers(const std::string& tensor_name) const;

  /// A float scalar (F16, BF16, F32 or F64) converted to double: either rank 0 (shape []) or a
  /// tensor with exactly one element. Throws Error otherwise.
  double scalar(const std::string& tensor_name) const;

 private:
  struct Entry {
    std::string dtype_name;
    detail::DType dtype;
    std::size_t dtype_size;
    std::vector<std::int64_t> shape;
    std::uint64_t count;  // number of elements
    std::uint64_t begin;  // byte offsets relative to the data buffer
    std::uint64_t end;
  };

  SafetensorsFile() = default;

  /// Throws Error with a "safetensors file '<name>': " prefix.
  template <class... Parts>
  [[noreturn]] void fail(Parts&&... parts) const {
    seq2seq::detail::fail("safetensors file '", name_, "': ", std::forward<Parts>(parts)...);
  }

  void parse_header();
  void parse_metadata(const nlohmann::json& value);
  Entry parse_entry(const std::string& key, const nlohmann::json& value, std::uint64_t data_size) const;
  void check_overlaps() const;
  const Entry& entry(const std::string& tensor_name) const;
  const Entry& float_entry(const std::string& tensor_name, const char* what) const;
  const unsigned char* data(const Entry& e) const {
    return reinterpret_cast<const unsigned char*>(bytes_.data()) + data_start_ + e.begin;
  }

  std::string name_;
  std::string bytes_;           // the whole file
  std::size_t data_start_ = 0;  // 8 + header length
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

// ---------------------------------------------------------------------------------------------

inline SafetensorsFile SafetensorsFile::load(const std::string& path) {
  auto fail_load = [&](auto&&... parts) {
    seq2seq::detail::fail("safetensors file '", path, "': ", parts...);
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_load("cannot open file for reading");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) fail_load("cannot read: not a regular file");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0 || static_cast<std::uintmax_t>(size) > std::string().max_size()) {
    fail_load("cannot determine the file size");
  }
  in.seekg(0, std::ios::beg);
  std::string bytes(static_cast<std::size_t>(size), '\0');  // the real size, never a claimed one
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size)) {
    fail_load("cannot read: got ", in.gcount(), " of ", size, " bytes");
  }
  return parse(std::move(bytes), path);
}

inline SafetensorsFile SafetensorsFile::parse(std::string bytes, std::string name) {
  SafetensorsFile file;
  file.name_ = std::move(name);
  file.bytes_ = std::move(bytes);
  file.parse_header();
  return file;
}

inline void SafetensorsFile::parse_header() {
  if (bytes_.size() < 8) {
    fail("file is too short: ", bytes_.size(), " bytes, but the header length prefix needs 8");
  }
  const auto* raw = reinterpret_cast<const unsigned char*>(bytes_.data());
  const std::uint64_t header_size = detail::load_le<std::uint64_t>(raw);
  const std::uint64_t rest = bytes_.size() - 8;
  if (header_size > rest) {  // checked before anything of size header_size is touched
    fail("header length ", header_size, " exceeds the ", rest,
         " bytes remaining after the 8-byte prefix (truncated or corrupt file)");
  }
  data_start_ = static_cast<std::size_t>(8 + header_size);
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
  const char* first = bytes_.data() + 8;
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
      entries_.emplace(key, parse_entry(key, value, data_size));
    }
  }
  check_overlaps();
}

inline void SafetensorsFile::parse_metadata(const nlohmann::json& value) {
  if (!value.is_object()) fail("__metadata__ must be a JSON object, found ", value.type_name());
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) {
      fail("__metadata__ value for key '", key, "' must be a string, found ", item.type_name());
    }
    metadata_.emplace(key, item.get<std::string>());
  }
}

inline SafetensorsFile::Entry SafetensorsFile::parse_entry(const std::string& key, const nlohmann::json& value,
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
  e.dtype_name = dtype.get<std::string>();
  const detail::DTypeInfo* info = detail::find_dtype(e.dtype_name);
  if (info == nullptr) fail("tensor '", key, "': unknown dtype \"", e.dtype_name, "\"");
  e.dtype = info->dtype;
  e.dtype_size = info->size;

  if (!shape.is_array()) fail("tensor '", key, "': \"shape\" must be an array, found ", shape.type_name());
  constexpr auto max_i64 = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t product = 1;  // of the non-zero dims, so every partial product fits in int64
  bool has_zero = false;
  for (const auto& dim : shape) {
    if (!dim.is_number_integer()) {
      fail("tensor '", key, "': shape entries must be integers, found ", dim.type_name());
    }
    if (!dim.is_number_unsigned()) fail("tensor '", key, "': negative dimension ", dim.get<std::int64_t>());
    const auto d = dim.get<std::uint64_t>();
    if (d > max_i64) fail("tensor '", key, "': dimension ", d, " is too large");
    if (d == 0) {
      has_zero = true;
    } else if (product > max_i64 / d) {
      fail("tensor '", key, "': element count of shape ", shape.dump(), " overflows");
    } else {
      product *= d;
    }
    e.shape.push_back(static_cast<std::int64_t>(d));
  }
  e.count = has_zero ? 0 : product;

  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned()) {
    fail("tensor '", key, "': \"data_offsets\" must be [begin, end] with non-negative integers, found ",
         offsets.dump());
  }
  e.begin = offsets[0].get<std::uint64_t>();
  e.end = offsets[1].get<std::uint64_t>();
  if (e.begin > e.end) fail("tensor '", key, "': data_offsets begin ", e.begin, " > end ", e.end);
  if (e.end > data_size) {
    fail("tensor '", key, "': data_offsets end ", e.end, " is beyond the data buffer of ", data_size, " bytes");
  }
  if (e.count > std::numeric_limits<std::uint64_t>::max() / e.dtype_size ||
      e.count * e.dtype_size != e.end - e.begin) {
    fail("tensor '", key, "': byte length ", e.end - e.begin, " does not match shape ",
         seq2seq::detail::dims_string(e.shape), " of ", e.dtype_name, " (", e.count, " elements of ", e.dtype_size,
         " bytes)");
  }
  return e;
}

inline void SafetensorsFile::check_overlaps() const {
  std::vector<std::tuple<std::uint64_t, std::uint64_t, const std::string*>> ranges;
  for (const auto& [key, e] : entries_) {
    if (e.begin != e.end) ranges.emplace_back(e.begin, e.end, &key);  // empty ranges hold no bytes
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

inline std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& kv : entries_) out.push_back(kv.first);
  return out;
}

inline std::string SafetensorsFile::metadata(const std::string& key) const {
  const auto it = metadata_.find(key);
  if (it == metadata_.end()) fail("no __metadata__ key '", key, "'");
  return it->second;
}

inline const SafetensorsFile::Entry& SafetensorsFile::entry(const std::string& tensor_name) const {
  const auto it = entries_.find(tensor_name);
  if (it == entries_.end()) fail("no tensor named '", tensor_name, "' (file has ", entries_.size(), " tensors)");
  return it->second;
}

inline const SafetensorsFile::Entry& SafetensorsFile::float_entry(const std::string& tensor_name,
                                                                  const char* what) const {
  const Entry& e = entry(tensor_name);
  if (!detail::is_float(e.dtype)) {
    fail("tensor '", tensor_name, "': expected a float dtype (F16, BF16, F32 or F64) for ", what, " but found ",
         e.dtype_name);
  }
  return e;
}

template <class T, int Rank>
Eigen::Tensor<T, Rank, Eigen::RowMajor, Eigen::Index> SafetensorsFile::tensor(const std::string& tensor_name) const {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "tensor<T, Rank>: T must be float or double");
  static_assert(Rank >= 0, "tensor<T, Rank>: Rank must be non-negative");
  const Entry& e = entry(tensor_name);
  if (e.shape.size() != static_cast<std::size_t>(Rank)) {
    fail("tensor '", tensor_name, "': expected rank ", Rank, " but found rank ", e.shape.size(), " (shape ",
         seq2seq::detail::dims_string(e.shape), ")");
  }
  float_entry(tensor_name, "tensor()");
  if constexpr (sizeof(Eigen::Index) < sizeof(std::int64_t)) {
    for (const auto d : e.shape) {
      if (d > std::numeric_limits<Eigen::Index>::max()) fail("tensor '", tensor_name, "': too large for Eigen::Index");
    }
    if (e.count > static_cast<std::uint64_t>(std::numeric_limits<Eigen::Index>::max())) {
      fail("tensor '", tensor_name, "': too large for Eigen::Index");
    }
  }
  std::array<Eigen::Index, Rank> dims{};
  for (int i = 0; i < Rank; ++i) dims[static_cast<std::size_t>(i)] = static_cast<Eigen::Index>(e.shape[static_cast<std::size_t>(i)]);
  Eigen::Tensor<T, Rank, Eigen::RowMajor, Eigen::Index> out(dims);

  const unsigned char* p = data(e);
  T* dst = out.data();
  for (std::uint64_t i = 0; i < e.count; ++i, p += e.dtype_size) {
    const double v = detail::decode_float(e.dtype, p);
    if constexpr (std::is_same_v<T, float>) {
      if (std::isfinite(v) && std::fabs(v) > static_cast<double>(std::numeric_limits<float>::max())) {
        fail("tensor '", tensor_name, "': element ", i, " = ", v, " is out of float range");
      }
    }
    dst[i] = static_cast<T>(v);
  }
  return out;
}

template <class T, int Rank>
Eigen::Tensor<T, Rank, Eigen::RowMajor, Eigen::Index> SafetensorsFile::tensor(
    const std::string& tensor_name, const std::array<Eigen::Index, Rank>& expected) const {
  const Entry& e = entry(tensor_name);
  if (e.shape.size() == static_cast<std::size_t>(Rank) &&
      !std::equal(e.shape.begin(), e.shape.end(), expected.begin(),
                  [](std::int64_t a, Eigen::Index b) { return a == static_cast<std::int64_t>(b); })) {
    fail("tensor '", tensor_name, "': expected shape ", seq2seq::detail::dims_string(expected), " but found ",
         seq2seq::detail::dims_string(e.shape));
  }
  return tensor<T, Rank>(tensor_name);  // reports rank and dtype mismatches
}

inline std::vector<std::int64_t> SafetensorsFile::integers(const std::string& tensor_name) const {
  using detail::DType;
  using detail::load_le;
  const Entry& e = entry(tensor_name);
  if (!detail::is_integer(e.dtype)) {
    fail("tensor '", tensor_name, "': expected an integer dtype (I8..I64, U8..U64) but found ", e.dtype_name);
  }
  std::vector<std::int64_t> out;
  out.reserve(static_cast<std::size_t>(e.count));  // count * size == end - begin <= file size
  const unsigned char* p = data(e);
  for (std::uint64_t i = 0; i < e.count; ++i, p += e.dtype_size) {
    std::int64_t v = 0;
    switch (e.dtype) {
      case DType::U8: v = p[0]; break;
      case DType::I8: v = detail::bit_cast<std::int8_t>(p[0]); break;
      case DType::U16: v = load_le<std::uint16_t>(p); break;
      case DType::I16: v = detail::bit_cast<std::int16_t>(load_le<std::uint16_t>(p)); break;
      case DType::U32: v = load_le<std::uint32_t>(p); break;
      case DType::I32: v = detail::bit_cast<std::int32_t>(load_le<std::uint32_t>(p)); break;
      case DType::I64: v = detail::bit_cast<std::int64_t>(load_le<std::uint64_t>(p)); break;
      default: {  // U64
        const auto u = load_le<std::uint64_t>(p);
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          fail("tensor '", tensor_name, "': U64 element ", i, " = ", u, " does not fit in int64");
        }
        v = static_cast<std::int64_t>(u);
      }
    }
    out.push_back(v);
  }
  return out;
}

inline double SafetensorsFile::scalar(const std::string& tensor_name) const {
  const Entry& e = float_entry(tensor_name, "scalar()");
  if (e.count != 1) {
    fail("tensor '", tensor_name, "': expected a scalar (shape [] or one element) but found shape ",
         seq2seq::detail::dims_string(e.shape));
  }
  return detail::decode_float(e.dtype, data(e));
}

}  // namespace seq2seq::io
