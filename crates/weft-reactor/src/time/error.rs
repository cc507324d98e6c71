//! [`Elapsed`], the error of a [`timeout`](super::timeout()) that ran out.

use std::error::Error;
use std::fmt;
use std::io;

/// The deadline of a [`timeout`](super::timeout()) passed before its future
/// completed.
///
/// ```
/// use weft::time::Elapsed;
/// fn to_io(e: Elapsed) -> std::io::Error { e.into() }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl Elapsed {
    pub(crate) fn new() -> Self {
        Elapsed(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl Error for Elapsed {}

impl From<Elapsed> for io::Error {
    fn from(e: Elapsed) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, e)
    }
}
