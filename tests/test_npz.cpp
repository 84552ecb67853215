// Tests for seq2seq::io::NpzFile: the NumPy-written fixtures in tests/golden/npz (values are
// recomputed here from the formulas in tools/reference/gen_npz_fixtures.py), and one test per
// malformed-input case, with archives assembled in memory by libzip's writer and then corrupted.
// This translation unit includes both readers, which also checks that their helpers coexist.
#include <seq2seq/io/npz.hpp>
#include <seq2seq/io/safetensors.hpp>

#include <gtest/gtest.h>

#include "throws_error.hpp"

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "sanitizers.hpp"

#ifndef SEQ2SEQ_GOLDEN_DIR
#error "SEQ2SEQ_GOLDEN_DIR must name the tests/golden directory"
#endif

#include "largest_malloc.hpp"  // g_largest_malloc

namespace {

using seq2seq::io::NpzFile;
using seq2seq::io::SafetensorsFile;

const std::string kStored = SEQ2SEQ_GOLDEN_DIR "/npz/stored.npz";
const std::string kCompressed = SEQ2SEQ_GOLDEN_DIR "/npz/compressed.npz";
const std::string kSafetensors = SEQ2SEQ_GOLDEN_DIR "/npz/tensors.safetensors";

// ---- API parity with SafetensorsFile (compile time) ---------------------------------------------

template <class F>
using TensorF2 = decltype(std::declval<const F&>().template tensor<float, 2>(""));
template <class F>
using TensorD3Checked = decltype(std::declval<const F&>().template tensor<double, 3>("", {1, 2, 3}));
#define SAME_API(expr)                                                                               \
  static_assert(std::is_same_v<decltype(std::declval<const NpzFile&>().expr),                        \
                               decltype(std::declval<const SafetensorsFile&>().expr)>, #expr)
SAME_API(name());
SAME_API(names());
SAME_API(contains(""));
SAME_API(metadata());
SAME_API(metadata(""));
SAME_API(shape(""));
SAME_API(dtype(""));
SAME_API(integers(""));
SAME_API(scalar(""));
#undef SAME_API
static_assert(std::is_same_v<TensorF2<NpzFile>, TensorF2<SafetensorsFile>>);
static_assert(std::is_same_v<TensorD3Checked<NpzFile>, TensorD3Checked<SafetensorsFile>>);
static_assert(std::is_same_v<decltype(NpzFile::load("")), NpzFile>);
static_assert(std::is_same_v<decltype(NpzFile::parse(std::string())), NpzFile>);
static_assert(std::is_copy_constructible_v<NpzFile>);

// ---- helpers ------------------------------------------------------------------------------------

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

void poke_le(std::string& s, std::size_t at, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) s[at + static_cast<std::size_t>(i)] = static_cast<char>((value >> (8 * i)) & 0xFF);
}

/// A .npy file: preamble of `version` (1, 2 or 3), the dict text padded with spaces and a newline
/// to a multiple of 64 bytes (as numpy does), then `data`.
std::string npy(const std::string& dict, const std::string& data, int version = 1) {
  const std::size_t preamble = version == 1 ? 10 : 12;
  std::string header = dict;
  header += std::string((64 - (preamble + header.size() + 1) % 64) % 64, ' ') + "\n";
  std::string out("\x93NUMPY", 6);
  out.push_back(static_cast<char>(version));
  out.push_back('\0');
  put_le(out, header.size(), version == 1 ? 2 : 4);
  return out + header + data;
}

/// A .npy file with the standard dict for `descr`, `shape_text` (e.g. "(2, 3)") and C order.
std::string npy_of(const std::string& descr, const std::string& shape_text, const std::string& data) {
  return npy("{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_text + ", }", data);
}

std::string f32_le(std::initializer_list<float> values) {
  std::string out;
  for (float v : values) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, 4);
    put_le(out, bits, 4);
  }
  return out;
}

/// A zip archive with `members` (name, content), all stored or all deflated, written by libzip.
std::string make_zip(const std::vector<std::pair<std::string, std::string>>& members, bool deflate) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* out = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_error_fini(&error);
  if (out == nullptr) return "make_zip: cannot create the buffer";
  zip_source_keep(out);
  zip_t* archive = zip_open_from_source(out, ZIP_TRUNCATE, nullptr);
  if (archive == nullptr) {
    zip_source_free(out);
    return "make_zip: cannot open";
  }
  for (const auto& [name, content] : members) {
    zip_source_t* src = zip_source_buffer(archive, content.data(), content.size(), 0);
    const zip_int64_t index = zip_file_add(archive, name.c_str(), src, ZIP_FL_ENC_UTF_8);
    if (index < 0) ADD_FAILURE() << "zip_file_add " << name << ": " << zip_strerror(archive);
    zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  }
  if (zip_close(archive) != 0) ADD_FAILURE() << "zip_close: " << zip_strerror(archive);
  std::string bytes;
  if (zip_source_open(out) == 0) {  // libzip writes nothing at all for an archive with no members
    char buf[4096];
    zip_int64_t n;
    while ((n = zip_source_read(out, buf, sizeof buf)) > 0) bytes.append(buf, static_cast<std::size_t>(n));
    zip_source_close(out);
  }
  zip_source_free(out);
  return bytes;
}

std::string zip1(const std::string& name, const std::string& content, bool deflate = false) {
  return make_zip({{name, content}}, deflate);
}

