//! Noticing that a command presents a PIN, so the connection can power the card down when it ends.

/// Whether a command presents a PIN: VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER or JICSAP
/// CHANGE KEY (`80 32`) with command data (6 bytes or more), in clear or under secure messaging.
/// An empty VERIFY only reads the retry counter. `FF` is the class of reader pseudo-APDUs.
pub(crate) fn presents_pin(command: &[u8]) -> bool {
    match command {
        [cla, ins, _, _, _, _, ..] if *cla != 0xFF => {
            matches!(ins, 0x20 | 0x21 | 0x24 | 0x2C) || (*cla == 0x80 && *ins == 0x32)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_commands_are_noticed() {
        // VERIFY "1234" on the current EF.
        assert!(presents_pin(&[
            0x00, 0x20, 0x00, 0x80, 0x04, 0x31, 0x32, 0x33, 0x34
        ]));
        // CHANGE REFERENCE DATA, RESET RETRY COUNTER.
        assert!(presents_pin(&[0x00, 0x24, 0x01, 0x80, 0x01, 0x31]));
        assert!(presents_pin(&[0x00, 0x2C, 0x00, 0x80, 0x01, 0x31]));
        // JICSAP CHANGE KEY, and VERIFY under secure messaging (class 08).
        assert!(presents_pin(&[0x80, 0x32, 0x00, 0x91, 0x01, 0x31]));
        assert!(presents_pin(&[0x08, 0x20, 0x00, 0x95, 0x13, 0x86]));
        // An empty VERIFY only reads the tries left.
        assert!(!presents_pin(&[0x00, 0x20, 0x00, 0x80]));
        assert!(!presents_pin(&[0x00, 0x20, 0x00, 0x80, 0x00]));
        // READ BINARY, and a reader pseudo-APDU.
        assert!(!presents_pin(&[0x00, 0xB0, 0x00, 0x00, 0x00]));
        assert!(!presents_pin(&[0xFF, 0x20, 0x00, 0x00, 0x01, 0x00]));
    }
}
