// Linked into every test program: SEQ2SEQ_NUM_THREADS=n runs the whole program with
// seq2seq::set_num_threads(n), so that CI can run the golden suite at several thread counts
// under each GEMM backend (tools/build.sh).
#include <cstdio>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include <seq2seq/core/gemm.hpp>  // gemm_backend
#include <seq2seq/core/threads.hpp>

namespace {

// Prints the configuration when tests run (not while CTest lists them).
class BackendEnvironment : public testing::Environment {
 public:
  void SetUp() override {
    if (const char* n = std::getenv("SEQ2SEQ_NUM_THREADS")) seq2seq::set_num_threads(std::stoi(n));
    std::printf("seq2seq: GEMM backend %s, %d thread(s)\n", seq2seq::gemm_backend(),
                seq2seq::num_threads());
  }
};

[[maybe_unused]] testing::Environment* const backend_environment =
    testing::AddGlobalTestEnvironment(new BackendEnvironment);

}  // namespace
