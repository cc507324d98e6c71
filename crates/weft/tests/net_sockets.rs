//! Net types as a user reaches them: the `TcpSocket` builder, descriptors
//! (`AsFd`, `socket2::SockRef`), `into_std`/`from_std` round trips, the
//! `Stream` impls, the listen backlog, and the auto traits of the futures.

use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use futures_util::StreamExt;
use weft::io::{AsyncReadExt, AsyncWriteExt};
use weft::net::{TcpListener, TcpSocket, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use weft::Runtime;

fn rt() -> Runtime {
    Runtime::builder().worker_threads(2).build().unwrap()
}

fn tmp_path(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("weft-net-{}-{name}.sock", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn tcp_socket_options_read_back() {
    rt().block_on(async {
        let s = TcpSocket::new_v4().unwrap();
        s.set_reuseaddr(true).unwrap();
        assert!(s.reuseaddr().unwrap());
        s.set_reuseaddr(false).unwrap();
        assert!(!s.reuseaddr().unwrap());
        s.set_reuseport(true).unwrap();
        assert!(s.reuseport().unwrap());
        s.set_keepalive(true).unwrap();
        assert!(s.keepalive().unwrap());
        s.set_nodelay(true).unwrap();
        assert!(s.nodelay().unwrap());
        s.set_linger(Some(Duration::from_secs(3))).unwrap();
        assert_eq!(s.linger().unwrap(), Some(Duration::from_secs(3)));
        s.set_linger(None).unwrap();
        assert_eq!(s.linger().unwrap(), None);
        // The kernel rounds buffer sizes (Linux doubles them): at least
        // what was asked for, and different from what a far smaller ask gives.
        s.set_recv_buffer_size(256 * 1024).unwrap();
        let big = s.recv_buffer_size().unwrap();
        assert!(big >= 256 * 1024, "SO_RCVBUF read back {big}");
        s.set_send_buffer_size(8 * 1024).unwrap();
        let small = s.send_buffer_size().unwrap();
        assert!(small >= 8 * 1024 && small < big, "SO_SNDBUF read back {small}");

        s.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = s.local_addr().unwrap();
        assert_ne!(addr.port(), 0);
        let listener = s.listen(64).unwrap();
        assert_eq!(listener.local_addr().unwrap(), addr);

        let v6 = TcpSocket::new_v6();
        if let Ok(v6) = v6 {
            v6.set_nodelay(true).unwrap();
            assert!(v6.nodelay().unwrap());
        }
    });
}

#[test]
fn tcp_socket_connects_with_its_options_and_accepted_streams_take_sockref_options() {
    rt().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = TcpSocket::new_v4().unwrap();
        client.set_keepalive(true).unwrap();
        client.set_nodelay(true).unwrap();
        let (mut c, accepted) = futures_util::join!(client.connect(addr), listener.accept());
        let c = c.as_mut().unwrap();
        let (mut server, peer) = accepted.unwrap();
        assert_eq!(peer, c.local_addr().unwrap());
        assert!(c.nodelay().unwrap());
        assert!(socket2::SockRef::from(&*c).keepalive().unwrap());

        // An accepted stream's options through socket2, the case.
        let sock = socket2::SockRef::from(&server);
        sock.set_keepalive(true).unwrap();
        sock.set_linger(Some(Duration::from_secs(1))).unwrap();
        assert!(sock.keepalive().unwrap());
        assert_eq!(server.linger().unwrap(), Some(Duration::from_secs(1)));
        server.set_linger(None).unwrap();
        assert_eq!(sock.linger().unwrap(), None);
        assert_eq!(server.as_fd().as_raw_fd(), server.as_raw_fd());

        c.write_all(b"ping").await.unwrap();
        let mut buf = [0; 4];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
    });
}

#[test]
fn tcp_into_std_and_back_keeps_the_connection() {
    rt().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (c, accepted) = futures_util::join!(TcpStream::connect(addr), listener.accept());
        let mut c = c.unwrap();
        let (server, _) = accepted.unwrap();

        c.write_all(b"before").await.unwrap();
        // Out to std: bytes already received are still there to read.
        let mut std_server = server.into_std().unwrap();
        std_server.set_nonblocking(false).unwrap();
        let mut buf = [0; 6];
        std_server.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"before");
        std_server.write_all(b"from std").unwrap();
        let mut back = [0; 8];
        c.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"from std");

        // And back into weft.
        let mut server = TcpStream::from_std(std_server).unwrap();
        c.write_all(b"again").await.unwrap();
        let mut buf = [0; 5];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"again");

        // The listener too: still listening after the round trip.
        let listener = TcpListener::from_std(listener.into_std().unwrap()).unwrap();
        let (c2, accepted) = futures_util::join!(TcpStream::connect(addr), listener.accept());
        assert_eq!(accepted.unwrap().1, c2.unwrap().local_addr().unwrap());
    });
}

