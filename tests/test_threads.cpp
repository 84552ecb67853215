// set_num_threads / num_threads, detail::parallel_for and detail::run_parts (dynamic_rnn's batch
// split).
#include <atomic>
#include <stdexcept>
#include <thread>
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

TEST(Threads, RunPartsRunsEachPartOnItsOwnThreadWithOneThreadForItsProducts) {
  const int before = seq2seq::num_threads();
  seq2seq::set_num_threads(3);
  std::vector<std::thread::id> ids(3);
  std::vector<int> limits(3, 0);
  seq2seq::detail::run_parts(3, [&](int p) {
    ids[static_cast<std::size_t>(p)] = std::this_thread::get_id();
    limits[static_cast<std::size_t>(p)] = seq2seq::detail::threads_here();
  });
  EXPECT_EQ(ids[0], std::this_thread::get_id());  // part 0 on the caller
  EXPECT_NE(ids[1], ids[0]);
  EXPECT_NE(ids[2], ids[0]);
  EXPECT_NE(ids[2], ids[1]);
  for (int limit : limits) EXPECT_EQ(limit, 1);
  EXPECT_EQ(seq2seq::detail::threads_here(), 3);  // the caller's limit is back
  seq2seq::set_num_threads(before);
}

TEST(Threads, RunPartsRethrowsAPartsExceptionAfterEveryPartEnded) {
  std::vector<std::atomic<int>> done(4);
  EXPECT_TRUE(throws_error(
      [&] {
        seq2seq::detail::run_parts(4, [&](int p) {
          if (p == 2) seq2seq::detail::fail("part ", p, " failed");
          done[static_cast<std::size_t>(p)].store(1);
        });
      },
      {"part 2 failed"}));
  EXPECT_EQ(done[0].load() + done[1].load() + done[3].load(), 3);
  EXPECT_EQ(done[2].load(), 0);
  EXPECT_EQ(seq2seq::detail::threads_here(), seq2seq::num_threads());
}

}  // namespace
