//! Verification reports: one [`Verdict`] per part, never a bare boolean.

use serde::Serialize;

/// The outcome of one check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(
    tag = "verdict",
    content = "reason",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum Verdict {
    /// The check passed.
    Valid,
    /// The check failed: the data is wrong.
    Invalid(String),
    /// The check could not be made: data is missing (no revocation information for the signing
    /// time, an untrusted TSA, a part not present).
    Indeterminate(String),
}

impl Verdict {
    /// Whether this is [`Verdict::Valid`].
    pub fn is_valid(&self) -> bool {
        matches!(self, Verdict::Valid)
    }

    /// `VALID`, `INVALID` or `INDETERMINATE`.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Valid => "VALID",
            Verdict::Invalid(_) => "INVALID",
            Verdict::Indeterminate(_) => "INDETERMINATE",
        }
    }

    /// The reason, empty for [`Verdict::Valid`].
    pub fn reason(&self) -> &str {
        match self {
            Verdict::Valid => "",
            Verdict::Invalid(r) | Verdict::Indeterminate(r) => r,
        }
    }

    /// The worse of two verdicts: INVALID over INDETERMINATE over VALID (the first reason kept).
    #[must_use]
    pub fn and(self, other: Verdict) -> Verdict {
        match (self, other) {
            (v @ Verdict::Invalid(_), _) => v,
            (_, v @ Verdict::Invalid(_)) => v,
            (v @ Verdict::Indeterminate(_), _) => v,
            (_, v) => v,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Valid => f.write_str("VALID"),
            v => write!(f, "{}: {}", v.label(), v.reason()),
        }
    }
}

/// The worst of several verdicts; VALID when there are none.
pub fn overall<'a>(verdicts: impl IntoIterator<Item = &'a Verdict>) -> Verdict {
    verdicts
        .into_iter()
        .cloned()
        .fold(Verdict::Valid, Verdict::and)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_beats_indeterminate_beats_valid() {
        let i = Verdict::Invalid("digest".into());
        let n = Verdict::Indeterminate("no CRL".into());
        assert_eq!(overall([&Verdict::Valid, &n, &i]), i);
        assert_eq!(overall([&n, &Verdict::Valid]), n);
        assert_eq!(overall([]), Verdict::Valid);
        assert_eq!(
            serde_json::to_string(&i).unwrap(),
            r#"{"verdict":"INVALID","reason":"digest"}"#
        );
    }
}
