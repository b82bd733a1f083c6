//! The command interpreter: one function per instruction, every failure a status word.

use kazasu_apdu::{Command, CommandData, LengthForm, Response, StatusWord as Sw};
use rsa::oaep::Oaep;
use rsa::pkcs1v15::Pkcs1v15Sign;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::fs::{Access, Ef, Pin, PinFormat};
use super::sm::{self, SmCommand, SmError};
use super::{Application, VirtualCard};

fn status(sw: Sw) -> Response {
    Response::status(sw)
}

/// `6988`: wrong secure-messaging data objects.
const SM_WRONG_OBJECTS: Sw = Sw::new(0x6988);
/// `6987`: expected secure-messaging data objects missing.
const SM_OBJECTS_MISSING: Sw = Sw::new(0x6987);
/// `69FC`: the secure-messaging session is dead.
const SM_SESSION_DEAD: Sw = Sw::new(0x69FC);

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
    if cmd.ins() != 0xC0 {
        card.session.pending.clear();
    }
    let le = cmd.le().map(|l| l.get() as usize);
    if cla & 0x0C != 0 {
        let sm_app = current_app(card).is_some_and(|a| a.sm_key.is_some());
        let response = match cla {
            sm::SM_CLASS if sm_app => secure(card, &cmd),
            0x0C if sm_app => status(SM_OBJECTS_MISSING),
            _ => status(Sw::SECURE_MESSAGING_NOT_SUPPORTED),
        };
        return chunk(card, response, le);
    }
    let response = match (cla & 0xF0, cmd.ins()) {
        (0x00, 0xA4) => select(card, &cmd),
        (0x00, 0xB0) => read_binary(card, &cmd),
        (0x00, 0xB2) => read_record(card, &cmd),
        (0x00, 0x20) => verify(card, cmd),
        (0x00, 0x24) => change_reference_data(card, cmd),
        (0x00, 0x84) => get_challenge(card, &cmd),
        (0x00, 0xCA) => get_data(card, &cmd),
        (0x80, 0x2A) => compute_signature(card, &cmd),
        (0x80, 0x32) => change_key(card, cmd),
        (0x80, 0xAE) => key_exchange(card, &cmd),
        (0x00, 0xC0) => return get_response(card, &cmd),
        (0x00 | 0x80, _) => status(Sw::INS_NOT_SUPPORTED),
        _ => status(Sw::CLA_NOT_SUPPORTED),
    };
    chunk(card, response, le)
}

fn current_app(card: &VirtualCard) -> Option<&Application> {
    card.session.app.and_then(|i| card.apps.get(i))
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
            // Any SELECT by name ends secure messaging, found or not.
            card.session.sm = sm::State::Closed;
            match card.apps.iter().position(|a| a.aid == data) {
                Some(i) => {
                    // Selecting an AP clears the security status of every other AP.
                    card.session.verified.retain(|(app, _)| *app == i);
                    card.session.app = Some(i);
                    card.session.ef = None;
                    status(Sw::OK)
                }
                None => status(Sw::FILE_NOT_FOUND),
            }
        }
        (0x00, 0x0C) => {
            // The master file: `00 A4 00 0C` (ISO "select MF") or with `3F 00`.
            if !data.is_empty() && data != [0x3F, 0x00] {
                return status(Sw::FILE_NOT_FOUND);
            }
            card.session.sm = sm::State::Closed;
            card.session.verified.clear();
            card.session.app = None;
            card.session.ef = None;
            status(Sw::OK)
        }
        (0x02, 0x0C) => {
            let [hi, lo] = data else {
                return status(Sw::WRONG_LENGTH);
            };
            select_ef(card, u16::from_be_bytes([*hi, *lo]))
        }
        _ => status(Sw::WRONG_P1P2),
    }
}

