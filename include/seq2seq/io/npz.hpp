// Reader for NumPy .npz archives, as written by np.savez (members stored) and np.savez_compressed
// (members deflated). Needs libzip (<zip.h>, link -lzip).
//
// An .npz is a zip archive whose members are .npy files; the member "rnn/kernel.npy" holds the
// tensor "rnn/kernel". A .npy file is the magic "\x93NUMPY", a version byte pair (1.0: u16 header
// length; 2.0 and 3.0: u32), then a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// padded with spaces and a newline, then the raw element data.
//
// NpzFile has the same public API as SafetensorsFile (both are TensorFiles, see tensor_file.hpp),
// so code templated on the file type works with either. Decisions:
//  - Eager: parse()/load() decompress and validate every member, so a malformed member makes
//    parse() throw; the accessors only convert already-checked data.
//  - Supported descrs: '<f2' '<f4' '<f8', '|i1' '<i2' '<i4' '<i8', '|u1' '<u2' '<u4' '<u8', '|b1'
//    (dtype() names: F16 F32 F64 I8 I16 I32 I64 U8 U16 U32 U64 BOOL). Big-endian '>' variants are
//    converted to little-endian on load; a 1-byte type may use any of '|', '<', '>'. Everything
//    else (object '|O', complex, strings, datetimes, structured dtypes, '=' native order) throws.
//  - fortran_order True: the data is transposed to row-major on load.
//  - Every member must be a .npy file; member names must be unique. No metadata (metadata() is
//    always empty).
// Robustness: every malformed input throws seq2seq::Error naming the file and the member. Sizes
// claimed by the zip directory or the .npy header are checked against each other and never
// allocated up front: member data is read in 64 KiB chunks into a buffer that grows only as bytes
// arrive, never past the size both headers agree on, and the member must end exactly there
// (libzip checks the CRC-32 as the data ends; a mismatch is an error).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <zip.h>

#include <seq2seq/core/error.hpp>
#include <seq2seq/core/tensor.hpp>
#include <seq2seq/io/tensor_file.hpp>

namespace seq2seq::io {
namespace detail {

/// Looks up a descr's type code ("f4", "u1", ...); nullptr if unsupported.
inline const DTypeInfo* npy_find_dtype(std::string_view code) {
  static const std::pair<const char*, const char*> codes[] = {  // type code -> dtype name
      {"b1", "BOOL"}, {"u1", "U8"},  {"i1", "I8"},  {"u2", "U16"}, {"i2", "I16"}, {"f2", "F16"},
      {"u4", "U32"},  {"i4", "I32"}, {"f4", "F32"}, {"u8", "U64"}, {"i8", "I64"}, {"f8", "F64"},
  };
  for (const auto& [npy_code, name] : codes) {
    if (code == npy_code) return find_dtype(name);
  }
  return nullptr;
}

/// The three fields of a .npy header dict.
struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
};

/// `text` with non-printable bytes escaped and cut to 160 characters, for error messages.
inline std::string npy_printable(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 160)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) {
      out += c;
    } else {
      static const char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xF];
    }
  }
  if (text.size() > 160) out += "...";
  return out;
}

/// Strict parser for the dict literal numpy writes as a .npy header: exactly the keys 'descr'
/// (a string), 'fortran_order' (True/False) and 'shape' (a tuple of non-negative integers), each
/// once, in any order, with optional trailing commas and whitespace. Anything else is an error.
class NpyHeaderParser {
 public:
  /// `where` prefixes error messages ("npz file 'f': member 'x.npy': ").
  NpyHeaderParser(std::string_view text, std::string where) : text_(text), where_(std::move(where)) {}

