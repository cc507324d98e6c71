//! The reactor as a `Driver`, the thread-local context, and the budget.

mod common;

use std::io::Write;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use common::TestRuntime;
use weft_executor::{coop, Driver};
use weft_reactor::io::AsyncRead;
use weft_reactor::net::UnixStream;
use weft_reactor::{Handle, Reactor};

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    let c = Arc::new(CountingWaker(AtomicUsize::new(0)));
    (c.clone(), Waker::from(c))
}

#[test]
fn an_unpark_before_park_is_kept_as_a_token() {
    let reactor = Reactor::new().unwrap();
    reactor.unpark();
    reactor.park(None); // returns at once: the token
}

#[test]
fn park_with_zero_timeout_never_blocks() {
    let reactor = Reactor::new().unwrap();
    for _ in 0..100 {
        reactor.park(Some(Duration::ZERO));
    }
}

#[test]
fn unpark_from_another_thread_wakes_the_parked_thread() {
    let reactor = Arc::new(Reactor::new().unwrap());
    for _ in 0..50 {
        let r = reactor.clone();
        let t = thread::spawn(move || r.park(None));
        reactor.unpark();
        t.join().unwrap();
    }
}

#[test]
fn park_honours_its_timeout() {
    let reactor = Reactor::new().unwrap();
    let start = std::time::Instant::now();
    reactor.park(Some(Duration::from_millis(10)));
    assert!(start.elapsed() < common::HANG);
}

#[test]
fn enter_guards_nest_and_restore() {
    let a = Reactor::new().unwrap();
    let b = Reactor::new().unwrap();
    assert!(Handle::try_current().is_err());
    let ga = a.handle().enter();
    {
        let _gb = b.handle().enter();
        let cur = Handle::current();
        // `b` is current: registering on it counts there.
        let _pair = UnixStream::pair().unwrap();
        assert_eq!(b.handle().registered_sources(), 2);
        assert_eq!(a.handle().registered_sources(), 0);
        drop(cur);
    }
    let _pair = UnixStream::pair().unwrap();
    assert_eq!(a.handle().registered_sources(), 2);
    drop(ga);
    assert!(Handle::try_current().is_err());
    let msg = Handle::try_current().unwrap_err().to_string();
    assert!(msg.contains("handle.enter()"), "{msg}");
}

#[test]
fn an_always_ready_read_loop_returns_pending_after_the_budget() {
    let rt = TestRuntime::new();
    let _g = rt.handle.enter();
    // A blocking std writer fills b's receive queue, so every 1-byte read
    // of b is ready.
    let (mut writer, reader) = std::os::unix::net::UnixStream::pair().unwrap();
    let mut b = UnixStream::from_std(reader).unwrap();
    writer.write_all(&[1u8; 4096]).unwrap();
    // Wait until the reactor has seen b readable.
    rt.block_on(async {
        std::future::poll_fn(|cx| {
            let mut one = [0u8; 1];
            Pin::new(&mut b).poll_read(cx, &mut one).map(|r| r.unwrap())
        })
        .await
    });
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let reads = coop::budget(|| {
        let mut n = 0;
        loop {
            let mut one = [0u8; 1];
            match Pin::new(&mut b).poll_read(&mut cx, &mut one) {
                Poll::Ready(Ok(1)) => n += 1,
                Poll::Ready(other) => panic!("unexpected {other:?}"),
                Poll::Pending => break n,
            }
        }
    });
    assert_eq!(reads, coop::BUDGET as usize, "budget did not stop the loop");
    assert!(
        count.0.load(Ordering::SeqCst) >= 1,
        "budget exhaustion must wake the task"
    );
    // With a fresh budget it proceeds again.
    let again = coop::budget(|| Pin::new(&mut b).poll_read(&mut cx, &mut [0u8; 1]));
    assert!(matches!(again, Poll::Ready(Ok(1))));
}

#[test]
fn shutdown_wakes_tasks_waiting_on_io() {
    let rt = TestRuntime::new();
    let handle = rt.handle.clone();
    let _g = handle.enter();
    let (_a, mut b) = UnixStream::pair().unwrap();
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(Pin::new(&mut b).poll_read(&mut cx, &mut [0u8; 8]).is_pending());
    rt.shutdown();
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    match Pin::new(&mut b).poll_read(&mut cx, &mut [0u8; 8]) {
        Poll::Ready(Err(e)) => assert!(e.to_string().contains("shut down")),
        other => panic!("expected a shutdown error, got {other:?}"),
    }
}

#[test]
fn public_types_and_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    fn types<T: Send + Sync>() {}
    use weft_reactor::net::*;
    use weft_reactor::time::*;
    types::<Reactor>();
    types::<Handle>();
    types::<TcpListener>();
    types::<TcpStream>();
    types::<OwnedReadHalf>();
    types::<OwnedWriteHalf>();
    types::<UdpSocket>();
    types::<UnixListener>();
    types::<UnixStream>();
    types::<UnixDatagram>();
    types::<Sleep>();
    types::<Interval>();
    types::<Timeout<Sleep>>();

    // Futures are Send, so tasks using them can run on any worker. They
    // are built here but never polled.
    let rt = TestRuntime::new();
    let _g = rt.handle.enter();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let udp = rt.block_on(UdpSocket::bind("127.0.0.1:0")).unwrap();
    let mut buf = [0u8; 4];
    send(&TcpStream::connect("127.0.0.1:1"));
    send(&TcpListener::bind("127.0.0.1:0"));
    send(&listener.accept());
    send(&udp.recv_from(&mut buf));
    send(&UnixStream::connect("/nonexistent"));
    send_sync(&sleep(Duration::from_millis(1)));
    send(&timeout(Duration::from_millis(1), async {}));
    let mut iv = interval(Duration::from_millis(1));
    send(&iv.tick());
}
