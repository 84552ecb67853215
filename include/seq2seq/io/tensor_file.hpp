// The part of the weight-file readers that does not depend on the container format: the element
// dtypes and their little-endian decoding, and TensorFile, which holds validated tensors and
// implements every accessor. SafetensorsFile (safetensors.hpp) and NpzFile (npz.hpp) derive from
// it and only parse and validate their container.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ios>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <unsupported/Eigen/CXX11/Tensor>

#include <seq2seq/core/error.hpp>
#include <seq2seq/core/tensor.hpp>

namespace seq2seq::io {
namespace detail {

static_assert(std::numeric_limits<float>::is_iec559 && std::numeric_limits<double>::is_iec559,
              "weight-file decoding reinterprets IEEE-754 bit patterns");

/// Storage dtypes the readers understand; all have a whole number of bytes per element.
enum class DType { Bool, U8, I8, F8_E5M2, F8_E4M3, U16, I16, F16, BF16, U32, I32, F32, U64, I64, F64 };

struct DTypeInfo {
  std::string name;  // safetensors name, also what dtype() reports for npz: "F32"
  DType dtype;
  std::size_t size;  // bytes per element
};

/// Looks up a dtype by its safetensors name ("F32", "BF16", ...); nullptr if unknown.
inline const DTypeInfo* find_dtype(std::string_view name) {
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

/// Reinterprets the bits of a value as type To of the same size.
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

/// Decodes one little-endian element of a float dtype (F16, BF16, F32, F64) at p.
inline double decode_float(DType d, const unsigned char* p) {
  switch (d) {
    case DType::F16: return half_to_float(load_le<std::uint16_t>(p));
    case DType::BF16: return bf16_to_float(load_le<std::uint16_t>(p));
    case DType::F32: return bit_cast<float>(load_le<std::uint32_t>(p));
    default: return bit_cast<double>(load_le<std::uint64_t>(p));  // F64
  }
}

/// The element count of a shape, fed one dimension (0..INT64_MAX) at a time so that a reader can
/// report an overflow at the dimension that causes it. The product of the non-zero dimensions must
/// fit in int64 even when a zero dimension makes the count 0.
class ElementCounter {
 public:
  /// Multiplies in `dim`; false (and no change) if the product would exceed INT64_MAX.
  bool add(std::uint64_t dim) {
    constexpr auto max_i64 = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (dim == 0) {
      has_zero_ = true;
    } else if (product_ > max_i64 / dim) {
      return false;
    } else {
      product_ *= dim;
    }
    return true;
  }

  /// The number of elements of the dimensions added so far.
  std::uint64_t count() const { return has_zero_ ? 0 : product_; }

 private:
  std::uint64_t product_ = 1;  // of the non-zero dims, so every partial product fits in int64
  bool has_zero_ = false;
};

/// Edit distance between two names (insertions, deletions, substitutions), for suggestions.
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

/// Up to `count` of `names` closest to `wanted` (edit distance, then name order), quoted and
/// comma-separated: "'a', 'b'". Empty if there are no names.
template <class Names>
std::string closest_names(const Names& names, const std::string& wanted, std::size_t count = 3) {
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& name : names) scored.emplace_back(edit_distance(name, wanted), name);
  const std::size_t n = std::min(count, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(n), scored.end());
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += (i ? ", '" : "'") + scored[i].second + "'";
  return out;
}

/// Whether a tensor name is what training keeps beside the weights, by the names TensorFlow and
/// Keras give it: optimizer slots (".../Adam", ".../Adam_1", ".../Momentum", ...), TF2
/// "optimizer/..." and ".OPTIMIZER_SLOT" keys, "global_step", "beta1_power", "beta2_power",
/// "save_counter/..." and the object graph.
inline bool is_training_state_name(const std::string& name) {
  const auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (name.rfind("optimizer/", 0) == 0 || name.rfind("save_counter/", 0) == 0 ||
      name.find("/.OPTIMIZER_SLOT/") != std::string::npos) {
    return true;
  }
  if (name == "global_step" || name == "beta1_power" || name == "beta2_power" ||
      name == "_CHECKPOINTABLE_OBJECT_GRAPH") {
    return true;
  }
  for (const std::string_view slot : {"/Adam", "/Adam_1", "/Adagrad", "/Momentum", "/RMSProp",
                                      "/RMSProp_1", "/Ftrl", "/Ftrl_1", "/ExponentialMovingAverage"}) {
    if (ends_with(slot)) return true;
  }
  return false;
}

}  // namespace detail

/// Named tensors read from a weight file, already validated, with their raw little-endian,
/// row-major bytes; elements are decoded (and copied) on request. SafetensorsFile and NpzFile
/// fill one, each from its own container format; what they accept is documented there.
/// Copyable (copies own their bytes); all accessors are const and thread-compatible.
class TensorFile {
 public:
  /// The file path given to load() or the name given to parse().
  const std::string& name() const { return name_; }

