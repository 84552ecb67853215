// TFCheckpoint in a build without Snappy (SEQ2SEQ_SNAPPY undefined, as when CMake finds no
// libsnappy-dev): a Snappy-compressed index is refused with an error that says what to install.
// A program of its own, so that no other translation unit sees the reader with Snappy.
#if defined(SEQ2SEQ_SNAPPY)
#define SEQ2SEQ_TEST_LINKS_SNAPPY 1  // the test itself still compresses (tf_table_writer.hpp)
#endif
#undef SEQ2SEQ_SNAPPY
#include <seq2seq/io/tf_checkpoint.hpp>

#include <gtest/gtest.h>

#include "throws_error.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include "tf_table_writer.hpp"

#if defined(SEQ2SEQ_TEST_HAS_SNAPPY)

TEST(TFCheckpointWithoutSnappy, CompressedIndexIsAClearError) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "seq2seq_tf_checkpoint_without_snappy";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string golden = std::string(SEQ2SEQ_GOLDEN_DIR) + "/checkpoints/tf1_saver/";
  for (const auto& entry : fs::directory_iterator(golden)) {
    fs::copy_file(entry.path(), dir / entry.path().filename());
  }
  const std::string prefix = (dir / "model.ckpt-1").string();
  std::ifstream in(prefix + ".index", std::ios::binary);
  const std::string index((std::istreambuf_iterator<char>(in)), {});
  in.close();
  // Uncompressed, as TensorFlow writes it, the index loads without Snappy.
  EXPECT_TRUE(seq2seq::io::TFCheckpoint::load(prefix).contains("dense/kernel"));
  std::ofstream(prefix + ".index", std::ios::binary | std::ios::trunc)
      << tf_table_writer::recompress(index, 4);
  EXPECT_TRUE(throws_error([&] { seq2seq::io::TFCheckpoint::load(prefix); },
                           {"model.ckpt-1.index", "Snappy-compressed", "libsnappy-dev"}));
  fs::remove_all(dir);
}
#else
TEST(TFCheckpointWithoutSnappy, CompressedIndexIsAClearError) {
  GTEST_SKIP() << "needs Snappy (libsnappy-dev) to write a compressed index";
}
#endif
