// Tests for seq2seq::io::SafetensorsFile: decoding of every supported dtype and one test per
// malformed-input case. The files are assembled byte by byte here, so no fixtures are needed.
#include <seq2seq/io/safetensors.hpp>

#include <gtest/gtest.h>

#include "throws_error.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

namespace {

using seq2seq::io::SafetensorsFile;

// ---- helpers that build files -----------------------------------------------------------------

/// Appends `value` to `out` as `bytes` little-endian bytes, whatever the host byte order.
void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

/// Little-endian bytes of a list of floats / doubles / integers of the given storage width.
std::string f32_bytes(std::initializer_list<float> values) {
  std::string out;
  for (float v : values) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, 4);
    put_le(out, bits, 4);
  }
  return out;
}
std::string f64_bytes(std::initializer_list<double> values) {
  std::string out;
  for (double v : values) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, 8);
    put_le(out, bits, 8);
  }
  return out;
}
std::string u16_bytes(std::initializer_list<std::uint16_t> values) {
  std::string out;
  for (auto v : values) put_le(out, v, 2);
  return out;
}
std::string int_bytes(std::initializer_list<std::int64_t> values, int width) {
  std::string out;
  for (auto v : values) put_le(out, static_cast<std::uint64_t>(v), width);
  return out;
}

/// A complete file from raw header text and data: u64 LE header length, header, data.
std::string raw_file(const std::string& header, const std::string& data = "") {
  std::string out;
  put_le(out, header.size(), 8);
  return out + header + data;
}

struct Spec {
  std::string name;
  std::string dtype;
  std::vector<std::int64_t> shape;
  std::string bytes;
};

/// A well-formed file holding `tensors` back to back, plus optional __metadata__.
std::string make_file(const std::vector<Spec>& tensors, const nlohmann::json& metadata = nullptr) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.is_null()) header["__metadata__"] = metadata;
  std::string data;
  for (const auto& t : tensors) {
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {data.size(), data.size() + t.bytes.size()}}};
    data += t.bytes;
  }
  return raw_file(header.dump(), data);
}

/// A file with one tensor entry `w` given as raw JSON text and `data_size` zero bytes of data.
std::string one_entry(const std::string& entry_json, std::size_t data_size) {
  return raw_file(R"({"w":)" + entry_json + "}", std::string(data_size, '\0'));
}

/// Passes if parsing `bytes` (named "bad.st") throws an Error containing every one of `parts`.
::testing::AssertionResult parse_fails(const std::string& bytes, std::initializer_list<std::string> parts) {
  return throws_error([&] { SafetensorsFile::parse(bytes, "bad.st"); }, parts);
}

float f16(std::uint16_t bits) {
  auto f = SafetensorsFile::parse(make_file({{"x", "F16", {}, u16_bytes({bits})}}));
  return f.tensor<float, 0>("x")();
}
float bf16(std::uint16_t bits) {
  auto f = SafetensorsFile::parse(make_file({{"x", "BF16", {}, u16_bytes({bits})}}));
  return f.tensor<float, 0>("x")();
}

// ---- decoding ---------------------------------------------------------------------------------

TEST(Safetensors, F32RoundTripRanks0To3) {
  const auto file = SafetensorsFile::parse(make_file({
      {"r0", "F32", {}, f32_bytes({-1.5f})},
      {"r1", "F32", {3}, f32_bytes({0.1f, -2.0f, 3.25e-20f})},
      {"r2", "F32", {2, 3}, f32_bytes({1, 2, 3, 4, 5, 6})},
      {"r3", "F32", {2, 1, 3}, f32_bytes({1, 2, 3, 4, 5, 6})},
  }));
  EXPECT_EQ(file.name(), "<memory>");

  auto r0 = file.tensor<float, 0>("r0");
  EXPECT_EQ(r0.size(), 1);
  EXPECT_EQ(r0(), -1.5f);

  auto r1 = file.tensor<float, 1>("r1");
  ASSERT_EQ(r1.dimension(0), 3);
  EXPECT_EQ(r1(0), 0.1f);
  EXPECT_EQ(r1(1), -2.0f);
  EXPECT_EQ(r1(2), 3.25e-20f);

  auto r2 = file.tensor<float, 2>("r2");
  ASSERT_EQ(r2.dimension(0), 2);
  ASSERT_EQ(r2.dimension(1), 3);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_EQ(r2(i, j), static_cast<float>(i * 3 + j + 1)) << i << "," << j;

  auto r3 = file.tensor<float, 3>("r3", {2, 1, 3});  // row-major: last index fastest
  EXPECT_EQ(r3(0, 0, 2), 3.0f);
  EXPECT_EQ(r3(1, 0, 0), 4.0f);
  EXPECT_EQ(r3(1, 0, 2), 6.0f);

  // F32 -> double is exact.
  auto r1d = file.tensor<double, 1>("r1");
  EXPECT_EQ(r1d(0), static_cast<double>(0.1f));
}

