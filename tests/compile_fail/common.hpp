// What the compile-fail cases share: objects of the right types (never run: each case is only
// compiled, with -fsyntax-only, and must fail with the message its `// expect:` lines give).
#pragma once

#include <cstdint>
#include <vector>

#include <seq2seq/seq2seq.hpp>

namespace cf {
using namespace seq2seq;

inline GRUCell<float> gru() {
  return GRUCell<float>(6, {Tensor2<float>(9, 12), Tensor1<float>(12), Tensor2<float>(9, 6),
                            Tensor1<float>(6)});
}
inline BahdanauAttentionWeights<float> bahdanau_weights() {
  return {Tensor2<float>(5, 4), Tensor2<float>(6, 4), Tensor1<float>(4)};
}
inline BahdanauAttention<float> bahdanau() {
  return BahdanauAttention<float>(4, Tensor3<float>(3, 7, 5), {}, bahdanau_weights());
}
inline auto wrapper() { return AttentionWrapper(gru(), bahdanau()); }

}  // namespace cf
