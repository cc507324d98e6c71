//! The reactor: one `mio::Poll` per runtime, and the [`Driver`] over it.
//!
//! # Parking
//!
//! The executor calls [`Driver::park`] from at most one idle worker at a
//! time, with no timeout (block) or a zero one (poll). [`Reactor::park`]:
//!
//! 1. asks the timers how long it may sleep (the next wheel expiration) and
//!    takes the minimum with the executor's timeout; the timers record that
//!    the poller is asleep until then, so that a new, earlier timer wakes it
//!    (see [`crate::time`]);
//! 2. blocks in `mio::Poll::poll`;
//! 3. copies the events out and releases the poller lock, then dispatches
//!    them: under the registration lock, each event's token is checked
//!    against the slot's generation, its readiness is recorded and the
//!    wakers of the directions it satisfies are taken, 32 at a time; the
//!    lock is dropped before each batch of wakers is called, so no waker
//!    ever runs under a reactor lock;
//! 4. fires expired timers, again in batches outside the lock.
//!
//! These steps are `crate::park::EventLoop::park`, generic over the wait
//! (here [`MioPoll`]) and the clock, so that the loom model
//! `loom-tests/tests/reactor_park.rs` runs them with a stand-in for
//! `mio::Poll`; its module docs give the order and why no wake-up is lost.
//!
//! An event for `SIGNAL_TOKEN` (the signal self-pipe, registered once a
//! listener exists in this runtime) is not a registration: before step 3's
//! dispatch, the poller drains the pipe and reports pending signals to their
//! listeners (see [`crate::signal`]).
//!
//! [`Driver::unpark`] is a `mio::Waker::wake`: an eventfd write that stays
//! readable until the next poll consumes it, so an unpark made before the
//! poll blocks still ends it (the token semantics the [`Driver`] contract
//! asks for). The executor's parker (its one sleep protocol) calls it only
//! when a worker is actually parked in the driver, so the syscall is not
//! paid when nobody sleeps.
//!
//! # Shutdown
//!
//! [`Driver::shutdown`] marks the reactor shut down, refuses new
//! registrations and timers, and wakes every registered source and armed
//! timer. Afterwards I/O operations fail with an `io::Error` of kind
//! `Other` ("the weft runtime has shut down"), and timers behave as
//! described in [`crate::time`].

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use mio::{Events, Interest, Poll, Registry, Token};
use weft_executor::Driver;

use crate::io_driver::registration_set::WAKE_TOKEN;
use crate::io_driver::scheduled_io::{Ready, ScheduledIo};
use crate::net::addr::Resolver;
use crate::park::{EventLoop, PollStep, SystemClock};
use crate::signal::registry::SIGNAL_TOKEN;
use crate::sync::lock;
use crate::wake_list::WakeList;

/// Events taken from the kernel per `Poll::poll` call (tokio's figure).
const EVENTS_CAPACITY: usize = 1024;

/// The reactor's wait on the OS: `mio::Poll` and the buffer it fills.
pub(crate) struct MioPoll {
    poll: Poll,
    events: Events,
}

impl PollStep for MioPoll {
    fn poll(&mut self, timeout: Option<Duration>) {
        if let Err(e) = self.poll.poll(&mut self.events, timeout) {
            if e.kind() != io::ErrorKind::Interrupted {
                panic!("weft reactor: mio::Poll::poll failed: {e}");
            }
            self.events.clear();
        }
    }

    fn take_ready(&mut self, ready: &mut Vec<(Token, Ready)>) -> bool {
        let mut signalled = false;
        ready.extend(
            self.events
                .iter()
                .filter(|e| {
                    signalled |= e.token() == SIGNAL_TOKEN;
                    e.token() != WAKE_TOKEN && e.token() != SIGNAL_TOKEN
                })
                .map(|e| (e.token(), Ready::from_mio(e))),
        );
        signalled
    }
}

pub(crate) struct Inner {
    /// The poller, the registrations and the timers (`crate::park`).
    pub(crate) park: EventLoop<MioPoll, SystemClock>,
    pub(crate) registry: Registry,
    /// Shared with the timer shards, which wake the poller for an earlier
    /// deadline.
    waker: Arc<mio::Waker>,
    is_shutdown: AtomicBool,
    pub(crate) resolver: OnceLock<Resolver>,
    /// Set once the signal pipe is registered with this poller
    /// (`signal::registry::enable`).
    pub(crate) signals_enabled: OnceLock<Result<(), io::ErrorKind>>,
}

