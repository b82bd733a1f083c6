//! The My Number (個人番号) and its check digit.

use std::fmt;

use zeroize::Zeroizing;

/// The check digit of the first 11 digits of a My Number; `None` unless given exactly 11 ASCII digits.
///
/// Number the digits P1..P11 from the right; Qn = n + 1 for n ≤ 6 and n − 5 above; r = Σ Pn·Qn mod 11;
/// the check digit is 0 when r ≤ 1, else 11 − r.
pub fn check_digit(first_eleven: &str) -> Option<u8> {
    let digits = first_eleven.as_bytes();
    if digits.len() != 11 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut sum = 0u32;
    for (n, d) in (1u32..).zip(digits.iter().rev()) {
        let weight = if n <= 6 { n + 1 } else { n - 5 };
        sum += u32::from(d - b'0') * weight;
    }
    match sum % 11 {
        0 | 1 => Some(0),
        r => u8::try_from(11 - r).ok(),
    }
}

/// A 12-digit My Number read from the card, check digit verified. Zeroized on drop; `Debug` masks it.
#[derive(Clone, PartialEq, Eq)]
pub struct MyNumber(Zeroizing<String>);

impl MyNumber {
    /// Validates 12 digits with the right check digit.
    pub fn parse(digits: &str) -> Option<Self> {
        let (first, last) = (digits.get(..11)?, digits.get(11..)?);
        let ok = digits.len() == 12
            && check_digit(first).map(|d| d.to_string()).as_deref() == Some(last);
        ok.then(|| Self(Zeroizing::new(digits.to_owned())))
    }

    /// The 12 digits. Handle with care: the law restricts its use.
    pub fn expose(&self) -> &str {
        &self.0
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
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        assert_eq!(check_digit("12345678901"), Some(8));
        assert!(MyNumber::parse("123456789018").is_some());
        assert!(MyNumber::parse("123456789019").is_none());
        assert!(MyNumber::parse("12345678901").is_none());
        assert!(MyNumber::parse("1234567890188").is_none());
        assert_eq!(
            format!("{:?}", MyNumber::parse("123456789018").unwrap()),
            "MyNumber(REDACTED)"
        );
    }

    proptest! {
        #[test]
        fn exactly_one_check_digit_fits(first in "[0-9]{11}") {
            let good = check_digit(&first).unwrap();
            for d in 0..10u8 {
                let candidate = format!("{first}{d}");
                prop_assert_eq!(MyNumber::parse(&candidate).is_some(), d == good);
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = MyNumber::parse(&s);
            let _ = check_digit(&s);
        }
    }
}
