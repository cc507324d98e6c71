//! `AsFd` and `AsRawFd` for every net type: the descriptor of the mio
//! socket inside, borrowed (so `socket2::SockRef::from(&stream)` works).

/// Implements `AsFd` and `AsRawFd` for a type whose `io` field is an
/// `IoSource` of a mio socket.
macro_rules! fd_impls {
    ($t:ty) => {
        #[cfg(unix)]
        impl std::os::fd::AsFd for $t {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(self.io.get_ref())
            }
        }

        #[cfg(unix)]
        impl std::os::fd::AsRawFd for $t {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(self.io.get_ref())
            }
        }
    };
}

pub(crate) use fd_impls;