  /// All tensor names, sorted ascending.
  std::vector<std::string> names() const;

  /// Whether a tensor called `tensor_name` exists.
  bool contains(const std::string& tensor_name) const { return entries_.count(tensor_name) != 0; }

  /// The file's string metadata (safetensors "__metadata__"); empty if it has none.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  /// One metadata value. Throws Error if `key` is missing.
  std::string metadata(const std::string& key) const;

  /// Shape of a tensor (empty for rank 0). Throws Error if the tensor is missing.
  const std::vector<std::int64_t>& shape(const std::string& tensor_name) const { return entry(tensor_name).shape; }

  /// dtype name of a tensor ("F32", "F64", "BF16", "I64", "U8", "BOOL", ...). Throws Error if
  /// missing.
  const std::string& dtype(const std::string& tensor_name) const { return entry(tensor_name).dtype->name; }

  /// The tensor as a row-major Eigen tensor of rank Rank with elements converted to T (float or
  /// double). Float dtypes (F16, BF16, F32, F64) are accepted; conversions are exact except F64 ->
  /// float, which rounds (and throws for finite values outside float's range). Throws Error naming
  /// the file and tensor if it is missing, its rank is not Rank or its dtype is not a float.
  template <class T, int Rank>
  RankedTensor<T, Rank> tensor(const std::string& tensor_name) const;

  /// Same as tensor<T, Rank>(name), but also requires the shape to equal `expected` exactly; the
  /// error message shows both shapes, e.g. "expected shape [3,5,4] but found [3,5,2]".
  template <class T, int Rank>
  RankedTensor<T, Rank> tensor(
      const std::string& tensor_name, const std::array<Eigen::Index, Rank>& expected) const;

  /// An integer tensor (I8, I16, I32, I64, U8, U16, U32, U64) of any rank, flattened in row-major
  /// order, as int64. Throws Error for other dtypes (BOOL included) and for U64 values above
  /// INT64_MAX.
  std::vector<std::int64_t> integers(const std::string& tensor_name) const;

  /// A float scalar converted to double: either rank 0 (shape []) or a tensor with exactly one
  /// element. Throws Error otherwise.
  double scalar(const std::string& tensor_name) const;

 protected:
  /// The wording that differs between the formats' error messages.
  struct Format {
    const char* kind;           ///< messages start "<kind> file '<name>': "
    /// The float dtypes the format can store, listed when one is needed.
    const char* float_dtypes;
    const char* metadata_name;  ///< "no <metadata_name> key 'k'<metadata_note>" for a missing key
    /// Appended to the missing-key message, e.g. " (npz archives have no metadata)"; may be "".
    const char* metadata_note;
  };

  /// A validated tensor: count * dtype->size bytes at `offset` in storage block `block`.
  struct Entry {
    /// The storage dtype: its name, enum value and bytes per element.
    const detail::DTypeInfo* dtype;
    /// The dimensions, outermost first; empty for rank 0.
    std::vector<std::int64_t> shape;
    std::uint64_t count;  ///< number of elements
    std::size_t block;    ///< an index rather than a pointer, so that copies stay valid
    std::size_t offset;   ///< byte offset of the first element within the block
  };

