//! The process-wide part of signal handling: the self-pipe, the slot of
//! every signal that has a handler, and the dispatch the reactor runs.
//!
//! Signals belong to the process, reactors to runtimes, so this state is
//! global and every reactor that has a listener registers the pipe's read
//! end with its own `mio::Poll` (under `SIGNAL_TOKEN`; epoll allows one
//! descriptor in several epoll sets). A delivery makes the pipe readable;
//! each of those reactors gets an event, and whichever reads first drains
//! the pipe and dispatches; the others find it empty and nothing pending.

use std::collections::HashMap;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::sync::{Mutex, OnceLock};

use mio::unix::pipe::{Receiver, Sender};
use mio::unix::SourceFd;
use mio::{Interest, Token};

use super::slot::SignalSlot;
use crate::reactor::Inner;
use crate::sync::Arc;
use crate::wake_list::WakeList;

/// The token of the signal pipe in every reactor. Its slab index,
/// `2^24 - 1`, is never handed to a registration (see `registration_set`),
/// and it differs from the waker's `usize::MAX`.
pub(crate) const SIGNAL_TOKEN: Token = Token((1 << 24) - 1);

struct Globals {
    receiver: Receiver,
    /// Kept open for the life of the process: every handler writes to it.
    sender: Sender,
    slots: Mutex<HashMap<i32, Arc<SignalSlot>>>,
}

static GLOBALS: OnceLock<io::Result<Globals>> = OnceLock::new();

fn globals() -> io::Result<&'static Globals> {
    let g = GLOBALS.get_or_init(|| {
        let (sender, receiver) = mio::unix::pipe::new()?;
        Ok(Globals {
            receiver,
            sender,
            slots: Mutex::new(HashMap::new()),
        })
    });
    g.as_ref().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("weft::signal: could not create the signal pipe: {e}"),
        )
    })
}

/// The slot of `signal`, installing its handler the first time. The
/// handler stays installed for the life of the process.
pub(crate) fn slot(signal: i32) -> io::Result<Arc<SignalSlot>> {
    if signal_hook::consts::FORBIDDEN.contains(&signal) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "weft::signal: cannot listen for signal {signal}: SIGKILL and SIGSTOP cannot be \
                 caught, and SIGILL, SIGFPE and SIGSEGV must not be"
            ),
        ));
    }
    let g = globals()?;
    let mut slots = g.slots.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = slots.get(&signal) {
        return Ok(s.clone());
    }
    let slot = Arc::new(SignalSlot::new());
    install(signal, &slot, g)?;
    slots.insert(signal, slot.clone());
    Ok(slot)
}

#[cfg(not(loom))]
fn install(signal: i32, slot: &SignalSlot, g: &Globals) -> io::Result<()> {
    let named = |e: io::Error| {
        io::Error::new(
            e.kind(),
            format!("weft::signal: cannot listen for signal {signal}: {e}"),
        )
    };
    // The flag first, then the pipe: signal-hook runs a signal's actions in
    // the order they were registered, so the byte is written after the flag
    // is set (rule 1 of the slot protocol).
    signal_hook::flag::register(signal, slot.pending.clone()).map_err(named)?;
    signal_hook::low_level::pipe::register_raw(signal, g.sender.as_raw_fd()).map_err(named)?;
    Ok(())
}

/// Loom never delivers real signals: the models call `SignalSlot::record`.
#[cfg(loom)]
fn install(_signal: i32, _slot: &SignalSlot, g: &Globals) -> io::Result<()> {
    let _ = &g.sender;
    Ok(())
}

/// Registers the signal pipe with `reactor` (once per reactor), so that its
/// poller dispatches deliveries.
pub(crate) fn enable(reactor: &Inner) -> io::Result<()> {
    let g = globals()?;
    let result = reactor.signals_enabled.get_or_init(|| {
        let fd = g.receiver.as_raw_fd();
        reactor
            .registry
            .register(&mut SourceFd(&fd), SIGNAL_TOKEN, Interest::READABLE)
            .map_err(|e| e.kind())
    });
    (*result).map_err(|kind| {
        io::Error::new(
            kind,
            "weft::signal: could not register the signal pipe with the reactor",
        )
    })
}

/// Step 2 of the slot protocol, run by a reactor whose poll returned
/// `SIGNAL_TOKEN`: drain the pipe, then report every pending signal.
pub(crate) fn dispatch() {
    let Some(Ok(g)) = GLOBALS.get() else { return };
    let mut buf = [0u8; 64];
    loop {
        match (&g.receiver).read(&mut buf) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // WouldBlock: drained. Any other error cannot be acted on here;
            // the flags below still report what was pending.
            Err(_) => break,
        }
    }
    let slots: Vec<(i32, Arc<SignalSlot>)> = g
        .slots
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|(&n, s)| (n, s.clone()))
        .collect();
    let mut wakers = WakeList::new();
    for (signal, slot) in slots {
        if slot.dispatch(&mut wakers) && signal == signal_hook::consts::SIGCHLD {
            crate::orphan::reap();
        }
        wakers.wake_all();
    }
}

/// Wakes every waiting listener (a reactor shut down: its listeners see
/// that and end; the others go back to waiting).
pub(crate) fn wake_all_listeners() {
    let Some(Ok(g)) = GLOBALS.get() else { return };
    let slots: Vec<Arc<SignalSlot>> = g
        .slots
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .cloned()
        .collect();
    let mut wakers = WakeList::new();
    for slot in slots {
        slot.wake_all(&mut wakers);
        wakers.wake_all();
    }
}