TEST(Safetensors, F64RoundTripRanks0To3) {
  const auto file = SafetensorsFile::parse(make_file({
      {"r0", "F64", {}, f64_bytes({0.1})},
      {"r1", "F64", {2}, f64_bytes({1e300, -0.0})},
      {"r2", "F64", {1, 2}, f64_bytes({1.0 / 3.0, -7.5})},
      {"r3", "F64", {1, 2, 2}, f64_bytes({1, 2, 3, 4})},
  }));
  EXPECT_EQ((file.tensor<double, 0>("r0")()), 0.1);
  auto r1 = file.tensor<double, 1>("r1");
  EXPECT_EQ(r1(0), 1e300);
  EXPECT_EQ(r1(1), 0.0);
  EXPECT_TRUE(std::signbit(r1(1)));
  auto r2 = file.tensor<double, 2>("r2");
  EXPECT_EQ(r2(0, 0), 1.0 / 3.0);
  EXPECT_EQ(r2(0, 1), -7.5);
  auto r3 = file.tensor<double, 3>("r3", {1, 2, 2});
  EXPECT_EQ(r3(0, 1, 0), 3.0);
  EXPECT_EQ(r3(0, 1, 1), 4.0);

  // F64 -> float rounds to nearest.
  EXPECT_EQ((file.tensor<float, 0>("r0")()), 0.1f);
  EXPECT_EQ((file.tensor<float, 2>("r2")(0, 0)), static_cast<float>(1.0 / 3.0));
}

TEST(Safetensors, F64OutOfFloatRangeThrows) {
  const auto file = SafetensorsFile::parse(make_file({{"big", "F64", {2}, f64_bytes({1.0, 1e300})}}), "big.st");
  EXPECT_TRUE(throws_error([&] { file.tensor<float, 1>("big"); }, {"big.st", "'big'", "element 1", "out of float range"}));
  EXPECT_EQ((file.tensor<double, 1>("big")(1)), 1e300);
}

