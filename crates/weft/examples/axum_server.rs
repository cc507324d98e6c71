//! An axum `Router` served on weft, through hyper and `weft::compat::hyper`.
//!
//! ```text
//! cargo run --release --features hyper --example axum_server            # 127.0.0.1:3000
//! cargo run --release --features hyper --example axum_server -- 8080
//! cargo run --release --features hyper --example axum_server -- --self-test
//! ```
//!
//! axum's own `axum::serve` needs a tokio runtime (its `tokio` feature), so
//! it is left out (`default-features = false`). A `Router` is a tower
//! `Service`; hyper-util's `TowerToHyperService` makes it a hyper service,
//! and each accepted weft `TcpStream` is served by hyper's HTTP/1
//! connection through `HyperIo`, with `HyperTimer` for its timeouts.
//!
//! `--self-test` serves on an ephemeral port and checks each route with
//! hyper-util's pooled client on the same weft runtime
//! (`Client::builder(HyperExecutor::new()).build(HttpConnector::new())`),
//! then exits 0, or non-zero with the reason.

use std::error::Error;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::Path;
use axum::routing::{get, post};
use axum::Router;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::service::TowerToHyperService;
use weft::compat::hyper::{HttpConnector, HyperExecutor, HyperIo, HyperTimer};
use weft::net::TcpListener;

type BoxError = Box<dyn Error + Send + Sync>;

/// The application: three routes.
fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "Hello from axum on weft!\n" }))
        .route(
            "/users/{id}",
            get(|Path(id): Path<u32>| async move { format!("user {id}\n") }),
        )
        .route("/echo", post(|body: String| async move { body }))
}

/// Accepts forever; each connection is served by its own task.
async fn serve(listener: TcpListener, app: Router) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                // EMFILE and friends: back off (see examples/echo_server.rs).
                eprintln!("accept: {e}");
                weft::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        weft::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(HyperTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(HyperIo::new(stream), service);
            if let Err(e) = conn.await {
                eprintln!("connection: {e}");
            }
        });
    }
}

fn main() -> Result<(), BoxError> {
    let arg = std::env::args().nth(1);
    let rt = weft::Runtime::builder().worker_threads(2).build()?;
    if arg.as_deref() == Some("--self-test") {
        rt.block_on(self_test())?;
        println!("axum_server self-test: ok");
        return Ok(());
    }
    let port: u16 = match arg {
        Some(p) => p
            .parse()
            .map_err(|e| format!("port {p:?}: {e} (usage: axum_server [PORT | --self-test])"))?,
        None => 3000,
    };
    rt.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        println!("listening on http://{}", listener.local_addr()?);
        serve(listener, app()).await;
        Ok(())
    })
}

/// Sends one request and returns the status and body.
async fn call(
    client: &Client<HttpConnector, Full<Bytes>>,
    method: Method,
    uri: String,
    body: &'static str,
) -> Result<(StatusCode, Bytes), BoxError> {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .body(Full::new(Bytes::from_static(body.as_bytes())))?;
    let resp = client.request(req).await?;
    let status = resp.status();
    Ok((status, resp.into_body().collect().await?.to_bytes()))
}

async fn self_test() -> Result<(), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr: SocketAddr = listener.local_addr()?;
    let server = weft::spawn(serve(listener, app()));

    let check = async {
        let client = Client::builder(HyperExecutor::new())
            .pool_timer(HyperTimer::new())
            .build(HttpConnector::new());
        let base = format!("http://{addr}");
        let cases = [
            (Method::GET, "/", "", StatusCode::OK, "Hello from axum on weft!\n"),
            (Method::GET, "/users/42", "", StatusCode::OK, "user 42\n"),
            (Method::POST, "/echo", "ping", StatusCode::OK, "ping"),
            (Method::GET, "/nope", "", StatusCode::NOT_FOUND, ""),
        ];
        for round in 0..3 {
            for (method, path, body, want_status, want_body) in &cases {
                let (status, got) = call(&client, method.clone(), format!("{base}{path}"), body).await?;
                if status != *want_status || got != want_body.as_bytes() {
                    return Err(format!("round {round}: {method} {path}: {status} {got:?}").into());
                }
            }
        }
        Ok::<(), BoxError>(())
    };
    let result = weft::time::timeout(Duration::from_secs(20), check)
        .await
        .map_err(|_| "self-test timed out after 20 s")?;
    server.abort();
    result
}
