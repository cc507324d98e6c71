//! Adapters to ecosystem crates, each behind a cargo feature (off by
//! default).
//!
//! * `hyper`: `weft::compat::hyper` has the pieces hyper 1.x asks of a
//!   runtime (`HyperIo`, `HyperExecutor`, `HyperTimer`) and a connector
//!   for hyper-util's pooled client (`HttpConnector`).
//! * `tokio-io`: weft's sockets implement `tokio::io::AsyncRead` and
//!   `AsyncWrite` besides the `futures-io` traits, so crates written
//!   against tokio's I/O traits (tokio-tungstenite, tokio-rustls,
//!   hyper-util's `TokioIo`) take them directly. No tokio runtime is
//!   started: tokio is a dependency for its traits only.

#[cfg(feature = "hyper")]
pub mod hyper;