TEST(Safetensors, F16KnownBitPatterns) {
  EXPECT_EQ(f16(0x3C00), 1.0f);
  EXPECT_EQ(f16(0xC000), -2.0f);
  EXPECT_EQ(f16(0x3555), 0.333251953125f);
  EXPECT_EQ(f16(0x7BFF), 65504.0f);                  // largest finite
  EXPECT_EQ(f16(0x0400), 6.103515625e-05f);          // smallest normal
  EXPECT_EQ(f16(0x0001), 5.960464477539063e-08f);    // smallest subnormal
  EXPECT_EQ(f16(0x03FF), 6.097555160522461e-05f);    // largest subnormal
  EXPECT_EQ(f16(0x8001), -5.960464477539063e-08f);   // negative subnormal
  EXPECT_EQ(f16(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(f16(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(f16(0x7E00)));
  EXPECT_TRUE(std::isnan(f16(0x7C01)));  // NaN with the smallest payload, not inf
  EXPECT_EQ(f16(0x0000), 0.0f);
  EXPECT_FALSE(std::signbit(f16(0x0000)));
  EXPECT_EQ(f16(0x8000), 0.0f);
  EXPECT_TRUE(std::signbit(f16(0x8000)));

  // Multi-element decoding into double, and the byte order of each element.
  const auto file = SafetensorsFile::parse(make_file({{"h", "F16", {3}, u16_bytes({0x3C00, 0x4000, 0xBC00})}}));
  auto h = file.tensor<double, 1>("h");
  EXPECT_EQ(h(0), 1.0);
  EXPECT_EQ(h(1), 2.0);
  EXPECT_EQ(h(2), -1.0);
}

TEST(Safetensors, BF16KnownBitPatterns) {
  EXPECT_EQ(bf16(0x3F80), 1.0f);
  EXPECT_EQ(bf16(0xC000), -2.0f);
  EXPECT_EQ(bf16(0x3E20), 0.15625f);
  EXPECT_EQ(bf16(0x7F80), std::numeric_limits<float>::infinity());
  EXPECT_EQ(bf16(0xFF80), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(bf16(0x7FC0)));
  EXPECT_EQ(bf16(0x0001), 9.183549615799121e-41f);  // smallest subnormal
  EXPECT_TRUE(std::signbit(bf16(0x8000)));
}

TEST(Safetensors, IntegersI32AndI64) {
  const auto file = SafetensorsFile::parse(make_file({
      {"i32", "I32", {2, 2}, int_bytes({0, -1, 2147483647, -2147483648LL}, 4)},
      {"i64", "I64", {3}, int_bytes({std::numeric_limits<std::int64_t>::min(), -5, 1LL << 40}, 8)},
      {"i8", "I8", {2}, int_bytes({-128, 127}, 1)},
      {"u8", "U8", {2}, int_bytes({255, 1}, 1)},
      {"i16", "I16", {1}, int_bytes({-300}, 2)},
      {"u16", "U16", {1}, int_bytes({65535}, 2)},
      {"u32", "U32", {1}, int_bytes({4294967295LL}, 4)},
      {"u64", "U64", {1}, int_bytes({1LL << 62}, 8)},
      {"r0", "I64", {}, int_bytes({42}, 8)},
  }));
  EXPECT_EQ(file.integers("i32"), (std::vector<std::int64_t>{0, -1, 2147483647, -2147483648LL}));
  EXPECT_EQ(file.integers("i64"), (std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::min(), -5, 1LL << 40}));
  EXPECT_EQ(file.integers("i8"), (std::vector<std::int64_t>{-128, 127}));
  EXPECT_EQ(file.integers("u8"), (std::vector<std::int64_t>{255, 1}));
  EXPECT_EQ(file.integers("i16"), (std::vector<std::int64_t>{-300}));
  EXPECT_EQ(file.integers("u16"), (std::vector<std::int64_t>{65535}));
  EXPECT_EQ(file.integers("u32"), (std::vector<std::int64_t>{4294967295LL}));
  EXPECT_EQ(file.integers("u64"), (std::vector<std::int64_t>{1LL << 62}));
  EXPECT_EQ(file.integers("r0"), (std::vector<std::int64_t>{42}));
}

TEST(Safetensors, IntegersRejectFloatsAndHugeU64) {
  const auto file = SafetensorsFile::parse(
      make_file({{"f", "F32", {1}, f32_bytes({1})}, {"u", "U64", {1}, int_bytes({-1}, 8)}}), "ints.st");
  EXPECT_TRUE(throws_error([&] { file.integers("f"); }, {"ints.st", "'f'", "integer dtype", "F32"}));
  EXPECT_TRUE(throws_error([&] { file.integers("u"); }, {"ints.st", "'u'", "18446744073709551615", "int64"}));
}

TEST(Safetensors, Metadata) {
  const auto file = SafetensorsFile::parse(
      make_file({{"x", "F32", {1}, f32_bytes({1})}}, {{"cell", "gru"}, {"num_units", "3"}}), "meta.st");
  EXPECT_EQ(file.metadata().size(), 2u);
  EXPECT_EQ(file.metadata("cell"), "gru");
  EXPECT_EQ(file.metadata("num_units"), "3");
  EXPECT_EQ(file.names(), std::vector<std::string>{"x"});  // __metadata__ is not a tensor
  EXPECT_FALSE(file.contains("__metadata__"));
  EXPECT_TRUE(throws_error([&] { file.metadata("missing"); }, {"meta.st", "'missing'", "__metadata__"}));

  const auto plain = SafetensorsFile::parse(make_file({{"x", "F32", {1}, f32_bytes({1})}}));
  EXPECT_TRUE(plain.metadata().empty());
}

TEST(Safetensors, NamesShapeDtypeContains) {
  const auto file = SafetensorsFile::parse(make_file({
      {"zeta", "F32", {2, 1}, f32_bytes({1, 2})},
      {"alpha", "F64", {}, f64_bytes({3})},
      {"mid", "BF16", {1}, u16_bytes({0x3F80})},
  }));
  EXPECT_EQ(file.names(), (std::vector<std::string>{"alpha", "mid", "zeta"}));
  EXPECT_TRUE(file.contains("mid"));
  EXPECT_FALSE(file.contains("Mid"));
  EXPECT_EQ(file.shape("zeta"), (std::vector<std::int64_t>{2, 1}));
  EXPECT_TRUE(file.shape("alpha").empty());
  EXPECT_EQ(file.dtype("alpha"), "F64");
  EXPECT_EQ(file.dtype("mid"), "BF16");
}

TEST(Safetensors, ScalarAcceptsRankZeroAndSingleElement) {
  const auto file = SafetensorsFile::parse(make_file({
      {"r0", "F64", {}, f64_bytes({0.25})},
      {"one", "F32", {1, 1}, f32_bytes({-3.5f})},
      {"half", "F16", {1}, u16_bytes({0xC000})},
      {"two", "F32", {2}, f32_bytes({1, 2})},
      {"int", "I32", {}, int_bytes({7}, 4)},
  }), "s.st");
  EXPECT_EQ(file.scalar("r0"), 0.25);
  EXPECT_EQ(file.scalar("one"), -3.5);
  EXPECT_EQ(file.scalar("half"), -2.0);
  EXPECT_TRUE(throws_error([&] { file.scalar("two"); }, {"s.st", "'two'", "scalar", "[2]"}));
  EXPECT_TRUE(throws_error([&] { file.scalar("int"); }, {"s.st", "'int'", "float dtype", "I32"}));
}

TEST(Safetensors, ZeroSizedDimensionAndEmptyRangeInsideAnother) {
  // "e" is empty and its (empty) range lies inside "x"'s bytes: it holds no bytes, so no overlap.
  const std::string header =
      R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("e":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]}})";
  const auto file = SafetensorsFile::parse(raw_file(header, f32_bytes({1, 2})));
  auto e = file.tensor<float, 2>("e", {0, 3});
  EXPECT_EQ(e.dimension(0), 0);
  EXPECT_EQ(e.dimension(1), 3);
  EXPECT_EQ(e.size(), 0);
  EXPECT_EQ((file.tensor<float, 1>("x")(1)), 2.0f);
  // A zero dim next to huge ones is still zero elements (the non-zero product fits in int64).
  const auto huge = SafetensorsFile::parse(one_entry(R"({"dtype":"F64","shape":[0,4611686018427387904],"data_offsets":[0,0]})", 0));
  EXPECT_EQ(huge.shape("w")[1], 4611686018427387904LL);
  auto h = huge.tensor<double, 2>("w");
  EXPECT_EQ(h.dimension(1), 4611686018427387904LL);
  EXPECT_EQ(h.size(), 0);
}

