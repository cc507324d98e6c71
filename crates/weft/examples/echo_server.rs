//! A TCP echo server on weft that survives `accept` errors.
//!
//! ```text
//! cargo run --release --example echo_server                     # 127.0.0.1:7000
//! cargo run --release --example echo_server -- 0.0.0.0:7777
//! cargo run --release --example echo_server -- --self-test
//! ```
//!
//! `accept` can fail for reasons that pass: `EMFILE`/`ENFILE` (out of file
//! descriptors), `ENOBUFS`/`ENOMEM`, `ECONNABORTED`. Retrying at once spins a
//! core while the condition lasts; returning ends the server. Instead the
//! accept loop logs the error and sleeps, 10 ms at first, doubling up to 1 s,
//! back to 10 ms after the next successful accept.
//!
//! `--self-test` serves on an ephemeral port, runs concurrent clients that
//! check their echoes, then lowers the process's file-descriptor limit
//! until `accept` fails with `EMFILE`, checks that the server backs off and
//! recovers once descriptors are free again, and exits 0.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use weft::io::{AsyncReadExt, AsyncWriteExt};
use weft::net::{TcpListener, TcpStream};

/// First pause after an `accept` error.
const BACKOFF_MIN: Duration = Duration::from_millis(10);
/// Longest pause between attempts.
const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The doubling delay between failed accepts.
#[derive(Debug)]
struct Backoff {
    next: Duration,
}

impl Backoff {
    fn new() -> Self {
        Backoff { next: BACKOFF_MIN }
    }

    /// The pause to take now; doubles the next one, up to [`BACKOFF_MAX`].
    fn fail(&mut self) -> Duration {
        let now = self.next;
        self.next = (self.next * 2).min(BACKOFF_MAX);
        now
    }

    fn succeed(&mut self) {
        self.next = BACKOFF_MIN;
    }
}

/// Accepts forever; each connection is echoed by its own task.
async fn serve(listener: TcpListener) {
    let mut backoff = Backoff::new();
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                backoff.succeed();
                weft::spawn(async move {
                    if let Err(e) = echo(stream).await {
                        eprintln!("{peer}: {e}");
                    }
                });
            }
            Err(e) => {
                let pause = backoff.fail();
                eprintln!("accept: {e}; retrying in {pause:?}");
                weft::time::sleep(pause).await;
            }
        }
    }
}

/// Writes back everything read until the peer closes.
async fn echo(mut stream: TcpStream) -> io::Result<()> {
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}

#[weft::main(worker_threads = 2)]
async fn main() -> io::Result<()> {
    let arg = std::env::args().nth(1);
    if arg.as_deref() == Some("--self-test") {
        self_test().await?;
        println!("echo_server self-test: ok");
        return Ok(());
    }
    let addr = arg.unwrap_or_else(|| "127.0.0.1:7000".to_owned());
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("echoing on {}", listener.local_addr()?);
    serve(listener).await;
    Ok(())
}

/// Connects, sends `rounds` messages of `size` bytes and checks each echo.
async fn client(addr: SocketAddr, id: usize, rounds: usize, size: usize) -> io::Result<()> {
    let mut s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    let mut back = vec![0u8; size];
    for round in 0..rounds {
        let msg: Vec<u8> = (0..size).map(|i| (id * 31 + round * 7 + i) as u8).collect();
        s.write_all(&msg).await?;
        s.read_exact(&mut back).await?;
        if back != msg {
            return Err(io::Error::other(format!(
                "client {id}: round {round} echoed wrong bytes"
            )));
        }
    }
    s.close().await?;
    // After our FIN the server closes too: read sees EOF.
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).await?;
    Ok(())
}

async fn self_test() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = weft::spawn(serve(listener));

    let check = async {
        let clients: Vec<_> = (0..16)
            .map(|id| weft::spawn(client(addr, id, 50, 1 + id * 700)))
            .collect();
        for c in clients {
            c.await.map_err(io::Error::other)??;
        }
        println!("16 clients echoed 50 messages each");
        emfile_recovery(addr).await
    };
    let result = weft::time::timeout(Duration::from_secs(20), check)
        .await
        .map_err(|_| io::Error::other("self-test timed out after 20 s"))?;
    server.abort();
    result
}

/// Exhausts file descriptors so the server's `accept` fails with `EMFILE`,
/// then frees them and checks that a pending client is served.
#[cfg(unix)]
async fn emfile_recovery(addr: SocketAddr) -> io::Result<()> {
    use std::time::Instant;

    // Fill the descriptor table with cheap sockets (no raising or lowering
    // of RLIMIT_NOFILE needed, and no dependency on libc): open until the
    // process is out of descriptors, then free exactly one for our client.
    let mut hog = Vec::new();
    let limit = 1 << 16;
    loop {
        match std::net::UdpSocket::bind("127.0.0.1:0") {
            Ok(s) => hog.push(s),
            Err(e) if e.raw_os_error() == Some(24) => break, // EMFILE
            Err(e) => return Err(e),
        }
        if hog.len() >= limit {
            println!("emfile check skipped: the descriptor limit is above {limit}");
            return Ok(());
        }
    }
    // One descriptor for the client's socket; the server's accept then has
    // none for the connection it takes from the backlog.
    hog.pop();
    let start = Instant::now();
    let connecting = weft::spawn(async move {
        let mut s = TcpStream::connect(addr).await?;
        s.write_all(b"still there?").await?;
        let mut back = [0u8; 12];
        s.read_exact(&mut back).await?;
        Ok::<_, io::Error>(back)
    });
    // Let the server fail a few times and back off (10 + 20 + 40 ms ...).
    weft::time::sleep(Duration::from_millis(100)).await;
    drop(hog);
    let back = connecting.await.map_err(io::Error::other)??;
    if &back != b"still there?" {
        return Err(io::Error::other("wrong echo after EMFILE"));
    }
    println!("served a client after EMFILE backoff in {:?}", start.elapsed());
    Ok(())
}

#[cfg(not(unix))]
async fn emfile_recovery(_: SocketAddr) -> io::Result<()> {
    Ok(())
}
