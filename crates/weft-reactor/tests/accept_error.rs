//! An accept error (here `EMFILE`: out of file descriptors) is returned to
//! the caller, not retried in a loop. Its own test binary, because it
//! lowers the process's file-descriptor limit.

mod common;

use std::io;

use common::TestRuntime;
use weft_reactor::net::TcpListener;

fn set_nofile_soft_limit(soft: libc::rlim_t) -> libc::rlim_t {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit for getrlimit to fill.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    let old = lim.rlim_cur;
    lim.rlim_cur = soft;
    // SAFETY: `lim` is a valid rlimit; lowering the soft limit is allowed.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
    old
}

/// The lowest free descriptor number: the next one the kernel hands out.
fn lowest_free_fd() -> libc::rlim_t {
    use std::os::fd::AsRawFd;
    let probe = std::fs::File::open("/dev/null").unwrap();
    probe.as_raw_fd() as libc::rlim_t
}

#[test]
#[cfg(target_os = "linux")]
fn accept_under_a_lowered_rlimit_nofile_returns_emfile_instead_of_spinning() {
    let rt = TestRuntime::new();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    // Queue a connection in the backlog (the kernel completes the handshake).
    let _client = std::net::TcpStream::connect(addr).unwrap();

    // No descriptor left: the next accept(2) fails with EMFILE.
    // With the soft limit at the lowest free number, every descriptor below
    // it is taken and none above it is allowed.
    let old = set_nofile_soft_limit(lowest_free_fd());
    let result = rt.block_on(listener.accept());
    set_nofile_soft_limit(old);

    let err = result.expect_err("accept succeeded without a free descriptor");
    assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");
    assert_ne!(err.kind(), io::ErrorKind::WouldBlock);

    // With descriptors back, the same pending connection is accepted.
    let (stream, _) = rt.block_on(listener.accept()).unwrap();
    assert_eq!(stream.peer_addr().unwrap(), _client.local_addr().unwrap());
}
