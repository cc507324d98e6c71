//! An accept loop under `EMFILE` (out of file descriptors): the error comes
//! back as an `io::Error` (no panic), weft does not spin on it (each
//! `accept` call returns at most one error, and the loop that backs off
//! uses little CPU), and the pending connection is accepted once
//! descriptors are free again.
//!
//! Lowering `RLIMIT_NOFILE` is process-wide, so the test runs its body in a
//! child process (this test binary, run again for this one test), where no
//! other test shares the limit. The name contains `rlimit_nofile`: CI skips
//! it under valgrind, whose own descriptors clash with a lowered limit.

use std::io;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustix::process::{getrlimit, setrlimit, Resource};
use weft::net::TcpListener;

const CHILD_ENV: &str = "WEFT_TEST_RLIMIT_NOFILE_CHILD";
const TEST_NAME: &str = "accept_loop_backs_off_under_a_lowered_rlimit_nofile_and_recovers";

#[test]
fn accept_loop_backs_off_under_a_lowered_rlimit_nofile_and_recovers() {
    if std::env::var_os(CHILD_ENV).is_some() {
        child();
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    // A generous bound that only turns a hang into a failure.
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("the child running the accept loop hung for 120 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
    print!("{out}");
    assert!(status.success(), "child failed ({status}):\n{out}");
    assert!(
        out.contains("child: recovered"),
        "child did not report recovery:\n{out}"
    );
}

/// CPU time (user + system) of this process so far, from /proc/self/stat,
/// opened once beforehand: with no descriptor free, opening it would fail.
struct CpuClock(std::fs::File);

impl CpuClock {
    fn new() -> CpuClock {
        CpuClock(std::fs::File::open("/proc/self/stat").unwrap())
    }

    fn now(&self) -> Duration {
        use std::os::unix::fs::FileExt;
        let mut buf = [0u8; 4096];
        let n = self.0.read_at(&mut buf, 0).unwrap();
        cpu_time(std::str::from_utf8(&buf[..n]).unwrap())
    }
}

fn cpu_time(stat: &str) -> Duration {
    // Fields after the command name (which is in parentheses): state is
    // field 3, utime 14 and stime 15, in clock ticks (100 per second).
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

/// The lowest free descriptor number: the next one the kernel hands out.
fn lowest_free_fd() -> u64 {
    use std::os::fd::AsRawFd;
    let probe = std::fs::File::open("/dev/null").unwrap();
    probe.as_raw_fd() as u64
}

fn set_soft_nofile(soft: Option<u64>) -> Option<u64> {
    let mut lim = getrlimit(Resource::Nofile);
    let old = lim.current;
    lim.current = soft;
    setrlimit(Resource::Nofile, lim).unwrap();
    old
}

fn child() {
    let rt = weft::Runtime::builder().worker_threads(2).build().unwrap();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    // A connection waiting in the backlog (the kernel did the handshake).
    let client = std::net::TcpStream::connect(addr).unwrap();

    let clock = CpuClock::new();
    let errors = Arc::new(AtomicUsize::new(0));
    let first_error: Arc<Mutex<Option<io::Error>>> = Arc::default();
    let accepted = Arc::new(Mutex::new(None));

    // Every descriptor below the soft limit is taken and none above it is
    // allowed: the next accept(2) fails with EMFILE.
    let old = set_soft_nofile(Some(lowest_free_fd()));

    // The accept loop of examples/echo_server.rs: back off 10 ms, doubling
    // up to 100 ms, after each error.
    let server = {
        let (errors, first_error, accepted) = (errors.clone(), first_error.clone(), accepted.clone());
        rt.spawn(async move {
            let mut pause = Duration::from_millis(10);
            loop {
                match listener.accept().await {
                    Ok((stream, peer)) => {
                        *accepted.lock().unwrap() = Some((stream, peer));
                        return;
                    }
                    Err(e) => {
                        errors.fetch_add(1, SeqCst);
                        first_error.lock().unwrap().get_or_insert(e);
                        weft::time::sleep(pause).await;
                        pause = (pause * 2).min(Duration::from_millis(100));
                    }
                }
            }
        })
    };

    let cpu_before = clock.now();
    let window = Instant::now();
    std::thread::sleep(Duration::from_millis(600));
    let (wall, cpu) = (window.elapsed(), clock.now() - cpu_before);
    let failed = errors.load(SeqCst);

    assert!(
        accepted.lock().unwrap().is_none(),
        "accepted with no descriptor free"
    );
    let err = first_error
        .lock()
        .unwrap()
        .take()
        .expect("accept never failed under EMFILE");
    assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");
    // One error per accept call, paced by the loop's backoff: about 8 in
    // 600 ms (10 + 20 + 40 + 80 + 100 + ...). A weft that retried EMFILE
    // itself would never return; one that woke the task in a loop would
    // count thousands.
    assert!(failed <= 40, "{failed} accept errors in {wall:?}: the loop spins");
    // Backing off costs almost nothing; a spinning worker would use about
    // the whole window.
    assert!(cpu < wall / 2, "{cpu:?} of CPU in {wall:?} while backing off");
    println!("child: {failed} accept errors ({err}) in {wall:?}, {cpu:?} CPU");

    // Descriptors are back: the pending connection is accepted.
    set_soft_nofile(old);
    rt.block_on(async {
        weft::time::timeout(Duration::from_secs(30), server)
            .await
            .expect("no accept within 30 s of descriptors freeing up")
            .unwrap();
    });
    let (stream, peer) = accepted.lock().unwrap().take().unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    drop(stream);
    println!("child: recovered after {failed} errors");
}
