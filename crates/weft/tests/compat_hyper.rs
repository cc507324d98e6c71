//! `weft::compat::hyper` (feature `hyper`): a hyper server on weft, hit by
//! hyper-util's pooled client through `HttpConnector`, all on one weft
//! runtime.
#![cfg(feature = "hyper")]

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use weft::compat::hyper::{HttpConnector, HyperExecutor, HyperIo, HyperTimer};
use weft::net::TcpListener;

/// Serves `path` echoed back; counts the connections it accepted.
async fn serve(listener: TcpListener, connections: Arc<AtomicUsize>) {
    while let Ok((stream, _)) = listener.accept().await {
        connections.fetch_add(1, SeqCst);
        weft::spawn(async move {
            let service = hyper::service::service_fn(|req: Request<Incoming>| async move {
                let body = format!("path={}", req.uri().path());
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(body))))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(HyperTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(HyperIo::new(stream), service)
                .await;
        });
    }
}

#[test]
fn pooled_client_reuses_one_connection_to_a_hyper_server_on_weft() {
    let rt = weft::Runtime::builder().worker_threads(2).build().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let server = weft::spawn(serve(listener, connections.clone()));

        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(HyperExecutor::new())
            .pool_timer(HyperTimer::new())
            .timer(HyperTimer::new())
            .build::<_, Empty<Bytes>>(connector);
        // The pool takes a finished connection back once its task has read
        // the end of the response, which can lose a race with the next
        // request; so send requests until one goes over a reused connection
        // (a pause between them makes that near certain; 50 only bounds it).
        let mut sent = 0;
        while sent < 50 {
            let uri = format!("http://{addr}/req/{sent}").parse().unwrap();
            let resp = client.get(uri).await.unwrap();
            assert_eq!(resp.status(), 200);
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(body, format!("path=/req/{sent}"));
            sent += 1;
            if connections.load(SeqCst) < sent {
                break;
            }
            weft::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            connections.load(SeqCst) < sent,
            "{sent} sequential requests opened {} connections: the pool never reused one",
            connections.load(SeqCst)
        );

        // Concurrent requests open more connections, all answered.
        let tasks: Vec<_> = (0..4)
            .map(|i| {
                let client = client.clone();
                weft::spawn(async move {
                    let uri = format!("http://localhost:{}/c/{i}", addr.port()).parse().unwrap();
                    let resp = client.get(uri).await.unwrap();
                    resp.into_body().collect().await.unwrap().to_bytes()
                })
            })
            .collect();
        for (i, t) in tasks.into_iter().enumerate() {
            assert_eq!(t.await.unwrap(), format!("path=/c/{i}"));
        }
        server.abort();
    });
}

#[test]
fn http_connector_refuses_https_and_names_a_refused_address() {
    let rt = weft::Runtime::builder().worker_threads(1).build().unwrap();
    rt.block_on(async {
        let client = Client::builder(HyperExecutor::new()).build::<_, Empty<Bytes>>(HttpConnector::new());
        let err = client
            .get("https://127.0.0.1:1/".parse().unwrap())
            .await
            .unwrap_err();
        let source = std::error::Error::source(&err)
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(source.contains("http:// only"), "{err}: {source}");

        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = client
            .get(format!("http://127.0.0.1:{port}/").parse().unwrap())
            .await
            .unwrap_err();
        let source = std::error::Error::source(&err)
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(
            source.contains(&format!("connection to 127.0.0.1:{port} refused")),
            "{err}: {source}"
        );
    });
}
