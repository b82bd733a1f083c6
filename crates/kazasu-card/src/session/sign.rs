//! Signing with a key on the card.

use kazasu_apdu::{Command, Le, Transport};

use super::Session;
use super::status::expect_ok;
use crate::CardError;

impl<T: Transport> Session<T> {
    /// `80 2A 00 P2 Lc <data> 00` in the selected application: P2 = `80|id` names a key EF,
    /// `00` the application's own chip key. Returns the 256-byte signature.
    pub(crate) fn compute_signature(
        &mut self,
        aid: &[u8],
        p2: u8,
        digest_info: &[u8],
        operation: &'static str,
        needs: &'static str,
    ) -> Result<Vec<u8>, CardError> {
        self.select_ap(aid, operation)?;
        let cmd = Command::new(0x80, 0x2A, 0x00, p2)
            .with_data(digest_info.to_vec())?
            .with_le(Le::MAX_SHORT);
        let r = self.send(&cmd, operation)?;
        expect_ok(r.sw(), operation, needs)?;
        if r.data().len() != 256 {
            return Err(CardError::Malformed {
                ef: u16::from(p2 & 0x1F),
                reason: format!("signature of {} bytes, expected 256", r.data().len()),
            });
        }
        Ok(r.into_data())
    }
}
