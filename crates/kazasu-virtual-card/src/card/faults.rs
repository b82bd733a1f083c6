//! Fault injection: what tests make a card do that a good card never does on its own.

use std::time::Duration;

use kazasu_apdu::StatusWord;

/// Faults to inject, by command number (1 = the first command after the plan is installed).
#[derive(Clone, Debug, Default)]
pub struct FaultPlan {
    /// From this command on the card is gone (pulled from the reader mid-exchange).
    pub remove_at: Option<u64>,
    /// This command is lost to a power cycle: the card forgets selections and verified PINs.
    pub power_cycle_at: Option<u64>,
    /// These commands are answered with the given status word instead of being processed.
    pub forced: Vec<(u64, StatusWord)>,
    /// Every answer is delayed this long (a slow card or reader).
    pub delay: Option<Duration>,
}

impl FaultPlan {
    /// Card removed at command `n`.
    #[must_use]
    pub fn remove_at(mut self, n: u64) -> Self {
        self.remove_at = Some(n);
        self
    }

    /// Power cycle at command `n`.
    #[must_use]
    pub fn power_cycle_at(mut self, n: u64) -> Self {
        self.power_cycle_at = Some(n);
        self
    }

    /// Answer command `n` with `sw`.
    #[must_use]
    pub fn force(mut self, n: u64, sw: StatusWord) -> Self {
        self.forced.push((n, sw));
        self
    }

    /// Delay every answer.
    #[must_use]
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = Some(d);
        self
    }

    pub(crate) fn rebase(&mut self, done: u64) {
        let shift = |n: &mut u64| *n = n.saturating_add(done);
        if let Some(n) = self.remove_at.as_mut() {
            shift(n);
        }
        if let Some(n) = self.power_cycle_at.as_mut() {
            shift(n);
        }
        for (n, _) in &mut self.forced {
            shift(n);
        }
    }

    pub(crate) fn forced_at(&self, n: u64) -> Option<StatusWord> {
        self.forced
            .iter()
            .find(|(at, _)| *at == n)
            .map(|(_, sw)| *sw)
    }
}

/// What a reader sees for one command.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Answer {
    /// The response APDU bytes.
    Response(Vec<u8>),
    /// The card left the reader; no answer.
    Removed,
    /// The card was power-cycled; the command was not executed.
    PowerCycled,
}