/// Byte offsets of the local header ("PK\3\4") and central directory entry ("PK\1\2") of member
/// `name` in a libzip-written archive (no zip64 extras for these small members).
struct ZipHeaders {
  std::size_t local = std::string::npos;
  std::size_t central = std::string::npos;
};
ZipHeaders find_headers(const std::string& zip, const std::string& name) {
  ZipHeaders h;
  for (std::size_t p = 0; (p = zip.find(std::string("PK\3\4", 4), p)) != std::string::npos; ++p) {
    if (zip.compare(p + 30, name.size(), name) == 0) h.local = p;
  }
  for (std::size_t p = 0; (p = zip.find(std::string("PK\1\2", 4), p)) != std::string::npos; ++p) {
    if (zip.compare(p + 46, name.size(), name) == 0) h.central = p;
  }
  return h;
}

/// Rewrites the uncompressed size of member `name` in both its local and central headers, so the
/// archive stays self-consistent while lying about the size.
void claim_size(std::string& zip, const std::string& name, std::uint32_t size) {
  const ZipHeaders h = find_headers(zip, name);
  ASSERT_NE(h.local, std::string::npos);
  ASSERT_NE(h.central, std::string::npos);
  poke_le(zip, h.local + 22, size, 4);
  poke_le(zip, h.central + 24, size, 4);
}

/// Passes if parsing `bytes` (named "bad.npz") throws an Error containing every one of `parts`.
::testing::AssertionResult parse_fails(const std::string& bytes, std::initializer_list<std::string> parts) {
  return throws_error([&] { NpzFile::parse(bytes, "bad.npz"); }, parts);
}

/// An archive with the single member "w.npy" holding a .npy with the given dict text and data.
::testing::AssertionResult header_fails(const std::string& dict, std::initializer_list<std::string> parts,
                                        const std::string& data = "") {
  return parse_fails(zip1("w.npy", npy(dict, data)), parts);
}

// ---- the formulas of tools/reference/gen_npz_fixtures.py ----------------------------------------

/// k * 0.125 + salt, in double (k * 0.125 is exact, so only the add rounds, as in NumPy).
double fval(std::int64_t k, double salt) { return static_cast<double>(k) * 0.125 + salt; }
double half_val(std::int64_t k) { return static_cast<double>(k - 3) * 0.5; }
std::int64_t i32_val(std::int64_t k) { return (k - 2) * 1000003; }

template <int Rank>
using TensorF = Eigen::Tensor<float, Rank, Eigen::RowMajor, Eigen::Index>;
template <int Rank>
using TensorD = Eigen::Tensor<double, Rank, Eigen::RowMajor, Eigen::Index>;

/// Expects every element (flat row-major index k) of a float tensor to be static_cast<float>(fval).
template <int Rank>
void expect_f32(const TensorF<Rank>& t, double salt, const std::string& what) {
  for (Eigen::Index k = 0; k < t.size(); ++k) {
    EXPECT_EQ(t.data()[k], static_cast<float>(fval(k, salt))) << what << " element " << k;
  }
}
template <int Rank>
void expect_f64(const TensorD<Rank>& t, double salt, const std::string& what) {
  for (Eigen::Index k = 0; k < t.size(); ++k) EXPECT_EQ(t.data()[k], fval(k, salt)) << what << " element " << k;
}

std::vector<std::int64_t> ints(std::int64_t n, const std::function<std::int64_t(std::int64_t)>& fn) {
  std::vector<std::int64_t> out;
  for (std::int64_t k = 0; k < n; ++k) out.push_back(fn(k));
  return out;
}

// ---- the NumPy fixtures, stored and deflated ---------------------------------------------------

class NpzFixture : public ::testing::TestWithParam<std::string> {
 protected:
  static const NpzFile& file() {
    static std::map<std::string, NpzFile> cache;
    auto it = cache.find(GetParam());
    if (it == cache.end()) it = cache.emplace(GetParam(), NpzFile::load(GetParam())).first;
    return it->second;
  }
};

INSTANTIATE_TEST_SUITE_P(Archives, NpzFixture, ::testing::Values(kStored, kCompressed),
                         [](const auto& info) { return info.param == kStored ? "stored" : "compressed"; });

TEST_P(NpzFixture, ArchiveUsesTheExpectedCompression) {
  // Guards the fixtures themselves: one archive really is stored, the other really deflated, and
  // they contain the Fortran-ordered and big-endian members the other tests rely on.
  const std::string bytes = read_file(GetParam());
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  zip_t* archive = zip_open_from_source(src, ZIP_RDONLY, &error);
  zip_error_fini(&error);
  ASSERT_NE(archive, nullptr);
  const zip_int64_t n = zip_get_num_entries(archive, 0);
  EXPECT_EQ(n, 31);
  const int method = GetParam() == kStored ? ZIP_CM_STORE : ZIP_CM_DEFLATE;
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    ASSERT_EQ(zip_stat_index(archive, static_cast<zip_uint64_t>(i), 0, &st), 0);
    EXPECT_EQ(st.comp_method, method) << st.name;
  }
  zip_discard(archive);
  if (GetParam() == kStored) {
    EXPECT_NE(bytes.find("'fortran_order': True"), std::string::npos);
    EXPECT_NE(bytes.find("'descr': '>f8'"), std::string::npos);
    EXPECT_NE(bytes.find("'descr': '>f2'"), std::string::npos);
  }
}

