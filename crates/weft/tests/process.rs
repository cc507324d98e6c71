//! Child processes: pipes, exit statuses, kills, and reaping without a
//! thread per child.
//!
//! The tests share one lock: the zombie checks look at all of this
//! process's children (`waitpid(-1)`), which a test running beside them
//! would disturb.

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use weft::io::{AsyncReadExt, AsyncWriteExt};
use weft::process::Command;

/// Turns a hang into a failure; never a bound on speed.
const PATIENCE: Duration = Duration::from_secs(30);

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// `true` while `pid` exists (running or a zombie).
fn exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
        .unwrap_or(false)
}

/// Children of this process that are not reaped: `waitpid(-1, WNOHANG)`
/// says `ECHILD` when there are none.
fn no_children_left() -> bool {
    let mut status = 0;
    // SAFETY: waitpid with WNOHANG only writes the status int we own.
    let rc = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    assert!(
        rc <= 0,
        "waitpid(-1) reaped {rc}: a child was left for someone else"
    );
    rc == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD)
}

/// Waits (by polling, up to PATIENCE) for `cond`.
fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < PATIENCE, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn piped_stdout_is_read_to_the_end_and_the_status_reported() {
    let _s = serial();
    let rt = weft::Runtime::new().unwrap();
    rt.block_on(async {
        let mut child = Command::new("sh")
            .args([
                "-c",
                "i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done; exit 7",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .await
            .unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2000);
        assert_eq!(lines[1999], "line 1999");
        let status = weft::time::timeout(PATIENCE, child.wait())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(status.code(), Some(7));
        assert_eq!(child.id(), None, "a reaped child has no id");
    });
    assert!(no_children_left());
}

#[test]
fn stdin_written_and_closed_reaches_the_child() {
    let _s = serial();
    let rt = weft::Runtime::new().unwrap();
    rt.block_on(async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut stdout = child.stdout.take().unwrap();
        let writer = {
            let data = data.clone();
            weft::spawn(async move {
                stdin.write_all(&data).await.unwrap();
                stdin.close().await.unwrap();
            })
        };
        let mut back = Vec::new();
        stdout.read_to_end(&mut back).await.unwrap();
        writer.await.unwrap();
        assert!(back == data, "cat echoed {} of {} bytes", back.len(), data.len());
        assert!(child.wait().await.unwrap().success());
    });
}

#[test]
fn output_captures_both_streams_and_status_inherits() {
    let _s = serial();
    let rt = weft::Runtime::new().unwrap();
    rt.block_on(async {
        let out = Command::new("sh")
            .args(["-c", "echo to-out; echo to-err >&2; exit 2"])
            .output()
            .await
            .unwrap();
        assert_eq!(out.stdout, b"to-out\n");
        assert_eq!(out.stderr, b"to-err\n");
        assert_eq!(out.status.code(), Some(2));
        let status = Command::new("true").status().await.unwrap();
        assert!(status.success());
    });
}

#[test]
fn a_killed_child_reports_the_signal() {
    let _s = serial();
    let rt = weft::Runtime::new().unwrap();
    rt.block_on(async {
        let mut child = Command::new("sleep").arg("60").spawn().unwrap();
        assert!(child.try_wait().unwrap().is_none());
        weft::time::timeout(PATIENCE, child.kill())
            .await
            .unwrap()
            .unwrap();
        let status = child.wait().await.unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        // Killing a reaped child is not an error.
        child.start_kill().unwrap();
    });
    assert!(no_children_left());
}

#[test]
fn a_hundred_children_at_once_need_no_thread_each_and_leave_no_zombie() {
    let _s = serial();
    let rt = weft::Runtime::builder().worker_threads(2).build().unwrap();
    // Let the runtime start whatever threads it starts by itself.
    rt.block_on(weft::time::sleep(Duration::from_millis(20)));
    let before = threads();
    let pids = rt.block_on(async {
        let mut children = Vec::new();
        for i in 0..100 {
            let child = Command::new("sh")
                .args(["-c", &format!("sleep 0.2; exit {}", i % 7)])
                .spawn()
                .unwrap();
            children.push(child);
        }
        let during = threads();
        assert!(
            during <= before + 2,
            "{before} threads before spawning 100 children, {during} while they run"
        );
        let pids: Vec<u32> = children.iter().map(|c| c.id().unwrap()).collect();
        let waits: Vec<_> = children
            .into_iter()
            .enumerate()
            .map(|(i, mut c)| {
                weft::spawn(async move {
                    let status = c.wait().await.unwrap();
                    assert_eq!(status.code(), Some(i as i32 % 7));
                })
            })
            .collect();
        for w in waits {
            weft::time::timeout(PATIENCE, w).await.unwrap().unwrap();
        }
        pids
    });
    assert!(threads() <= before + 2);
    assert!(no_children_left(), "a child was left unreaped");
    assert!(pids.iter().all(|&p| !is_zombie(p)));
}