  NpyHeader parse() {
    NpyHeader header;
    bool seen_descr = false, seen_fortran = false, seen_shape = false;
    skip_space();
    expect('{', "the header to start with '{'");
    skip_space();
    while (!at('}')) {
      const std::size_t key_pos = pos_;
      const std::string key = parse_string("a quoted key or '}'");
      skip_space();
      expect(':', "':' after a key");
      skip_space();
      const auto once = [&](bool& seen) {
        if (seen) fail_at(key_pos, "duplicate key '" + key + "'");
        seen = true;
      };
      if (key == "descr") {
        once(seen_descr);
        if (at('[')) fail("'descr' is a list: structured dtypes are not supported");
        header.descr = parse_string("a quoted string for 'descr'");
      } else if (key == "fortran_order") {
        once(seen_fortran);
        header.fortran_order = parse_bool();
      } else if (key == "shape") {
        once(seen_shape);
        header.shape = parse_shape();
      } else {
        fail_at(key_pos, "unexpected key '" + key + "' (expected 'descr', 'fortran_order' and 'shape')");
      }
      skip_space();
      if (at(',')) {
        ++pos_;
        skip_space();
      } else if (!at('}')) {
        fail("expected ',' or '}' after the value of '" + key + "'");
      }
    }
    ++pos_;  // '}'
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the closing '}'");
    if (!seen_descr) fail_at(0, "missing key 'descr'");
    if (!seen_fortran) fail_at(0, "missing key 'fortran_order'");
    if (!seen_shape) fail_at(0, "missing key 'shape'");
    return header;
  }

 private:
  [[noreturn]] void fail_at(std::size_t pos, const std::string& what) const {
    seq2seq::detail::fail(where_, "malformed .npy header: ", what, " (at offset ", pos, " of \"",
                          npy_printable(text_), "\")");
  }
  [[noreturn]] void fail(const std::string& what) const { fail_at(pos_, what); }

  bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  void expect(char c, const char* what) {
    if (!at(c)) fail(std::string("expected ") + what);
    ++pos_;
  }

  /// A '...' or "..." literal of printable ASCII without backslash escapes.
  std::string parse_string(const char* what) {
    if (!at('\'') && !at('"')) fail(std::string("expected ") + what);
    const char quote = text_[pos_++];
    const std::size_t begin = pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      const auto u = static_cast<unsigned char>(text_[pos_]);
      if (u < 0x20 || u >= 0x7F || u == '\\') fail("unsupported character in a string literal");
      ++pos_;
    }
    if (pos_ == text_.size()) fail_at(begin - 1, "unterminated string literal");
    return std::string(text_.substr(begin, pos_++ - begin));
  }

  bool parse_bool() {
    for (const auto& [word, value] : {std::pair<std::string_view, bool>{"True", true}, {"False", false}}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return value;
      }
    }
    fail("expected True or False for 'fortran_order'");
  }

  /// "()", "(3,)", "(3, 4)", "(3, 4,)"; "(3)" is an int in Python, not a tuple, and is rejected.
  std::vector<std::int64_t> parse_shape() {
    expect('(', "a tuple '(...)' for 'shape'");
    std::vector<std::int64_t> dims;
    bool trailing_comma = false;
    skip_space();
    while (!at(')')) {
      dims.push_back(parse_dim());
      skip_space();
      trailing_comma = at(',');
      if (trailing_comma) {
        ++pos_;
        skip_space();
      } else if (!at(')')) {
        fail("expected ',' or ')' in 'shape'");
      }
    }
    if (dims.size() == 1 && !trailing_comma) fail("'shape' (n) is not a tuple; a 1-tuple is written (n,)");
    ++pos_;  // ')'
    return dims;
  }

  std::int64_t parse_dim() {
    if (at('-')) fail("negative dimension in 'shape'");
    const std::size_t begin = pos_;
    std::uint64_t value = 0;
    constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      const auto digit = static_cast<std::uint64_t>(text_[pos_] - '0');
      if (value > (max - digit) / 10) fail_at(begin, "dimension in 'shape' is too large");
      value = value * 10 + digit;
      ++pos_;
    }
    if (pos_ == begin) fail("expected an integer dimension in 'shape'");
    if (text_[begin] == '0' && pos_ - begin > 1) fail_at(begin, "integer with a leading zero in 'shape'");
    return static_cast<std::int64_t>(value);
  }

  std::string_view text_;
  std::string where_;
  std::size_t pos_ = 0;
};