TEST_P(NpzFixture, NamesShapesDtypes) {
  const NpzFile& f = file();
  EXPECT_EQ(f.name(), GetParam());
  const std::vector<std::string> expected = {
      "be/f16_r1", "be/f32_r1", "be/f64_r2", "be/i32_r1", "be/u16_r1", "bool/r2", "f16/r1", "f16/r2",
      "f32/empty", "f32/r0", "f32/r1", "f32/r2", "f32/r3", "f32/single", "f64/r0", "f64/r1", "f64/r2", "f64/r3",
      "fortran/f32_r2", "fortran/f64_r3", "fortran/i32_r2", "int/i16", "int/i32", "int/i64", "int/i64_r0",
      "int/i8", "int/u16", "int/u32", "int/u64", "int/u8", "rnn/gru_cell/gates/kernel"};
  EXPECT_EQ(f.names(), expected);  // sorted, ".npy" stripped, slashes kept
  EXPECT_TRUE(f.contains("rnn/gru_cell/gates/kernel"));
  EXPECT_FALSE(f.contains("rnn/gru_cell/gates/kernel.npy"));
  EXPECT_FALSE(f.contains("kernel"));
  EXPECT_TRUE(f.metadata().empty());

  using Shape = std::vector<std::int64_t>;
  EXPECT_EQ(f.shape("f32/r0"), Shape{});
  EXPECT_EQ(f.shape("f32/r3"), (Shape{2, 3, 4}));
  EXPECT_EQ(f.shape("f32/empty"), (Shape{0, 3}));
  EXPECT_EQ(f.shape("fortran/f64_r3"), (Shape{2, 3, 4}));  // numpy's (logical) shape, not reversed
  EXPECT_EQ(f.shape("rnn/gru_cell/gates/kernel"), (Shape{5, 6}));
  const std::map<std::string, std::string> dtypes = {
      {"f32/r1", "F32"}, {"f64/r1", "F64"}, {"f16/r1", "F16"}, {"int/i8", "I8"}, {"int/i16", "I16"},
      {"int/i32", "I32"}, {"int/i64", "I64"}, {"int/u8", "U8"}, {"int/u16", "U16"}, {"int/u32", "U32"},
      {"int/u64", "U64"}, {"bool/r2", "BOOL"}, {"be/f64_r2", "F64"}, {"be/f16_r1", "F16"}, {"be/u16_r1", "U16"}};
  for (const auto& [name, dtype] : dtypes) EXPECT_EQ(f.dtype(name), dtype) << name;
}

TEST_P(NpzFixture, Float32Ranks0To3) {
  const NpzFile& f = file();
  EXPECT_EQ((f.tensor<float, 0>("f32/r0")()), 0.5f);
  expect_f32(f.tensor<float, 1>("f32/r1", {5}), -1.0, "f32/r1");
  expect_f32(f.tensor<float, 2>("f32/r2", {3, 4}), 0.1, "f32/r2");
  const auto r3 = f.tensor<float, 3>("f32/r3", {2, 3, 4});
  expect_f32(r3, -3.0, "f32/r3");
  EXPECT_EQ(r3(1, 2, 3), static_cast<float>(fval(23, -3.0)));  // row-major: last index fastest
  EXPECT_EQ(r3(1, 0, 0), static_cast<float>(fval(12, -3.0)));
  // float32 -> double is exact.
  const auto r2d = f.tensor<double, 2>("f32/r2");
  EXPECT_EQ(r2d(2, 3), static_cast<double>(static_cast<float>(fval(11, 0.1))));
  expect_f32(f.tensor<float, 2>("rnn/gru_cell/gates/kernel", {5, 6}), 0.7, "kernel");
}

TEST_P(NpzFixture, Float64Ranks0To3) {
  const NpzFile& f = file();
  EXPECT_EQ((f.tensor<double, 0>("f64/r0")()), 1.0 / 3.0);
  expect_f64(f.tensor<double, 1>("f64/r1", {4}), -0.7, "f64/r1");
  const auto r2 = f.tensor<double, 2>("f64/r2", {2, 5});
  expect_f64(r2, 10.0, "f64/r2");
  EXPECT_EQ(r2(1, 0), fval(5, 10.0));
  expect_f64(f.tensor<double, 3>("f64/r3", {2, 2, 3}), 0.2, "f64/r3");
  // float64 -> float rounds to nearest.
  EXPECT_EQ((f.tensor<float, 0>("f64/r0")()), static_cast<float>(1.0 / 3.0));
  expect_f32(f.tensor<float, 3>("f64/r3"), 0.2, "f64/r3 as float");
}

TEST_P(NpzFixture, Float16) {
  const NpzFile& f = file();
  const auto r1 = f.tensor<float, 1>("f16/r1", {6});
  for (Eigen::Index k = 0; k < 6; ++k) EXPECT_EQ(r1(k), static_cast<float>(half_val(k))) << k;
  const auto r2 = f.tensor<double, 2>("f16/r2", {2, 3});
  for (Eigen::Index k = 0; k < 6; ++k) EXPECT_EQ(r2.data()[k], half_val(k)) << k;
}

TEST_P(NpzFixture, IntegersOfEveryWidth) {
  const NpzFile& f = file();
  EXPECT_EQ(f.integers("int/i8"), ints(5, [](std::int64_t k) { return (k - 2) * 60; }));
  EXPECT_EQ(f.integers("int/i16"), ints(4, [](std::int64_t k) { return (k - 3) * 1000; }));
  EXPECT_EQ(f.integers("int/i32"), ints(9, i32_val));
  EXPECT_EQ(f.integers("int/i64"), ints(4, [](std::int64_t k) { return (k - 2) * 1000000000000LL + k; }));
  EXPECT_EQ(f.integers("int/i64_r0"), std::vector<std::int64_t>{-2000000000000LL});
  EXPECT_EQ(f.integers("int/u8"), ints(4, [](std::int64_t k) { return k * 70; }));
  EXPECT_EQ(f.integers("int/u16"), ints(4, [](std::int64_t k) { return k * 20000; }));
  EXPECT_EQ(f.integers("int/u32"), ints(5, [](std::int64_t k) { return k * 1000000000LL; }));
  EXPECT_EQ(f.integers("int/u64"), ints(4, [](std::int64_t k) { return k * (std::int64_t{1} << 61); }));
}

