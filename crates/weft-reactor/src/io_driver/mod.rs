//! Readiness registrations: how an I/O object waits on the shared poller.
//!
//! * [`scheduled_io`]: the per-source readiness word and wakers, and the
//!   protocol that keeps wake-ups from being lost.
//! * [`registration_set`]: the slab of sources keyed by mio token, with the
//!   generation check that keeps stale events away from reused slots.
//! * [`io_source`]: [`IoSource`], the owner of a mio source and its
//!   registration, with the read/write loops every net type uses.

pub(crate) mod io_source;
pub mod registration_set;
pub mod scheduled_io;

pub(crate) use io_source::IoSource;