  /// `format` must outlive the object (the readers pass a static constant).
  TensorFile(const Format& format, std::string name) : format_(&format), name_(std::move(name)) {}

  /// The whole file at `path`, for load(). Allocates its actual size, never a claimed one.
  static std::string read_file(const Format& format, const std::string& path);

  /// Throws Error with the "<kind> file '<name>': " prefix.
  template <class... Parts>
  [[noreturn]] static void fail_in(const Format& format, const std::string& name, Parts&&... parts) {
    seq2seq::detail::fail(format.kind, " file '", name, "': ", std::forward<Parts>(parts)...);
  }
  /// fail_in() with this file's format and name.
  template <class... Parts>
  [[noreturn]] void fail(Parts&&... parts) const {
    fail_in(*format_, name_, std::forward<Parts>(parts)...);
  }

  /// Takes ownership of bytes that entries refer to; returns the block index for Entry::block.
  std::size_t add_block(std::string bytes) {
    blocks_.push_back(std::move(bytes));
    return blocks_.size() - 1;
  }
  /// The bytes of the block that add_block() returned index `block` for (unchecked).
  const std::string& block_bytes(std::size_t block) const { return blocks_[block]; }

  /// Adds a tensor whose bytes the caller has checked to lie within its block.
  void add_entry(const std::string& tensor_name, Entry e) { entries_.emplace(tensor_name, std::move(e)); }
  /// The tensors added with add_entry(), by name.
  const std::map<std::string, Entry>& entries() const { return entries_; }

  /// Adds a metadata value; if `key` is already present, its first value is kept.
  void add_metadata(const std::string& key, std::string value) { metadata_.emplace(key, std::move(value)); }

  /// Lists a tensor the file holds but the accessors cannot return (a string tensor, say):
  /// asking for it throws "tensor '<name>' cannot be read: <reason>".
  void add_unreadable(const std::string& tensor_name, std::string reason) {
    unreadable_[tensor_name] = std::move(reason);
  }
  /// The tensors added with add_unreadable(): name -> reason.
  const std::map<std::string, std::string>& unreadable_entries() const { return unreadable_; }

 private:
  const Entry& entry(const std::string& tensor_name) const;
  const Entry& float_entry(const std::string& tensor_name, const char* what) const;
  const unsigned char* data(const Entry& e) const {
    return reinterpret_cast<const unsigned char*>(blocks_[e.block].data()) + e.offset;
  }

  const Format* format_;
  std::string name_;
  std::vector<std::string> blocks_;
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::string> metadata_;
  std::map<std::string, std::string> unreadable_;
};

// ---------------------------------------------------------------------------------------------

inline std::string TensorFile::read_file(const Format& format, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_in(format, path, "cannot open file for reading");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) fail_in(format, path, "cannot read: not a regular file");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0 || static_cast<std::uintmax_t>(size) > std::string().max_size()) {
    fail_in(format, path, "cannot determine the file size");
  }
  in.seekg(0, std::ios::beg);
  std::string bytes(static_cast<std::size_t>(size), '\0');  // the real size, never a claimed one
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size)) {
    fail_in(format, path, "cannot read: got ", in.gcount(), " of ", size, " bytes");
  }
  return bytes;
}

inline std::vector<std::string> TensorFile::names() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& kv : entries_) out.push_back(kv.first);
  return out;
}

inline std::string TensorFile::metadata(const std::string& key) const {
  const auto it = metadata_.find(key);
  if (it == metadata_.end()) fail("no ", format_->metadata_name, " key '", key, "'", format_->metadata_note);
  return it->second;
}

inline const TensorFile::Entry& TensorFile::entry(const std::string& tensor_name) const {
  const auto it = entries_.find(tensor_name);
  if (it == entries_.end()) {
    const auto un = unreadable_.find(tensor_name);
    if (un != unreadable_.end()) fail("tensor '", tensor_name, "' cannot be read: ", un->second);
    std::vector<std::string> keys;
    for (const auto& kv : entries_) keys.push_back(kv.first);
    fail("no tensor named '", tensor_name, "' (file has ", entries_.size(), " tensors",
         entries_.empty() ? "" : "; closest: ", detail::closest_names(keys, tensor_name), ")");
  }
  return it->second;
}

