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
pub type ResolveFuture = Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send>>;

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
/// use weft_reactor::net::ToSocketAddrs;
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
        ToAddrs::Lookup(name) => match handle.inner.resolver.get() {
            Some(resolver) => resolver(name).await,
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "cannot resolve {name:?}: this weft reactor has no DNS resolver; pass a \
                     literal address (\"127.0.0.1:80\") or resolve it first with \
                     weft::net::lookup_host"
                ),
            )),
        },
    }
}

/// Tries `op` on each address in turn; returns the first success or the
/// last error.
pub(crate) async fn each_addr<T, F, Fut>(addrs: Vec<SocketAddr>, mut op: F) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let mut last = None;
    for addr in addrs {
        match op(addr).await {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    Err(last
        .unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "could not resolve to any address")))
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
