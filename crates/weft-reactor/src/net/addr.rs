//! Address arguments of `bind`, `connect` and `send_to`.
//!
//! [`ToSocketAddrs`] is implemented for the socket address types, for
//! `(ip, port)` tuples, for slices of addresses, and for strings. A string
//! that is a *literal* address (`"127.0.0.1:8080"`, `"[::1]:80"`) resolves
//! on the spot. A host name (`"example.com:443"`, `("localhost", 80)`) needs
//! DNS, which blocks, so the reactor does not do it itself: it calls the
//! *resolver* the runtime installed with [`Handle::set_resolver`] (the weft
//! facade installs one that runs `getaddrinfo` on the blocking pool, the same
//! one behind `weft::net::lookup_host`). Without a resolver, a host name is an
//! `InvalidInput` error that says to pass a literal address or resolve first.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::pin::Pin;
use std::sync::Arc;

use crate::Handle;

/// A future resolving a host name, as returned by a [`Resolver`].
///
/// `Send + Sync`, so the futures of `bind` and `connect` that hold one are
/// `Send + Sync` too (as tokio's are).
pub type ResolveFuture = Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + Sync>>;

/// Resolves `"host:port"` to addresses; installed with
/// [`Handle::set_resolver`].
pub type Resolver = Arc<dyn Fn(String) -> ResolveFuture + Send + Sync>;

/// What an address argument turned into: addresses, or a name to resolve.
#[doc(hidden)]
#[derive(Debug)]
pub enum ToAddrs {
    /// Already addresses.
    Addrs(Vec<SocketAddr>),
    /// `"host:port"` needing DNS.
    Lookup(String),
}

/// Types that name one or more socket addresses; see the module docs.
///
/// ```
/// use std::net::SocketAddr;
/// use weft::net::ToSocketAddrs;
/// fn takes<A: ToSocketAddrs>(_: A) {}
/// takes("127.0.0.1:80");
/// takes(("127.0.0.1", 80));
/// takes("127.0.0.1:80".parse::<SocketAddr>().unwrap());
/// ```
pub trait ToSocketAddrs {
    /// Converts to addresses, or to a name for the resolver.
    #[doc(hidden)]
    fn to_addrs(&self) -> io::Result<ToAddrs>;
}

macro_rules! literal {
    ($($t:ty),*) => {$(
        impl ToSocketAddrs for $t {
            fn to_addrs(&self) -> io::Result<ToAddrs> {
                Ok(ToAddrs::Addrs(vec![SocketAddr::from(*self)]))
            }
        }
    )*};
}

literal!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl ToSocketAddrs for [SocketAddr] {
    fn to_addrs(&self) -> io::Result<ToAddrs> {
        Ok(ToAddrs::Addrs(self.to_vec()))
    }
}

impl ToSocketAddrs for Vec<SocketAddr> {
    fn to_addrs(&self) -> io::Result<ToAddrs> {
        Ok(ToAddrs::Addrs(self.clone()))
    }
}

impl ToSocketAddrs for str {
    fn to_addrs(&self) -> io::Result<ToAddrs> {
        match self.parse::<SocketAddr>() {
            Ok(addr) => Ok(ToAddrs::Addrs(vec![addr])),
            Err(_) => Ok(ToAddrs::Lookup(self.to_owned())),
        }
    }
}

impl ToSocketAddrs for String {
    fn to_addrs(&self) -> io::Result<ToAddrs> {
        self.as_str().to_addrs()
    }
}

impl ToSocketAddrs for (&str, u16) {
    fn to_addrs(&self) -> io::Result<ToAddrs> {
        match self.0.parse::<IpAddr>() {
            Ok(ip) => Ok(ToAddrs::Addrs(vec![SocketAddr::new(ip, self.1)])),
            Err(_) => Ok(ToAddrs::Lookup(format!("{}:{}", self.0, self.1))),
        }
    }
}

impl ToSocketAddrs for (String, u16) {
    fn to_addrs(&self) -> io::Result<ToAddrs> {
        (self.0.as_str(), self.1).to_addrs()
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {
    fn to_addrs(&self) -> io::Result<ToAddrs> {
        (**self).to_addrs()
    }
}

/// Turns an address argument into addresses, using the handle's resolver
/// for host names.
pub(crate) async fn resolve(handle: &Handle, addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    match addr.to_addrs()? {
        ToAddrs::Addrs(addrs) => Ok(addrs),
        ToAddrs::Lookup(name) => lookup(handle, name).await,
    }
}

/// Resolves a host name with the handle's resolver.
async fn lookup(handle: &Handle, name: String) -> io::Result<Vec<SocketAddr>> {
    match handle.inner.resolver.get() {
        Some(resolver) => resolver(name).await,
        None => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "cannot resolve {name:?}: this weft reactor has no DNS resolver; pass a \
                 literal address (\"127.0.0.1:80\") or resolve it first with \
                 weft::net::lookup_host"
            ),
        )),
    }
}

