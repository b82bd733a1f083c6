//! The error of this crate's parsers.

/// Why a value is not a valid domain value. Each kazasu layer maps it into its own error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Not one of the ISO 5218 digits `0`, `1`, `2`, `9`.
    #[error("sex must be one of 0, 1, 2, 9")]
    Sex,
    /// Not an era digit `1`–`5`.
    #[error("unknown era digit")]
    EraDigit,
    /// A date before the first day of 明治 (1868-10-23), which no era names.
    #[error("date before the Meiji era")]
    BeforeMeiji,
    /// Not an `EYYYYMMDD` date.
    #[error("{0}")]
    EraDate(&'static str),
    /// Not 12 (or, to complete, 11) ASCII digits.
    #[error("My Number must be 12 digits")]
    MyNumberLength,
    /// The last digit is not the check digit of the other eleven.
    #[error("My Number check digit is wrong")]
    MyNumberCheckDigit,
}