/// Reorders the `count` elements of `size` bytes that start at data[offset], stored column-major
/// (Fortran) with the given shape, into row-major (C) order, in place.
inline void npy_fortran_to_c(std::string& data, std::size_t offset, const std::vector<std::int64_t>& shape,
                             std::size_t size, std::uint64_t count) {
  const std::size_t rank = shape.size();
  if (rank < 2 || count == 0) return;  // the same bytes in either order
  std::vector<std::uint64_t> stride(rank);  // Fortran strides in elements: first index fastest
  std::uint64_t s = 1;
  for (std::size_t k = 0; k < rank; ++k) {
    stride[k] = s;
    s *= static_cast<std::uint64_t>(shape[k]);
  }
  const std::string src = data.substr(offset);
  char* dst = &data[offset];
  std::vector<std::uint64_t> index(rank, 0);  // row-major multi-index of element i
  std::uint64_t from = 0;                     // its Fortran element offset
  for (std::uint64_t i = 0; i < count; ++i) {
    std::memcpy(dst + static_cast<std::size_t>(i) * size, &src[static_cast<std::size_t>(from) * size], size);
    for (std::size_t k = rank; k-- > 0;) {  // next row-major index: last dimension fastest
      from += stride[k];
      if (++index[k] < static_cast<std::uint64_t>(shape[k])) break;
      from -= stride[k] * index[k];
      index[k] = 0;
    }
  }
}

/// Reverses the bytes of every `size`-byte element from data[offset] on (big- -> little-endian).
inline void npy_swap_bytes(std::string& data, std::size_t offset, std::size_t size) {
  if (size < 2) return;
  for (std::size_t i = offset; i + size <= data.size(); i += size) {
    std::reverse(data.begin() + i, data.begin() + i + size);
  }
}

/// Owns a zip_error_t (zip_error_fini on scope exit, also when an Error is thrown).
struct NpzZipError {
  zip_error_t error;
  NpzZipError() { zip_error_init(&error); }
  ~NpzZipError() { zip_error_fini(&error); }
  NpzZipError(const NpzZipError&) = delete;
  NpzZipError& operator=(const NpzZipError&) = delete;
};

struct NpzArchiveCloser {
  void operator()(zip_t* archive) const { zip_discard(archive); }  // read-only: nothing to write
};
struct NpzMemberCloser {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};

}  // namespace detail

/// An .npz archive, fully decoded and validated: every member's elements, little-endian and
/// row-major. The accessors are TensorFile's; tensor names are the member names without ".npy",
/// dtype() names the type whatever its stored byte order, tensor() and scalar() accept F16, F32
/// and F64, and there is no metadata: metadata() is always empty and metadata(key) always throws.
/// Copyable; all accessors are const and thread-compatible.
class NpzFile : public TensorFile {
 public:
  /// Reads and validates the whole file at `path`; name() is `path`. Throws Error if the file
  /// cannot be opened/read or is malformed. Reads exactly the file's actual size.
  static NpzFile load(const std::string& path);

  /// Decompresses and validates `bytes` (a complete .npz archive). `name` is used in error
  /// messages. Throws Error for a malformed archive or any malformed member.
  static NpzFile parse(std::string bytes, std::string name = "<memory>");

 private:
  static constexpr Format kFormat{"npz", "F16, F32 or F64", "metadata", " (npz archives have no metadata)"};
  static constexpr std::size_t kChunk = 64 * 1024;  // bytes per zip_fread

  explicit NpzFile(std::string name) : TensorFile(kFormat, std::move(name)) {}

  void read_archive(const std::string& bytes);
  void read_member(zip_t* archive, zip_uint64_t index, const std::string& member, const std::string& tensor_name,
                   std::uint64_t claimed, std::vector<char>& chunk);
  void fill(zip_file_t* file, std::string& buf, std::uint64_t target, std::vector<char>& chunk,
            const std::string& member) const;
};

// ---------------------------------------------------------------------------------------------

inline NpzFile NpzFile::load(const std::string& path) { return parse(read_file(kFormat, path), path); }

inline NpzFile NpzFile::parse(std::string bytes, std::string name) {
  NpzFile file(std::move(name));
  file.read_archive(bytes);  // `bytes` outlives the libzip handles that read it
  return file;
}

