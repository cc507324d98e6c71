//! Error messages of the net types name what failed (the address in use,
//! each address that refused, the host that did not resolve) and keep the
//! OS error's `io::ErrorKind`, so code matching on the kind still works.

use std::io::ErrorKind;
use std::net::SocketAddr;

use weft::net::{TcpListener, TcpSocket, TcpStream, UdpSocket};
use weft::Runtime;

fn rt() -> Runtime {
    Runtime::builder().worker_threads(1).build().unwrap()
}

/// A port with nothing listening on it (bound, then closed).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn bind_to_an_address_in_use_names_the_address() {
    rt().block_on(async {
        let first = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = first.local_addr().unwrap();
        let err = TcpListener::bind(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("address {addr} is already in use: ")),
            "{msg}"
        );

        // The same through the builder and for UDP.
        let s = TcpSocket::new_v4().unwrap();
        let err = s.bind(addr).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
        assert!(
            err.to_string()
                .contains(&format!("address {addr} is already in use")),
            "{err}"
        );

        let u = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let uaddr = u.local_addr().unwrap();
        let err = UdpSocket::bind(uaddr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
        assert!(
            err.to_string()
                .contains(&format!("address {uaddr} is already in use")),
            "{err}"
        );
    });
}

#[test]
fn refused_connect_names_the_address() {
    rt().block_on(async {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("connection to {addr} refused: ")),
            "{msg}"
        );

        let err = TcpSocket::new_v4().unwrap().connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        assert!(
            err.to_string()
                .starts_with(&format!("connection to {addr} refused: ")),
            "{err}"
        );
    });
}

#[test]
fn connect_to_several_addresses_names_each_one_tried() {
    rt().block_on(async {
        let port = free_port();
        let a: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let b: SocketAddr = format!("127.0.0.2:{port}").parse().unwrap();
        let err = TcpStream::connect(&[a, b][..]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        let msg = err.to_string();
        assert!(msg.contains("each of its 2 addresses failed"), "{msg}");
        assert!(msg.contains(&format!("connection to {a} refused")), "{msg}");
        assert!(msg.contains(&format!("connection to {b} refused")), "{msg}");
    });
}

#[test]
fn connect_by_host_name_names_the_host_and_each_address() {
    rt().block_on(async {
        let port = free_port();
        let host = format!("localhost:{port}");
        let addrs: Vec<SocketAddr> = weft::net::lookup_host(host.as_str()).await.unwrap().collect();
        let err = TcpStream::connect(host.as_str()).await.unwrap_err();
        let msg = err.to_string();
        for addr in &addrs {
            assert!(msg.contains(&addr.to_string()), "{msg} does not name {addr}");
        }
        if addrs.len() > 1 {
            assert!(msg.contains(&format!("could not connect to {host}")), "{msg}");
        }
    });
}

#[test]
fn failed_lookup_names_the_host() {
    rt().block_on(async {
        // No port: the resolver rejects it before any DNS query.
        let err = weft::net::lookup_host("no-port-here").await.err().unwrap();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(
            err.to_string()
                .starts_with("failed to look up host \"no-port-here\": "),
            "{err}"
        );

        // A name that does not exist (the .invalid TLD never resolves), via
        // lookup_host and via connect.
        let err = weft::net::lookup_host("nosuch.invalid:80").await.err().unwrap();
        assert!(
            err.to_string()
                .contains("failed to look up host \"nosuch.invalid:80\""),
            "{err}"
        );
        let err = TcpStream::connect("nosuch.invalid:80").await.unwrap_err();
        assert!(err.to_string().contains("\"nosuch.invalid:80\""), "{err}");
    });
}
