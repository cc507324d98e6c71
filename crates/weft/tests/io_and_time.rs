//! The reactor under the real runtime: sockets and timers, one behaviour
//! per test.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use weft::io::{AsyncReadExt, AsyncWriteExt};
use weft::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use weft::time::{sleep, timeout};
use weft::Runtime;

fn rt(workers: usize) -> Runtime {
    Runtime::builder().worker_threads(workers).build().unwrap()
}

#[test]
fn tcp_echo_round_trip() {
    rt(2).block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = weft::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 1024];
            loop {
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                s.write_all(&buf[..n]).await.unwrap();
            }
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        for i in 0..100u32 {
            let msg = i.to_le_bytes();
            c.write_all(&msg).await.unwrap();
            let mut back = [0u8; 4];
            c.read_exact(&mut back).await.unwrap();
            assert_eq!(back, msg);
        }
        drop(c);
        server.await.unwrap();
    });
}

#[test]
fn thousand_concurrent_connections() {
    let rt = rt(2);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = weft::spawn(async move {
            for _ in 0..1000 {
                let (mut s, _) = listener.accept().await.unwrap();
                weft::spawn(async move {
                    let mut b = [0u8; 8];
                    s.read_exact(&mut b).await.unwrap();
                    s.write_all(&b).await.unwrap();
                    // Let the client close first, as echo servers do: the
                    // TIME_WAIT state then stays on the client side, where
                    // the kernel's port allocator accounts for it, instead
                    // of piling up on the listener's port across 1,000
                    // connections.
                    let mut rest = [0u8; 1];
                    assert_eq!(s.read(&mut rest).await.unwrap(), 0);
                });
            }
        });
        let clients: Vec<_> = (0..1000u64)
            .map(|i| {
                weft::spawn(async move {
                    let mut c = TcpStream::connect(addr).await.unwrap();
                    c.write_all(&i.to_le_bytes()).await.unwrap();
                    let mut b = [0u8; 8];
                    c.read_exact(&mut b).await.unwrap();
                    u64::from_le_bytes(b)
                })
            })
            .collect();
        for (i, c) in clients.into_iter().enumerate() {
            assert_eq!(c.await.unwrap(), i as u64);
        }
        server.await.unwrap();
    });
}

#[test]
fn udp_send_and_receive() {
    rt(1).block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr().unwrap()));
    });
}

#[test]
fn sleep_never_wakes_early_on_the_runtime() {
    rt(2).block_on(async {
        for ms in [1u64, 3, 10, 25] {
            let t0 = Instant::now();
            sleep(Duration::from_millis(ms)).await;
            assert!(
                t0.elapsed() >= Duration::from_millis(ms),
                "woke early for {ms} ms"
            );
        }
    });
}

#[test]
fn ten_thousand_concurrent_sleeps_complete() {
    let rt = rt(2);
    rt.block_on(async {
        let hs: Vec<_> = (0..10_000u64)
            .map(|i| weft::spawn(async move { sleep(Duration::from_millis(1 + i % 20)).await }))
            .collect();
        for h in hs {
            h.await.unwrap();
        }
    });
}

#[test]
fn timeout_elapses_on_a_slow_future_and_passes_a_fast_one() {
    rt(1).block_on(async {
        assert!(timeout(Duration::from_millis(5), sleep(Duration::from_secs(60)))
            .await
            .is_err());
        assert_eq!(timeout(Duration::from_secs(60), async { 3 }).await.unwrap(), 3);
    });
}

#[test]
fn spawned_timers_work_from_outside_the_runtime_threads() {
    let rt = rt(1);
    let h = rt.spawn(async {
        sleep(Duration::from_millis(2)).await;
        7
    });
    assert_eq!(rt.block_on(h).unwrap(), 7);
}

/// Every worker is busy reading sockets that are always ready; the budget
/// and the event interval must still let a timer fire.
#[test]
fn a_timer_fires_while_every_worker_serves_an_always_ready_socket() {
    let rt = rt(2);
    let stop = Arc::new(AtomicBool::new(false));
    let mut feeders = Vec::new();
    let mut readers = Vec::new();
    for _ in 0..2 {
        let (std_reader, mut w) = std::os::unix::net::UnixStream::pair().unwrap();
        std_reader.set_nonblocking(true).unwrap();
        let mut reader = {
            let _cx = rt.enter();
            UnixStream::from_std(std_reader).unwrap()
        };
        // An OS thread keeps the socket full, so reads are always ready.
        let stop2 = stop.clone();
        feeders.push(std::thread::spawn(move || {
            use std::io::Write;
            let chunk = [7u8; 4096];
            while !stop2.load(SeqCst) {
                if w.write_all(&chunk).is_err() {
                    break;
                }
            }
        }));
        let stop3 = stop.clone();
        readers.push(rt.spawn(async move {
            let mut buf = [0u8; 64];
            while !stop3.load(SeqCst) {
                let n = reader.read(&mut buf).await.unwrap();
                assert!(n > 0);
            }
        }));
    }
    let late = rt.block_on(async {
        let t0 = Instant::now();
        sleep(Duration::from_millis(20)).await;
        t0.elapsed()
    });
    stop.store(true, SeqCst);
    drop(rt);
    for f in feeders {
        let _ = f.join();
    }
    assert!(late >= Duration::from_millis(20));
    // Generous: the point is that it fires at all, not its precision.
    assert!(
        late < Duration::from_secs(20),
        "timer starved: fired after {late:?}"
    );
}

/// Issue 8, bug 8: an interval with a period near `Duration::MAX` ticks
/// once and then waits (saturating, as `sleep` does), instead of panicking
/// with "overflow when adding duration to instant".
#[test]
fn interval_with_a_period_near_duration_max_does_not_overflow() {
    let rt = weft::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        for period in [Duration::MAX, Duration::MAX - Duration::from_secs(1)] {
            let mut every = weft::time::interval(period);
            every.tick().await; // the first tick is at once
            let second = weft::time::timeout(Duration::from_millis(20), every.tick()).await;
            assert!(second.is_err(), "the second tick came early");
            every.reset();
            for behavior in [
                weft::time::MissedTickBehavior::Burst,
                weft::time::MissedTickBehavior::Delay,
                weft::time::MissedTickBehavior::Skip,
            ] {
                let mut i = weft::time::interval_at(weft::time::Instant::now(), period);
                i.set_missed_tick_behavior(behavior);
                i.tick().await;
                assert!(weft::time::timeout(Duration::from_millis(5), i.tick())
                    .await
                    .is_err());
            }
        }
    });
}
