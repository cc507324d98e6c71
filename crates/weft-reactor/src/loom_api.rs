//! What the loom models in `loom-tests/tests/reactor_*.rs` drive.
//!
//! Not a public API: these are the crate's real protocol types (readiness,
//! timer entries, the park loop), exposed so that the models run
//! the same code as the reactor, with loom's atomics and locks swapped in by
//! the `sync` shim.

/// Under loom only: the models put it behind a loom mutex of their own, as
/// the reactor does behind the shim's.
#[cfg(loom)]
pub use crate::io_driver::registration_set::RegistrationSet;
pub use crate::io_driver::scheduled_io::{Direction, Ready, ReadyEvent, ScheduledIo};
/// Under loom only: the park loop, which the model `reactor_park` runs
/// with a stand-in for `mio::Poll` and a virtual clock.
#[cfg(loom)]
pub use crate::park::{Clock, EventLoop, PollStep};
pub use crate::signal::{Listener, SignalSlot};
pub use crate::time::entry::{Fired, Registered, TimerShared, Timers};
pub use crate::wake_list::WakeList;
/// The token of a registration (what `RegistrationSet::allocate` returns).
#[cfg(loom)]
pub use mio::Token;