TEST_P(NpzFixture, BoolIsNeitherFloatNorInteger) {
  // Same rules as SafetensorsFile: BOOL is listed with its shape but no accessor converts it.
  const NpzFile& f = file();
  EXPECT_EQ(f.dtype("bool/r2"), "BOOL");
  EXPECT_EQ(f.shape("bool/r2"), (std::vector<std::int64_t>{2, 3}));
  EXPECT_TRUE(throws_error([&] { f.integers("bool/r2"); }, {GetParam(), "'bool/r2'", "integer dtype", "BOOL"}));
  EXPECT_TRUE(throws_error([&] { f.tensor<float, 2>("bool/r2"); }, {"'bool/r2'", "float dtype", "BOOL"}));
}

TEST_P(NpzFixture, FortranOrderIsTransposedToRowMajor) {
  const NpzFile& f = file();
  const auto r2 = f.tensor<float, 2>("fortran/f32_r2", {3, 4});
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) EXPECT_EQ(r2(i, j), static_cast<float>(fval(i * 4 + j, 0.25))) << i << "," << j;
  const auto r3 = f.tensor<double, 3>("fortran/f64_r3", {2, 3, 4});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int l = 0; l < 4; ++l) EXPECT_EQ(r3(i, j, l), fval(i * 12 + j * 4 + l, 0.3)) << i << "," << j << "," << l;
  EXPECT_EQ(f.integers("fortran/i32_r2"), ints(6, i32_val));  // flattened row-major
}

TEST_P(NpzFixture, BigEndianIsConverted) {
  const NpzFile& f = file();
  expect_f64(f.tensor<double, 2>("be/f64_r2", {2, 3}), 7.0, "be/f64_r2");
  expect_f32(f.tensor<float, 1>("be/f32_r1", {3}), -2.0, "be/f32_r1");
  const auto h = f.tensor<float, 1>("be/f16_r1", {6});
  for (Eigen::Index k = 0; k < 6; ++k) EXPECT_EQ(h(k), static_cast<float>(half_val(k))) << k;
  EXPECT_EQ(f.integers("be/i32_r1"), ints(5, i32_val));
  EXPECT_EQ(f.integers("be/u16_r1"), ints(4, [](std::int64_t k) { return k * 20000; }));
}

TEST_P(NpzFixture, ScalarsAndEmptyTensors) {
  const NpzFile& f = file();
  EXPECT_EQ(f.scalar("f32/r0"), 0.5);
  EXPECT_EQ(f.scalar("f64/r0"), 1.0 / 3.0);
  EXPECT_EQ(f.scalar("f32/single"), 4.0);  // shape [1,1]
  EXPECT_TRUE(throws_error([&] { f.scalar("f32/r1"); }, {GetParam(), "'f32/r1'", "scalar", "[5]"}));
  EXPECT_TRUE(throws_error([&] { f.scalar("int/i64_r0"); }, {"'int/i64_r0'", "float dtype", "I64"}));
  const auto e = f.tensor<float, 2>("f32/empty", {0, 3});
  EXPECT_EQ(e.dimension(0), 0);
  EXPECT_EQ(e.dimension(1), 3);
  EXPECT_EQ(e.size(), 0);
}

TEST_P(NpzFixture, AccessorErrorsNameFileAndTensor) {
  const NpzFile& f = file();
  const std::string& path = GetParam();
  EXPECT_TRUE(throws_error([&] { f.tensor<float, 2>("nope"); }, {path, "no tensor named 'nope'"}));
  EXPECT_TRUE(throws_error([&] { f.shape("nope"); }, {"no tensor named 'nope'"}));
  EXPECT_TRUE(throws_error([&] { f.dtype("nope"); }, {"no tensor named 'nope'"}));
  EXPECT_TRUE(throws_error([&] { f.integers("nope"); }, {"no tensor named 'nope'"}));
  EXPECT_TRUE(throws_error([&] { f.scalar("nope"); }, {"no tensor named 'nope'"}));
  EXPECT_TRUE(throws_error([&] { f.tensor<float, 2>("f32/r3"); }, {path, "'f32/r3'", "expected rank 2", "rank 3", "[2,3,4]"}));
  EXPECT_TRUE(throws_error([&] { f.tensor<float, 3>("f32/r3", {2, 4, 3}); },
                           {path, "'f32/r3'", "expected shape [2,4,3] but found [2,3,4]"}));
  EXPECT_TRUE(throws_error([&] { f.tensor<double, 2>("int/i32"); }, {"'int/i32'", "float dtype", "I32"}));
  EXPECT_TRUE(throws_error([&] { f.integers("f32/r1"); }, {"'f32/r1'", "integer dtype", "F32"}));
  EXPECT_TRUE(throws_error([&] { f.metadata("format"); }, {path, "'format'", "metadata"}));
}

// ---- one function template over both file types -------------------------------------------------

/// Every rank-2 F32/F64 tensor of a weights file, as float; only the public API is used.
template <class File>
std::map<std::string, TensorF<2>> rank2_floats(const File& file) {
  std::map<std::string, TensorF<2>> out;
  for (const auto& name : file.names()) {
    if (file.shape(name).size() == 2 && (file.dtype(name) == "F32" || file.dtype(name) == "F64")) {
      out.emplace(name, file.template tensor<float, 2>(name));
    }
  }
  return out;
}

TEST(NpzVsSafetensors, SameTensorsThroughOneTemplate) {
  const auto st = rank2_floats(SafetensorsFile::load(kSafetensors));
  ASSERT_EQ(st.size(), 7u);  // f32/r2, f32/single, f32/empty, f64/r2, fortran/f32_r2, be/f64_r2, kernel
  for (const auto& path : {kStored, kCompressed}) {
    const auto npz = rank2_floats(NpzFile::load(path));
    ASSERT_EQ(npz.size(), st.size()) << path;
    for (const auto& [name, expected] : st) {
      const auto it = npz.find(name);
      ASSERT_NE(it, npz.end()) << path << ": " << name;
      const auto& got = it->second;
      ASSERT_EQ(got.dimensions(), expected.dimensions()) << path << ": " << name;
      for (Eigen::Index k = 0; k < got.size(); ++k) {  // bitwise: same float from either reader
        EXPECT_EQ(std::memcmp(got.data() + k, expected.data() + k, sizeof(float)), 0) << path << ": " << name << " " << k;
      }
    }
  }
}