inline const TensorFile::Entry& TensorFile::float_entry(const std::string& tensor_name, const char* what) const {
  const Entry& e = entry(tensor_name);
  if (!detail::is_float(e.dtype->dtype)) {
    fail("tensor '", tensor_name, "': expected a float dtype (", format_->float_dtypes, ") for ", what,
         " but found ", e.dtype->name);
  }
  return e;
}

template <class T, int Rank>
RankedTensor<T, Rank> TensorFile::tensor(const std::string& tensor_name) const {
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
  for (std::size_t i = 0; i < static_cast<std::size_t>(Rank); ++i) dims[i] = static_cast<Eigen::Index>(e.shape[i]);
  RankedTensor<T, Rank> out(dims);

  const unsigned char* p = data(e);
  T* dst = out.data();
  for (std::uint64_t i = 0; i < e.count; ++i, p += e.dtype->size) {
    const double v = detail::decode_float(e.dtype->dtype, p);
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
RankedTensor<T, Rank> TensorFile::tensor(
    const std::string& tensor_name, const std::array<Eigen::Index, Rank>& expected) const {
  const Entry& e = entry(tensor_name);
  if (e.shape.size() == static_cast<std::size_t>(Rank) &&
      !std::equal(e.shape.begin(), e.shape.end(), expected.begin(),
                  [](std::int64_t a, Eigen::Index b) { return a == static_cast<std::int64_t>(b); })) {
    const char* hint = "";
    if constexpr (Rank == 2) {
      hint = seq2seq::detail::transposed_hint(static_cast<Eigen::Index>(e.shape[0]),
                                              static_cast<Eigen::Index>(e.shape[1]), expected[0],
                                              expected[1]);
    }
    fail("tensor '", tensor_name, "': expected shape ", seq2seq::detail::dims_string(expected), " but found ",
         seq2seq::detail::dims_string(e.shape), hint);
  }
  return tensor<T, Rank>(tensor_name);  // reports rank and dtype mismatches
}

inline std::vector<std::int64_t> TensorFile::integers(const std::string& tensor_name) const {
  using detail::bit_cast;
  using detail::DType;
  using detail::load_le;
  const Entry& e = entry(tensor_name);
  if (!detail::is_integer(e.dtype->dtype)) {
    fail("tensor '", tensor_name, "': expected an integer dtype (I8..I64, U8..U64) but found ", e.dtype->name);
  }
  std::vector<std::int64_t> out;
  out.reserve(static_cast<std::size_t>(e.count));  // the bytes are already in memory
  const unsigned char* p = data(e);
  for (std::uint64_t i = 0; i < e.count; ++i, p += e.dtype->size) {
    std::int64_t v = 0;
    switch (e.dtype->dtype) {
      case DType::U8: v = p[0]; break;
      case DType::I8: v = bit_cast<std::int8_t>(p[0]); break;
      case DType::U16: v = load_le<std::uint16_t>(p); break;
      case DType::I16: v = bit_cast<std::int16_t>(load_le<std::uint16_t>(p)); break;
      case DType::U32: v = load_le<std::uint32_t>(p); break;
      case DType::I32: v = bit_cast<std::int32_t>(load_le<std::uint32_t>(p)); break;
      case DType::I64: v = bit_cast<std::int64_t>(load_le<std::uint64_t>(p)); break;
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

inline double TensorFile::scalar(const std::string& tensor_name) const {
  const Entry& e = float_entry(tensor_name, "scalar()");
  if (e.count != 1) {
    fail("tensor '", tensor_name, "': expected a scalar (shape [] or one element) but found shape ",
         seq2seq::detail::dims_string(e.shape));
  }
  return detail::decode_float(e.dtype->dtype, data(e));
}

}  // namespace seq2seq::io
