#![no_main]
//! Response decoding and the exchange loop over a transport that answers with fuzz data.

use kazasu_apdu::{
    Capabilities, Command, Exchange, Le, Response, Transport, TransportError, TransportErrorKind,
};
use libfuzzer_sys::fuzz_target;

struct Replay<'a> {
    chunks: core::slice::Split<'a, u8, fn(&u8) -> bool>,
}

impl Transport for Replay<'_> {
    fn transmit(&mut self, _command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.chunks
            .next()
            .map(<[u8]>::to_vec)
            .ok_or_else(|| TransportError::new(TransportErrorKind::CardRemoved, "end of input"))
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::extended(65_536)
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = Response::from_bytes(data) {
        assert_eq!(response.to_bytes(), data);
        let _ = response.sw().to_string();
    }
    // Responses separated by 0xFE drive the GET RESPONSE / 6Cxx loop.
    let sep: fn(&u8) -> bool = |b| *b == 0xFE;
    let mut exchange = Exchange::new(Replay { chunks: data.split(sep) }).with_response_limit(64 * 1024);
    if let Ok(le) = Le::new(256) {
        let _ = exchange.transmit(&Command::new(0, 0xB0, 0, 0).with_le(le));
    }
});