// ---- archives built here --------------------------------------------------------------------------

TEST(Npz, ParsesInMemoryArchivesStoredAndDeflated) {
  for (const bool deflate : {false, true}) {
    const std::string bytes = make_zip({{"b/w.npy", npy_of("<f4", "(2, 2)", f32_le({1, 2, 3, 4}))},
                                        {"a.npy", npy_of("<i2", "(3,)", std::string("\x01\x00\xff\xff\x00\x80", 6))}},
                                       deflate);
    const NpzFile f = NpzFile::parse(bytes);
    EXPECT_EQ(f.name(), "<memory>");
    EXPECT_EQ(f.names(), (std::vector<std::string>{"a", "b/w"}));
    EXPECT_EQ((f.tensor<float, 2>("b/w")(1, 0)), 3.0f);
    EXPECT_EQ(f.integers("a"), (std::vector<std::int64_t>{1, -1, -32768}));
    const NpzFile copy = f;  // copies own their data
    EXPECT_EQ((copy.tensor<float, 2>("b/w")(0, 1)), 2.0f);
  }
}

TEST(Npz, EmptyArchiveHasNoTensors) {
  // np.savez(f) with no arrays writes just the 22-byte end-of-central-directory record.
  std::string eocd("PK\5\6", 4);
  eocd += std::string(18, '\0');
  const NpzFile f = NpzFile::parse(eocd);
  EXPECT_TRUE(f.names().empty());
}

TEST(Npz, HeaderVersionsAndDictSpellings) {
  const std::string data = f32_le({1.5f, -2.0f});
  const std::vector<std::string> dicts = {
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}",               // no trailing comma
      "{\"shape\": (2, ), \"fortran_order\": False, \"descr\": \"<f4\"}",      // double quotes, any order
      "{ 'descr' : '<f4' ,\n\t'fortran_order':False,'shape':( 2 , ) , }",      // spacing
      "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }",             // Fortran order at rank 1
  };
  for (const auto& dict : dicts) {
    for (int version : {1, 2, 3}) {
      const NpzFile f = NpzFile::parse(zip1("w.npy", npy(dict, data, version)));
      const auto t = f.tensor<float, 1>("w", {2});
      EXPECT_EQ(t(0), 1.5f) << dict << " v" << version;
      EXPECT_EQ(t(1), -2.0f) << dict << " v" << version;
    }
  }
  // Rank 0 "()" and a one-byte type with each byte-order character.
  for (const char* descr : {"|u1", "<u1", ">u1", "|i1", "|b1"}) {
    const NpzFile f = NpzFile::parse(zip1("s.npy", npy_of(descr, "()", "\x07")));
    EXPECT_TRUE(f.shape("s").empty()) << descr;
  }
}

TEST(Npz, FortranOrderRank4AndZeroDims) {
  // shape (2, 1, 3, 2) column-major: element (a,b,c,d) is stored at a + 2*(b + 1*(c + 3*d)).
  std::string data;
  for (int d = 0; d < 2; ++d)
    for (int c = 0; c < 3; ++c)
      for (int b = 0; b < 1; ++b)
        for (int a = 0; a < 2; ++a) put_le(data, static_cast<std::uint64_t>(1000 * a + 100 * b + 10 * c + d), 2);
  const std::string dict = "{'descr': '<i2', 'fortran_order': True, 'shape': (2, 1, 3, 2), }";
  const std::string empty = "{'descr': '<f8', 'fortran_order': True, 'shape': (3, 0, 2), }";
  const NpzFile f = NpzFile::parse(make_zip({{"x.npy", npy(dict, data)}, {"e.npy", npy(empty, "")}}, true));
  std::vector<std::int64_t> expected;
  for (int a = 0; a < 2; ++a)
    for (int c = 0; c < 3; ++c)
      for (int d = 0; d < 2; ++d) expected.push_back(1000 * a + 10 * c + d);
  EXPECT_EQ(f.integers("x"), expected);
  EXPECT_EQ((f.tensor<double, 3>("e", {3, 0, 2}).size()), 0);
}

TEST(Npz, U64AboveInt64MaxAndF64OutOfFloatRange) {
  std::string u64;
  put_le(u64, 5, 8);
  put_le(u64, ~std::uint64_t{0}, 8);
  std::string f64;
  for (double v : {1.0, 1e300}) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, 8);
    put_le(f64, bits, 8);
  }
  const NpzFile f = NpzFile::parse(make_zip({{"u.npy", npy_of("<u8", "(2,)", u64)}, {"big.npy", npy_of("<f8", "(2,)", f64)}}, false), "r.npz");
  EXPECT_TRUE(throws_error([&] { f.integers("u"); }, {"r.npz", "'u'", "element 1", "18446744073709551615", "int64"}));
  EXPECT_TRUE(throws_error([&] { f.tensor<float, 1>("big"); }, {"r.npz", "'big'", "element 1", "out of float range"}));
  EXPECT_EQ((f.tensor<double, 1>("big")(1)), 1e300);
}

