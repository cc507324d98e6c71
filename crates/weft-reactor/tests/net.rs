//! Behaviour of the net types over the real reactor.

mod common;

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;

use common::TestRuntime;
use futures_util::future::join_all;
use weft_reactor::io::{AsyncReadExt, AsyncWriteExt};
use weft_reactor::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};

#[test]
fn tcp_echo_round_trip() {
    let rt = TestRuntime::new();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = async {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.set_nodelay(true).unwrap();
            assert!(s.nodelay().unwrap());
            s.write_all(b"hello weft").await.unwrap();
            let mut buf = [0; 10];
            s.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"hello weft");
            assert_eq!(s.peer_addr().unwrap(), addr);
        };
        let server = async {
            let (mut s, peer) = listener.accept().await.unwrap();
            assert_eq!(s.peer_addr().unwrap(), peer);
            let mut buf = [0; 10];
            s.read_exact(&mut buf).await.unwrap();
            s.write_all(&buf).await.unwrap();
        };
        futures_util::join!(client, server);
    });
}

#[test]
fn a_thousand_concurrent_connections_echo() {
    const N: usize = 1000;
    let rt = TestRuntime::new();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = rt.spawn_thread(move || async move {
        let mut conns = Vec::with_capacity(N);
        for _ in 0..N {
            conns.push(listener.accept().await.unwrap().0);
        }
        join_all(conns.into_iter().map(|mut s| async move {
            let mut buf = [0; 8];
            s.read_exact(&mut buf).await.unwrap();
            s.write_all(&buf).await.unwrap();
        }))
        .await;
    });
    rt.block_on(join_all((0..N).map(|i| async move {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let msg = (i as u64).to_le_bytes();
        s.write_all(&msg).await.unwrap();
        let mut buf = [0; 8];
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, msg);
    })));
    server.join().unwrap();
    assert_eq!(
        rt.handle.registered_sources(),
        0,
        "dropped sockets stay registered"
    );
}

#[test]
fn peer_close_reads_as_eof() {
    let rt = TestRuntime::new();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, accepted) = futures_util::join!(TcpStream::connect(addr), listener.accept());
        let mut client = client.unwrap();
        let (server, _) = accepted.unwrap();
        drop(server);
        let mut buf = [0; 16];
        assert_eq!(client.read(&mut buf).await.unwrap(), 0);
        assert_eq!(client.read(&mut buf).await.unwrap(), 0, "EOF is sticky");
    });
}

#[test]
fn poll_close_shuts_down_writes_so_the_peer_sees_eof() {
    let rt = TestRuntime::new();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, accepted) = futures_util::join!(TcpStream::connect(addr), listener.accept());
        let mut client = client.unwrap();
        let (mut server, _) = accepted.unwrap();
        client.write_all(b"bye").await.unwrap();
        client.close().await.unwrap();
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"bye");
        // The read direction of the client is still open.
        server.write_all(b"ok").await.unwrap();
        server.shutdown(Shutdown::Write).unwrap();
        let mut back = Vec::new();
        client.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"ok");
    });
}

#[test]
fn refused_connect_is_an_error_not_a_hang() {
    let rt = TestRuntime::new();
    // Bind then drop a listener: its port is (almost certainly) closed now.
    let addr: SocketAddr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let err = rt.block_on(TcpStream::connect(addr)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
}

#[test]
fn host_names_without_a_resolver_are_a_clear_error() {
    let rt = TestRuntime::new();
    let err = rt
        .block_on(TcpStream::connect("no-such-host.invalid:80"))
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("lookup_host"), "{err}");
}

#[test]
fn an_installed_resolver_is_used_for_host_names() {
    let rt = TestRuntime::new();
    rt.handle.set_resolver(Arc::new(|name: String| {
        Box::pin(async move {
            assert_eq!(name, "example.test:0");
            Ok(vec!["127.0.0.1:0".parse().unwrap()])
        }) as weft_reactor::net::ResolveFuture
    }));
    let l = rt.block_on(TcpListener::bind("example.test:0")).unwrap();
    assert!(l.local_addr().unwrap().ip().is_loopback());
}

