// libFuzzer harness for seq2seq::fuzz::fuzz_tf_checkpoint (fuzz_files.hpp): seq2seq::Error is the
// expected outcome for bad input; any other exception escapes LLVMFuzzerTestOneInput and
// libFuzzer reports it.
#include <cstddef>
#include <cstdint>

#include "fuzz_files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  seq2seq::fuzz::fuzz_tf_checkpoint(data, size);
  return 0;
}
