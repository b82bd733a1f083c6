//! Object identifiers of the JPKI and HPKI certificate profiles, and of the hashes they sign with.
//!
//! JPKI's arc is `1.2.392.200149.8.5`: certificate policies under `.1`, the signature certificate's
//! personal data (`subjectAltName` `otherName`s, each a `UTF8String`) under `.5`.
//!
//! HPKI (healthcare PKI, MHLW) has its policies under `1.2.392.100495.1.5` and its roles in the ISO 17090
//! `hcRole` attribute with the Japanese coding scheme `1.2.392.100495.1.6.1.1`.

use const_oid::ObjectIdentifier;

/// 利用者証明用 (authentication) certificate policy, `1.2.392.200149.8.5.1.3.30`.
pub const JPKI_AUTH_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.1.3.30");
/// 署名用 (signature) certificate policy, `1.2.392.200149.8.5.1.1.20`.
pub const JPKI_SIGN_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.1.1.20");

/// otherName arc of the signature certificate's personal data, `1.2.392.200149.8.5.5`.
pub const JPKI_OTHER_NAME_ARC: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5");
/// otherName `.1`: name (氏名).
pub const JPKI_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.1");
/// otherName `.2`: name substitute characters (氏名代替文字).
pub const JPKI_NAME_SUBSTITUTE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.2");
/// otherName `.3`: sex (性別, ISO 5218 digit).
pub const JPKI_SEX: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.3");
/// otherName `.4`: date of birth (生年月日, `EYYYYMMDD`).
pub const JPKI_BIRTH_DATE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.4");
/// otherName `.5`: address (住所).
pub const JPKI_ADDRESS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.5");
/// otherName `.6`: address substitute characters (住所代替文字).
pub const JPKI_ADDRESS_SUBSTITUTE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.6");

/// The six personal-data otherNames in arc order: name, name substitute, sex, birth date,
/// address, address substitute.
pub const JPKI_PERSONAL_DATA: [ObjectIdentifier; 6] = [
    JPKI_NAME,
    JPKI_NAME_SUBSTITUTE,
    JPKI_SEX,
    JPKI_BIRTH_DATE,
    JPKI_ADDRESS,
    JPKI_ADDRESS_SUBSTITUTE,
];

/// `anyPolicy` (RFC 5280 §4.2.1.4): what [`crate::Purpose::policy`] answers for purposes that
/// require no certificate policy (time-stamping, OCSP signing).
pub const ANY_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.32.0");
/// HPKI certificate policy arc, `1.2.392.100495.1.5`: every HPKI CA and holder certificate policy
/// sits under it (e.g. `1.2.392.100495.1.5.1.1.0.1` on a holder's signature certificate).
pub const HPKI_POLICY_ARC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.100495.1.5");
/// ISO 17090 `hcRole` attribute type, `1.0.17090.0.1` (inside subjectDirectoryAttributes).
pub const HC_ROLE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.0.17090.0.1");
/// The Japanese hcRole coding scheme, `1.2.392.100495.1.6.1.1` (codingSchemeReference).
pub const HPKI_ROLE_CODING_SCHEME: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.100495.1.6.1.1");

/// Whether `oid` lies strictly under `arc` (whole arcs compared, so `1.2.3` is not under `1.2.30`).
pub fn is_under(oid: &ObjectIdentifier, arc: &ObjectIdentifier) -> bool {
    let (mut o, mut a) = (oid.arcs(), arc.arcs());
    loop {
        match (a.next(), o.next()) {
            (None, next) => return next.is_some(),
            (Some(x), Some(y)) if x == y => {}
            _ => return false,
        }
    }
}

/// `id-sha256`, `2.16.840.1.101.3.4.2.1`.
pub const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// `id-sha384`, `2.16.840.1.101.3.4.2.2`.
pub const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
/// `id-sha512`, `2.16.840.1.101.3.4.2.3`.
pub const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_arcs_are_one_to_six_under_the_arc() {
        for (i, o) in JPKI_PERSONAL_DATA.iter().enumerate() {
            assert_eq!(o.parent(), Some(JPKI_OTHER_NAME_ARC));
            assert_eq!(o.arcs().last(), u32::try_from(i + 1).ok());
        }
    }
}
