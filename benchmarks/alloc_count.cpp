// The allocation counter of every benchmark program (bench::allocation_count in bench_common.hpp):
// replaces the global operator new / delete, every C++17 overload, and, on glibc without a
// sanitizer, the malloc family, forwarding to glibc's __libc_* allocator entry points. Linked into
// each benchmark binary exactly once (one translation unit per binary may replace them).
//
// Eigen allocates through malloc (internal::aligned_malloc), not operator new, so counting
// operator new alone would miss it. operator new here calls __libc_malloc / __libc_memalign
// directly, not malloc, so each allocation is counted once. free is not replaced: glibc's free
// releases what __libc_malloc / __libc_memalign return.
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace bench {
long long allocation_count() noexcept;
bool counts_malloc() noexcept;
}  // namespace bench

namespace {

// Constant-initialised: valid before any dynamic initialisation allocates.
std::atomic<long long> g_allocations{0};

void count() noexcept { g_allocations.fetch_add(1, std::memory_order_relaxed); }

}  // namespace

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define SEQ2SEQ_BENCH_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SEQ2SEQ_BENCH_SANITIZED 1
#endif

#if defined(__GLIBC__) && !defined(SEQ2SEQ_BENCH_SANITIZED)
#define SEQ2SEQ_BENCH_COUNTS_MALLOC 1

extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* ptr, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
void* __libc_valloc(std::size_t size);
void* __libc_pvalloc(std::size_t size);

void* malloc(std::size_t size) noexcept {
  count();
  return __libc_malloc(size);
}

void* calloc(std::size_t n, std::size_t size) noexcept {
  count();
  return __libc_calloc(n, size);
}

// realloc(nullptr, n) is a malloc and realloc(p, n) may move the block: both counted.
// realloc(p, 0) frees p (glibc) and is not an allocation.
void* realloc(void* ptr, std::size_t size) noexcept {
  if (ptr == nullptr || size != 0) count();
  return __libc_realloc(ptr, size);
}

void* memalign(std::size_t alignment, std::size_t size) noexcept {
  count();
  return __libc_memalign(alignment, size);
}

void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  count();
  return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
  // POSIX: a power of two and a multiple of sizeof(void*); *out untouched on failure.
  if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0) {
    return EINVAL;
  }
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  count();
  *out = p;
  return 0;
}

void* valloc(std::size_t size) noexcept {
  count();
  return __libc_valloc(size);
}

void* pvalloc(std::size_t size) noexcept {
  count();
  return __libc_pvalloc(size);
}
}  // extern "C"

namespace {
void* raw_alloc(std::size_t size) noexcept { return __libc_malloc(size); }
void* raw_aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  return __libc_memalign(alignment, size);
}
}  // namespace

#else  // no malloc replacement: operator new only, over the C library's allocator

namespace {
void* raw_alloc(std::size_t size) noexcept { return std::malloc(size); }
void* raw_aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  // aligned_alloc wants a size that is a multiple of the alignment.
  return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
}
}  // namespace

#endif

namespace {

// operator new's contract: never null (retry through the new_handler, else bad_alloc), a
// zero-byte request still gets a unique pointer. Counted once per successful allocation.
void* counted_new(std::size_t size, std::size_t alignment) {
  if (size == 0) size = 1;
  for (;;) {
    void* p = alignment <= __STDCPP_DEFAULT_NEW_ALIGNMENT__ ? raw_alloc(size)
                                                            : raw_aligned_alloc(alignment, size);
    if (p != nullptr) {
      count();
      return p;
    }
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void* counted_new_nothrow(std::size_t size, std::size_t alignment) noexcept {
  try {
    return counted_new(size, alignment);
  } catch (...) {
    return nullptr;
  }
}

constexpr std::size_t kDefault = __STDCPP_DEFAULT_NEW_ALIGNMENT__;

}  // namespace

long long bench::allocation_count() noexcept {
  return g_allocations.load(std::memory_order_relaxed);
}

bool bench::counts_malloc() noexcept {
#ifdef SEQ2SEQ_BENCH_COUNTS_MALLOC
  return true;
#else
  return false;
#endif
}

// Allocation functions.
void* operator new(std::size_t size) { return counted_new(size, kDefault); }
void* operator new[](std::size_t size) { return counted_new(size, kDefault); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return counted_new_nothrow(size, kDefault);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return counted_new_nothrow(size, kDefault);
}
void* operator new(std::size_t size, std::align_val_t al) {
  return counted_new(size, static_cast<std::size_t>(al));
}
void* operator new[](std::size_t size, std::align_val_t al) {
  return counted_new(size, static_cast<std::size_t>(al));
}
void* operator new(std::size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
  return counted_new_nothrow(size, static_cast<std::size_t>(al));
}
void* operator new[](std::size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
  return counted_new_nothrow(size, static_cast<std::size_t>(al));
}

// Deallocation functions: every block above comes from the C allocator.
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
