//! What the loom models in `loom-tests/tests/reactor_*.rs` drive.
//!
//! Not a public API: these are the crate's real protocol types (readiness,
//! timer entries), exposed so that the models run
//! the same code as the reactor, with loom's atomics and locks swapped in by
//! the `sync` shim.

/// Under loom only: the models put it behind a loom mutex (the reactor
/// uses it under a std one).
#[cfg(loom)]
pub use crate::io_driver::registration_set::RegistrationSet;
pub use crate::io_driver::scheduled_io::{Direction, Ready, ReadyEvent, ScheduledIo};
pub use crate::signal::{Listener, SignalSlot};
pub use crate::time::entry::{Fired, Registered, TimerShared, Timers};
pub use crate::wake_list::WakeList;