#[test]
fn udp_and_unix_into_std_and_back() {
    rt().block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b_addr = b.local_addr().unwrap();
        let a = UdpSocket::from_std(a.into_std().unwrap()).unwrap();
        a.send_to(b"dgram", b_addr).await.unwrap();
        let mut buf = [0; 8];
        let (n, _) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"dgram");
        assert!(socket2::SockRef::from(&b).recv_buffer_size().unwrap() > 0);

        let path = tmp_path("rt");
        let l = UnixListener::bind(&path).unwrap();
        let l = UnixListener::from_std(l.into_std().unwrap()).unwrap();
        let (c, accepted) = futures_util::join!(UnixStream::connect(&path), l.accept());
        let c = UnixStream::from_std(c.unwrap().into_std().unwrap()).unwrap();
        let (s, _) = accepted.unwrap();
        let mut std_s = s.into_std().unwrap();
        std_s.set_nonblocking(false).unwrap();
        let mut c = c;
        c.write_all(b"unix").await.unwrap();
        let mut buf = [0; 4];
        std_s.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"unix");
        assert!(c.as_raw_fd() >= 0 && l.as_fd().as_raw_fd() >= 0);
        std::fs::remove_file(&path).unwrap();

        let (x, y) = UnixDatagram::pair().unwrap();
        let x = UnixDatagram::from_std(x.into_std().unwrap()).unwrap();
        x.send(b"d").await.unwrap();
        let mut one = [0; 1];
        assert_eq!(y.recv(&mut one).await.unwrap(), 1);
        assert!(y.as_raw_fd() >= 0);
    });
}

#[test]
fn tcp_listener_is_a_stream_of_connections() {
    rt().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let clients = weft::spawn(async move {
            let mut kept = Vec::new();
            for _ in 0..3 {
                kept.push(TcpStream::connect(addr).await.unwrap());
            }
            kept
        });
        let accepted: Vec<TcpStream> = listener.take(3).map(|r| r.unwrap()).collect().await;
        let clients = clients.await.unwrap();
        let mut peers: Vec<_> = accepted.iter().map(|s| s.peer_addr().unwrap()).collect();
        let mut locals: Vec<_> = clients.iter().map(|s| s.local_addr().unwrap()).collect();
        peers.sort();
        locals.sort();
        assert_eq!(peers, locals);
    });
}

#[test]
fn unix_listener_is_a_stream_of_connections() {
    rt().block_on(async {
        let path = tmp_path("stream");
        let mut listener = UnixListener::bind(&path).unwrap();
        let p = path.clone();
        let client = weft::spawn(async move {
            let mut c = UnixStream::connect(&p).await.unwrap();
            c.write_all(b"hi").await.unwrap();
        });
        let mut s = listener.next().await.unwrap().unwrap();
        let mut buf = [0; 2];
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hi");
        client.await.unwrap();
        std::fs::remove_file(&path).unwrap();
    });
}

