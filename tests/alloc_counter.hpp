// Counts heap allocations in a test binary (glibc): defines malloc, which every operator new and
// Eigen's aligned_malloc call. Include in ONE translation unit of a binary.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>

#include <gtest/gtest.h>

#include <seq2seq/core/gemm.hpp>

#include "sanitizers.hpp"

#if defined(__GLIBC__) && !defined(SEQ2SEQ_SANITIZER_OWNS_MALLOC)
#define SEQ2SEQ_COUNTS_ALLOCATIONS 1

inline std::atomic<long> g_allocations{0};

extern "C" void* __libc_malloc(std::size_t size);
extern "C" void* malloc(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(size);
}

/// Heap allocations made while running `fn`.
template <class Fn>
long allocations_during(Fn&& fn) {
  const long before = g_allocations.load();
  fn();
  return g_allocations.load() - before;
}

/// Heap allocations made by a second run of `fn`: the first warms up the GEMM's per-thread
/// packing buffers (seq2seq::detail::ReusedBlocking), which grow once to the largest product
/// seen and are then reused. An allocation per step still shows in the second run.
template <class Fn>
long steady_allocations_during(Fn&& fn) {
  fn();
  return allocations_during(fn);
}

/// The allocation tests check the library's own code, which runs its GEMMs on Eigen. OpenBLAS
/// (0.3.21) and oneDNN may allocate inside their own GEMM calls, so under those backends the
/// tests skip; the default and OpenMP builds run them.
#define SEQ2SEQ_SKIP_UNLESS_EIGEN_GEMM()                                                   \
  if (std::string(seq2seq::gemm_backend()) != "eigen")                                    \
  GTEST_SKIP() << "the " << seq2seq::gemm_backend() << " backend allocates inside its GEMM"
#endif