/// The reactor of one runtime: owns the `mio::Poll`, the registrations and
/// the timer wheel, and implements [`Driver`].
///
/// The runtime builds one, hands it to its executor as the driver (wrap it in
/// an `Arc` if the executor wants `Arc<dyn Driver>`), and enters
/// [`Reactor::handle`] on every runtime thread.
///
/// ```
/// use std::time::Duration;
/// use weft_executor::Driver;
/// use weft_reactor::Reactor;
///
/// let reactor = Reactor::new()?;
/// let handle = reactor.handle();
/// reactor.unpark();                         // token kept
/// reactor.park(None);                       // returns at once
/// reactor.park(Some(Duration::ZERO));       // never blocks
/// let _guard = handle.enter();              // now net and time work here
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Reactor {
    inner: Arc<Inner>,
}

/// A cheap, cloneable reference to a [`Reactor`]: what I/O objects and timers
/// hold, and what [`Handle::enter`] makes current on a thread.
#[derive(Clone)]
pub struct Handle {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reactor").finish_non_exhaustive()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

impl Reactor {
    /// Creates the `mio::Poll`, its waker, and an empty timer wheel whose
    /// clock starts now.
    pub fn new() -> io::Result<Reactor> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = Arc::new(mio::Waker::new(&registry, WAKE_TOKEN)?);
        let step = MioPoll {
            poll,
            events: Events::with_capacity(EVENTS_CAPACITY),
        };
        let inner = Inner {
            park: EventLoop::new(step, SystemClock),
            registry,
            waker,
            is_shutdown: AtomicBool::new(false),
            resolver: OnceLock::new(),
            signals_enabled: OnceLock::new(),
        };
        inner.park.timers.set_waker(inner.waker.clone());
        Ok(Reactor {
            inner: Arc::new(inner),
        })
    }

    /// A handle to this reactor.
    pub fn handle(&self) -> Handle {
        Handle {
            inner: self.inner.clone(),
        }
    }
}

impl Driver for Reactor {
    fn park(&self, timeout: Option<Duration>) {
        self.inner.park(timeout);
    }

    fn unpark(&self) {
        self.inner.unpark();
    }

    fn shutdown(&self) {
        self.inner.shutdown();
    }
}

/// A `Sleep` holds its timer shard, not the reactor, so the reactor can go
/// while timers are still armed or about to be: they are woken and refused
/// as after a shutdown (a timer nobody will ever fire must not hang
/// silently). Idempotent after [`Driver::shutdown`].
impl Drop for Inner {
    fn drop(&mut self) {
        self.park.timers.shutdown();
    }
}

impl Inner {
    fn park(&self, timeout: Option<Duration>) {
        self.park.park(timeout);
    }

    fn unpark(&self) {
        self.wake_poller();
    }

    pub(crate) fn wake_poller(&self) {
        if let Err(e) = self.waker.wake() {
            panic!("weft reactor: mio::Waker::wake failed: {e}");
        }
    }

    fn shutdown(&self) {
        if self.is_shutdown.swap(true, Ordering::SeqCst) {
            return;
        }
        let all = lock(&self.park.registrations).shutdown();
        let mut wakers = WakeList::new();
        for io in all {
            io.shutdown(&mut wakers);
            if !wakers.can_push() {
                wakers.wake_all();
            }
        }
        wakers.wake_all();
        self.park.timers.shutdown();
        if self.signals_enabled.get().is_some() {
            crate::signal::registry::wake_all_listeners();
        }
        self.wake_poller();
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.is_shutdown.load(Ordering::SeqCst)
    }

    /// Registers `source` with mio and allocates its readiness state.
    pub(crate) fn add_source(
        &self,
        source: &mut impl mio::event::Source,
        interest: Interest,
    ) -> io::Result<(Token, Arc<ScheduledIo>)> {
        let (token, io) = lock(&self.park.registrations).allocate()?;
        if let Err(e) = self.registry.register(source, token, interest) {
            self.release(token);
            return Err(e);
        }
        Ok((token, io))
    }

    /// Frees a registration's slot. The mio deregistration is done by the
    /// owner of the source before this.
    pub(crate) fn release(&self, token: Token) {
        lock(&self.park.registrations).remove(token);
    }
}

impl Handle {
    /// `true` once the runtime's driver has been shut down.
    ///
    /// ```
    /// use weft_executor::Driver;
    /// let reactor = weft_reactor::Reactor::new()?;
    /// assert!(!reactor.handle().is_shutdown());
    /// reactor.shutdown();
    /// assert!(reactor.handle().is_shutdown());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_shutdown(&self) -> bool {
        self.inner.is_shutdown()
    }

    /// Number of live I/O registrations (for tests and diagnostics).
    #[doc(hidden)]
    pub fn registered_sources(&self) -> usize {
        lock(&self.inner.park.registrations).len()
    }

    /// Number of armed timers (for tests and diagnostics).
    #[doc(hidden)]
    pub fn armed_timers(&self) -> usize {
        self.inner.park.timers.len()
    }
}

/// The error every I/O operation returns once the runtime has shut down.
pub(crate) fn shutdown_error() -> io::Error {
    io::Error::other(
        "the weft runtime has shut down: this I/O object can no longer be used; \
         create it inside a running runtime",
    )
}
