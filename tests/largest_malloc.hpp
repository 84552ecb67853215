// Test support: the largest single malloc request since g_largest_malloc was last reset, for
// checking that a reader never allocates what a file merely claims. glibc only, and not under
// ASan/TSan, which own the allocator (then SEQ2SEQ_TRACKS_LARGEST_MALLOC stays undefined and
// the checks are skipped). Every operator new, and libzip's own buffers, go through malloc; see
// also alloc_counter.hpp. Include it in one translation unit of a test program: it defines
// malloc.
#pragma once

#include <atomic>
#include <cstddef>

#include "sanitizers.hpp"

#if defined(__GLIBC__) && !defined(SEQ2SEQ_SANITIZER_OWNS_MALLOC)
#define SEQ2SEQ_TRACKS_LARGEST_MALLOC 1
namespace {
std::atomic<std::size_t> g_largest_malloc{0};
}  // namespace
extern "C" void* __libc_malloc(std::size_t size);
extern "C" void* malloc(std::size_t size) {
  std::size_t seen = g_largest_malloc.load(std::memory_order_relaxed);
  while (size > seen && !g_largest_malloc.compare_exchange_weak(seen, size)) {
  }
  return __libc_malloc(size);
}
#endif