TEST(Npz, HalfSpecialValues) {
  std::string bits;
  for (std::uint16_t h : {0x0001, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0x7BFF}) put_le(bits, h, 2);
  const auto t = NpzFile::parse(zip1("h.npy", npy_of("<f2", "(6,)", bits))).tensor<float, 1>("h");
  EXPECT_EQ(t(0), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(t(1), 0.0f);
  EXPECT_TRUE(std::signbit(t(1)));
  EXPECT_EQ(t(2), std::numeric_limits<float>::infinity());
  EXPECT_EQ(t(3), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(t(4)));
  EXPECT_EQ(t(5), 65504.0f);
}

// ---- malformed archives -------------------------------------------------------------------------

TEST(NpzErrors, NotAZipArchive) {
  EXPECT_TRUE(parse_fails("", {"bad.npz", "not a valid zip archive", "empty"}));
  EXPECT_TRUE(parse_fails("hello, world", {"bad.npz", "not a valid zip archive"}));
  EXPECT_TRUE(parse_fails(read_file(kSafetensors), {"bad.npz", "not a valid zip archive"}));
  EXPECT_TRUE(parse_fails(npy_of("<f4", "(1,)", f32_le({1})), {"bad.npz", "single .npy file", "np.savez"}));
}

TEST(NpzErrors, EveryTruncationOfTheFixturesThrows) {
  for (const auto& path : {kStored, kCompressed}) {
    const std::string bytes = read_file(path);
    ASSERT_GT(bytes.size(), 1000u);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      ASSERT_TRUE(parse_fails(bytes.substr(0, n), {"bad.npz"})) << path << " cut to " << n << " bytes";
    }
  }
}

TEST(NpzErrors, CorruptCrcOrData) {
  const std::string member = npy_of("<f4", "(4,)", f32_le({1, 2, 3, 4}));
  const std::string zip = zip1("w.npy", member);
  const ZipHeaders h = find_headers(zip, "w.npy");
  ASSERT_NE(h.central, std::string::npos);
  // The CRC in both headers (consistent, but wrong for the data): found when the member is read.
  std::string crc = zip;
  crc[h.local + 14] ^= 0x01;
  crc[h.central + 16] ^= 0x01;
  EXPECT_TRUE(parse_fails(crc, {"bad.npz", "member 'w.npy'", "CRC"}));
  // Only the central directory CRC: the headers disagree.
  std::string central = zip;
  central[h.central + 16] ^= 0x01;
  EXPECT_TRUE(parse_fails(central, {"bad.npz", "not a valid zip archive", "inconsistent"}));
  // One data byte (the last float's top byte) flipped.
  std::string data = zip;
  data[zip.find(member) + member.size() - 1] ^= 0x40;
  EXPECT_TRUE(parse_fails(data, {"bad.npz", "member 'w.npy'", "CRC"}));
  // Deflated data garbled.
  std::string deflated = zip1("w.npy", member, true);
  const ZipHeaders d = find_headers(deflated, "w.npy");
  deflated[d.local + 30 + 5 + 3] ^= 0x5A;  // inside the compressed stream (no extra field)
  EXPECT_TRUE(parse_fails(deflated, {"bad.npz", "member 'w.npy'"}));
}

TEST(NpzErrors, EverySingleByteCorruptionOfStoredMemberDataIsDetected) {
  const std::string member = npy_of("<f8", "(3,)", std::string(24, '\x11'));
  const std::string zip = make_zip({{"a.npy", member}, {"b/c.npy", member}}, false);
  const std::size_t first = zip.find(member);
  ASSERT_NE(first, std::string::npos);
  for (std::size_t i = first; i < first + member.size(); ++i) {
    std::string bad = zip;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    EXPECT_TRUE(parse_fails(bad, {"bad.npz", "member 'a.npy'"})) << "byte " << i;
  }
}

TEST(NpzErrors, AnySingleByteFlipThrowsOnlySeq2seqErrors) {
  // Robustness sweep (meant for the sanitizer build): flipping any byte of an archive either still
  // parses or throws seq2seq::Error, never anything else, never a crash.
  const std::string member = npy_of("<f4", "(2, 3)", f32_le({1, 2, 3, 4, 5, 6}));
  for (const bool deflate : {false, true}) {
    const std::string zip = make_zip({{"x/a.npy", member}, {"b.npy", member}}, deflate);
    int failures = 0;
    for (std::size_t i = 0; i < zip.size(); ++i) {
      for (const unsigned char mask : {0x01, 0x80, 0xFF}) {
        std::string bad = zip;
        bad[i] = static_cast<char>(static_cast<unsigned char>(bad[i]) ^ mask);
        try {
          NpzFile::parse(bad, "flip.npz");
        } catch (const seq2seq::Error& e) {
          ++failures;
          EXPECT_NE(std::string(e.what()).find("flip.npz"), std::string::npos) << e.what();
        } catch (const std::exception& e) {
          ADD_FAILURE() << "byte " << i << " ^ " << int{mask} << ": non-seq2seq::Error " << e.what();
        }
      }
    }
    EXPECT_GT(failures * 10, static_cast<int>(3 * zip.size()) * 8);  // > 80% caught (the rest hit
                                                                      // timestamps, attributes...)
  }
}

TEST(NpzErrors, MemberThatIsNotNpy) {
  const std::string good = npy_of("<f4", "(1,)", f32_le({1}));
  EXPECT_TRUE(parse_fails(make_zip({{"a.npy", good}, {"readme.txt", "hello"}}, false),
                          {"bad.npz", "member 'readme.txt'", "not a .npy file", ".npy"}));
  EXPECT_TRUE(parse_fails(zip1("w.NPY", good), {"member 'w.NPY'", "not a .npy file"}));
  EXPECT_TRUE(parse_fails(zip1("npy", good), {"member 'npy'", "not a .npy file"}));
}

TEST(NpzErrors, DuplicateMemberNames) {
  const std::string m = npy_of("<f4", "(1,)", f32_le({1}));
  std::string zip = make_zip({{"a.npy", m}, {"b.npy", m}}, false);
  for (std::size_t p = 0; (p = zip.find("b.npy", p)) != std::string::npos;) zip[p] = 'a';
  EXPECT_TRUE(parse_fails(zip, {"bad.npz", "duplicate member names"}));
}

