// SEQ2SEQ_SANITIZER_OWNS_MALLOC: defined when AddressSanitizer, ThreadSanitizer or
// MemorySanitizer is on, whose runtimes replace malloc. Tests that define malloc themselves
// (alloc_counter.hpp, test_npz.cpp) must not then. GCC defines __SANITIZE_ADDRESS__ and
// __SANITIZE_THREAD__; Clang 14 defines neither and answers __has_feature instead.
#pragma once

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SEQ2SEQ_SANITIZER_OWNS_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define SEQ2SEQ_SANITIZER_OWNS_MALLOC 1
#endif
#endif
