//! [`MyNumber`] (個人番号) and its [`check_digit`].

use core::fmt;

use zeroize::Zeroizing;

use crate::Error;

/// The check digit of the first 11 digits of a My Number; `None` unless given exactly 11 ASCII digits.
///
/// Number the digits P1..P11 from the right; Qn = n + 1 for n ≤ 6 and n − 5 above; r = Σ Pn·Qn mod 11;
/// the check digit is 0 when r ≤ 1, else 11 − r.
pub fn check_digit(first_eleven: &str) -> Option<u8> {
    let digits = first_eleven.as_bytes();
    if digits.len() != 11 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut values = [0u8; 11];
    for (v, d) in values.iter_mut().zip(digits) {
        *v = d - b'0';
    }
    Some(check_of_values(&values))
}

/// The check digit of eleven digit values (each 0–9).
fn check_of_values(values: &[u8; 11]) -> u8 {
    let sum: u32 = (1u32..)
        .zip(values.iter().rev())
        .map(|(n, d)| {
            let weight = if n <= 6 { n + 1 } else { n - 5 };
            u32::from(*d) * weight
        })
        .sum();
    match sum % 11 {
        0 | 1 => 0,
        // r is 2..=10 here, so 11 − r is a single digit.
        r => u8::try_from(11 - r).unwrap_or(0),
    }
}

/// A 12-digit My Number (個人番号), check digit verified.
///
/// The law restricts its use: it is zeroized on drop, `Debug` prints `MyNumber(REDACTED)`, there is
/// no `Display` and no serialization; [`MyNumber::expose`] hands out the digits deliberately.
#[derive(Clone, PartialEq, Eq)]
pub struct MyNumber(Zeroizing<[u8; 12]>);

impl MyNumber {
    /// Validates 12 ASCII digits whose last is the check digit of the other eleven.
    pub fn parse(digits: &str) -> Result<Self, Error> {
        let bytes = digits.as_bytes();
        if bytes.len() != 12 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(Error::MyNumberLength);
        }
        let mut out = Zeroizing::new([0u8; 12]);
        out.copy_from_slice(bytes);
        let mut values = Zeroizing::new([0u8; 11]);
        for (v, d) in values.iter_mut().zip(bytes) {
            *v = d - b'0';
        }
        if out[11] - b'0' != check_of_values(&values) {
            return Err(Error::MyNumberCheckDigit);
        }
        Ok(Self(out))
    }

    /// Completes 11 ASCII digits with their check digit.
    pub fn from_first_eleven(first: &str) -> Result<Self, Error> {
        let bytes = first.as_bytes();
        if bytes.len() != 11 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(Error::MyNumberLength);
        }
        let mut values = Zeroizing::new([0u8; 11]);
        for (v, d) in values.iter_mut().zip(bytes) {
            *v = d - b'0';
        }
        Ok(Self::from_digit_values(&values))
    }

    /// Completes eleven digit values with their check digit, each value taken modulo 10: for
    /// generating test numbers from random bytes.
    pub fn from_digit_values(values: &[u8; 11]) -> Self {
        let mut digits = Zeroizing::new([0u8; 11]);
        for (d, v) in digits.iter_mut().zip(values) {
            *d = v % 10;
        }
        let mut out = Zeroizing::new([0u8; 12]);
        for (o, d) in out.iter_mut().zip(digits.iter()) {
            *o = b'0' + d;
        }
        out[11] = b'0' + check_of_values(&digits);
        Self(out)
    }

    /// The 12 digits. Handle with care: the law restricts its use.
    pub fn expose(&self) -> &str {
        // Only ASCII digits are ever stored.
        core::str::from_utf8(&self.0[..]).unwrap_or_default()
    }

    /// The 12 digits: the same as [`MyNumber::expose`], under the name the virtual card's tests use.
    pub fn as_str(&self) -> &str {
        self.expose()
    }
}

impl fmt::Debug for MyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MyNumber(REDACTED)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        // Worked by hand: 12345678901, weights from the right 2..7 then 2..6: sum 212, r 3, check 8.
        assert_eq!(check_digit("12345678901"), Some(8));
        assert_eq!(check_digit("1234567890"), None);
        assert_eq!(check_digit("1234567890a"), None);
        assert_eq!(
            MyNumber::parse("123456789018").unwrap().expose(),
            "123456789018"
        );
        assert_eq!(
            MyNumber::parse("123456789019"),
            Err(Error::MyNumberCheckDigit)
        );
        assert_eq!(MyNumber::parse("12345678901"), Err(Error::MyNumberLength));
        assert_eq!(MyNumber::parse("1234567890188"), Err(Error::MyNumberLength));
        assert_eq!(
            MyNumber::from_first_eleven("12345678901").unwrap(),
            MyNumber::parse("123456789018").unwrap()
        );
        assert_eq!(
            MyNumber::from_digit_values(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]).expose(),
            "123456789018"
        );
        assert_eq!(
            format!("{:?}", MyNumber::parse("123456789018").unwrap()),
            "MyNumber(REDACTED)"
        );
    }

    proptest! {
        #[test]
        fn exactly_one_check_digit_fits(first in "[0-9]{11}") {
            let good = check_digit(&first).unwrap();
            prop_assert!(good <= 9);
            for d in 0..10u8 {
                let candidate = format!("{first}{d}");
                prop_assert_eq!(MyNumber::parse(&candidate).is_ok(), d == good);
            }
            let completed = MyNumber::from_first_eleven(&first).unwrap();
            prop_assert_eq!(completed.expose(), format!("{first}{good}"));
        }

        #[test]
        fn generated_numbers_are_valid(values in proptest::array::uniform11(any::<u8>())) {
            let n = MyNumber::from_digit_values(&values);
            prop_assert!(MyNumber::parse(n.expose()).is_ok());
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = MyNumber::parse(&s);
            let _ = MyNumber::from_first_eleven(&s);
            let _ = check_digit(&s);
        }
    }
}
