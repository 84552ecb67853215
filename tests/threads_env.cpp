// Linked into every test program: SEQ2SEQ_NUM_THREADS=n runs the whole program with
// seq2seq::set_num_threads(n), so that CI can run the golden suite at several thread counts
// under each GEMM backend (tools/build.sh); SEQ2SEQ_GEMM_EIGEN_BELOW=0 sends even the golden
// cases' tiny products to the backend (seq2seq::detail::gemm_eigen_below).
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
    if (const char* below = std::getenv("SEQ2SEQ_GEMM_EIGEN_BELOW")) {
      seq2seq::detail::gemm_eigen_below = std::stod(below);
    }
    std::printf("seq2seq: GEMM backend %s, %d thread(s), products below %g multiply-adds on Eigen\n",
                seq2seq::gemm_backend(), seq2seq::num_threads(), seq2seq::detail::gemm_eigen_below);
  }
};

[[maybe_unused]] testing::Environment* const backend_environment =
    testing::AddGlobalTestEnvironment(new BackendEnvironment);

}  // namespace