TEST(NpzErrors, BadMagicAndVersion) {
  std::string m = npy_of("<f4", "(1,)", f32_le({1}));
  std::string bad_magic = m;
  bad_magic[5] = 'X';
  EXPECT_TRUE(parse_fails(zip1("w.npy", bad_magic), {"bad.npz", "member 'w.npy'", "not a .npy file", "magic", "NUMPX"}));
  EXPECT_TRUE(parse_fails(zip1("w.npy", "PK"), {"member 'w.npy'", "not a .npy file", "magic"}));
  EXPECT_TRUE(parse_fails(zip1("w.npy", ""), {"member 'w.npy'", "not a .npy file"}));
  std::string v4 = m;
  v4[6] = 4;
  EXPECT_TRUE(parse_fails(zip1("w.npy", v4), {"member 'w.npy'", "unsupported .npy format version 4.0"}));
  std::string v11 = m;
  v11[7] = 1;
  EXPECT_TRUE(parse_fails(zip1("w.npy", v11), {"member 'w.npy'", "version 1.1"}));
}

TEST(NpzErrors, HeaderLengthBeyondMember) {
  std::string v1 = npy_of("<f4", "(1,)", f32_le({1}));
  poke_le(v1, 8, 0xFFFF, 2);
  EXPECT_TRUE(parse_fails(zip1("w.npy", v1), {"bad.npz", "member 'w.npy'", "header length 65535", "exceeds", "132 bytes"}));
  std::string v2 = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f32_le({1}), 2);
  poke_le(v2, 8, 0xFFFFFFFF, 4);
  EXPECT_TRUE(parse_fails(zip1("w.npy", v2), {"member 'w.npy'", "header length 4294967295", "exceeds"}));
  // A member too short for even the preamble of its version.
  EXPECT_TRUE(parse_fails(zip1("w.npy", std::string("\x93NUMPY\x02\x00\x01", 9)), {"member 'w.npy'", "12-byte"}));
}

TEST(NpzErrors, MalformedHeaderDict) {
  const std::string f4 = f32_le({1});
  struct Case {
    std::string dict;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "expected the header to start with '{'"},
      {"['descr', '<f4']", "expected the header to start with '{'"},
      {"{'descr': '<f4', 'fortran_order': False}", "missing key 'shape'"},
      {"{'fortran_order': False, 'shape': (1,)}", "missing key 'descr'"},
      {"{'descr': '<f4', 'shape': (1,)}", "missing key 'fortran_order'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", "unexpected key 'extra'"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", "duplicate key 'descr'"},
      {"{'descr': 4, 'fortran_order': False, 'shape': (1,)}", "quoted string for 'descr'"},
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}", "structured dtypes"},
      {"{'descr': '<f4', 'fortran_order': false, 'shape': (1,)}", "True or False"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", "True or False"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1)}", "not a tuple"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [1]}", "tuple '(...)' for 'shape'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': 1}", "tuple '(...)' for 'shape'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", "negative dimension"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1.0,)}", "expected ',' or ')'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (,)}", "expected an integer dimension"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (01,)}", "leading zero"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'shape': (1,)}", "duplicate key 'shape'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775808,)}", "too large"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x", "unexpected text after the closing '}'"},
      {"{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}", "expected ',' or '}'"},
      {"{'descr' '<f4', 'fortran_order': False, 'shape': (1,)}", "expected ':'"},
      {"{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}", "expected ',' or '}' after the value of 'descr'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", "expected ',' or '}' after the value of 'shape'"},
      {"{'descr': '<f\\x34', 'fortran_order': False, 'shape': (1,)}", "unsupported character"},
      {"{descr: '<f4', 'fortran_order': False, 'shape': (1,)}", "expected a quoted key"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), , }", "expected a quoted key"},
      {std::string("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}") + '\0', "unexpected text"},
      {std::string("{'descr': '<f4") + '\0' + "', 'fortran_order': False, 'shape': (1,)}", "unsupported character"},
  };
  for (const auto& c : cases) {
    EXPECT_TRUE(header_fails(c.dict, {"bad.npz", "member 'w.npy'", "malformed .npy header", c.message}, f4))
        << "dict: " << c.dict;
  }
  // The message shows the header, with unprintable bytes escaped.
  EXPECT_TRUE(header_fails(std::string("{'descr': '<f4") + '\0' + "'}", {"'<f4\\x00'}"}, f4));
}

TEST(NpzErrors, UnsupportedDescr) {
  for (const char* descr : {"<c8", "|S3", "<U5", "<M8[ns]", "=f4", "|f4", "f4", "", "<f16", "<V2", "<i3", "|u2"}) {
    EXPECT_TRUE(header_fails(std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (0,), }",
                             {"bad.npz", "member 'w.npy'", std::string("unsupported dtype descr '") + descr + "'"}))
        << descr;
  }
  EXPECT_TRUE(header_fails("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
                           {"bad.npz", "member 'w.npy'", "object arrays", "'|O'", "pickle"}, std::string(16, '\0')));
}

TEST(NpzErrors, ShapeProductOverflows) {
  EXPECT_TRUE(header_fails("{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
                           {"bad.npz", "member 'w.npy'", "element count of shape [4294967296,4294967296] overflows"}));
  // 2^61 elements of 8 bytes is 2^64 bytes: must not wrap to 0 and match an empty member.
  EXPECT_TRUE(header_fails("{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }",
                           {"member 'w.npy'", "byte size of shape [2305843009213693952]", "overflows"}));
  EXPECT_TRUE(header_fails("{'descr': '<f8', 'fortran_order': False, 'shape': (9223372036854775807,), }",
                           {"member 'w.npy'", "overflows"}));
  // A zero dimension next to huge ones is zero elements, and zero bytes.
  const NpzFile f = NpzFile::parse(zip1("w.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 9223372036854775807), }", "")));
  EXPECT_EQ(f.shape("w")[1], std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ((f.tensor<double, 2>("w").size()), 0);
}