#[test]
fn split_halves_read_and_write_concurrently() {
    let rt = TestRuntime::new();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, accepted) = futures_util::join!(TcpStream::connect(addr), listener.accept());
        let mut client = client.unwrap();
        let (server, _) = accepted.unwrap();
        let (mut sr, mut sw) = server.into_split();
        // Server echoes with owned halves via copy.
        let echo = async move {
            weft_reactor::io::copy(&mut sr, &mut sw).await.unwrap();
        };
        let talk = async {
            let (mut r, mut w) = TcpStream::split(&mut client);
            let payload = vec![7u8; 256 * 1024];
            let send = async {
                w.write_all(&payload).await.unwrap();
                w.close().await.unwrap();
            };
            let mut got = Vec::new();
            let recv = r.read_to_end(&mut got);
            let (_, n) = futures_util::join!(send, recv);
            assert_eq!(n.unwrap(), payload.len());
            assert_eq!(got, payload);
        };
        futures_util::join!(echo, talk);
    });
}

#[test]
fn udp_send_and_recv() {
    let rt = TestRuntime::new();
    rt.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        a.send_to(b"ping", b_addr).await.unwrap();
        let mut buf = [0; 16];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"ping"[..], a_addr));

        a.connect(b_addr).await.unwrap();
        b.connect(a_addr).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b_addr);
        b.send(b"pong").await.unwrap();
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"pong");
    });
}

fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("weft-reactor-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&dir);
    dir
}

#[test]
fn unix_stream_round_trip_through_a_listener() {
    let rt = TestRuntime::new();
    let path = temp_path("stream.sock");
    rt.block_on(async {
        let listener = UnixListener::bind(&path).unwrap();
        let client = async {
            let mut s = UnixStream::connect(&path).await.unwrap();
            s.write_all(b"unix").await.unwrap();
            let mut buf = [0; 4];
            s.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"UNIX");
        };
        let server = async {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0; 4];
            s.read_exact(&mut buf).await.unwrap();
            buf.make_ascii_uppercase();
            s.write_all(&buf).await.unwrap();
        };
        futures_util::join!(client, server);
    });
    let _ = std::fs::remove_file(&path);
}

#[test]
fn unix_stream_pair_and_eof() {
    let rt = TestRuntime::new();
    rt.block_on(async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        a.write_all(b"x").await.unwrap();
        drop(a);
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"x");
    });
}

#[test]
fn unix_datagrams() {
    let rt = TestRuntime::new();
    let path = temp_path("dgram.sock");
    rt.block_on(async {
        let (a, b) = UnixDatagram::pair().unwrap();
        a.send(b"one").await.unwrap();
        let mut buf = [0; 8];
        assert_eq!(b.recv(&mut buf).await.unwrap(), 3);
        assert_eq!(&buf[..3], b"one");

        let bound = UnixDatagram::bind(&path).unwrap();
        let sender = UnixDatagram::unbound().unwrap();
        sender.send_to(b"two", &path).await.unwrap();
        let (n, _from) = bound.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"two");
    });
    let _ = std::fs::remove_file(&path);
}

#[test]
fn tasks_sharing_a_listener_are_all_woken() {
    let rt = TestRuntime::new();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Several accept futures wait at once, each with its own waker
        // (join_all of this size gives each its own).
        let accepts = join_all((0..40).map(|_| listener.accept()));
        let connects = join_all((0..40).map(|_| TcpStream::connect(addr)));
        let (a, c) = futures_util::join!(accepts, connects);
        assert!(a.iter().all(|r| r.is_ok()) && c.iter().all(|r| r.is_ok()));
    });
}

#[test]
fn dropping_sockets_deregisters_them() {
    let rt = TestRuntime::new();
    rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let u = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        assert_eq!(rt.handle.registered_sources(), 2);
        drop((l, u));
        assert_eq!(rt.handle.registered_sources(), 0);
    });
}

#[test]
fn operations_fail_after_shutdown() {
    let rt = TestRuntime::new();
    let handle = rt.handle.clone();
    let (a, _b) = {
        let _g = handle.enter();
        UnixStream::pair().unwrap()
    };
    rt.shutdown();
    let mut a = a;
    let err = common::block_on_with(&handle, async { a.read(&mut [0; 4]).await }).unwrap_err();
    assert!(err.to_string().contains("shut down"), "{err}");
    let err = common::block_on_with(&handle, UdpSocket::bind("127.0.0.1:0")).unwrap_err();
    assert!(err.to_string().contains("shut down"), "{err}");
}

#[test]
#[should_panic(expected = "there is no weft runtime on this thread")]
fn creating_a_socket_outside_a_runtime_names_the_fix() {
    let _ = UnixStream::pair();
}
