//! Feature `tokio-io`: weft's streams implement `tokio::io::AsyncRead` and
//! `AsyncWrite`, with no tokio runtime anywhere.
#![cfg(feature = "tokio-io")]

use std::future::poll_fn;
use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use weft::net::{TcpListener, TcpStream, UnixStream};

async fn write_all<W: AsyncWrite + Unpin>(w: &mut W, mut buf: &[u8]) {
    while !buf.is_empty() {
        let n = poll_fn(|cx| Pin::new(&mut *w).poll_write(cx, buf)).await.unwrap();
        buf = &buf[n..];
    }
}

async fn read_to_end<R: AsyncRead + Unpin>(r: &mut R) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 7]; // small, so the reads take several turns
    loop {
        let mut buf = ReadBuf::new(&mut chunk);
        poll_fn(|cx| Pin::new(&mut *r).poll_read(cx, &mut buf))
            .await
            .unwrap();
        if buf.filled().is_empty() {
            return out;
        }
        out.extend_from_slice(buf.filled());
    }
}

#[test]
fn tcp_round_trip_through_tokio_traits() {
    let rt = weft::Runtime::builder().worker_threads(2).build().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = weft::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            let (mut r, mut w) = s.into_split();
            let got = read_to_end(&mut r).await;
            write_all(&mut w, &got).await;
            poll_fn(|cx| Pin::new(&mut w).poll_shutdown(cx)).await.unwrap();
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        let msg: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        write_all(&mut c, &msg).await;
        // tokio's shutdown is a half-close: the server reads EOF and answers.
        poll_fn(|cx| Pin::new(&mut c).poll_shutdown(cx)).await.unwrap();
        assert_eq!(read_to_end(&mut c).await, msg);
        server.await.unwrap();
    });
}

#[test]
fn unix_round_trip_through_tokio_traits() {
    let rt = weft::Runtime::builder().worker_threads(1).build().unwrap();
    rt.block_on(async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        write_all(&mut a, b"over tokio's traits").await;
        poll_fn(|cx| Pin::new(&mut a).poll_shutdown(cx)).await.unwrap();
        assert_eq!(read_to_end(&mut b).await, b"over tokio's traits");
    });
}