inline void NpzFile::read_archive(const std::string& bytes) {
  // libzip opens an empty source as an empty archive; an .npz always has an end record.
  if (bytes.empty()) fail("not a valid zip archive: the file is empty");
  if (bytes.compare(0, 6, "\x93NUMPY") == 0) {
    fail("this is a single .npy file (np.save), not an .npz archive (np.savez)");
  }
  detail::NpzZipError error;
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error.error);
  if (source == nullptr) fail("cannot read the buffer: ", zip_error_strerror(&error.error));
  std::unique_ptr<zip_t, detail::NpzArchiveCloser> archive(
      zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error.error));
  if (archive == nullptr) {
    zip_source_free(source);  // on success the archive owns it
    const bool duplicate = zip_error_code_zip(&error.error) == ZIP_ER_EXISTS;  // ZIP_CHECKCONS finds these
    fail("not a valid zip archive (", bytes.size(), " bytes): ", zip_error_strerror(&error.error),
         duplicate ? " (duplicate member names)" : "");
  }

  const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
  if (count < 0) fail("cannot list the zip archive: ", zip_strerror(archive.get()));
  std::vector<char> chunk(kChunk);
  for (zip_uint64_t i = 0; i < static_cast<zip_uint64_t>(count); ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(archive.get(), i, 0, &st) != 0) {
      fail("cannot read zip entry ", i, ": ", zip_strerror(archive.get()));
    }
    if (!(st.valid & ZIP_STAT_NAME) || !(st.valid & ZIP_STAT_SIZE)) fail("zip entry ", i, " has no name or size");
    const std::string member = st.name;
    constexpr std::string_view suffix = ".npy";
    if (member.size() < suffix.size() || member.compare(member.size() - suffix.size(), suffix.size(), suffix) != 0) {
      fail("member '", member, "' is not a .npy file (expected a name ending in \".npy\")");
    }
    const std::string tensor_name = member.substr(0, member.size() - suffix.size());
    if (contains(tensor_name)) fail("duplicate member '", member, "'");
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
      fail("member '", member, "' is encrypted, which is not supported");
    }
    read_member(archive.get(), i, member, tensor_name, st.size, chunk);
  }
}

