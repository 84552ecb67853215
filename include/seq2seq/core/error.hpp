// seq2seq::Error, the one exception type the library throws for bad input.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace seq2seq {

/// Thrown for every invalid argument: wrong shapes, lengths out of range, bad weight files.
/// The message names the entry point, the argument, and the expected and actual values.
class Error : public std::invalid_argument {
 public:
  /// `what` is the whole message; for a bad shape it names the argument and both shapes
  /// (expected and actual).
  explicit Error(const std::string& what) : std::invalid_argument(what) {}
};

namespace detail {

/// Builds a message from its parts with operator<< and throws seq2seq::Error.
template <class... Parts>
[[noreturn]] void fail(Parts&&... parts) {
  std::ostringstream os;
  (os << ... << std::forward<Parts>(parts));
  throw Error(os.str());
}

}  // namespace detail
}  // namespace seq2seq
