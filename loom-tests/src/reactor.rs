//! [`ModelOs`]: a stand-in for the kernel under the reactor's park loop
//! (`weft_reactor`'s `park::EventLoop`), so that the model
//! `tests/reactor_park.rs` runs the real loop.
//!
//! What `mio::Poll` gives the loop, on a loom mutex and condvar:
//!
//! * an unpark token (the reactor's `mio::Waker`, an eventfd): set by
//!   [`ModelOs::unpark`], consumed by the wait that it ends or, if nobody
//!   waits, by the next one;
//! * readiness events for registered tokens, queued by [`ModelOs::event`]
//!   and returned (all of them, with the token) by the next wait, as
//!   `epoll_wait` returns whatever is ready at once;
//! * a virtual clock in whole milliseconds that only moves when the model
//!   calls [`ModelOs::advance_to`]. A wait with a timeout ends once the
//!   clock reaches the deadline; a wait with none ends only on a token or
//!   an event, so a park that ought to have woken and did not is a loom
//!   deadlock.
//!
//! A timeout counts from the loop's last reading of the clock (its
//! `before_park`), as if the wait began at that instant. In the reactor the
//! gap between the two is a few instructions; here the model's one clock
//! move could land in it, and a wait for tick 5 counted from the move would
//! wait for tick 10, which no model reaches.

use std::time::{Duration, Instant};

use loom::sync::{Arc, Condvar, Mutex};
use weft_reactor::loom_api::{Clock, EventLoop, PollStep, Ready, Token};

/// The park loop over the stand-in: what the model parks in.
pub type ModelLoop = EventLoop<ModelPoll, ModelClock>;

/// The shared state of the stand-in kernel.
pub struct ModelOs {
    state: Mutex<OsState>,
    changed: Condvar,
    start: Instant,
}

struct OsState {
    now_ms: u64,
    /// `now_ms` when the loop last read the clock.
    read_ms: u64,
    unparked: bool,
    events: Vec<(Token, Ready)>,
}

impl ModelOs {
    /// A kernel whose clock reads 0 ms, with no token and no event; and the
    /// park loop over it (its timer wheel's tick 0 is that 0 ms).
    pub fn new() -> (Arc<ModelOs>, ModelLoop) {
        let os = Arc::new(ModelOs {
            state: Mutex::new(OsState {
                now_ms: 0,
                read_ms: 0,
                unparked: false,
                events: Vec::new(),
            }),
            changed: Condvar::new(),
            start: Instant::now(),
        });
        let event_loop = EventLoop::new(
            ModelPoll {
                os: os.clone(),
                taken: Vec::new(),
            },
            ModelClock(os.clone()),
        );
        (os, event_loop)
    }

    /// The reactor's `unpark`: sets the token and ends a wait in progress.
    pub fn unpark(&self) {
        self.state.lock().unwrap().unparked = true;
        self.changed.notify_all();
    }

    /// The kernel reports `ready` for `token` (a socket became ready).
    pub fn event(&self, token: Token, ready: Ready) {
        self.state.lock().unwrap().events.push((token, ready));
        self.changed.notify_all();
    }

    /// Moves the clock forward to `ms` (never back).
    pub fn advance_to(&self, ms: u64) {
        {
            let mut state = self.state.lock().unwrap();
            state.now_ms = state.now_ms.max(ms);
        }
        self.changed.notify_all();
    }
}

/// The stand-in for `mio::Poll` (see the module docs).
pub struct ModelPoll {
    os: Arc<ModelOs>,
    /// The events of the last wait, until the loop takes them.
    taken: Vec<(Token, Ready)>,
}

fn ceil_ms(d: Duration) -> u64 {
    u64::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX)
}

impl PollStep for ModelPoll {
    fn poll(&mut self, timeout: Option<Duration>) {
        let mut state = self.os.state.lock().unwrap();
        let deadline = timeout.map(|t| state.read_ms.saturating_add(ceil_ms(t)));
        loop {
            let ended =
                state.unparked || !state.events.is_empty() || deadline.is_some_and(|d| state.now_ms >= d);
            if ended {
                // One wait consumes the token and takes every event.
                state.unparked = false;
                self.taken.append(&mut state.events);
                return;
            }
            state = self.os.changed.wait(state).unwrap();
        }
    }

    fn take_ready(&mut self, ready: &mut Vec<(Token, Ready)>) -> bool {
        ready.append(&mut self.taken);
        false
    }
}

/// The stand-in's virtual clock, as the park loop reads it.
pub struct ModelClock(Arc<ModelOs>);

impl Clock for ModelClock {
    fn now(&self) -> Instant {
        let mut state = self.0.state.lock().unwrap();
        state.read_ms = state.now_ms;
        self.0.start + Duration::from_millis(state.now_ms)
    }
}