/// Reads, validates and adds the tensor `tensor_name` from the member `member` at `index`, whose
/// size the zip directory claims to be `claimed`.
inline void NpzFile::read_member(zip_t* archive, zip_uint64_t index, const std::string& member,
                                 const std::string& tensor_name, std::uint64_t claimed, std::vector<char>& chunk) {
  const auto fail_member = [&](auto&&... parts) { fail("member '", member, "': ", parts...); };
  std::unique_ptr<zip_file_t, detail::NpzMemberCloser> file(zip_fopen_index(archive, index, 0));
  if (file == nullptr) fail_member("cannot open: ", zip_strerror(archive));

  // Preamble: magic, version, header length; then the header dict.
  std::string buf;
  fill(file.get(), buf, std::min<std::uint64_t>(claimed, 8), chunk, member);
  constexpr std::string_view magic = "\x93NUMPY";
  if (buf.size() < 8 || buf.compare(0, magic.size(), magic) != 0) {
    fail_member("not a .npy file: expected the magic \"\\x93NUMPY\" and a version, found \"",
                detail::npy_printable(buf), "\"");
  }
  const int major = static_cast<unsigned char>(buf[6]);
  const int minor = static_cast<unsigned char>(buf[7]);
  if (!((major == 1 || major == 2 || major == 3) && minor == 0)) {
    fail_member("unsupported .npy format version ", major, ".", minor, " (expected 1.0, 2.0 or 3.0)");
  }
  const std::uint64_t preamble = major == 1 ? 10 : 12;
  if (claimed < preamble) {
    fail_member("the zip directory claims ", claimed, " bytes, less than the ", preamble, "-byte .npy preamble");
  }
  fill(file.get(), buf, preamble, chunk, member);
  const auto* raw = reinterpret_cast<const unsigned char*>(buf.data());
  const std::uint64_t header_length =
      major == 1 ? detail::load_le<std::uint16_t>(raw + 8) : detail::load_le<std::uint32_t>(raw + 8);
  const std::uint64_t header_end = preamble + header_length;
  if (header_end > claimed) {
    fail_member(".npy header length ", header_length, " exceeds the ", claimed,
                " bytes the zip directory claims for the member");
  }
  fill(file.get(), buf, header_end, chunk, member);
  const std::string where = "npz file '" + name() + "': member '" + member + "': ";
  const detail::NpyHeader header =
      detail::NpyHeaderParser(std::string_view(buf).substr(preamble), where).parse();

  Entry e{};
  const std::string& descr = header.descr;
  const detail::DTypeInfo* info = descr.empty() ? nullptr : detail::npy_find_dtype(std::string_view(descr).substr(1));
  if (descr == "|O" || descr == "<O" || descr == ">O") {
    fail_member("object arrays (descr '", descr, "') are not supported: they need pickle");
  }
  const char order = descr.empty() ? '\0' : descr[0];
  if (info == nullptr || !(order == '<' || order == '>' || (order == '|' && info->size == 1))) {
    fail_member("unsupported dtype descr '", detail::npy_printable(descr),
                "' (supported: '<f2' '<f4' '<f8' '|i1' '<i2' '<i4' '<i8' '|u1' '<u2' '<u4' '<u8' '|b1', "
                "or big-endian '>')");
  }
  e.dtype = info;
  e.shape = header.shape;
  const std::size_t dtype_size = info->size;

  detail::ElementCounter count;
  for (const auto dim : e.shape) {
    // The parser admits only 0..INT64_MAX.
    if (!count.add(static_cast<std::uint64_t>(dim))) {
      fail_member("element count of shape ", seq2seq::detail::dims_string(e.shape), " overflows");
    }
  }
  e.count = count.count();
  if (e.count > (std::numeric_limits<std::uint64_t>::max() - header_end) / dtype_size) {
    fail_member("byte size of shape ", seq2seq::detail::dims_string(e.shape), " x ", dtype_size,
                " bytes overflows");
  }
  const std::uint64_t data_size = e.count * dtype_size;
  const std::uint64_t total = header_end + data_size;
  if (total != claimed) {
    fail_member("the .npy header implies ", total, " bytes (", header_end, "-byte header + shape ",
                seq2seq::detail::dims_string(e.shape), " x ", dtype_size, "-byte ", descr,
                "), but the zip directory claims ", claimed);
  }

  // The data: at most `total` bytes are ever requested, and the member must end right there.
  fill(file.get(), buf, total, chunk, member);
  char extra = 0;
  const zip_int64_t more = zip_fread(file.get(), &extra, 1);  // must report the end of the member
  if (more < 0) fail_member("cannot read: ", zip_file_strerror(file.get()));
  if (more > 0) {
    fail_member("has more than the ", total, " bytes its .npy header and the zip directory declare");
  }

  // The elements stay in `buf` after the header, converted in place to little-endian row-major.
  e.offset = static_cast<std::size_t>(header_end);
  if (order == '>') detail::npy_swap_bytes(buf, e.offset, dtype_size);
  if (header.fortran_order) detail::npy_fortran_to_c(buf, e.offset, e.shape, dtype_size, e.count);
  e.block = add_block(std::move(buf));
  add_entry(tensor_name, std::move(e));
}

/// Appends the member's next bytes to `buf` until it holds `target` bytes, reading at most one
/// chunk at a time and never past `target`. Throws if the member ends first or cannot be read.
inline void NpzFile::fill(zip_file_t* file, std::string& buf, std::uint64_t target, std::vector<char>& chunk,
                          const std::string& member) const {
  while (buf.size() < target) {
    const std::uint64_t want = std::min<std::uint64_t>(chunk.size(), target - buf.size());
    const zip_int64_t got = zip_fread(file, chunk.data(), want);
    if (got < 0) fail("member '", member, "': cannot read: ", zip_file_strerror(file));
    if (got == 0) {
      fail("member '", member, "': ended after ", buf.size(), " bytes, but ", target,
           " are required (truncated or corrupt member)");
    }
    buf.append(chunk.data(), static_cast<std::size_t>(got));
  }
}

}  // namespace seq2seq::io
