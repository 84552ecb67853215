// Runs a GRU under dynamic_rnn through seq2seq as a consumer sees it, and reads a weight file
// with seq2seq::io. Checks: a zero-length row outputs zeros and keeps its initial state, a full
// row does not, a safetensors round trip gives the stored value, and the GEMM backend is the
// one the package was configured with (SEQ2SEQ_CONSUMER_EXPECT_GEMM).
#include <cstdio>
#include <string>

#include <seq2seq/io/safetensors.hpp>
#include <seq2seq/seq2seq.hpp>

int main() {
  using namespace seq2seq;
  Tensor2<float> gk(5, 6), ck(5, 3);
  Tensor1<float> gb(6), cb(3);
  gk.setConstant(0.1f);
  ck.setConstant(0.2f);
  gb.setConstant(1.0f);
  cb.setConstant(0.0f);
  const GRUCell<float> cell(3, {gk, gb, ck, cb});
  Tensor3<float> x(2, 4, 2);
  x.setConstant(1.0f);
  Tensor2<float> init(2, 3);
  init.setConstant(0.5f);
  const auto [outputs, state] = dynamic_rnn(cell, x, {4, 0}, init);
  bool ok = outputs(1, 0, 0) == 0.0f && state(1, 2) == 0.5f && outputs(0, 3, 0) != 0.0f;

  const std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  std::string bytes(8, '\0');
  bytes[0] = static_cast<char>(header.size());
  const float value = 0.25f;
  bytes += header + std::string(reinterpret_cast<const char*>(&value), 4);
  ok = ok && io::SafetensorsFile::parse(bytes).scalar("w") == 0.25;

  const std::string expected = SEQ2SEQ_CONSUMER_EXPECT_GEMM;
  if (!expected.empty() && expected != gemm_backend()) {
    std::printf("consumer: GEMM backend %s, expected %s\n", gemm_backend(), expected.c_str());
    ok = false;
  }
  std::printf("consumer: %s (GEMM backend %s)\n", ok ? "ok" : "FAILED", gemm_backend());
  return ok ? 0 : 1;
}
