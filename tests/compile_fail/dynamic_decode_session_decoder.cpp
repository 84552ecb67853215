// A decode session of something that is not a decoder (the cell instead of its BasicDecoder).
// expect: DynamicDecodeSession<Decoder>: Decoder must be a BasicDecoder<Cell, Helper> or a BeamSearchDecoder<Cell> (e.g. DynamicDecodeSession<decltype(decoder)>)
#include "common.hpp"
void f() {
  cf::DynamicDecodeSession<cf::GRUCell<float>> session;
  (void)session;
}
