//! hyper 1.x on weft: the pieces hyper asks of a runtime, and a connector
//! for hyper-util's pooled client (feature `hyper`).
//!
//! * [`HyperIo`] wraps a weft stream (or any `futures-io` stream) so it
//!   implements [`hyper::rt::Read`] and [`hyper::rt::Write`].
//! * [`HyperExecutor`] is a [`hyper::rt::Executor`] that spawns on the
//!   current weft runtime (HTTP/2 streams, the pooled client's connection
//!   tasks).
//! * [`HyperTimer`] is a [`hyper::rt::Timer`] on weft's timer wheel
//!   (`header_read_timeout`, keep-alive, HTTP/2 pings, pool idle timeouts).
//! * [`HttpConnector`] connects `http://` URIs with [`TcpStream`], for
//!   `hyper_util::client::legacy::Client`.
//!
//! A server and a pooled client on one runtime:
//!
//! ```
//! use http_body_util::{BodyExt, Empty, Full};
//! use hyper::body::Bytes;
//! use hyper_util::client::legacy::Client;
//! use weft::compat::hyper::{HttpConnector, HyperExecutor, HyperIo, HyperTimer};
//!
//! let rt = weft::Runtime::new()?;
//! rt.block_on(async {
//!     let listener = weft::net::TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     weft::spawn(async move {
//!         while let Ok((stream, _)) = listener.accept().await {
//!             let service = hyper::service::service_fn(|_req| async {
//!                 Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from("hi"))))
//!             });
//!             weft::spawn(
//!                 hyper::server::conn::http1::Builder::new()
//!                     .timer(HyperTimer::new())
//!                     .serve_connection(HyperIo::new(stream), service),
//!             );
//!         }
//!     });
//!
//!     let client = Client::builder(HyperExecutor::new())
//!         .pool_timer(HyperTimer::new())
//!         .build::<_, Empty<Bytes>>(HttpConnector::new());
//!     let resp = client.get(format!("http://{addr}/").parse()?).await?;
//!     assert_eq!(resp.into_body().collect().await?.to_bytes(), "hi");
//!     Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//! ```

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::ReadBufCursor;
use hyper::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};

use crate::io::{AsyncRead, AsyncWrite};
use crate::net::TcpStream;

/// Largest single read [`HyperIo`] does, and so the most its buffer grows to.
const MAX_READ: usize = 64 * 1024;

/// A weft stream (any `futures-io` stream) seen through hyper's I/O traits.
///
/// `futures-io`'s `poll_read` needs an initialised `&mut [u8]`, while hyper
/// hands out a possibly uninitialised [`ReadBufCursor`] whose `advance` is
/// `unsafe`. hyper builds a fresh cursor for every read, so initialising it
/// each time would zero 8 KiB or more on every call, including the calls that
/// end in `WouldBlock` (6% of the CPU profile in the hyper hello-world
/// bench). Instead each `HyperIo` owns a buffer that is zeroed once, as it
/// grows (lazily, to what hyper asks for, at most 64 KiB); reads land there
/// and are copied into hyper's buffer with the safe
/// [`ReadBufCursor::put_slice`]. The cost is that buffer per connection and
/// one copy of the bytes read; there is no `unsafe`.
///
/// ```
/// use weft::compat::hyper::HyperIo;
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let (a, _b) = weft::net::UnixStream::pair()?;
///     let io = HyperIo::new(a);
///     let _a: &weft::net::UnixStream = io.get_ref();
///     Ok::<_, std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct HyperIo<T> {
    inner: T,
    /// Zero-initialised read buffer; empty until the first read.
    scratch: Vec<u8>,
}

impl<T> HyperIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        HyperIo {
            inner,
            scratch: Vec::new(),
        }
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: fmt::Debug> fmt::Debug for HyperIo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HyperIo").field(&self.inner).finish()
    }
}

impl<T: AsyncRead + Unpin> hyper::rt::Read for HyperIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let len = buf.remaining().min(MAX_READ);
        if this.scratch.len() < len {
            this.scratch.resize(len, 0);
        }
        let chunk = &mut this.scratch[..len];
        let n = ready!(Pin::new(&mut this.inner).poll_read(cx, chunk))?;
        // `put_slice` panics if `n > remaining`; a reader returning more
        // than it was given is broken, but say so as an error instead.
        let read = chunk.get(..n).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "HyperIo: the stream's poll_read returned more bytes than the buffer holds",
            )
        })?;
        buf.put_slice(read);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for HyperIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }

    fn is_write_vectored(&self) -> bool {
        // `futures-io` has no way to ask; weft's sockets implement
        // `poll_write_vectored` with `writev`, so let hyper queue buffers.
        true
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
}

