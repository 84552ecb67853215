// Test support: checking that a call throws seq2seq::Error with the expected message parts.
#pragma once

#include <exception>
#include <functional>
#include <initializer_list>
#include <string>

#include <gtest/gtest.h>

#include <seq2seq/core/error.hpp>

/// Passes if `f` throws seq2seq::Error whose message contains every one of `parts`.
inline ::testing::AssertionResult throws_error(const std::function<void()>& f,
                                               std::initializer_list<std::string> parts) {
  try {
    f();
  } catch (const seq2seq::Error& e) {
    const std::string what = e.what();
    for (const auto& part : parts) {
      if (what.find(part) == std::string::npos) {
        return ::testing::AssertionFailure() << "message \"" << what << "\" lacks \"" << part
                                             << "\"";
      }
    }
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw a non-seq2seq::Error: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}