TEST(Safetensors, HeaderPaddingAndUnalignedData) {
  // Trailing spaces pad the header (as the reference writer does); a 3-byte odd header length
  // leaves the data unaligned.
  std::string header = R"({"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})";
  header += "   ";
  if (header.size() % 2 == 0) header += " ";
  const auto file = SafetensorsFile::parse(raw_file(header, f64_bytes({2.5})));
  EXPECT_EQ(file.scalar("a"), 2.5);
}

TEST(Safetensors, ExpectedShapeMismatchShowsBothShapes) {
  const auto file = SafetensorsFile::parse(make_file({{"k", "F32", {3, 5, 2}, std::string(3 * 5 * 2 * 4, '\0')}}), "k.st");
  EXPECT_EQ((file.tensor<float, 3>("k", {3, 5, 2}).size()), 30);
  EXPECT_TRUE(throws_error([&] { file.tensor<float, 3>("k", {3, 5, 4}); },
                           {"k.st", "'k'", "expected shape [3,5,4] but found [3,5,2]"}));
  // Wrong rank through the checked overload reports the rank.
  EXPECT_TRUE(throws_error([&] { file.tensor<float, 2>("k", {15, 2}); }, {"'k'", "expected rank 2", "rank 3"}));
}

TEST(Safetensors, WrongRankThrows) {
  const auto file = SafetensorsFile::parse(make_file({{"m", "F32", {2, 2}, f32_bytes({1, 2, 3, 4})}}), "r.st");
  EXPECT_TRUE(throws_error([&] { file.tensor<float, 1>("m"); }, {"r.st", "'m'", "expected rank 1", "found rank 2", "[2,2]"}));
  EXPECT_TRUE(throws_error([&] { file.tensor<double, 0>("m"); }, {"expected rank 0", "found rank 2"}));
}

