// detail::gemm, the one product every hot path uses, against plain loops: shapes on both sides
// of every path (tiny, matrix-vector, Eigen's GEMM on reused buffers, column panels), strided
// views, accumulate, float and double; under whichever backend and thread count the build runs
// (tools/build.sh runs this program under each).
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <seq2seq/core/gemm.hpp>

namespace {

using seq2seq::Index;
using seq2seq::RowMatrix;

template <class T>
RowMatrix<T> random_matrix(Index rows, Index cols, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  RowMatrix<T> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = T(u(rng));
  return m;
}

// c (+)= a · b with a long-double accumulator: the obviously-correct reference. `bound` gets the
// standard rounding bound of a float/double dot product of length k (plus the add to c):
// (k + 1) · eps · (Σ_k |a_ik b_kj| + |c_ij|).
template <class A, class B, class C>
void reference_gemm(const A& a, const B& b, C& c, bool accumulate, RowMatrix<double>& bound) {
  using T = typename C::Scalar;
  const double eps = std::numeric_limits<T>::epsilon();
  bound.resize(c.rows(), c.cols());
  for (Index i = 0; i < c.rows(); ++i) {
    for (Index j = 0; j < c.cols(); ++j) {
      long double sum = accumulate ? c(i, j) : 0, magnitude = accumulate ? std::abs(c(i, j)) : 0;
      for (Index k = 0; k < a.cols(); ++k) {
        sum += (long double)a(i, k) * b(k, j);
        magnitude += std::abs((long double)a(i, k) * b(k, j));
      }
      c(i, j) = static_cast<T>(sum);
      bound(i, j) = double(a.cols() + 1) * eps * double(magnitude) + eps * std::abs(double(sum));
    }
  }
}

template <class T>
void check_shapes() {
  std::mt19937 rng(7);
  // {m, n, k}: tiny (lazy product), m = 1 and n = 1 (matrix-vector), GEMM-sized, wide enough to
  // be split into column panels, k = 0.
  const Index shapes[][3] = {{3, 18, 9},   {1, 300, 70},  {40, 1, 33},  {7, 5, 6},
                             {64, 96, 48}, {65, 257, 129}, {33, 640, 200}, {5, 130, 0}};
  for (const auto& s : shapes) {
    const Index m = s[0], n = s[1], k = s[2];
    for (bool accumulate : {false, true}) {
      // Operands as strided blocks of larger matrices: what dynamic_rnn passes (a time step of a
      // batch-major tensor, a row range of a kernel, a column block of the gates).
      RowMatrix<T> a_store = random_matrix<T>(m, k + 3, rng);
      RowMatrix<T> b_store = random_matrix<T>(k + 2, n + 5, rng);
      RowMatrix<T> c_store = random_matrix<T>(m, n + 4, rng);
      const auto a = a_store.leftCols(k);
      const auto b = b_store.block(1, 2, k, n);
      RowMatrix<T> expected = c_store;
      auto expected_c = expected.middleCols(1, n);
      RowMatrix<double> bound;
      reference_gemm(a, b, expected_c, accumulate, bound);
      seq2seq::detail::gemm<T>(a, b, c_store.middleCols(1, n), accumulate);
      for (Index i = 0; i < m; ++i) {
        for (Index j = 0; j < n + 4; ++j) {
          const double e = expected(i, j), got = c_store(i, j);
          const bool inside = j >= 1 && j <= n;
          // Outside c the columns must be untouched: exactly equal.
          ASSERT_LE(std::abs(got - e), inside ? bound(i, j - 1) : 0.0)
              << "m=" << m << " n=" << n << " k=" << k << " accumulate=" << accumulate
              << " at (" << i << "," << j << ")" << (j == 0 || j > n ? " (outside c)" : "");
        }
      }
    }
  }
}

TEST(Gemm, MatchesPlainLoopsInFloat) { check_shapes<float>(); }
TEST(Gemm, MatchesPlainLoopsInDouble) { check_shapes<double>(); }

TEST(Gemm, SameResultAtEveryThreadCount) {
  // Column panels are whole, independent products: 1, 2 and 3 threads must agree to the bit
  // (a backend's own threading may only reorder within its tolerance).
  std::mt19937 rng(11);
  const RowMatrix<float> a = random_matrix<float>(64, 512, rng);
  const RowMatrix<float> b = random_matrix<float>(512, 1536, rng);
  const int before = seq2seq::num_threads();
  RowMatrix<float> results[3];
  for (int t = 1; t <= 3; ++t) {
    seq2seq::set_num_threads(t);
    results[t - 1].resize(64, 1536);
    seq2seq::detail::gemm<float>(a, b, results[t - 1]);
  }
  seq2seq::set_num_threads(before);
  const bool own_gemm = std::string(seq2seq::gemm_backend()) == "eigen";
  for (int t = 1; t < 3; ++t) {
    const double diff = (results[t] - results[0]).cwiseAbs().maxCoeff();
    if (own_gemm) {
      EXPECT_EQ(diff, 0.0) << t + 1 << " threads";
    } else {
      EXPECT_LE(diff, 1e-4) << t + 1 << " threads";
    }
  }
}

}  // namespace
