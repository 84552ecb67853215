// The one GEMM every hot path goes through.
//
// Backend, chosen at compile time (CMake option SEQ2SEQ_GEMM sets the macro):
//   default                Eigen's own GEMM (header-only, no dependency)
//   SEQ2SEQ_GEMM_OPENBLAS  cblas_sgemm / cblas_dgemm from OpenBLAS (Debian libopenblas-dev)
//   SEQ2SEQ_GEMM_ONEDNN    dnnl_sgemm from oneDNN (Debian libdnnl-dev); double stays on Eigen
// Every backend gives results within the golden tolerance of TensorFlow's (the suite runs
// under each one); they differ from each other only in summation order.
#pragma once

#include <algorithm>
#include <type_traits>
#include <vector>

#include <seq2seq/core/tensor.hpp>
#include <seq2seq/core/threads.hpp>

#if defined(SEQ2SEQ_GEMM_OPENBLAS) && defined(SEQ2SEQ_GEMM_ONEDNN)
#error "define at most one of SEQ2SEQ_GEMM_OPENBLAS and SEQ2SEQ_GEMM_ONEDNN"
#endif
#if defined(SEQ2SEQ_GEMM_OPENBLAS)
#include <cblas.h>
#elif defined(SEQ2SEQ_GEMM_ONEDNN)
#include <dnnl.h>
#endif

/// With the OpenBLAS or oneDNN backend, products of fewer multiply-adds (m·n·k) than this stay on
/// Eigen (the default of detail::gemm_eigen_below).
#ifndef SEQ2SEQ_GEMM_EIGEN_BELOW
#define SEQ2SEQ_GEMM_EIGEN_BELOW 32768
#endif

namespace seq2seq {

/// Name of the compiled-in GEMM backend: "eigen", "openblas" or "onednn".
inline const char* gemm_backend() {
#if defined(SEQ2SEQ_GEMM_OPENBLAS)
  return "openblas";
#elif defined(SEQ2SEQ_GEMM_ONEDNN)
  return "onednn";
#else
  return "eigen";
#endif
}

namespace detail {

/// The threshold gemm() compares m·n·k with (SEQ2SEQ_GEMM_EIGEN_BELOW). A variable rather than
/// only the macro so that the test suite can set it to 0 at run time (SEQ2SEQ_GEMM_EIGEN_BELOW in
/// the environment, tests/threads_env.cpp): every product of the golden cases then reaches the
/// backend, in the same build that ran them at the default. Set it before any thread runs a product.
inline double gemm_eigen_below = SEQ2SEQ_GEMM_EIGEN_BELOW;

/// Eigen's GEMM takes its packing buffers from the heap whenever they exceed
/// EIGEN_STACK_ALLOCATION_LIMIT (128 KiB), i.e. once per product at NMT sizes: once per step.
/// This blocking (the same block sizes Eigen computes) hands it buffers of the calling thread
/// that only grow, so a time loop allocates nothing after its first step.
template <class T>
class ReusedBlocking : public Eigen::internal::level3_blocking<T, T> {
 public:
  /// For the row-major product c[m, n] = a[m, k] · b[k, n], which Eigen runs transposed.
  ReusedBlocking(Index m, Index n, Index k) {
    this->m_mc = n;
    this->m_nc = m;
    this->m_kc = k;
    Eigen::internal::computeProductBlockingSizes<T, T, 1, Index>(this->m_kc, this->m_mc,
                                                               this->m_nc, Index(1));
    this->m_blockA = buffer(0, this->m_kc * this->m_mc);
    this->m_blockB = buffer(1, this->m_kc * this->m_nc);
  }

