//! A websocket echo server and client on weft, with tokio-tungstenite over
//! weft's `TcpStream` (the `tokio-io` feature: weft's streams implement
//! tokio's `AsyncRead`/`AsyncWrite`, so no adapter and no tokio runtime).
//!
//! ```text
//! cargo run --release --features tokio-io --example websocket_echo            # ws://127.0.0.1:9001
//! cargo run --release --features tokio-io --example websocket_echo -- --self-test
//! ```
//!
//! `--self-test` serves on an ephemeral port, connects three clients at
//! once, sends text and binary messages and a ping, checks the echoes and a
//! clean close, and exits 0, or non-zero with the reason.

use std::error::Error;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use weft::net::{TcpListener, TcpStream};

type BoxError = Box<dyn Error + Send + Sync>;

/// Echoes every text and binary message until the client closes.
async fn echo(stream: TcpStream) -> Result<(), BoxError> {
    let mut ws = tokio_tungstenite::accept_async(stream).await?;
    while let Some(msg) = ws.next().await {
        // tungstenite answers pings and closes by itself.
        if let m @ (Message::Text(_) | Message::Binary(_)) = msg? {
            ws.send(m).await?;
        }
    }
    Ok(())
}

async fn serve(listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                weft::spawn(async move {
                    if let Err(e) = echo(stream).await {
                        eprintln!("{peer}: {e}");
                    }
                });
            }
            Err(e) => {
                // EMFILE and friends: back off (see examples/echo_server.rs).
                eprintln!("accept: {e}");
                weft::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

fn main() -> Result<(), BoxError> {
    let arg = std::env::args().nth(1);
    let rt = weft::Runtime::builder().worker_threads(2).build()?;
    if arg.as_deref() == Some("--self-test") {
        rt.block_on(self_test())?;
        println!("websocket_echo self-test: ok");
        return Ok(());
    }
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:9001").await?;
        println!("echoing websockets on ws://{}", listener.local_addr()?);
        serve(listener).await;
        Ok(())
    })
}

/// One client: connects, checks echoes of text, binary and a pong, closes.
async fn client(addr: SocketAddr, id: usize) -> Result<(), BoxError> {
    let stream = TcpStream::connect(addr).await?;
    let (mut ws, _resp) = tokio_tungstenite::client_async(format!("ws://{addr}/"), stream).await?;
    for i in 0..20 {
        let text = format!("client {id} message {i}");
        ws.send(Message::text(text.clone())).await?;
        match ws.next().await.ok_or("connection closed early")?? {
            Message::Text(t) if t.as_str() == text => {}
            other => return Err(format!("client {id}: sent {text:?}, got {other:?}").into()),
        }
    }
    let blob: Vec<u8> = (0..100_000u32).map(|i| (i * 7 + id as u32) as u8).collect();
    ws.send(Message::binary(blob.clone())).await?;
    match ws.next().await.ok_or("connection closed early")?? {
        Message::Binary(b) if b[..] == blob[..] => {}
        other => return Err(format!("client {id}: binary echo wrong: {} bytes", other.len()).into()),
    }
    ws.send(Message::Ping(b"are you there".to_vec().into())).await?;
    match ws.next().await.ok_or("connection closed early")?? {
        Message::Pong(p) if &p[..] == b"are you there" => {}
        other => return Err(format!("client {id}: wanted a pong, got {other:?}").into()),
    }
    ws.close(None).await?;
    // The server's close frame answers ours; then the stream ends.
    while let Some(msg) = ws.next().await {
        msg?;
    }
    Ok(())
}

async fn self_test() -> Result<(), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = weft::spawn(serve(listener));
    let check = async {
        let clients: Vec<_> = (0..3).map(|id| weft::spawn(client(addr, id))).collect();
        for c in clients {
            c.await.map_err(|e| format!("client task: {e}"))??;
        }
        Ok::<(), BoxError>(())
    };
    let result = weft::time::timeout(Duration::from_secs(20), check)
        .await
        .map_err(|_| "self-test timed out after 20 s")?;
    server.abort();
    result
}
