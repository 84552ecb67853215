// Tests for seq2seq::io::TFCheckpoint (tf_checkpoint.hpp, tf_checkpoint_format.hpp): the
// checkpoints under tests/golden/checkpoints were written by real TensorFlow 2.15, and each
// expected.json holds what TensorFlow's own reader (tf.train.load_checkpoint) returned for them
// (tools/reference/gen_checkpoints.py). Then corrupted copies: every failure is a seq2seq::Error
// that names the file, never a crash or a read out of bounds (the sanitizer stages run this too).
#include <seq2seq/io/tf_checkpoint.hpp>

#include <seq2seq/io/keras.hpp>
#include <seq2seq/io/load_status.hpp>
#include <seq2seq/io/tf1.hpp>
#include <seq2seq/io/tfa.hpp>
#include <seq2seq/rnn/dynamic_rnn.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "golden.hpp"
#include "throws_error.hpp"
#include "tf_table_writer.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#ifndef SEQ2SEQ_GOLDEN_DIR
#error "SEQ2SEQ_GOLDEN_DIR must name the tests/golden directory"
#endif

// The statement last: it may hold commas (template arguments).
#include "largest_malloc.hpp"  // g_largest_malloc

#define EXPECT_THROWS_WITH(part, ...) \
  EXPECT_TRUE(throws_error([&] { (void)(__VA_ARGS__); }, {part}))

namespace {

namespace fs = std::filesystem;
using seq2seq::io::TFCheckpoint;
using nlohmann::json;

const std::string kDir = std::string(SEQ2SEQ_GOLDEN_DIR) + "/checkpoints/";

json expected(const std::string& name) {
  std::ifstream in(kDir + name + "/expected.json");
  return json::parse(in);
}

std::string prefix_of(const std::string& name) {
  return kDir + name + "/" + expected(name)["prefix"].get<std::string>();
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

/// Every element of a float tensor as double, whatever its rank (up to 3 here).
std::vector<double> float_values(const TFCheckpoint& ckpt, const std::string& key) {
  std::vector<double> out;
  const auto append = [&](const auto& t) { out.assign(t.data(), t.data() + t.size()); };
  switch (ckpt.shape(key).size()) {
    case 0: append(ckpt.tensor<double, 0>(key)); break;
    case 1: append(ckpt.tensor<double, 1>(key)); break;
    case 2: append(ckpt.tensor<double, 2>(key)); break;
    case 3: append(ckpt.tensor<double, 3>(key)); break;
    default: ADD_FAILURE() << key << ": rank " << ckpt.shape(key).size();
  }
  return out;
}

const std::map<std::string, std::string> kDTypes = {
    {"float32", "F32"}, {"float64", "F64"}, {"int32", "I32"}, {"int64", "I64"},
    {"bool", "BOOL"},   {"float16", "F16"}, {"bfloat16", "BF16"}};

/// Checks a loaded checkpoint against TensorFlow's view of it: every key's dtype, shape and
/// elements, string tensors, and the object graph's variable names.
void expect_matches_tensorflow(const TFCheckpoint& ckpt, const json& want) {
  std::set<std::string> numeric;
  for (const auto& item : want["tensors"].items()) {
    const std::string key = item.key();  // a structured binding cannot be captured in C++17
    const json& t = item.value();
    SCOPED_TRACE(key);
    const std::string dtype = t["dtype"];
    if (dtype == "string") {
      ASSERT_TRUE(ckpt.unreadable().count(key));
      const auto strings = ckpt.strings(key);
      std::vector<std::string> got;
      for (const auto& s : strings) got.push_back(hex(s));
      EXPECT_EQ(got, t["hex"].get<std::vector<std::string>>());
      EXPECT_THROWS_WITH("cannot be read: string tensor", ckpt.tensor<float, 0>(key));
      continue;
    }
    numeric.insert(key);
    ASSERT_TRUE(ckpt.contains(key));
    ASSERT_TRUE(kDTypes.count(dtype)) << dtype;
    EXPECT_EQ(ckpt.dtype(key), kDTypes.at(dtype));
    EXPECT_EQ(ckpt.shape(key), t["shape"].get<std::vector<std::int64_t>>());
    const json& values = t["values"];
    if (dtype == "bool") {
      EXPECT_THROWS_WITH("expected a float dtype", ckpt.tensor<float, 1>(key));
    } else if (dtype == "int32" || dtype == "int64") {
      EXPECT_EQ(ckpt.integers(key), values.get<std::vector<std::int64_t>>());
    } else {
      EXPECT_EQ(float_values(ckpt, key), values.get<std::vector<double>>());  // exact
    }
  }
  // Names: the keys, plus for object-based checkpoints the variables' TensorFlow names.
  std::set<std::string> names = numeric;
  std::map<std::string, std::string> variables;
  for (const auto& [full_name, key] : want["variables"].items()) {
    variables[full_name] = key.get<std::string>();
    if (numeric.count(key.get<std::string>())) names.insert(full_name);
  }
  const auto got = ckpt.names();
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), names);
  EXPECT_EQ(ckpt.variables(), variables);
  EXPECT_EQ(ckpt.object_based(), want["tensors"].contains("_CHECKPOINTABLE_OBJECT_GRAPH"));
  // A variable's TensorFlow name reads the same tensor as its key.
  for (const auto& [full_name, key] : variables) {
    if (numeric.count(key) && ckpt.dtype(key)[0] == 'F') {
      EXPECT_EQ(float_values(ckpt, full_name), float_values(ckpt, key)) << full_name;
    }
  }
}