TEST(Safetensors, WrongDtypeKindThrows) {
  const auto file = SafetensorsFile::parse(make_file({
      {"i", "I32", {2}, int_bytes({1, 2}, 4)},
      {"b", "BOOL", {1}, std::string(1, '\1')},
      {"f8", "F8_E4M3", {1}, std::string(1, '\0')},
  }), "d.st");
  EXPECT_TRUE(throws_error([&] { file.tensor<float, 1>("i"); }, {"d.st", "'i'", "float dtype", "I32"}));
  EXPECT_TRUE(throws_error([&] { file.tensor<double, 1>("b"); }, {"'b'", "float dtype", "BOOL"}));
  EXPECT_TRUE(throws_error([&] { file.integers("b"); }, {"'b'", "integer dtype", "BOOL"}));
  EXPECT_TRUE(throws_error([&] { file.tensor<float, 1>("f8"); }, {"'f8'", "float dtype", "F8_E4M3"}));
}

TEST(Safetensors, MissingTensorThrows) {
  const auto file = SafetensorsFile::parse(make_file({{"x", "F32", {1}, f32_bytes({1})}}), "miss.st");
  EXPECT_TRUE(throws_error([&] { file.tensor<float, 1>("y"); }, {"miss.st", "no tensor named 'y'"}));
  EXPECT_TRUE(throws_error([&] { file.shape("y"); }, {"no tensor named 'y'"}));
  EXPECT_TRUE(throws_error([&] { file.dtype("y"); }, {"no tensor named 'y'"}));
  EXPECT_TRUE(throws_error([&] { file.integers("y"); }, {"no tensor named 'y'"}));
  EXPECT_TRUE(throws_error([&] { file.scalar("y"); }, {"no tensor named 'y'"}));
}

// ---- malformed files --------------------------------------------------------------------------

TEST(SafetensorsErrors, ShorterThanEightBytes) {
  EXPECT_TRUE(parse_fails("", {"bad.st", "too short", "0 bytes"}));
  EXPECT_TRUE(parse_fails(std::string(7, '\0'), {"bad.st", "too short", "7 bytes"}));
}

TEST(SafetensorsErrors, HeaderLengthBeyondFile) {
  std::string bytes;
  put_le(bytes, 100, 8);
  bytes += "{}";
  EXPECT_TRUE(parse_fails(bytes, {"bad.st", "header length 100", "exceeds", "2 bytes"}));
  // Off by one: claims 3 bytes, has 2.
  std::string one_short;
  put_le(one_short, 3, 8);
  EXPECT_TRUE(parse_fails(one_short + "{}", {"bad.st", "header length 3", "exceeds", "2 bytes"}));
  // Exactly fitting header with an empty data buffer is a valid, empty file.
  EXPECT_TRUE(SafetensorsFile::parse(raw_file("{}")).names().empty());
}

TEST(SafetensorsErrors, HugeHeaderLengthThrowsWithoutAllocating) {
  for (std::uint64_t claimed : {std::uint64_t{1} << 60, ~std::uint64_t{0}}) {
    std::string bytes;
    put_le(bytes, claimed, 8);
    bytes += "{}";
    EXPECT_TRUE(parse_fails(bytes, {"bad.st", "header length " + std::to_string(claimed), "exceeds"}));
  }
}

TEST(SafetensorsErrors, HeaderNotJson) {
  EXPECT_TRUE(parse_fails(raw_file("{\"w\": "), {"bad.st", "not valid JSON"}));
  EXPECT_TRUE(parse_fails(raw_file(""), {"bad.st", "not valid JSON"}));
  // nlohmann stops at a NUL as if the input ended; the reader must not ignore what follows.
  EXPECT_TRUE(parse_fails(raw_file(std::string("{}\0{\"w\":1}", 10)), {"bad.st", "not valid JSON", "NUL"}));
  EXPECT_TRUE(parse_fails(raw_file("{\"\xff\":1}"), {"bad.st", "not valid JSON"}));  // invalid UTF-8
  EXPECT_TRUE(parse_fails(raw_file("{} {}"), {"bad.st", "not valid JSON"}));
}

TEST(SafetensorsErrors, HeaderNotObject) {
  EXPECT_TRUE(parse_fails(raw_file("[1,2]"), {"bad.st", "must be a JSON object", "array"}));
  EXPECT_TRUE(parse_fails(raw_file("null"), {"bad.st", "must be a JSON object", "null"}));
}