 private:
  static T* buffer(int which, Index size) {
    thread_local std::vector<T, Eigen::aligned_allocator<T>> buffers[2];
    auto& b = buffers[which];
    if (static_cast<Index>(b.size()) < size) b.resize(static_cast<std::size_t>(size));
    return b.data();
  }
};

/// c += a · b with Eigen's own GEMM kernel on reused buffers, one thread.
template <class T>
void eigen_gemm_accumulate(ConstMatrixRef<T> a, ConstMatrixRef<T> b, MatrixRef<T> c) {
  using Product = Eigen::internal::general_matrix_matrix_product<
      Index, T, Eigen::RowMajor, false, T, Eigen::RowMajor, false, Eigen::RowMajor, 1>;
  ReusedBlocking<T> blocking(c.rows(), c.cols(), a.cols());
  Product::run(c.rows(), c.cols(), a.cols(), a.data(), a.outerStride(), b.data(), b.outerStride(),
               c.data(), 1, c.outerStride(), T(1), blocking, nullptr);
}

/// The Eigen backend. Products Eigen would route to its GEMM run on reused buffers; matrix-vector
/// and tiny products keep Eigen's own paths, which do not allocate. With OpenMP in the build
/// (SEQ2SEQ_OPENMP) the columns are split into panels across threads_here(): each panel is a whole,
/// independent product, so the result does not depend on the thread count.
template <class T>
void eigen_gemm(ConstMatrixRef<T> a, ConstMatrixRef<T> b, MatrixRef<T> c, bool accumulate) {
  const Index m = c.rows(), n = c.cols(), k = a.cols();
  const bool small = m == 1 || n == 1 || m + n + k < 20;
  if (!small && !accumulate) c.setZero();
  // Panels of >= 64 columns (a multiple of every SIMD width), one per thread.
  const Index panels = std::max<Index>(1, std::min<Index>(threads_here(), n / 64));
  const Index width = (n + panels - 1) / panels;
  parallel_for(panels, 2.0 * double(m) * double(width) * double(k), [&](Index p) {
    const Index first = p * width, cols = std::min(width, n - first);
    auto panel = c.middleCols(first, cols);
    if (!small) {
      eigen_gemm_accumulate<T>(a, b.middleCols(first, cols), panel);
    } else if (accumulate) {
      panel.noalias() += a * b.middleCols(first, cols);
    } else {
      panel.noalias() = a * b.middleCols(first, cols);
    }
  });
}

/// c = a · b, or c += a · b when `accumulate`: a [M, K], b [K, N], c [M, N], row-major views
/// whose rows may be strided. c must not overlap a or b. Allocates nothing after the first call
/// of a given size on a thread (OpenBLAS and oneDNN: whatever the library itself does).
template <class T>
void gemm(ConstMatrixRef<T> a, ConstMatrixRef<T> b, MatrixRef<T> c, bool accumulate = false) {
  // Threads are opt-in: pins the backend to 1 before its first use, and OpenMP to the setting in
  // this thread too.
  sync_thread_setting();
  const Index m = c.rows(), n = c.cols(), k = a.cols();
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (!accumulate) c.setZero();
    return;
  }
  // Tiny products (the tutorial's) stay on Eigen: a library call costs more than they do.
  const bool tiny = double(m) * double(n) * double(k) < gemm_eigen_below;
#if defined(SEQ2SEQ_GEMM_OPENBLAS) || defined(SEQ2SEQ_GEMM_ONEDNN)
  if (tiny) return eigen_gemm<T>(a, b, c, accumulate);
#else
  (void)tiny;
#endif
#if defined(SEQ2SEQ_GEMM_OPENBLAS)
  const T beta = accumulate ? T(1) : T(0);
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n), int(k), 1.0f,
                a.data(), int(a.outerStride()), b.data(), int(b.outerStride()), beta, c.data(),
                int(c.outerStride()));
    return;
  } else if constexpr (std::is_same_v<T, double>) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n), int(k), 1.0,
                a.data(), int(a.outerStride()), b.data(), int(b.outerStride()), beta, c.data(),
                int(c.outerStride()));
    return;
  }
#elif defined(SEQ2SEQ_GEMM_ONEDNN)
  if constexpr (std::is_same_v<T, float>) {
    // dnnl_sgemm takes row-major operands, as ours are.
    dnnl_sgemm('N', 'N', m, n, k, 1.0f, a.data(), a.outerStride(), b.data(), b.outerStride(),
               accumulate ? 1.0f : 0.0f, c.data(), c.outerStride());
    return;
  }
#endif
  eigen_gemm<T>(a, b, c, accumulate);
}

}  // namespace detail
}  // namespace seq2seq