class GoldenCheckpoint : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenCheckpoint, MatchesTensorFlowsReader) {
  const std::string name = GetParam();
  const TFCheckpoint ckpt = TFCheckpoint::load(prefix_of(name));
  EXPECT_EQ(ckpt.prefix(), prefix_of(name));
  expect_matches_tensorflow(ckpt, expected(name));
  // The .index path names the same checkpoint.
  EXPECT_EQ(TFCheckpoint::load(prefix_of(name) + ".index").names(), ckpt.names());
}

INSTANTIATE_TEST_SUITE_P(TensorFlow, GoldenCheckpoint,
                         ::testing::Values("tf1_saver", "tf1_sharded", "multi_block",
                                           "tf2_checkpoint", "keras_weights", "saved_model",
                                           "keras_tfa_checkpoint", "keras_tfa_weights",
                                           "partitioned"));

/// Copies the case's `key` elements into `t`, whose size must match.
void fill(const json& c, const char* key, seq2seq::Tensor3<float>& t) {
  const auto values = c[key].get<std::vector<float>>();
  ASSERT_EQ(values.size(), static_cast<std::size_t>(t.size())) << key;
  std::copy(values.begin(), values.end(), t.data());
}

/// Runs the GRU built from a checkpoint on the case TensorFlow ran on the same saved weights.
template <class Cell>
void expect_reproduces_case(const Cell& cell, const json& c, const std::string& what) {
  seq2seq::Tensor3<float> inputs(3, 5, 3), want(3, 5, 6);
  fill(c, "inputs", inputs);
  fill(c, "outputs", want);
  const auto result =
      seq2seq::dynamic_rnn(cell, inputs, c["sequence_length"].get<std::vector<std::int64_t>>());
  golden::expect_close(result.outputs, want, what);
}

// The point of the reader: a TensorFlow model runs from its checkpoint, equal to TensorFlow.
TEST(TFCheckpoint, TF1SaverCheckpointRunsAsInTensorFlow) {
  for (const char* name : {"tf1_saver", "tf1_sharded"}) {
    const TFCheckpoint ckpt = TFCheckpoint::load(prefix_of(name));
    expect_reproduces_case(seq2seq::io::tf1::gru_cell<float>(ckpt, "rnn/gru_cell"),
                           expected(name)["case"], name);
  }
}

