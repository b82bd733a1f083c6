//! [`Purpose`]: the JPKI certificate families, from the shared domain types.

pub use kazasu_types::Purpose;
