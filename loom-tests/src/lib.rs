//! Loom models of weft's concurrent protocols; see `tests/` and the
//! README. This library holds the test drivers the models share.
#![forbid(unsafe_code)]

#[cfg(loom)]
pub mod driver;

#[cfg(loom)]
pub mod reactor;

#[cfg(loom)]
pub mod signal;