// The decoder of the TF1 graph: TensorFlow Addons' AttentionWrapper(GRU, Bahdanau) under
// dynamic_rnn, saved with its graph names (io::tfa), run on the memory TensorFlow computed.
TEST(TFCheckpoint, TF1GraphAttentionWrapperRunsAsInTensorFlow) {
  for (const char* name : {"tf1_saver", "tf1_sharded"}) {
    SCOPED_TRACE(name);
    const TFCheckpoint ckpt = TFCheckpoint::load(prefix_of(name));
    const json c = expected(name)["wrapper_case"];
    seq2seq::Tensor3<float> inputs(3, 4, 3), memory(3, 5, 6), want(3, 4, 5);
    fill(c, "inputs", inputs);
    fill(c, "memory", memory);
    fill(c, "outputs", want);
    const seq2seq::AttentionWrapper wrapper(
        seq2seq::io::tf1::gru_cell<float>(ckpt, "decoder/gru_cell"),
        seq2seq::io::tfa::bahdanau_attention<float>(
            ckpt, memory, c["memory_sequence_length"].get<std::vector<std::int64_t>>()),
        seq2seq::io::tf1::attention_wrapper_config<float>(ckpt, "attention_wrapper"));
    golden::expect_close(seq2seq::dynamic_rnn(wrapper, inputs).outputs, want, name);
  }
}

TEST(TFCheckpoint, KerasSaveWeightsRunsAsInTensorFlow) {
  const TFCheckpoint ckpt = TFCheckpoint::load(prefix_of("keras_weights"));
  // By the variable's TensorFlow name, through the object graph (Keras GRU: reset_after).
  const auto cell = seq2seq::io::keras::gru_cell<float>(ckpt, "encoder/gru_cell");
  EXPECT_TRUE(cell.reset_after());
  expect_reproduces_case(cell, expected("keras_weights")["case"], "keras_weights");
}

// A Keras model with TensorFlow Addons' AttentionWrapper, saved by tf.train.Checkpoint and by
// save_weights: built by the variables' TensorFlow names, it computes TensorFlow's outputs.
TEST(TFCheckpoint, KerasTfaAttentionRunsAsInTensorFlow) {
  for (const char* name : {"keras_tfa_checkpoint", "keras_tfa_weights"}) {
    SCOPED_TRACE(name);
    const TFCheckpoint ckpt = TFCheckpoint::load(prefix_of(name));
    const json c = expected(name)["case"];
    seq2seq::Tensor3<float> inputs(3, 5, 3), memory(3, 4, 7), want(3, 5, 4);
    fill(c, "inputs", inputs);
    fill(c, "memory", memory);
    fill(c, "outputs", want);
    seq2seq::io::LoadStatus status(ckpt);
    const seq2seq::AttentionWrapper wrapper(
        seq2seq::io::keras::gru_cell<float>(status, "m/rnn/attention_wrapper/gru_cell"),
        seq2seq::io::keras::bahdanau_attention<float>(
            status, memory, c["memory_sequence_length"].get<std::vector<std::int64_t>>(),
            "m/rnn/attention_wrapper/BahdanauAttention", "m/BahdanauAttention/memory_layer"),
        seq2seq::io::keras::attention_wrapper_config<float>(status, "m/rnn/attention_wrapper"));
    status.assert_consumed();  // every model variable of the checkpoint is in the wrapper
    golden::expect_close(seq2seq::dynamic_rnn(wrapper, inputs).outputs, want, name);
  }
}

// Partitioned variables are assembled (GoldenCheckpoint above checks their values against
// TensorFlow's); their slices are not listed; a slice missing from the index is an error naming
// the variable.
TEST(TFCheckpoint, PartitionedVariables) {
  const std::string prefix = prefix_of("partitioned");
  const TFCheckpoint ckpt = TFCheckpoint::load(prefix);
  EXPECT_EQ(ckpt.names(), (std::vector<std::string>{"embedding", "plain", "wide"}));
  EXPECT_TRUE(ckpt.unreadable().empty());
  auto entries = seq2seq::io::detail::TableReader(read_all(prefix + ".index"), "index").entries();
  const auto slice = std::find_if(entries.begin(), entries.end(), [](const auto& kv) {
    return kv.first.size() > 5 && kv.first.compare(1, 4, "wide") == 0;  // a slice key of "wide"
  });
  ASSERT_NE(slice, entries.end());
  entries.erase(slice);
  EXPECT_THROWS_WITH("is missing from the index",
                     TFCheckpoint::parse(tf_table_writer::write_table(entries, 16, false),
                                         {read_all(prefix + ".data-00000-of-00001")}, "without-a-slice"));
}