TEST(SafetensorsErrors, DuplicateTensorName) {
  const std::string entry = R"({"dtype":"U8","shape":[1],"data_offsets":[0,1]})";
  EXPECT_TRUE(parse_fails(raw_file(R"({"w":)" + entry + R"(,"w":)" + entry + "}", "x"), {"bad.st", "duplicate", "'w'"}));
}

TEST(SafetensorsErrors, EntryNotObject) {
  EXPECT_TRUE(parse_fails(one_entry("[1]", 0), {"bad.st", "tensor 'w'", "must be a JSON object"}));
}

TEST(SafetensorsErrors, MissingFields) {
  EXPECT_TRUE(parse_fails(one_entry(R"({"shape":[1],"data_offsets":[0,4]})", 4), {"bad.st", "tensor 'w'", "missing", "\"dtype\""}));
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"F32","data_offsets":[0,4]})", 4), {"tensor 'w'", "missing", "\"shape\""}));
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"F32","shape":[1]})", 4), {"tensor 'w'", "missing", "\"data_offsets\""}));
}

TEST(SafetensorsErrors, WrongFieldTypes) {
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":32,"shape":[1],"data_offsets":[0,4]})", 4), {"tensor 'w'", "\"dtype\" must be a string", "number"}));
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"F32","shape":1,"data_offsets":[0,4]})", 4), {"tensor 'w'", "\"shape\" must be an array"}));
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"F32","shape":[1.0],"data_offsets":[0,4]})", 4), {"tensor 'w'", "shape entries must be integers"}));
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"F32","shape":["1"],"data_offsets":[0,4]})", 4), {"tensor 'w'", "shape entries must be integers", "string"}));
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"F32","shape":[true],"data_offsets":[0,4]})", 4), {"tensor 'w'", "shape entries must be integers", "boolean"}));
}

TEST(SafetensorsErrors, UnknownDtype) {
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"F128","shape":[1],"data_offsets":[0,16]})", 16), {"bad.st", "tensor 'w'", "unknown dtype \"F128\""}));
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"f32","shape":[1],"data_offsets":[0,4]})", 4), {"unknown dtype \"f32\""}));
}

TEST(SafetensorsErrors, NegativeDimension) {
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"F32","shape":[2,-1],"data_offsets":[0,0]})", 0), {"bad.st", "tensor 'w'", "negative dimension -1"}));
}

TEST(SafetensorsErrors, ElementCountOverflow) {
  // 2^32 * 2^32 = 2^64 overflows; so does a single dimension above INT64_MAX.
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]})", 0), {"bad.st", "tensor 'w'", "overflows"}));
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,0]})", 0), {"tensor 'w'", "too large"}));
  // count fits in int64 but count * 8 bytes does not fit in u64: must be a length mismatch, not a wrap.
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]})", 0), {"tensor 'w'", "byte length 0 does not match"}));
  // 2^61 elements of 8 bytes wraps to 0 in u64 arithmetic: must not be accepted as 0 bytes.
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]})", 0), {"tensor 'w'", "does not match"}));
}

TEST(SafetensorsErrors, DataOffsetsMalformed) {
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"U8","shape":[1],"data_offsets":[0]})", 1), {"bad.st", "tensor 'w'", "data_offsets", "[0]"}));
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"U8","shape":[1],"data_offsets":[0,1,2]})", 2), {"tensor 'w'", "data_offsets"}));
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"U8","shape":[1],"data_offsets":[-1,0]})", 1), {"tensor 'w'", "non-negative"}));
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"U8","shape":[1],"data_offsets":["0","1"]})", 1), {"tensor 'w'", "data_offsets"}));
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"U8","shape":[1],"data_offsets":{"begin":0}})", 1), {"tensor 'w'", "data_offsets"}));
}

TEST(SafetensorsErrors, DataOffsetsBeginAfterEnd) {
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"U8","shape":[1],"data_offsets":[3,2]})", 4), {"bad.st", "tensor 'w'", "begin 3 > end 2"}));
}

TEST(SafetensorsErrors, DataOffsetsBeyondBuffer) {
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})", 7), {"bad.st", "tensor 'w'", "end 8", "beyond", "7 bytes"}));
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"U8","shape":[0],"data_offsets":[18446744073709551615,18446744073709551615]})", 0), {"tensor 'w'", "beyond"}));
}