impl Connection for HyperIo<TcpStream> {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

#[cfg(unix)]
impl Connection for HyperIo<crate::net::UnixStream> {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

/// Spawns hyper's background futures on the current weft runtime,
/// detached.
///
/// # Panics
/// `execute` panics outside a weft runtime, as [`crate::spawn`] does.
///
/// ```
/// use hyper::rt::Executor;
/// let rt = weft::Runtime::new()?;
/// let (tx, rx) = std::sync::mpsc::channel();
/// rt.block_on(async move {
///     weft::compat::hyper::HyperExecutor::new().execute(async move { tx.send(1).unwrap() });
/// });
/// assert_eq!(rx.recv().unwrap(), 1);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct HyperExecutor {
    _private: (),
}

impl HyperExecutor {
    /// The executor (it spawns on whichever weft runtime is current).
    pub fn new() -> Self {
        HyperExecutor { _private: () }
    }
}

impl<F> hyper::rt::Executor<F> for HyperExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        // Dropping the JoinHandle detaches the task.
        drop(crate::spawn(fut));
    }
}

/// hyper's timer on weft's timer wheel.
///
/// # Panics
/// Its sleeps panic when created outside a weft runtime, as
/// [`crate::time::sleep`] does.
///
/// ```
/// use std::time::{Duration, Instant};
/// use hyper::rt::Timer;
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let timer = weft::compat::hyper::HyperTimer::new();
///     let start = Instant::now();
///     let mut sleep = timer.sleep(Duration::from_secs(60));
///     timer.reset(&mut sleep, start + Duration::from_millis(5));
///     sleep.await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct HyperTimer {
    _private: (),
}

impl HyperTimer {
    /// The timer (it uses whichever weft runtime is current).
    pub fn new() -> Self {
        HyperTimer { _private: () }
    }
}

/// A [`crate::time::Sleep`] that hyper holds as a `dyn hyper::rt::Sleep`.
struct HyperSleep {
    inner: crate::time::Sleep,
}

impl Future for HyperSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // `weft::time::Sleep` is `Unpin`.
        Pin::new(&mut self.inner).poll(cx)
    }
}

impl hyper::rt::Sleep for HyperSleep {}

impl hyper::rt::Timer for HyperTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep {
            inner: crate::time::sleep(duration),
        })
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep {
            inner: crate::time::sleep_until(deadline),
        })
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        // Reuse the wheel entry when the sleep is ours; otherwise replace it.
        match sleep.as_mut().downcast_mut_pin::<HyperSleep>() {
            Some(mut ours) => Pin::new(&mut ours.inner).reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// Connects `http://host:port` URIs over [`TcpStream`], for hyper-util's
/// pooled client: `Client::builder(HyperExecutor::new()).build(HttpConnector::new())`
/// (see the [module docs](self) for a whole example).
///
/// Host names resolve on the runtime's blocking pool (as
/// [`TcpStream::connect`] does), and every address is tried in turn; the
/// error names each one. `https` needs a TLS connector wrapped around this
/// one; this connector refuses it with an error that says so.
#[derive(Clone, Debug, Default)]
pub struct HttpConnector {
    nodelay: bool,
}

impl HttpConnector {
    /// A connector; `TCP_NODELAY` is off, as in hyper-util's.
    pub fn new() -> Self {
        HttpConnector { nodelay: false }
    }

    /// Sets `TCP_NODELAY` on every connection it makes.
    pub fn set_nodelay(&mut self, nodelay: bool) {
        self.nodelay = nodelay;
    }
}

/// The future of [`HttpConnector`]'s `call`.
pub type HttpConnecting = Pin<Box<dyn Future<Output = io::Result<HyperIo<TcpStream>>> + Send + Sync>>;

impl tower_service::Service<Uri> for HttpConnector {
    type Response = HyperIo<TcpStream>;
    type Error = io::Error;
    type Future = HttpConnecting;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> HttpConnecting {
        let nodelay = self.nodelay;
        Box::pin(async move {
            let (host, port) = http_host_port(&uri)?;
            let stream = TcpStream::connect((host.as_str(), port)).await?;
            if nodelay {
                stream.set_nodelay(true)?;
            }
            Ok(HyperIo::new(stream))
        })
    }
}

/// The host (without IPv6 brackets) and port of an `http://` URI.
fn http_host_port(uri: &Uri) -> io::Result<(String, u16)> {
    match uri.scheme_str() {
        Some("http") => {}
        Some(other) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "weft's HttpConnector connects http:// only, not {other}:// ({uri}); \
                     for https wrap it in a TLS connector (hyper-rustls, hyper-tls)"
                ),
            ))
        }
        None => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("URI {uri} has no scheme; write http://host/..."),
            ))
        }
    }
    let host = uri
        .host()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("URI {uri} has no host")))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok((host.to_owned(), uri.port_u16().unwrap_or(80)))
}