fn select_ef(card: &mut VirtualCard, id: u16) -> Response {
    let Some(app) = current_app(card) else {
        return status(Sw::FILE_NOT_FOUND);
    };
    if app.files.contains_key(&id) {
        card.session.ef = Some(id);
        status(Sw::OK)
    } else {
        status(Sw::FILE_NOT_FOUND)
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

/// The EF a P2 of `80` (the selected EF) or `80|id` (named, id 1–31) refers to.
fn referenced_ef(card: &VirtualCard, p2: u8) -> Result<u16, Sw> {
    if p2 & 0x80 == 0 || p2 & 0x60 != 0 {
        return Err(Sw::WRONG_P1P2);
    }
    match p2 & 0x1F {
        0 => card.session.ef.ok_or(Sw::COMMAND_NOT_ALLOWED),
        id => Ok(u16::from(id)),
    }
}

fn read_binary(card: &mut VirtualCard, cmd: &Command) -> Response {
    if !cmd.data().is_empty() {
        return status(Sw::WRONG_LENGTH);
    }
    let Some(le) = cmd.le() else {
        return status(Sw::WRONG_LENGTH);
    };
    let want = le.get() as usize;
    // Le of all zeros asks for "as much as there is" (256 or 65536): a short answer is then normal.
    let maximum = want == 256 || want == 65_536;
    match read_bytes(card, cmd.p1(), cmd.p2(), want, maximum) {
        Ok((data, sw)) => Response::new(data, sw),
        Err(sw) => status(sw),
    }
}

/// READ BINARY's work: `want` bytes at the offset P1P2 (or of short EF id `80|id` in P1, offset P2).
/// A specific `want` that runs past the end gets the ISO warning `6282`.
fn read_bytes(
    card: &mut VirtualCard,
    p1: u8,
    p2: u8,
    want: usize,
    maximum: bool,
) -> Result<(Vec<u8>, Sw), Sw> {
    let app_index = card.session.app.ok_or(Sw::COMMAND_NOT_ALLOWED)?;
    let (id, offset) = if p1 & 0x80 != 0 {
        // Short EF identifier: selects and reads in one; offset limited to P2.
        let sfi = u16::from(p1 & 0x1F);
        if p1 & 0x60 != 0 || sfi == 0 {
            return Err(Sw::WRONG_P1P2);
        }
        let exists = card
            .apps
            .get(app_index)
            .is_some_and(|a| a.files.contains_key(&sfi));
        if !exists {
            return Err(Sw::FILE_NOT_FOUND);
        }
        card.session.ef = Some(sfi);
        (sfi, usize::from(p2))
    } else {
        let id = card.session.ef.ok_or(Sw::COMMAND_NOT_ALLOWED)?;
        (id, usize::from(u16::from_be_bytes([p1 & 0x7F, p2])))
    };
    let ef = card
        .apps
        .get(app_index)
        .and_then(|a| a.files.get(&id))
        .ok_or(Sw::FILE_NOT_FOUND)?;
    let Ef::Binary { data, read } = ef else {
        return Err(Sw::INCOMPATIBLE_FILE);
    };
    if !opened(card, app_index, read) {
        return Err(Sw::SECURITY_STATUS_NOT_SATISFIED);
    }
    if offset >= data.len() {
        return Err(Sw::WRONG_PARAMETERS);
    }
    let end = data.len().min(offset.saturating_add(want));
    let part = data.get(offset..end).unwrap_or_default().to_vec();
    let sw = if part.len() < want && !maximum {
        Sw::END_OF_FILE
    } else {
        Sw::OK
    };
    Ok((part, sw))
}

fn read_record(card: &mut VirtualCard, cmd: &Command) -> Response {
    if !cmd.data().is_empty() {
        return status(Sw::WRONG_LENGTH);
    }
    let Some(le) = cmd.le() else {
        return status(Sw::WRONG_LENGTH);
    };
    let Some(app_index) = card.session.app else {
        return status(Sw::COMMAND_NOT_ALLOWED);
    };
    let (number, p2) = (cmd.p1(), cmd.p2());
    // Only "record number in P1" (P2 low bits 100); the EF is the current one (SFI 0) or a short id.
    if number == 0 || p2 & 0x07 != 0x04 {
        return status(Sw::WRONG_P1P2);
    }
    let id = match p2 >> 3 {
        0 => match card.session.ef {
            Some(id) => id,
            None => return status(Sw::COMMAND_NOT_ALLOWED),
        },
        sfi => u16::from(sfi),
    };
    let Some(ef) = card.apps.get(app_index).and_then(|a| a.files.get(&id)) else {
        return status(Sw::FILE_NOT_FOUND);
    };
    let Ef::Records { records, read } = ef else {
        return status(Sw::INCOMPATIBLE_FILE);
    };
    if !opened(card, app_index, read) {
        return status(Sw::SECURITY_STATUS_NOT_SATISFIED);
    }
    let Some(record) = records.get(usize::from(number) - 1) else {
        return status(Sw::new(0x6A83));
    };
    let want = le.get() as usize;
    if want < record.len() && want != 256 && want != 65_536 {
        return status(Sw::from_bytes(
            0x6C,
            u8::try_from(record.len()).unwrap_or(0),
        ));
    }
    let record = record.clone();
    card.session.ef = Some(id);
    Response::new(record, Sw::OK)
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

/// The PIN object behind key `id` of application `app`: its own, or the card's shared one.
fn pin_mut<'a>(
    apps: &'a mut [Application],
    shared: &'a mut [Pin],
    app: usize,
    id: u16,
) -> Option<&'a mut Pin> {
    match apps.get_mut(app)?.files.get_mut(&id)? {
        Ef::Pin(pin) => Some(pin),
        Ef::SharedPin(i) => shared.get_mut(*i),
        _ => None,
    }
}

/// The PIN EF a VERIFY or CHANGE REFERENCE DATA names: `80`/`80|id` on the JPKI-style APs, only
/// `88` (the selected EF) on the HPKI APs.
fn pin_reference(card: &VirtualCard, p2: u8) -> Result<u16, Sw> {
    if current_app(card).is_some_and(|a| a.p2_88) {
        return if p2 == 0x88 {
            card.session.ef.ok_or(Sw::COMMAND_NOT_ALLOWED)
        } else {
            Err(Sw::WRONG_P1P2)
        };
    }
    referenced_ef(card, p2)
}

fn verify(card: &mut VirtualCard, cmd: Command) -> Response {
    if cmd.p1() != 0x00 {
        return status(Sw::WRONG_P1P2);
    }
    let id = match pin_reference(card, cmd.p2()) {
        Ok(id) => id,
        Err(sw) => return status(sw),
    };
    let offered = sensitive(cmd);
    status(verify_key(card, id, &offered))
}

/// VERIFY of key `id` of the selected AP with `offered` (empty: read the counter).
fn verify_key(card: &mut VirtualCard, id: u16, offered: &[u8]) -> Sw {
    let Some(app) = card.session.app else {
        return Sw::COMMAND_NOT_ALLOWED;
    };
    let key = (app, id);
    let verified = card.session.verified.contains(&key);
    let Some(pin) = pin_mut(&mut card.apps, &mut card.shared_pins, app, id) else {
        return if card
            .apps
            .get(app)
            .is_some_and(|a| a.files.contains_key(&id))
        {
            Sw::COMMAND_NOT_ALLOWED
        } else {
            Sw::FILE_NOT_FOUND
        };
    };
    if pin.tries_left == 0 {
        return Sw::REFERENCE_DATA_NOT_USABLE;
    }
    if offered.is_empty() {
        // Reading the counter never spends a try.
        return if verified {
            Sw::OK
        } else {
            Sw::retries_left(pin.tries_left)
        };
    }
    if constant_time_eq(offered, &pin.value) {
        pin.tries_left = pin.max_tries;
        card.session.verified.insert(key);
        Sw::OK
    } else {
        pin.tries_left = pin.tries_left.saturating_sub(1);
        let left = pin.tries_left;
        card.session.verified.remove(&key);
        Sw::retries_left(left)
    }
}

fn change_reference_data(card: &mut VirtualCard, cmd: Command) -> Response {
    if cmd.p1() != 0x01 {
        return status(Sw::WRONG_P1P2);
    }
    change(card, cmd)
}

/// JICSAP CHANGE KEY: `80 32 00 (80|id) Lc <new PIN>`, after a VERIFY of the key.
fn change_key(card: &mut VirtualCard, cmd: Command) -> Response {
    if cmd.p1() != 0x00 {
        return status(Sw::WRONG_P1P2);
    }
    change(card, cmd)
}

fn change(card: &mut VirtualCard, cmd: Command) -> Response {
    let id = match pin_reference(card, cmd.p2()) {
        Ok(id) => id,
        Err(sw) => return status(sw),
    };
    let Some(app) = card.session.app else {
        return status(Sw::COMMAND_NOT_ALLOWED);
    };
    let verified = card.session.verified.contains(&(app, id));
    let new = sensitive(cmd);
    let Some(pin) = pin_mut(&mut card.apps, &mut card.shared_pins, app, id) else {
        return status(Sw::COMMAND_NOT_ALLOWED);
    };
    if pin.tries_left == 0 {
        return status(Sw::REFERENCE_DATA_NOT_USABLE);
    }
    if !verified {
        return status(Sw::SECURITY_STATUS_NOT_SATISFIED);
    }
    if new.is_empty() {
        return status(Sw::WRONG_LENGTH);
    }
    if pin.format == PinFormat::Fixed {
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
    // P1 00: the DigestInfo is given. The variants where the card hashes are not modelled.
    if cmd.p1() != 0x00 {
        return status(Sw::WRONG_P1P2);
    }
    let Some(app) = card.session.app else {
        return status(Sw::COMMAND_NOT_ALLOWED);
    };
    let id = if cmd.p2() == 0x00 {
        // The selected key EF, else the AP's chip key.
        let selected_key = card
            .session
            .ef
            .filter(|id| {
                card.apps
                    .get(app)
                    .and_then(|a| a.files.get(id))
                    .is_some_and(|ef| matches!(ef, Ef::Key { .. }))
            })
            .or_else(|| card.apps.get(app).and_then(|a| a.default_key));
        match selected_key {
            Some(id) => id,
            None => return status(Sw::COMMAND_NOT_ALLOWED),
        }
    } else {
        match referenced_ef(card, cmd.p2()) {
            Ok(id) => id,
            Err(sw) => return status(sw),
        }
    };
    let Some(ef) = card.apps.get(app).and_then(|a| a.files.get(&id)) else {
        return status(Sw::FILE_NOT_FOUND);
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

fn get_challenge(card: &mut VirtualCard, cmd: &Command) -> Response {
    if cmd.p1() != 0 || cmd.p2() != 0 {
        return status(Sw::WRONG_P1P2);
    }
    let Some(le) = cmd.le().map(|l| l.get() as usize) else {
        return status(Sw::WRONG_LENGTH);
    };
    if !cmd.data().is_empty() || le > 256 {
        return status(Sw::WRONG_LENGTH);
    }
    card.challenges += 1;
    let mut out = Vec::with_capacity(le + 32);
    let mut block: u32 = 0;
    while out.len() < le {
        let mut h = Sha256::new();
        h.update(b"kazasu virtual card challenge\0");
        h.update(card.challenge_seed.to_be_bytes());
        h.update(card.challenges.to_be_bytes());
        h.update(block.to_be_bytes());
        out.extend_from_slice(&h.finalize());
        block += 1;
    }
    out.truncate(le);
    Response::new(out, Sw::OK)
}

fn get_data(card: &mut VirtualCard, cmd: &Command) -> Response {
    if !cmd.data().is_empty() {
        return status(Sw::WRONG_LENGTH);
    }
    let tag = u16::from_be_bytes([cmd.p1(), cmd.p2()]);
    let Some(object) = card.get_data.get(&tag) else {
        return status(Sw::REFERENCED_DATA_NOT_FOUND);
    };
    // Too short a Le (or none) answers 6700: the terminal resends with extended Le.
    match cmd.le().map(|l| l.get() as usize) {
        Some(want) if want >= object.len() => Response::new(object.clone(), Sw::OK),
        _ => status(Sw::WRONG_LENGTH),
    }
}

/// `80 AE 00 00 00 01 00 <256 bytes>`: opens a secure-messaging session (see [`sm`]).
fn key_exchange(card: &mut VirtualCard, cmd: &Command) -> Response {
    // Any key exchange ends the current session first.
    card.session.sm = sm::State::Closed;
    let Some(key) = current_app(card).and_then(|a| a.sm_key.as_deref()) else {
        return status(Sw::INS_NOT_SUPPORTED);
    };
    if cmd.p1() != 0 || cmd.p2() != 0 {
        return status(Sw::WRONG_P1P2);
    }
    let cryptogram = cmd.data().as_bytes();
    if cryptogram.len() != 256 {
        return status(Sw::WRONG_LENGTH);
    }
    let Ok(plain) = key.decrypt(Oaep::<Sha256>::new(), cryptogram) else {
        return status(Sw::WRONG_DATA);
    };
    let plain = Zeroizing::new(plain);
    match sm::session_from_exchange(&plain) {
        Some(session) => {
            card.session.sm = sm::State::Open(session);
            status(Sw::OK)
        }
        None => status(Sw::WRONG_DATA),
    }
}

/// One class-`08` command in the 券面事項入力補助AP.
fn secure(card: &mut VirtualCard, cmd: &Command) -> Response {
    let (key, counter) = match &mut card.session.sm {
        sm::State::Closed => return status(Sw::SECURITY_STATUS_NOT_SATISFIED),
        sm::State::Dead => return status(SM_SESSION_DEAD),
        sm::State::Open(session) => {
            let n = session.counter;
            // The counter moves on every SM command, even a rejected one.
            session.counter = n.saturating_add(1);
            (session.key.clone(), n)
        }
    };
    let decoded = match sm::decode_command(cmd) {
        Ok(c) => c,
        Err(SmError::DataObject | SmError::Malformed | SmError::Class) => return kill(card),
        Err(SmError::Instruction) => return status(Sw::INS_NOT_SUPPORTED),
        Err(SmError::Parameters) => return status(Sw::WRONG_P1P2),
    };
    match decoded {
        SmCommand::Verify { p2, cryptogram } => {
            let id = match referenced_ef(card, p2) {
                Ok(id) => id,
                Err(sw) => return status(sw),
            };
            let pin = match cryptogram {
                None => Zeroizing::new(Vec::new()),
                Some(c) => match sm::decrypt(&key, counter, &c) {
                    Some(p) if !p.is_empty() => p,
                    _ => return kill(card),
                },
            };
            status(verify_key(card, id, &pin))
        }
        SmCommand::SelectEf { cryptogram } => match sm::decrypt(&key, counter, &cryptogram) {
            Some(fid) if fid.len() == 2 => select_ef(card, u16::from_be_bytes([fid[0], fid[1]])),
            _ => kill(card),
        },
        SmCommand::ReadBinary { p1, p2, length } => {
            let (want, maximum) = if length == 0 {
                (usize::MAX, true)
            } else {
                (usize::from(length), false)
            };
            match read_bytes(card, p1, p2, want, maximum) {
                Ok((data, sw)) => {
                    let cryptogram = sm::encrypt(&key, counter, &data);
                    Response::new(sm::cryptogram_response(&cryptogram), sw)
                }
                Err(sw) => status(sw),
            }
        }
    }
}

/// A bad SM command: `6988`, and the session is dead.
fn kill(card: &mut VirtualCard) -> Response {
    card.session.sm = sm::State::Dead;
    status(SM_WRONG_OBJECTS)
}
