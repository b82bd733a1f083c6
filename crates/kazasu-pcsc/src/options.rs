//! How to connect: [`Options`], with the [`Share`] mode and the [`ExtendedApdus`] choice.

use pcsc::ShareMode;

/// Whether to use extended-length APDUs.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
#[non_exhaustive]
pub enum ExtendedApdus {
    /// Extended unless the reader says it cannot carry them (`SCARD_ATTR_MAXINPUT` ≤ 261 bytes, a
    /// known short-only reader such as the ACS ACR122U, or a T=0 connection).
    #[default]
    Auto,
    /// Always extended.
    On,
    /// Short APDUs only: the layers above read in 256-byte chunks.
    Off,
}

/// How the connection shares the card with other programs.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
#[non_exhaustive]
pub enum Share {
    /// Others may connect too; hold a [`PcscTransaction`](crate::PcscTransaction) for sequences
    /// that must not be interleaved.
    #[default]
    Shared,
    /// Nobody else may connect while this connection lives (they get a sharing violation).
    Exclusive,
}

impl Share {
    pub(crate) fn mode(self) -> ShareMode {
        match self {
            Share::Shared => ShareMode::Shared,
            Share::Exclusive => ShareMode::Exclusive,
        }
    }
}

/// How to connect.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub struct Options {
    /// After a PIN was presented through this connection, disconnect by powering the card down
    /// (`SCARD_UNPOWER_CARD`) so the verified state does not outlive the session (default `true`).
    /// The card keeps a VERIFY until it loses power: a warm reset (`SCARD_RESET_CARD`), dropping
    /// the connection or reconnecting leave it verified, and pcscd keeps a card powered for a while
    /// after the last client leaves, so without the power-down the next program would find the PIN
    /// still verified.
    pub unpower_on_drop_after_pin: bool,
    /// Extended APDUs or not.
    pub extended: ExtendedApdus,
    /// Shared or exclusive.
    pub share: Share,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            unpower_on_drop_after_pin: true,
            extended: ExtendedApdus::Auto,
            share: Share::Shared,
        }
    }
}

impl Options {
    /// The defaults: shared, extended APDUs when the reader carries them, power-down after PIN use.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`Options::unpower_on_drop_after_pin`].
    #[must_use]
    pub fn unpower_on_drop_after_pin(mut self, on: bool) -> Self {
        self.unpower_on_drop_after_pin = on;
        self
    }

    /// Sets [`Options::extended`].
    #[must_use]
    pub fn extended(mut self, extended: ExtendedApdus) -> Self {
        self.extended = extended;
        self
    }

    /// Sets [`Options::share`].
    #[must_use]
    pub fn share(mut self, share: Share) -> Self {
        self.share = share;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_unpower_after_pin_share_and_pick_extended_automatically() {
        let o = Options::default();
        assert!(o.unpower_on_drop_after_pin);
        assert_eq!(o.share, Share::Shared);
        assert_eq!(o.extended, ExtendedApdus::Auto);
        let o = Options::new()
            .unpower_on_drop_after_pin(false)
            .share(Share::Exclusive)
            .extended(ExtendedApdus::Off);
        assert!(!o.unpower_on_drop_after_pin);
        assert_eq!(o.share.mode(), ShareMode::Exclusive);
    }
}
