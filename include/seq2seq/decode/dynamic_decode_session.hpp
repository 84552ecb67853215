// DynamicDecodeSession: dynamic_decode called again and again (a server's decoder) without
// allocating.
#pragma once

#include <type_traits>
#include <utility>

#include <seq2seq/decode/dynamic_decode.hpp>

namespace seq2seq {

namespace detail {

template <class D>
struct is_decoder : std::false_type {};
template <class Cell, class Helper>
struct is_decoder<BasicDecoder<Cell, Helper>> : std::true_type {};
template <class Cell>
struct is_decoder<BeamSearchDecoder<Cell>> : std::true_type {};

// dynamic_decode's result type, named only for decoders (so that a session of anything else
// fails with the session's own message alone).
template <class D, bool = is_decoder<D>::value>
struct decode_result {
  using type = int;
};
template <class D>
struct decode_result<D, true> {
  using type = decltype(dynamic_decode(std::declval<const D&>()));
};

}  // namespace detail

/// Everything dynamic_decode works in, kept from one call to the next: the decoder's Step
/// (inputs, state, workspaces, the kept step outputs), the stacked outputs, the final state and
/// lengths. `run(decoder, options)` computes exactly what `dynamic_decode(decoder, options)`
/// does (TensorFlow's outputs, state and lengths) for a BasicDecoder or a BeamSearchDecoder;
/// once the session has run a decode of the same sizes (batch, beams, steps run, memory time),
/// a call at one thread allocates nothing, alignment_history included (the session keeps the
/// room its decoders reserve and returns the history trimmed to the steps run, as TF does).
///
///     seq2seq::DynamicDecodeSession<decltype(decoder)> session;
///     for (;;) {
///       const auto& r = session.run(decoder, options);  // valid until the next run
///       use(r.outputs.sample_id, r.final_sequence_lengths);
///     }
///
/// The decoder is taken per call, not owned: a server builds one per request (over the
/// request's memory) and the session keeps the buffers. Not thread-safe: one session per thread.
template <class DecoderType>
class DynamicDecodeSession {
 public:
  /// BasicDecoder<Cell, Helper> or BeamSearchDecoder<Cell> (a const one names the same).
  using Decoder = std::remove_cv_t<DecoderType>;
  static_assert(detail::is_decoder<Decoder>::value,
                "DynamicDecodeSession<Decoder>: Decoder must be a BasicDecoder<Cell, Helper> or a "
                "BeamSearchDecoder<Cell> (e.g. DynamicDecodeSession<decltype(decoder)>)");
  /// What dynamic_decode(decoder, options) returns for this Decoder: a DynamicDecodeResult.
  using result_type = typename detail::decode_result<Decoder>::type;

  /// dynamic_decode(decoder, options) into the session's own result: its outputs, final state
  /// and lengths stay valid until the next call of `run` (copy them to keep them). Throws
  /// seq2seq::Error as dynamic_decode does; the session stays usable.
  const result_type& run(const Decoder& decoder, const DynamicDecodeOptions& options = {}) {
    detail::run_dynamic_decode(decoder, options, buffers_, result_);
    // A copy (both keep their buffers), alignment_history trimmed to the steps run.
    detail::copy_final_state(buffers_.step.state, result_.final_state);
    return result_;
  }

 private:
  std::conditional_t<detail::is_decoder<Decoder>::value, detail::DynamicDecodeBuffers<Decoder>,
                     int>
      buffers_;
  result_type result_;
};

}  // namespace seq2seq
