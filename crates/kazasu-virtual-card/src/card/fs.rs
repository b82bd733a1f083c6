//! The card's file system: applications, elementary files, PINs and keys, with their access rules.

use std::collections::BTreeMap;
use std::fmt;

use rsa::PrivateKey;
use zeroize::Zeroizing;

/// What opens an EF for reading or a key for use.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) enum Access {
    /// Anyone.
    Free,
    /// Any one of these PIN EFs (of the same application) verified.
    AnyOf(Vec<u16>),
}

/// Which values a PIN EF accepts, for CHANGE REFERENCE DATA.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum PinFormat {
    /// Exactly `n` ASCII digits.
    Digits(usize),
    /// Between `min` and `max` ASCII digits (the HPKI card's 4–8 digit PIN).
    DigitRange(usize, usize),
    /// 6–16 of `A–Z0–9`.
    SignPassword,
    /// A verification code (照合番号): fixed value, never changed.
    Fixed,
}

impl PinFormat {
    pub(crate) fn accepts(self, value: &[u8]) -> bool {
        match self {
            PinFormat::Digits(n) => value.len() == n && value.iter().all(u8::is_ascii_digit),
            PinFormat::DigitRange(min, max) => {
                (min..=max).contains(&value.len()) && value.iter().all(u8::is_ascii_digit)
            }
            PinFormat::SignPassword => {
                (6..=16).contains(&value.len())
                    && value
                        .iter()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            }
            PinFormat::Fixed => false,
        }
    }
}

/// A PIN or verification-code EF with its retry counter.
pub(crate) struct Pin {
    pub(crate) value: Zeroizing<Vec<u8>>,
    pub(crate) max_tries: u8,
    pub(crate) tries_left: u8,
    pub(crate) format: PinFormat,
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pin")
            .field("value", &"REDACTED")
            .field("tries_left", &self.tries_left)
            .field("max_tries", &self.max_tries)
            .finish()
    }
}

impl Pin {
    pub(crate) fn new(value: &[u8], max_tries: u8, format: PinFormat) -> Self {
        Self {
            value: Zeroizing::new(value.to_vec()),
            max_tries,
            tries_left: max_tries,
            format,
        }
    }

    /// A key that is blocked from issue on (no value opens it).
    pub(crate) fn blocked(max_tries: u8) -> Self {
        Self {
            value: Zeroizing::new(Vec::new()),
            max_tries,
            tries_left: 0,
            format: PinFormat::Fixed,
        }
    }
}

/// An elementary file.
pub(crate) enum Ef {
    /// A transparent file: the physical bytes (data and filler) and who may read them.
    Binary { data: Vec<u8>, read: Access },
    /// A PIN or verification code.
    Pin(Pin),
    /// A PIN held by the card and shared between applications (index into the card's shared PINs):
    /// one value and one counter, seen under the same id in several APs.
    SharedPin(usize),
    /// A record file: records 1, 2, … and who may read them.
    Records { records: Vec<Vec<u8>>, read: Access },
    /// A private key and what opens it.
    Key {
        key: Box<PrivateKey>,
        usable: Access,
    },
}

impl fmt::Debug for Ef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ef::Binary { data, read } => write!(f, "Binary({} bytes, {read:?})", data.len()),
            Ef::Pin(p) => p.fmt(f),
            Ef::SharedPin(i) => write!(f, "SharedPin({i})"),
            Ef::Records { records, read } => write!(f, "Records({}, {read:?})", records.len()),
            Ef::Key { usable, .. } => write!(f, "Key(REDACTED, {usable:?})"),
        }
    }
}

/// An application (DF selected by name) and its files.
pub(crate) struct Application {
    pub(crate) aid: Vec<u8>,
    pub(crate) files: BTreeMap<u16, Ef>,
    /// The key `80 2A 00 00` uses when no key EF is selected (the chip key of the card-face APs).
    pub(crate) default_key: Option<u16>,
    /// The private key behind the secure-messaging key file (券面事項入力補助AP only).
    pub(crate) sm_key: Option<Box<PrivateKey>>,
    /// VERIFY and CHANGE REFERENCE DATA name the selected PIN EF with P2 `88` (the HPKI APs) instead
    /// of `80`/`80|id`.
    pub(crate) p2_88: bool,
}

impl fmt::Debug for Application {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Application")
            .field("aid", &hex::encode_upper(&self.aid))
            .field("files", &self.files)
            .field("default_key", &self.default_key)
            .field("secure_messaging", &self.sm_key.is_some())
            .finish()
    }
}

impl Application {
    pub(crate) fn new(aid: &[u8]) -> Self {
        Self {
            aid: aid.to_vec(),
            files: BTreeMap::new(),
            default_key: None,
            sm_key: None,
            p2_88: false,
        }
    }

    pub(crate) fn records(&mut self, id: u16, records: Vec<Vec<u8>>, read: Access) -> &mut Self {
        self.files.insert(id, Ef::Records { records, read });
        self
    }

    pub(crate) fn shared_pin(&mut self, id: u16, index: usize) -> &mut Self {
        self.files.insert(id, Ef::SharedPin(index));
        self
    }

    pub(crate) fn binary(&mut self, id: u16, data: Vec<u8>, read: Access) -> &mut Self {
        self.files.insert(id, Ef::Binary { data, read });
        self
    }

    pub(crate) fn pin(&mut self, id: u16, pin: Pin) -> &mut Self {
        self.files.insert(id, Ef::Pin(pin));
        self
    }

    pub(crate) fn key(&mut self, id: u16, key: PrivateKey, usable: Access) -> &mut Self {
        self.files.insert(
            id,
            Ef::Key {
                key: Box::new(key),
                usable,
            },
        );
        self
    }
}

/// Appends filler so the EF is longer than its data, as on a real card.
pub(crate) fn with_filler(mut data: Vec<u8>, fill: u8, extra: usize) -> Vec<u8> {
    data.extend(std::iter::repeat_n(fill, extra));
    data
}