TEST(SafetensorsErrors, ByteLengthMismatch) {
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"F32","shape":[2,2],"data_offsets":[0,12]})", 16),
                          {"bad.st", "tensor 'w'", "byte length 12", "[2,2]", "F32", "4 elements"}));
  EXPECT_TRUE(parse_fails(one_entry(R"({"dtype":"F16","shape":[],"data_offsets":[0,4]})", 4), {"tensor 'w'", "byte length 4", "[]"}));
}

TEST(SafetensorsErrors, OverlappingRanges) {
  const std::string header =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  EXPECT_TRUE(parse_fails(raw_file(header, std::string(12, '\0')), {"bad.st", "'a'", "'b'", "overlapping"}));
  // Identical ranges overlap too; adjacent ones do not.
  const std::string same =
      R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"I32","shape":[],"data_offsets":[0,4]}})";
  EXPECT_TRUE(parse_fails(raw_file(same, std::string(4, '\0')), {"overlapping"}));
  const std::string adjacent =
      R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"I32","shape":[],"data_offsets":[4,8]}})";
  EXPECT_NO_THROW(SafetensorsFile::parse(raw_file(adjacent, std::string(8, '\0'))));
}

TEST(SafetensorsErrors, MetadataNotStrings) {
  EXPECT_TRUE(parse_fails(raw_file(R"({"__metadata__":{"n":3}})"), {"bad.st", "__metadata__", "'n'", "must be a string", "number"}));
  EXPECT_TRUE(parse_fails(raw_file(R"({"__metadata__":["a"]})"), {"bad.st", "__metadata__ must be a JSON object"}));
}

// ---- files on disk ----------------------------------------------------------------------------

std::string temp_path(const std::string& leaf) { return ::testing::TempDir() + "seq2seq_test_" + leaf; }

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

TEST(SafetensorsLoad, RealTemporaryFile) {
  const std::string path = temp_path("load.safetensors");
  write_file(path, make_file({{"w", "F32", {2, 2}, f32_bytes({1, 2, 3, 4})}, {"n", "I64", {1}, int_bytes({-9}, 8)}},
                             {{"k", "v"}}));
  const auto file = SafetensorsFile::load(path);
  EXPECT_EQ(file.name(), path);
  EXPECT_EQ(file.names(), (std::vector<std::string>{"n", "w"}));
  EXPECT_EQ((file.tensor<float, 2>("w", {2, 2})(1, 0)), 3.0f);
  EXPECT_EQ(file.integers("n"), std::vector<std::int64_t>{-9});
  EXPECT_EQ(file.metadata("k"), "v");
  // Errors from a loaded file name the path.
  EXPECT_TRUE(throws_error([&] { file.tensor<float, 1>("w"); }, {path, "'w'", "expected rank 1"}));
  std::remove(path.c_str());
}

TEST(SafetensorsLoad, TruncatedFileOnDisk) {
  const std::string path = temp_path("truncated.safetensors");
  std::string bytes = make_file({{"w", "F64", {4}, f64_bytes({1, 2, 3, 4})}});
  bytes.resize(bytes.size() - 1);
  write_file(path, bytes);
  EXPECT_TRUE(throws_error([&] { SafetensorsFile::load(path); }, {path, "tensor 'w'", "beyond the data buffer"}));
  std::string claims_huge;
  put_le(claims_huge, std::uint64_t{1} << 60, 8);
  write_file(path, claims_huge + "{}");
  EXPECT_TRUE(throws_error([&] { SafetensorsFile::load(path); }, {path, "header length", "exceeds"}));
  write_file(path, "abc");
  EXPECT_TRUE(throws_error([&] { SafetensorsFile::load(path); }, {path, "too short"}));
  std::remove(path.c_str());
}

TEST(SafetensorsLoad, MissingFileThrows) {
  const std::string path = temp_path("does_not_exist.safetensors");
  std::remove(path.c_str());
  EXPECT_TRUE(throws_error([&] { SafetensorsFile::load(path); }, {path, "cannot open"}));
}

TEST(SafetensorsLoad, DirectoryThrows) {
  const std::string dir = ::testing::TempDir();
  EXPECT_TRUE(throws_error([&] { SafetensorsFile::load(dir); }, {dir, "cannot"}));
}

}  // namespace