TEST(TFCheckpoint, ParseFromMemory) {
  const std::string prefix = prefix_of("tf1_sharded");
  const TFCheckpoint ckpt = TFCheckpoint::parse(
      read_all(prefix + ".index"),
      {read_all(prefix + ".data-00000-of-00002"), read_all(prefix + ".data-00001-of-00002")},
      "in-memory");
  expect_matches_tensorflow(ckpt, expected("tf1_sharded"));
  EXPECT_THROWS_WITH("data shard 1 of 2 is missing (1 given)",
                     TFCheckpoint::parse(read_all(prefix + ".index"),
                                         {read_all(prefix + ".data-00000-of-00002")}, "in-memory"));
  EXPECT_THROWS_WITH("the header says 2 data shards but 3 were given",
                     TFCheckpoint::parse(read_all(prefix + ".index"), {"", "", ""}, "in-memory"));
}

TEST(TFCheckpoint, SavedModelDirectory) {
  const TFCheckpoint ckpt = TFCheckpoint::load(kDir + "saved_model/model");
  EXPECT_EQ(ckpt.prefix(), (fs::path(kDir + "saved_model/model") / "variables" / "variables").string());
  expect_matches_tensorflow(ckpt, expected("saved_model"));
  EXPECT_THROWS_WITH("not a SavedModel", TFCheckpoint::load(kDir + "saved_model"));
}

TEST(TFCheckpoint, MultiBlockIndexAndShards) {
  // The cases are what their names say: an index past TensorFlow's 256 KiB block size, and two
  // data shards each holding tensors.
  EXPECT_GT(fs::file_size(prefix_of("multi_block") + ".index"), 262144u);
  EXPECT_EQ(expected("multi_block")["tensors"].size(), 1400u);
  const std::string sharded = prefix_of("tf1_sharded");
  EXPECT_TRUE(fs::exists(sharded + ".data-00000-of-00002"));
  EXPECT_GT(fs::file_size(sharded + ".data-00001-of-00002"), 0u);
}

TEST(TFCheckpoint, TrainingStateIsNotAWeight) {
  const TFCheckpoint tf1 = TFCheckpoint::load(prefix_of("tf1_saver"));
  for (const char* name : {"global_step", "beta1_power", "beta2_power", "dense/kernel/Adam",
                           "dense/kernel/Adam_1", "rnn/gru_cell/gates/kernel/Adam"}) {
    EXPECT_TRUE(tf1.is_training_state(name)) << name;
  }
  for (const char* name : {"dense/kernel", "rnn/gru_cell/gates/kernel", "extras/f64"}) {
    EXPECT_FALSE(tf1.is_training_state(name)) << name;
  }
  const TFCheckpoint tf2 = TFCheckpoint::load(prefix_of("tf2_checkpoint"));
  for (const auto& [full_name, key] : tf2.variables()) {
    const bool optimizer = key.rfind("optimizer/", 0) == 0;
    EXPECT_EQ(tf2.is_training_state(full_name), optimizer) << full_name;
    EXPECT_EQ(tf2.is_training_state(key), optimizer) << key;
  }
  EXPECT_TRUE(tf2.is_training_state("Adam/m/dense/kernel"));
  EXPECT_FALSE(tf2.is_training_state("encoder/gru_cell/kernel"));
}

TEST(TFCheckpoint, Crc32c) {
  using seq2seq::io::detail::crc32c_extend;
  const std::string check = "123456789";
  EXPECT_EQ(crc32c_extend(0, check.data(), check.size()), 0xE3069283u);  // the standard check value
  // Extending in pieces equals one pass, across the 8-byte stride.
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += static_cast<char>(i * 37 + 11);
  const std::uint32_t whole = crc32c_extend(0, long_text.data(), long_text.size());
  EXPECT_EQ(crc32c_extend(crc32c_extend(0, long_text.data(), 13), long_text.data() + 13, 87), whole);
  EXPECT_EQ(seq2seq::io::detail::crc32c_unmask(seq2seq::io::detail::crc32c_mask(whole)), whole);
  EXPECT_NE(seq2seq::io::detail::crc32c_mask(whole), whole);
}

