//! The My Number (個人番号) and its check digit: the shared [`kazasu_types`] definitions.

pub use kazasu_types::{MyNumber, check_digit};