/// What a socket call was doing, for its error message.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op {
    Bind,
    Connect,
}

/// Rewrites `e` so its message names the address and what failed, keeping
/// its [`io::ErrorKind`] (callers still match on the kind).
pub(crate) fn describe(op: Op, addr: SocketAddr, e: io::Error) -> io::Error {
    use io::ErrorKind::*;
    let msg = match (op, e.kind()) {
        (Op::Bind, AddrInUse) => format!(
            "address {addr} is already in use: {e} (another socket is bound to it; pick \
             another port, or port 0 to let the OS choose)"
        ),
        (Op::Bind, AddrNotAvailable) => {
            format!("address {addr} is not an address of this machine: {e}")
        }
        (Op::Bind, PermissionDenied) => {
            format!("permission denied binding to {addr}: {e} (ports below 1024 need privileges)")
        }
        (Op::Bind, _) => format!("cannot bind to {addr}: {e}"),
        (Op::Connect, ConnectionRefused) => {
            format!("connection to {addr} refused: {e} (nothing is listening there)")
        }
        (Op::Connect, TimedOut) => format!("connection to {addr} timed out: {e}"),
        (Op::Connect, _) => format!("cannot connect to {addr}: {e}"),
    };
    io::Error::new(e.kind(), msg)
}

/// Tries `op` on each address in turn; returns the first success, or an
/// error naming every address tried and why each failed (its kind is the
/// last error's). `what` names the argument (`"localhost:80"`), for the
/// message when it resolved to several addresses.
pub(crate) async fn each_addr<T, F, Fut>(
    what: &str,
    operation: Op,
    addrs: Vec<SocketAddr>,
    mut op: F,
) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let mut errors = Vec::new();
    for addr in addrs {
        match op(addr).await {
            Ok(v) => return Ok(v),
            Err(e) => errors.push(describe(operation, addr, e)),
        }
    }
    match errors.len() {
        0 => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{what} resolved to no addresses"),
        )),
        1 => Err(errors.pop().expect("one error")),
        n => {
            let kind = errors.last().expect("several errors").kind();
            let each: Vec<String> = errors.iter().map(ToString::to_string).collect();
            let verb = match operation {
                Op::Bind => "bind to",
                Op::Connect => "connect to",
            };
            Err(io::Error::new(
                kind,
                format!(
                    "could not {verb} {what}: each of its {n} addresses failed: {}",
                    each.join("; ")
                ),
            ))
        }
    }
}

/// An address argument, resolved, with a label for error messages: the
/// host name when there was one, else the addresses.
pub(crate) struct Resolved {
    pub(crate) label: String,
    pub(crate) addrs: Vec<SocketAddr>,
}

/// [`resolve`], keeping what was asked for, for [`each_addr`]'s message.
pub(crate) async fn resolve_labelled(handle: &Handle, addr: impl ToSocketAddrs) -> io::Result<Resolved> {
    match addr.to_addrs()? {
        ToAddrs::Addrs(addrs) => {
            let label = match addrs.as_slice() {
                [one] => one.to_string(),
                many => format!("{many:?}"),
            };
            Ok(Resolved { label, addrs })
        }
        ToAddrs::Lookup(name) => {
            let addrs = lookup(handle, name.clone()).await?;
            Ok(Resolved { label: name, addrs })
        }
    }
}

impl Handle {
    /// Installs the DNS resolver used for host-name arguments of `bind`,
    /// `connect` and `send_to`. Only the first call has an effect; returns
    /// `false` if a resolver was already set.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let reactor = weft_reactor::Reactor::new()?;
    /// let installed = reactor.handle().set_resolver(Arc::new(|name: String| {
    ///     Box::pin(async move {
    ///         std::net::ToSocketAddrs::to_socket_addrs(&name).map(|a| a.collect())
    ///     }) as weft_reactor::net::ResolveFuture
    /// }));
    /// assert!(installed);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_resolver(&self, resolver: Resolver) -> bool {
        self.inner.resolver.set(resolver).is_ok()
    }
}