TEST(NpzErrors, DataLengthDisagreesWithHeader) {
  // 3 floats declared, 2 or 4 present: the zip directory's size and the .npy header disagree.
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
  EXPECT_TRUE(header_fails(dict, {"bad.npz", "member 'w.npy'", "header implies 140 bytes", "[3]", "<f4", "claims 136"},
                           f32_le({1, 2})));
  EXPECT_TRUE(header_fails(dict, {"member 'w.npy'", "header implies 140 bytes", "claims 144"}, f32_le({1, 2, 3, 4})));
}

TEST(NpzErrors, MemberShorterThanClaimed) {
  // Header and zip directory agree on 3 floats (140 bytes), but the deflate stream holds 2.
  const std::string m = npy_of("<f4", "(3,)", f32_le({1, 2}));
  std::string zip = zip1("w.npy", m, true);
  claim_size(zip, "w.npy", 140);
  EXPECT_TRUE(parse_fails(zip, {"bad.npz", "member 'w.npy'", "ended after 136 bytes", "140 are required"}));
}

TEST(NpzErrors, MemberLongerThanClaimedIsCutOffEarly) {
  // A zip bomb: header and directory agree on 4 floats, but 8 MiB more inflate out of ~8 KiB.
  const std::string m = npy_of("<f4", "(4,)", f32_le({1, 2, 3, 4})) + std::string(8 << 20, '\0');
  std::string zip = zip1("w.npy", m, true);
  ASSERT_LT(zip.size(), 64u << 10);
  claim_size(zip, "w.npy", 144);
#ifdef SEQ2SEQ_TRACKS_LARGEST_MALLOC
  g_largest_malloc = 0;
#endif
  EXPECT_TRUE(parse_fails(zip, {"bad.npz", "member 'w.npy'", "more than the 144 bytes"}));
#ifdef SEQ2SEQ_TRACKS_LARGEST_MALLOC
  EXPECT_LE(g_largest_malloc.load(), std::size_t{256} << 10);  // nothing near the 8 MiB it inflates to
#endif
}

TEST(NpzErrors, HugeClaimedSizeIsNotAllocated) {
  // Header and zip directory agree on ~4 GiB; 4 bytes of data arrive.
  const std::string m = npy_of("|u1", "(4294967166,)", "abcd");
  ASSERT_EQ(m.size(), 132u);
  std::string zip = zip1("w.npy", m, true);
  claim_size(zip, "w.npy", 0xFFFFFFFEu);
#ifdef SEQ2SEQ_TRACKS_LARGEST_MALLOC
  g_largest_malloc = 0;
#endif
  EXPECT_TRUE(parse_fails(zip, {"bad.npz", "member 'w.npy'", "ended after 132 bytes", "4294967294 are required"}));
#ifdef SEQ2SEQ_TRACKS_LARGEST_MALLOC
  EXPECT_LE(g_largest_malloc.load(), std::size_t{256} << 10);
  // The tracker itself works: a 1 MiB allocation is seen.
  g_largest_malloc = 0;
  static void* volatile sink = nullptr;
  sink = std::malloc(std::size_t{1} << 20);
  std::free(sink);
  EXPECT_GE(g_largest_malloc.load(), std::size_t{1} << 20);
#endif
}

TEST(NpzErrors, BadMemberThrowsAtParseTime) {
  // Decoding is eager: one bad member fails parse(), naming it, even though the other is fine.
  const std::string good = npy_of("<f4", "(1,)", f32_le({1}));
  const std::string bad = npy_of("<c8", "(1,)", std::string(8, '\0'));
  EXPECT_TRUE(parse_fails(make_zip({{"good.npy", good}, {"layer/bad.npy", bad}}, true),
                          {"bad.npz", "member 'layer/bad.npy'", "unsupported dtype descr '<c8'"}));
}

// ---- files on disk ------------------------------------------------------------------------------

std::string temp_path(const std::string& leaf) { return ::testing::TempDir() + "seq2seq_test_" + leaf; }

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

TEST(NpzLoad, ErrorsNameThePath) {
  const std::string path = temp_path("truncated.npz");
  const std::string bytes = read_file(kCompressed);
  write_file(path, bytes.substr(0, bytes.size() / 2));
  EXPECT_TRUE(throws_error([&] { NpzFile::load(path); }, {path, "not a valid zip archive"}));
  std::string crc = zip1("w.npy", npy_of("<f4", "(1,)", f32_le({1})));
  const ZipHeaders h = find_headers(crc, "w.npy");
  crc[h.local + 14] ^= 1;
  crc[h.central + 16] ^= 1;
  write_file(path, crc);
  EXPECT_TRUE(throws_error([&] { NpzFile::load(path); }, {path, "member 'w.npy'", "CRC"}));
  write_file(path, "");
  EXPECT_TRUE(throws_error([&] { NpzFile::load(path); }, {path, "empty"}));
  std::remove(path.c_str());
}

TEST(NpzLoad, MissingFileThrows) {
  const std::string path = temp_path("does_not_exist.npz");
  std::remove(path.c_str());
  EXPECT_TRUE(throws_error([&] { NpzFile::load(path); }, {path, "cannot open"}));
}

TEST(NpzLoad, DirectoryThrows) {
  const std::string dir = ::testing::TempDir();
  EXPECT_TRUE(throws_error([&] { NpzFile::load(dir); }, {dir, "cannot"}));
}

}  // namespace
