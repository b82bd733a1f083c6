//! The command interpreter: one function per instruction, every failure a status word.

use kazasu_apdu::{Command, CommandData, LengthForm, Response, StatusWord as Sw};
use rsa::pkcs1v15::Pkcs1v15Sign;
use zeroize::Zeroizing;

use super::VirtualCard;
use super::fs::{Access, Ef};

fn status(sw: Sw) -> Response {
    Response::status(sw)
}

pub(super) fn process(card: &mut VirtualCard, bytes: &[u8]) -> Response {
    let Ok(cmd) = Command::from_bytes(bytes) else {
        card.session.pending.clear();
        return status(Sw::WRONG_LENGTH);
    };
    if cmd.form() == LengthForm::Extended && !card.config.extended_apdus {
        return status(Sw::WRONG_LENGTH);
    }
    let cla = cmd.cla();
    if cla & 0x03 != 0 {
        return status(Sw::CHANNEL_NOT_SUPPORTED);
    }
    if cla & 0x0C != 0 {
        return status(Sw::SECURE_MESSAGING_NOT_SUPPORTED);
    }
    if cmd.ins() != 0xC0 {
        card.session.pending.clear();
    }
    let le = cmd.le().map(|l| l.get() as usize);
    let response = match (cla & 0xF0, cmd.ins()) {
        (0x00, 0xA4) => select(card, &cmd),
        (0x00, 0xB0) => read_binary(card, &cmd),
        (0x00, 0x20) => verify(card, cmd),
        (0x00, 0x24) => change_reference_data(card, cmd),
        (0x80, 0x2A) => compute_signature(card, &cmd),
        (0x00, 0xC0) => return get_response(card, &cmd),
        (0x00 | 0x80, _) => status(Sw::INS_NOT_SUPPORTED),
        _ => status(Sw::CLA_NOT_SUPPORTED),
    };
    chunk(card, response, le)
}

/// Splits long answers behind `61xx` when the card is configured T=0 style.
fn chunk(card: &mut VirtualCard, response: Response, le: Option<usize>) -> Response {
    let Some(limit) = card.config.response_chunk else {
        return response;
    };
    let limit = limit.clamp(1, 256).min(le.unwrap_or(256));
    if response.data().len() <= limit || !response.is_success() {
        return response;
    }
    let mut data = response.into_data();
    card.session.pending = data.split_off(limit);
    Response::new(data, more_data(card.session.pending.len()))
}

fn more_data(remaining: usize) -> Sw {
    // SW2 = 00 announces 256 or more.
    Sw::from_bytes(0x61, u8::try_from(remaining).unwrap_or(0))
}

fn get_response(card: &mut VirtualCard, cmd: &Command) -> Response {
    if cmd.p1() != 0 || cmd.p2() != 0 {
        return status(Sw::WRONG_P1P2);
    }
    if card.session.pending.is_empty() {
        return status(Sw::CONDITIONS_NOT_SATISFIED);
    }
    let want = cmd.le().map_or(256, |l| l.get() as usize);
    let n = want.min(card.session.pending.len());
    let rest = card.session.pending.split_off(n);
    let data = std::mem::replace(&mut card.session.pending, rest);
    let sw = if card.session.pending.is_empty() {
        Sw::OK
    } else {
        more_data(card.session.pending.len())
    };
    Response::new(data, sw)
}

fn select(card: &mut VirtualCard, cmd: &Command) -> Response {
    let data = cmd.data().as_bytes();
    match (cmd.p1(), cmd.p2()) {
        (0x04, 0x0C) => {
            if data.is_empty() {
                return status(Sw::WRONG_LENGTH);
            }
            match card.apps.iter().position(|a| a.aid == data) {
                Some(i) => {
                    card.session.app = Some(i);
                    card.session.ef = None;
                    status(Sw::OK)
                }
                None => status(Sw::FILE_NOT_FOUND),
            }
        }
        (0x02, 0x0C) => {
            let [hi, lo] = data else {
                return status(Sw::WRONG_LENGTH);
            };
            let id = u16::from_be_bytes([*hi, *lo]);
            let Some(app) = card.session.app.and_then(|i| card.apps.get(i)) else {
                return status(Sw::FILE_NOT_FOUND);
            };
            if app.files.contains_key(&id) {
                card.session.ef = Some(id);
                status(Sw::OK)
            } else {
                status(Sw::FILE_NOT_FOUND)
            }
        }
        _ => status(Sw::WRONG_P1P2),
    }
}

fn opened(card: &VirtualCard, app: usize, access: &Access) -> bool {
    match access {
        Access::Free => true,
        Access::AnyOf(pins) => pins
            .iter()
            .any(|p| card.session.verified.contains(&(app, *p))),
    }
}

