// set_num_threads / num_threads and detail::parallel_for.
#include <atomic>
#include <vector>

#include <gtest/gtest.h>

#include "throws_error.hpp"

#include <seq2seq/core/threads.hpp>

namespace {

TEST(Threads, SetNumThreadsKeepsTheSettingAndRejectsLessThanOne) {
  const int before = seq2seq::num_threads();
  seq2seq::set_num_threads(3);
  EXPECT_EQ(seq2seq::num_threads(), 3);
  EXPECT_TRUE(throws_error([] { seq2seq::set_num_threads(0); },
                           {"set_num_threads: n=0 must be >= 1"}));
  EXPECT_TRUE(throws_error([] { seq2seq::set_num_threads(-2); },
                           {"set_num_threads: n=-2 must be >= 1"}));
  EXPECT_EQ(seq2seq::num_threads(), 3);  // a rejected value changes nothing
  seq2seq::set_num_threads(before);
  EXPECT_EQ(seq2seq::num_threads(), before);
}

TEST(Threads, ParallelForRunsEveryIndexExactlyOnce) {
  const int before = seq2seq::num_threads();
  for (int threads : {1, 2, 4}) {
    seq2seq::set_num_threads(threads);
    for (seq2seq::Index n : {0, 1, 2, 7, 64, 1000}) {
      for (double cost : {1.0, 1e6}) {  // below and above the parallel threshold
        std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
        seq2seq::detail::parallel_for(n, cost, [&](seq2seq::Index i) {
          hits[static_cast<std::size_t>(i)].fetch_add(1);
        });
        for (seq2seq::Index i = 0; i < n; ++i) {
          ASSERT_EQ(hits[static_cast<std::size_t>(i)].load(), 1)
              << "index " << i << " of " << n << ", " << threads << " threads, cost " << cost;
        }
      }
    }
  }
  seq2seq::set_num_threads(before);
}

}  // namespace