// ---- corrupt and missing files --------------------------------------------------------------

class CorruptCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("seq2seq_tf_checkpoint_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const auto& entry : fs::directory_iterator(kDir + "tf1_sharded")) {
      fs::copy_file(entry.path(), dir_ / entry.path().filename());
    }
    prefix_ = (dir_ / "model.ckpt-1").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::string prefix_;
};

TEST_F(CorruptCheckpoint, TheCopyLoads) {
  expect_matches_tensorflow(TFCheckpoint::load(prefix_), expected("tf1_sharded"));
}

TEST_F(CorruptCheckpoint, MissingFiles) {
  EXPECT_THROWS_WITH("no such file", TFCheckpoint::load(prefix_ + "-nope"));
  fs::remove(prefix_ + ".data-00001-of-00002");
  EXPECT_THROWS_WITH("data shard 1 of 2 is missing", TFCheckpoint::load(prefix_));
}

TEST_F(CorruptCheckpoint, FlippedTensorByteFailsItsChecksum) {
  const std::string shard = prefix_ + ".data-00000-of-00002";
  std::string bytes = read_all(shard);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x10);
  write_all(shard, bytes);
  EXPECT_THROWS_WITH("checksum mismatch", TFCheckpoint::load(prefix_));
}

TEST_F(CorruptCheckpoint, TruncatedShard) {
  const std::string shard = prefix_ + ".data-00000-of-00002";
  write_all(shard, read_all(shard).substr(0, 100));
  EXPECT_THROWS_WITH("outside the shard", TFCheckpoint::load(prefix_));
}

TEST_F(CorruptCheckpoint, ShortOrForeignIndex) {
  const std::string index = prefix_ + ".index";
  const std::string bytes = read_all(index);
  write_all(index, bytes.substr(0, 40));
  EXPECT_THROWS_WITH("shorter than the 48-byte table footer", TFCheckpoint::load(prefix_));
  write_all(index, std::string(100, 'x'));
  EXPECT_THROWS_WITH("bad table magic number", TFCheckpoint::load(prefix_));
}

// Every single-byte change and every truncation of the index either loads or throws
// seq2seq::Error; with the sanitizers this also proves no read leaves the file's bytes.
TEST_F(CorruptCheckpoint, EveryByteOfTheIndex) {
  const std::string index = prefix_ + ".index";
  const std::string original = read_all(index);
  int errors = 0, loaded = 0;
  for (std::size_t i = 0; i < original.size(); ++i) {
    for (const unsigned char flip : {0x01, 0x80, 0xFF}) {
      std::string bytes = original;
      bytes[i] = static_cast<char>(bytes[i] ^ flip);
      write_all(index, bytes);
      try {
        TFCheckpoint::load(prefix_);
        ++loaded;
      } catch (const seq2seq::Error&) {
        ++errors;
      }
    }
  }
  for (std::size_t n = 0; n < original.size(); n += 7) {
    write_all(index, original.substr(0, n));
    EXPECT_THROW(TFCheckpoint::load(prefix_), seq2seq::Error) << "truncated to " << n;
  }
  // Every block is checksummed: only the footer's first 40 bytes (the unused metaindex handle
  // and the padding) may change without an error.
  EXPECT_GT(errors, 0);
  EXPECT_LE(loaded, 3 * 40) << "changes that went unnoticed";
}

#if defined(SEQ2SEQ_SNAPPY)
// TensorFlow's entries in an index whose blocks are Snappy-compressed (three entries per block:
// many data blocks) read exactly as the original.
TEST_F(CorruptCheckpoint, SnappyCompressedIndex) {
  const std::string index = prefix_ + ".index";
  const std::string compressed = tf_table_writer::recompress(read_all(index), 3);
  ASSERT_NE(compressed, read_all(index));
  write_all(index, compressed);
  expect_matches_tensorflow(TFCheckpoint::load(prefix_), expected("tf1_sharded"));
  write_all(index, tf_table_writer::huge_claim());
  EXPECT_THROWS_WITH("corrupt Snappy header", TFCheckpoint::load(prefix_));
}
#endif