#[test]
fn a_child_dropped_without_wait_is_reaped_later() {
    let _s = serial();
    let rt = weft::Runtime::new().unwrap();
    let pid = rt.block_on(async {
        let child = Command::new("sh").args(["-c", "sleep 0.1"]).spawn().unwrap();
        let pid = child.id().unwrap();
        drop(child);
        pid
    });
    // Nobody waits; the SIGCHLD the exit raises is dispatched by the
    // reactor, which sweeps the orphan queue.
    eventually("the dropped child to be reaped", || !exists(pid));
    assert!(no_children_left());
}

#[test]
fn kill_on_drop_kills_and_reaps_and_without_it_the_child_lives() {
    let _s = serial();
    let rt = weft::Runtime::new().unwrap();
    rt.block_on(async {
        let killed = Command::new("sleep")
            .arg("60")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let killed_pid = killed.id().unwrap();
        drop(killed);
        eventually("the kill_on_drop child to go", || !exists(killed_pid));

        let kept = Command::new("sleep").arg("60").spawn().unwrap();
        let kept_pid = kept.id().unwrap();
        drop(kept);
        weft::time::sleep(Duration::from_millis(50)).await;
        assert!(
            exists(kept_pid) && !is_zombie(kept_pid),
            "dropped child was killed"
        );
        // SAFETY: kill(2) on our own child's pid; no memory is involved.
        assert_eq!(unsafe { libc::kill(kept_pid as i32, libc::SIGKILL) }, 0);
        eventually("the killed orphan to be reaped", || !exists(kept_pid));
    });
    assert!(no_children_left());
}

#[test]
fn spawn_errors_name_the_program_and_keep_the_kind() {
    let _s = serial();
    let rt = weft::Runtime::new().unwrap();
    rt.block_on(async {
        // Refused before any fork.
        let err = Command::new("bad\0name").spawn().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().starts_with("could not spawn `"), "{err}");

        let missing = "/nonexistent/weft-test-program";
        match Command::new(missing).spawn() {
            Err(err) => {
                assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
                assert!(err.to_string().contains(missing), "{err}");
            }
            // Under valgrind the exec failure is only seen by the child,
            // which exits with 127.
            Ok(mut child) => assert_eq!(child.wait().await.unwrap().code(), Some(127)),
        }
    });
}

#[test]
#[should_panic(expected = "weft::process::Command::spawn")]
fn spawn_outside_a_runtime_panics_naming_the_call() {
    let _ = Command::new("true").spawn();
}

#[cfg(feature = "tokio-io")]
#[test]
fn child_pipes_implement_tokio_io_traits() {
    use std::future::poll_fn;
    use std::pin::Pin;
    use tokio::io::{AsyncRead as TRead, AsyncWrite as TWrite, ReadBuf};

    let _s = serial();
    let rt = weft::Runtime::new().unwrap();
    rt.block_on(async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let n = poll_fn(|cx| TWrite::poll_write(Pin::new(&mut stdin), cx, b"via tokio"))
            .await
            .unwrap();
        assert_eq!(n, 9);
        poll_fn(|cx| TWrite::poll_shutdown(Pin::new(&mut stdin), cx))
            .await
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut got = Vec::new();
        loop {
            let mut storage = [0u8; 64];
            let mut buf = ReadBuf::new(&mut storage);
            poll_fn(|cx| TRead::poll_read(Pin::new(&mut stdout), cx, &mut buf))
                .await
                .unwrap();
            if buf.filled().is_empty() {
                break;
            }
            got.extend_from_slice(buf.filled());
        }
        assert_eq!(got, b"via tokio");
        assert!(child.wait().await.unwrap().success());
    });
}