fn read_binary(card: &mut VirtualCard, cmd: &Command) -> Response {
    if !cmd.data().is_empty() {
        return status(Sw::WRONG_LENGTH);
    }
    let Some(le) = cmd.le() else {
        return status(Sw::WRONG_LENGTH);
    };
    let Some(app_index) = card.session.app else {
        return status(Sw::COMMAND_NOT_ALLOWED);
    };
    let (p1, p2) = (cmd.p1(), cmd.p2());
    let (id, offset) = if p1 & 0x80 != 0 {
        // Short EF identifier: selects and reads in one; offset limited to P2.
        let sfi = u16::from(p1 & 0x1F);
        if p1 & 0x60 != 0 || sfi == 0 {
            return status(Sw::WRONG_P1P2);
        }
        let exists = card
            .apps
            .get(app_index)
            .is_some_and(|a| a.files.contains_key(&sfi));
        if !exists {
            return status(Sw::FILE_NOT_FOUND);
        }
        card.session.ef = Some(sfi);
        (sfi, usize::from(p2))
    } else {
        let Some(id) = card.session.ef else {
            return status(Sw::COMMAND_NOT_ALLOWED);
        };
        (id, usize::from(u16::from_be_bytes([p1 & 0x7F, p2])))
    };
    let Some(ef) = card.apps.get(app_index).and_then(|a| a.files.get(&id)) else {
        return status(Sw::FILE_NOT_FOUND);
    };
    let Ef::Binary { data, read } = ef else {
        return status(Sw::INCOMPATIBLE_FILE);
    };
    if !opened(card, app_index, read) {
        return status(Sw::SECURITY_STATUS_NOT_SATISFIED);
    }
    if offset >= data.len() {
        return status(Sw::WRONG_PARAMETERS);
    }
    let want = le.get() as usize;
    let end = data.len().min(offset.saturating_add(want));
    let part = data.get(offset..end).unwrap_or_default().to_vec();
    // Le of all zeros asks for "as much as there is" (256 or 65536): a short answer is then normal.
    // A specific Le that runs past the end gets the ISO warning 6282.
    let maximum = want == 256 || want == 65_536;
    let sw = if part.len() < want && !maximum {
        Sw::END_OF_FILE
    } else {
        Sw::OK
    };
    Response::new(part, sw)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn sensitive(cmd: Command) -> Zeroizing<Vec<u8>> {
    match cmd.into_data() {
        CommandData::Plain(v) => Zeroizing::new(v),
        CommandData::Sensitive(v) => v,
    }
}

fn verify(card: &mut VirtualCard, cmd: Command) -> Response {
    if cmd.p1() != 0x00 || cmd.p2() != 0x80 {
        return status(Sw::WRONG_P1P2);
    }
    let (Some(app), Some(id)) = (card.session.app, card.session.ef) else {
        return status(Sw::COMMAND_NOT_ALLOWED);
    };
    let key = (app, id);
    let verified = card.session.verified.contains(&key);
    let Some(Ef::Pin(pin)) = card.apps.get_mut(app).and_then(|a| a.files.get_mut(&id)) else {
        return status(Sw::COMMAND_NOT_ALLOWED);
    };
    let offered = sensitive(cmd);
    if pin.tries_left == 0 {
        return status(Sw::REFERENCE_DATA_NOT_USABLE);
    }
    if offered.is_empty() {
        // Reading the counter never spends a try.
        return status(if verified {
            Sw::OK
        } else {
            Sw::retries_left(pin.tries_left)
        });
    }
    if constant_time_eq(&offered, &pin.value) {
        pin.tries_left = pin.max_tries;
        card.session.verified.insert(key);
        status(Sw::OK)
    } else {
        pin.tries_left = pin.tries_left.saturating_sub(1);
        let left = pin.tries_left;
        card.session.verified.remove(&key);
        status(Sw::retries_left(left))
    }
}

fn change_reference_data(card: &mut VirtualCard, cmd: Command) -> Response {
    if cmd.p1() != 0x01 || cmd.p2() != 0x80 {
        return status(Sw::WRONG_P1P2);
    }
    let (Some(app), Some(id)) = (card.session.app, card.session.ef) else {
        return status(Sw::COMMAND_NOT_ALLOWED);
    };
    let verified = card.session.verified.contains(&(app, id));
    let Some(Ef::Pin(pin)) = card.apps.get_mut(app).and_then(|a| a.files.get_mut(&id)) else {
        return status(Sw::COMMAND_NOT_ALLOWED);
    };
    let new = sensitive(cmd);
    if pin.tries_left == 0 {
        return status(Sw::REFERENCE_DATA_NOT_USABLE);
    }
    if !verified {
        return status(Sw::SECURITY_STATUS_NOT_SATISFIED);
    }
    if new.is_empty() {
        return status(Sw::WRONG_LENGTH);
    }
    if pin.format == super::fs::PinFormat::Fixed {
        return status(Sw::CONDITIONS_NOT_SATISFIED);
    }
    if !pin.format.accepts(&new) {
        return status(Sw::WRONG_DATA);
    }
    pin.value = new;
    pin.tries_left = pin.max_tries;
    status(Sw::OK)
}

fn compute_signature(card: &mut VirtualCard, cmd: &Command) -> Response {
    if cmd.p1() != 0x00 || cmd.p2() != 0x80 {
        return status(Sw::WRONG_P1P2);
    }
    let (Some(app), Some(id)) = (card.session.app, card.session.ef) else {
        return status(Sw::COMMAND_NOT_ALLOWED);
    };
    let Some(ef) = card.apps.get(app).and_then(|a| a.files.get(&id)) else {
        return status(Sw::COMMAND_NOT_ALLOWED);
    };
    let Ef::Key { key, usable } = ef else {
        return status(Sw::INCOMPATIBLE_FILE);
    };
    if !opened(card, app, usable) {
        return status(Sw::SECURITY_STATUS_NOT_SATISFIED);
    }
    let digest_info = cmd.data().as_bytes();
    if digest_info.is_empty() {
        return status(Sw::WRONG_LENGTH);
    }
    if cmd.le().is_some_and(|le| le.get() < 256) {
        return status(Sw::from_bytes(0x6C, 0x00));
    }
    match key.sign(Pkcs1v15Sign::new_unprefixed(), digest_info) {
        Ok(signature) => Response::new(signature, Sw::OK),
        Err(_) => status(Sw::WRONG_LENGTH),
    }
}
