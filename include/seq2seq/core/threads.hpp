// The library's opt-in thread count, and the one parallel loop it uses.
//
// Threads come from two places: the GEMM backend's own threads (OpenBLAS's, oneDNN's OpenMP,
// or Eigen's GEMM when built with OpenMP) and, when the build has OpenMP (CMake option
// SEQ2SEQ_OPENMP), loops over batch rows (attention scores, softmax, context). Results do not
// depend on the thread count beyond the GEMM's summation order: each row is computed alone.
#pragma once

#include <exception>
#include <thread>
#include <vector>

#include <Eigen/Core>

#include <seq2seq/core/error.hpp>
#include <seq2seq/core/tensor.hpp>

#if defined(_OPENMP)
#include <omp.h>
#elif defined(SEQ2SEQ_GEMM_ONEDNN)
// Debian's oneDNN runs on GNU OpenMP (CMake links libgomp): its thread count is OpenMP's.
extern "C" void omp_set_num_threads(int num_threads);
extern "C" int omp_get_max_threads(void);
#endif
#if defined(SEQ2SEQ_GEMM_OPENBLAS)
extern "C" void openblas_set_num_threads(int num_threads);
#endif

namespace seq2seq {
namespace detail {

// Hands the thread count to every runtime that may run our work. OpenMP's setting applies to
// the calling thread (and the threads it starts).
inline void apply_num_threads(int n) {
#if defined(SEQ2SEQ_GEMM_OPENBLAS)
  openblas_set_num_threads(n);
#endif
#if defined(_OPENMP) || defined(SEQ2SEQ_GEMM_ONEDNN)
  omp_set_num_threads(n);
#endif
  Eigen::setNbThreads(n);
}

// The setting. Threads are opt-in: the first use pins the runtimes to 1 thread (OpenBLAS and
// OpenMP would otherwise take every core) unless set_num_threads ran first.
inline int& num_threads_setting() {
  static int n = (apply_num_threads(1), 1);
  return n;
}

}  // namespace detail

/// Threads the library may use (default 1). Process-wide, like a BLAS's own setting: call it
/// once at start-up, not while other threads run the library. Without OpenMP in the build
/// (SEQ2SEQ_OPENMP) only the OpenBLAS and oneDNN backends' GEMMs use them. Throws
/// seq2seq::Error unless n >= 1.
inline void set_num_threads(int n) {
  if (n < 1) detail::fail("set_num_threads: n=", n, " must be >= 1");
  detail::num_threads_setting() = n;
  detail::apply_num_threads(n);
}

/// The thread count set by set_num_threads (1 until then).
inline int num_threads() { return detail::num_threads_setting(); }

namespace detail {

/// Set on the threads that run one part of a batch split (run_parts): 1 while they do.
inline int& thread_limit_here() {
  thread_local int limit = 0;
  return limit;
}

/// Threads the products and loops started on this thread may use: num_threads(), or 1 inside
/// one part of a batch split (the parts already use every thread).
inline int threads_here() {
  const int limit = thread_limit_here();
  return limit > 0 ? limit : num_threads();
}

/// OpenMP's thread count is a setting of each thread: a thread other than the one that called
/// set_num_threads starts with OpenMP's default (every core), which oneDNN's GEMM would then use.
/// Called before each product, so that the setting holds in every thread that runs the library.
inline void sync_thread_setting() {
  const int n = threads_here();
#if defined(_OPENMP) || defined(SEQ2SEQ_GEMM_ONEDNN)
  if (omp_get_max_threads() != n) omp_set_num_threads(n);
#else
  (void)n;
#endif
}

/// Runs f(i) for i in [0, n), across num_threads() OpenMP threads when the build has OpenMP and
/// n * cost (rough flops per i) is worth a parallel region; in order on one thread otherwise.
/// Each f(i) must touch only its own outputs.
template <class F>
void parallel_for(Index n, double cost, F&& f) {
#if defined(_OPENMP)
  const int threads = threads_here();
  if (threads > 1 && n > 1 && double(n) * cost >= 20000.0) {
#pragma omp parallel for schedule(static) num_threads(threads)
    for (Index i = 0; i < n; ++i) f(i);
    return;
  }
#else
  (void)cost;
#endif
  for (Index i = 0; i < n; ++i) f(i);
}

/// Runs f(p) for p in [0, parts): part 0 on the calling thread, each other part on a thread of
/// its own, every part limited to one thread for its products (threads_here() == 1). Nothing is
/// shared between parts but what f shares, so there is no synchronisation until all have ended:
/// a part whose core is busy delays only itself. The first exception a part throws is rethrown
/// here after every part has ended.
template <class F>
void run_parts(int parts, F&& f) {
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(parts));
  auto part = [&](int p) {
    int& limit = thread_limit_here();
    const int saved = limit;
    limit = 1;
    try {
      f(p);
    } catch (...) {
      errors[static_cast<std::size_t>(p)] = std::current_exception();
    }
    limit = saved;
    sync_thread_setting();  // the caller's OpenMP setting back to num_threads()
  };
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(parts > 1 ? parts - 1 : 0));
  for (int p = 1; p < parts; ++p) threads.emplace_back(part, p);
  part(0);
  for (auto& t : threads) t.join();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace detail
}  // namespace seq2seq
