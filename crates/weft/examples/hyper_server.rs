//! A hyper 1.x HTTP/1 hello-world server on weft.
//!
//! ```text
//! cargo run --release --features hyper --example hyper_server            # 127.0.0.1:3000
//! cargo run --release --features hyper --example hyper_server -- 8080    # 127.0.0.1:8080
//! cargo run --release --features hyper --example hyper_server -- --self-test
//! ```
//!
//! `--self-test` serves on an ephemeral port, sends requests to it with a
//! hyper client on the same runtime (keep-alive and fresh connections), checks
//! the answers and exits 0, or non-zero with the reason. It takes well under a
//! second, for CI.
//!
//! hyper needs three things from a runtime (I/O traits, an executor, a timer);
//! `weft::compat::hyper` (the `hyper` feature) provides them for weft.

use std::convert::Infallible;
use std::error::Error;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::rt::Executor;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use weft::compat::hyper::{HyperExecutor, HyperIo, HyperTimer};
use weft::net::{TcpListener, TcpStream};

type BoxError = Box<dyn Error + Send + Sync>;

const HELLO: &str = "Hello, world!\n";

/// Answers every request with [`HELLO`], except `/missing` (404).
async fn hello(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body) = match req.uri().path() {
        "/missing" => (StatusCode::NOT_FOUND, "not found\n"),
        _ => (StatusCode::OK, HELLO),
    };
    let mut resp = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *resp.status_mut() = status;
    Ok(resp)
}

/// Accepts connections forever, one task per connection.
async fn serve(listener: TcpListener) {
    loop {
        let (stream, _peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                // EMFILE and friends: see examples/echo_server.rs for a
                // backoff that doubles; a short pause is enough here.
                eprintln!("accept: {e}");
                weft::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        weft::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(HyperTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(HyperIo::new(stream), service_fn(hello));
            if let Err(e) = conn.await {
                eprintln!("connection: {e}");
            }
        });
    }
}

#[weft::main(worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let arg = std::env::args().nth(1);
    if arg.as_deref() == Some("--self-test") {
        self_test().await?;
        println!("hyper_server self-test: ok");
        return Ok(());
    }
    let port: u16 = match arg {
        Some(p) => p
            .parse()
            .map_err(|e| format!("port {p:?}: {e} (usage: hyper_server [PORT | --self-test])"))?,
        None => 3000,
    };
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    serve(listener).await;
    Ok(())
}

/// Opens an HTTP/1 client connection over weft; the connection task runs on
/// [`HyperExecutor`].
async fn connect(addr: SocketAddr) -> Result<SendRequest<Empty<Bytes>>, BoxError> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::Builder::new()
        .handshake(HyperIo::new(stream))
        .await?;
    HyperExecutor::new().execute(async move {
        if let Err(e) = conn.await {
            eprintln!("client connection: {e}");
        }
    });
    Ok(sender)
}

/// Sends `GET path` and returns the status and body.
async fn get(sender: &mut SendRequest<Empty<Bytes>>, path: &str) -> Result<(StatusCode, Bytes), BoxError> {
    sender.ready().await?;
    let req = Request::get(path)
        .header("host", "weft.test")
        .body(Empty::new())?;
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

async fn self_test() -> Result<(), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = weft::spawn(serve(listener));

    let check = async {
        // Keep-alive: many requests on one connection.
        let mut sender = connect(addr).await?;
        for i in 0..20 {
            let (status, body) = get(&mut sender, &format!("/hello/{i}")).await?;
            if status != StatusCode::OK || body != HELLO.as_bytes() {
                return Err(format!("GET /hello/{i}: {status} {body:?}").into());
            }
        }
        let (status, _) = get(&mut sender, "/missing").await?;
        if status != StatusCode::NOT_FOUND {
            return Err(format!("GET /missing: {status}, wanted 404").into());
        }

        // Concurrent connections, each from its own task.
        let clients: Vec<_> = (0..8)
            .map(|_| {
                weft::spawn(async move {
                    let mut sender = connect(addr).await?;
                    for _ in 0..10 {
                        let (status, body) = get(&mut sender, "/").await?;
                        if status != StatusCode::OK || body != HELLO.as_bytes() {
                            return Err::<(), BoxError>(format!("GET /: {status} {body:?}").into());
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        for c in clients {
            c.await.map_err(|e| format!("client task: {e}"))??;
        }

        // The timer: a sleep through hyper's trait, reset to sooner.
        let timer = HyperTimer::new();
        let start = std::time::Instant::now();
        let mut sleep = hyper::rt::Timer::sleep(&timer, Duration::from_secs(60));
        hyper::rt::Timer::reset(&timer, &mut sleep, start + Duration::from_millis(5));
        sleep.await;
        let waited = start.elapsed();
        if waited < Duration::from_millis(5) || waited > Duration::from_secs(5) {
            return Err(format!("reset sleep took {waited:?}").into());
        }
        Ok::<(), BoxError>(())
    };
    let result = weft::time::timeout(Duration::from_secs(20), check)
        .await
        .map_err(|_| "self-test timed out after 20 s")?;
    server.abort();
    result
}