TEST_F(CorruptCheckpoint, ErrorsNameTheFileAndTensor) {
  const TFCheckpoint ckpt = TFCheckpoint::load(prefix_);
  EXPECT_THROWS_WITH("no tensor named 'no/such/tensor'", ckpt.tensor<float, 2>("no/such/tensor"));
  EXPECT_THROWS_WITH("expected rank 1 but found rank 2", ckpt.tensor<float, 1>("dense/kernel"));
  EXPECT_THROWS_WITH("expected shape [4,6] but found [6,4]", ckpt.tensor<float, 2>("dense/kernel", {4, 6}));
  EXPECT_THROWS_WITH("expected a string tensor but found F32", ckpt.strings("dense/kernel"));
  EXPECT_THROWS_WITH("model.ckpt-1.index", ckpt.tensor<float, 0>("extras/note"));
}

// A BundleEntryProto for a float tensor of shard 0.
std::string float_entry(std::int64_t elements, std::int64_t offset, std::uint32_t masked_crc) {
  using tf_table_writer::put_varint;
  std::string dim, shape, out;
  put_varint(dim, 0x08);  // size = 1
  put_varint(dim, static_cast<std::uint64_t>(elements));
  put_varint(shape, 0x12);  // dim = 2
  put_varint(shape, dim.size());
  shape += dim;
  put_varint(out, 0x08);  // dtype = 1: DT_FLOAT
  put_varint(out, 1);
  put_varint(out, 0x12);  // shape = 2
  put_varint(out, shape.size());
  out += shape;
  put_varint(out, 0x20);  // offset = 4
  put_varint(out, static_cast<std::uint64_t>(offset));
  put_varint(out, 0x28);  // size = 5
  put_varint(out, static_cast<std::uint64_t>(4 * elements));
  out += '\x35';  // crc32c = 6, fixed32
  tf_table_writer::put_fixed32(out, masked_crc);
  return out;
}

// Loading reads one tensor at a time: no allocation near the size of a whole shard, so a
// checkpoint needs about the size of its tensors in memory, not twice that. (The file is written
// here, in TensorFlow's format, because the point is its size.)
TEST_F(CorruptCheckpoint, LoadingNeverHoldsAWholeShard) {
  const std::int64_t elements = std::int64_t{2} << 20;  // 8 MiB per tensor, 16 MiB of data
  std::string shard(static_cast<std::size_t>(8 * elements), '\0');
  for (std::size_t i = 0; i < shard.size(); i += 4096) shard[i] = static_cast<char>(i >> 12);
  const auto crc = [&](std::size_t at) {
    return seq2seq::io::detail::crc32c_mask(
        seq2seq::io::detail::crc32c_extend(0, shard.data() + at, static_cast<std::size_t>(4 * elements)));
  };
  std::string header;
  tf_table_writer::put_varint(header, 0x08);  // num_shards = 1
  tf_table_writer::put_varint(header, 1);
  const tf_table_writer::Entries entries{{"", header},
                                         {"a", float_entry(elements, 0, crc(0))},
                                         {"b", float_entry(elements, 4 * elements, crc(4 * elements))}};
  const std::string prefix = (dir_ / "big").string();
  write_all(prefix + ".index", tf_table_writer::write_table(entries, 16, false));
  write_all(prefix + ".data-00000-of-00001", shard);
#ifdef SEQ2SEQ_TRACKS_LARGEST_MALLOC
  g_largest_malloc = 0;
#endif
  const TFCheckpoint ckpt = TFCheckpoint::load(prefix);
#ifdef SEQ2SEQ_TRACKS_LARGEST_MALLOC
  EXPECT_LT(g_largest_malloc.load(), static_cast<std::size_t>(4 * elements) + (std::size_t{1} << 20));
#endif
  EXPECT_EQ(ckpt.shape("b"), std::vector<std::int64_t>{elements});
  const auto b = ckpt.tensor<float, 1>("b");
  EXPECT_EQ(std::memcmp(b.data(), shard.data() + 4 * elements, static_cast<std::size_t>(4 * elements)), 0);
}

}  // namespace