#[test]
fn interval_is_a_stream_of_ticks() {
    rt().block_on(async {
        let period = Duration::from_millis(5);
        let ticks: Vec<_> = weft::time::interval(period).take(3).collect().await;
        assert_eq!(ticks.len(), 3);
        // Scheduled instants, one period apart (not when they were seen).
        assert_eq!(ticks[1] - ticks[0], period);
        assert_eq!(ticks[2] - ticks[1], period);
    });
}

/// The listen backlog of `TcpListener::bind` is 1024 (tokio's), not
/// mio's 128: with nothing accepting, many more than 128 connects complete
/// (Linux queues backlog + 1 handshaken connections, then drops SYNs, so
/// a connect past the backlog would time out below).
#[test]
fn bind_listens_with_a_backlog_of_1024() {
    let somaxconn: u32 = match std::fs::read_to_string("/proc/sys/net/core/somaxconn") {
        Ok(s) => s.trim().parse().unwrap(),
        Err(e) => {
            println!("note: backlog check skipped: cannot read net.core.somaxconn ({e})");
            return;
        }
    };
    if somaxconn < 1024 {
        println!("note: backlog check skipped: net.core.somaxconn is {somaxconn}, below 1024");
        return;
    }
    // Stay well under the descriptor limit (other tests share the process).
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    let n = 1000.min(soft.saturating_sub(200) as usize);
    if n <= 300 {
        println!("note: backlog check skipped: RLIMIT_NOFILE {soft} leaves room for only {n} connections");
        return;
    }
    let rt = rt();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut clients = Vec::with_capacity(n);
    for i in 0..n {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(10)) {
            Ok(c) => clients.push(c),
            Err(e) => {
                panic!("connect {i} of {n} to a listener nobody accepts on failed ({e}): backlog below {n}")
            }
        }
    }
    assert_eq!(clients.len(), n);
    drop(listener);
}

/// `TcpSocket::listen(n)` sets the backlog: with `n = 8` and nothing
/// accepting, a connect past the queue does not complete.
#[test]
fn tcp_socket_listen_chooses_the_backlog() {
    let rt = rt();
    let _enter = rt.enter();
    let s = TcpSocket::new_v4().unwrap();
    s.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = s.listen(8).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut ok = Vec::new();
    let mut refused_at = None;
    for i in 0..64 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(1500)) {
            Ok(c) => ok.push(c),
            Err(_) => {
                refused_at = Some(i);
                break;
            }
        }
    }
    let at = refused_at.expect("64 connects completed on a listener with backlog 8");
    assert!(
        (8..=16).contains(&at),
        "the queue held {at} connections with backlog 8"
    );
}

fn send_sync<T: Send + Sync>(_: &T) {}
fn send<T: Send>(_: &T) {}

/// The futures of connect, bind, accept and lookup are `Send` (and
/// `Sync`, as tokio's are), so they can be held across awaits in spawned
/// tasks and in `Sync` containers.
#[test]
fn net_futures_are_send_and_sync() {
    let rt = rt();
    let _enter = rt.enter();
    send_sync(&TcpStream::connect("127.0.0.1:1"));
    send_sync(&TcpStream::connect(("localhost", 1)));
    send_sync(&TcpListener::bind("127.0.0.1:0"));
    send_sync(&UdpSocket::bind("127.0.0.1:0"));
    send_sync(&weft::net::lookup_host("localhost:80"));
    send_sync(
        &TcpSocket::new_v4()
            .unwrap()
            .connect("127.0.0.1:1".parse().unwrap()),
    );
    send_sync(&UnixStream::connect("/nonexistent"));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listener = TcpListener::from_std(listener).unwrap();
    send_sync(&listener.accept());
    let udp = rt.block_on(UdpSocket::bind("127.0.0.1:0")).unwrap();
    send_sync(&udp.connect("127.0.0.1:9"));
    send_sync(&udp.send_to(b"x", "127.0.0.1:9"));
    let path = tmp_path("sendsync");
    let ul = UnixListener::bind(&path).unwrap();
    send(&ul.accept());
    std::fs::remove_file(&path).unwrap();
}
