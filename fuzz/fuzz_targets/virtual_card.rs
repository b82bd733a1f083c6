#![no_main]
//! Random APDU sequences against the virtual card: every input gets a status word, nothing panics.

use std::sync::{Mutex, OnceLock};

use kazasu_virtual_card::card::JPKI_AID;
use kazasu_virtual_card::{VirtualCard, VirtualCardBuilder};
use libfuzzer_sys::fuzz_target;

fn fresh() -> VirtualCard {
    VirtualCardBuilder::new(0)
        .response_chunk(Some(100))
        .build()
        .expect("the seed-0 card builds")
        .card
}

fn card() -> &'static Mutex<VirtualCard> {
    static CARD: OnceLock<Mutex<VirtualCard>> = OnceLock::new();
    CARD.get_or_init(|| Mutex::new(fresh()))
}

fuzz_target!(|data: &[u8]| {
    let mut card = card().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    // Each input starts from a powered-on card with nothing selected; retry counters carry over
    // until the auth PIN blocks, then a new card keeps the signing paths reachable.
    if card.tries_left(&JPKI_AID, 0x0018) == Some(0) {
        *card = fresh();
    }
    card.power_cycle();
    // Commands are separated by 0xA5 0x5A so sequences (SELECT, VERIFY, READ, …) can be explored.
    let mut rest = data;
    while !rest.is_empty() {
        let cut = rest.windows(2).position(|w| w == [0xA5, 0x5A]).unwrap_or(rest.len());
        let (apdu, tail) = rest.split_at(cut);
        let response = card.process(apdu);
        assert!(response.len() >= 2, "every command gets a status word");
        rest = tail.get(2..).unwrap_or_default();
    }
});
