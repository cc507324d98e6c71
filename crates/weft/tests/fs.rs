//! Files and directories on the blocking pool, with tokio's buffering
//! rules.

use std::future::{poll_fn, Future};
use std::io::{ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::Poll;

use weft::fs::{self, File, OpenOptions};
use weft::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWrite, AsyncWriteExt};

/// A fresh directory for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("weft-fs-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run<F: Future>(f: F) -> F::Output {
    weft::Runtime::new().unwrap().block_on(f)
}

async fn open_rw(path: &Path) -> File {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .open(path)
        .await
        .unwrap()
}

#[test]
fn free_functions_round_trip() {
    let dir = Scratch::new("free");
    run(async {
        let a = dir.path("a.txt");
        fs::write(&a, b"contents").await.unwrap();
        assert_eq!(fs::read(&a).await.unwrap(), b"contents");
        assert_eq!(fs::read_to_string(&a).await.unwrap(), "contents");
        assert_eq!(fs::metadata(&a).await.unwrap().len(), 8);
        assert!(fs::try_exists(&a).await.unwrap());

        let b = dir.path("b.txt");
        assert_eq!(fs::copy(&a, &b).await.unwrap(), 8);
        fs::rename(&b, dir.path("c.txt")).await.unwrap();
        assert!(!fs::try_exists(&b).await.unwrap());
        assert_eq!(fs::read(dir.path("c.txt")).await.unwrap(), b"contents");

        fs::hard_link(&a, dir.path("hard")).await.unwrap();
        fs::symlink(&a, dir.path("soft")).await.unwrap();
        assert_eq!(fs::read_link(dir.path("soft")).await.unwrap(), a);
        assert!(fs::symlink_metadata(dir.path("soft"))
            .await
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            fs::canonicalize(dir.path("soft")).await.unwrap(),
            std::fs::canonicalize(&a).unwrap()
        );

        let mut perm = fs::metadata(&a).await.unwrap().permissions();
        perm.set_readonly(true);
        fs::set_permissions(&a, perm).await.unwrap();
        assert!(fs::metadata(&a).await.unwrap().permissions().readonly());

        fs::create_dir_all(dir.path("x/y/z")).await.unwrap();
        fs::create_dir(dir.path("x/y/w")).await.unwrap();
        fs::remove_dir(dir.path("x/y/w")).await.unwrap();
        fs::remove_file(dir.path("hard")).await.unwrap();
        fs::remove_dir_all(dir.path("x")).await.unwrap();
        assert!(!fs::try_exists(dir.path("x")).await.unwrap());
    });
}

#[test]
fn read_dir_lists_every_entry_across_batches() {
    let dir = Scratch::new("readdir");
    for i in 0..70 {
        std::fs::write(dir.path(&format!("f{i:02}")), b"").unwrap();
    }
    let mut names = run(async {
        let mut rd = fs::read_dir(&dir.0).await.unwrap();
        let mut names = Vec::new();
        while let Some(e) = rd.next_entry().await.unwrap() {
            assert!(e.file_type().await.unwrap().is_file());
            assert_eq!(e.metadata().await.unwrap().len(), 0);
            assert_eq!(e.path(), dir.0.join(e.file_name()));
            names.push(e.file_name().into_string().unwrap());
        }
        assert!(
            rd.next_entry().await.unwrap().is_none(),
            "ended once, stays ended"
        );
        names
    });
    names.sort();
    let want: Vec<String> = (0..70).map(|i| format!("f{i:02}")).collect();
    assert_eq!(names, want);
}

#[test]
fn a_missing_file_error_names_the_path_and_keeps_the_kind() {
    let dir = Scratch::new("missing");
    let missing = dir.path("no/such/file");
    run(async {
        let err = File::open(&missing).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("could not open {}", missing.display())),
            "{msg}"
        );
        assert!(msg.contains("No such file or directory"), "{msg}");

        for err in [
            fs::read(&missing).await.unwrap_err(),
            fs::metadata(&missing).await.unwrap_err(),
            fs::remove_file(&missing).await.unwrap_err(),
            fs::read_dir(&missing).await.unwrap_err(),
        ] {
            assert_eq!(err.kind(), ErrorKind::NotFound);
            assert!(err.to_string().contains(&*missing.to_string_lossy()), "{err}");
        }
        let err = fs::rename(&missing, dir.path("to")).await.unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("could not rename") && msg.contains(" to "), "{msg}");
        assert!(msg.contains(&*dir.path("to").to_string_lossy()), "{msg}");
        // The OS error stays reachable as the source.
        let source = std::error::Error::source(err.get_ref().unwrap()).unwrap();
        assert!(source.to_string().contains("os error 2"), "{source}");
    });
}

#[test]
fn file_write_seek_read_metadata_round_trip() {
    let dir = Scratch::new("file");
    let path = dir.path("f");
    run(async {
        let mut f = File::create(&path).await.unwrap();
        f.write_all(b"hello, world").await.unwrap();
        f.flush().await.unwrap();
        assert_eq!(f.metadata().await.unwrap().len(), 12);
        drop(f);

        let mut f = open_rw(&path).await;
        assert_eq!(f.seek(SeekFrom::Start(7)).await.unwrap(), 7);
        let mut s = String::new();
        f.read_to_string(&mut s).await.unwrap();
        assert_eq!(s, "world");
        assert_eq!(f.seek(SeekFrom::Current(-5)).await.unwrap(), 7);
        f.write_all(b"WORLD").await.unwrap();
        f.set_len(10).await.unwrap();
        f.sync_all().await.unwrap();
        f.sync_data().await.unwrap();
        assert_eq!(f.metadata().await.unwrap().len(), 10);
        assert_eq!(f.seek(SeekFrom::End(0)).await.unwrap(), 10);
        let clone = f.try_clone().await.unwrap();
        drop(clone);
        let std = f.into_std().await;
        assert_eq!(std.metadata().unwrap().len(), 10);
    });
    assert_eq!(std::fs::read(&path).unwrap(), b"hello, WOR");
}

#[test]
fn a_write_returns_once_queued_and_flush_waits_for_it() {
    let dir = Scratch::new("queued");
    let path = dir.path("f");
    run(async {
        let mut f = File::create(&path).await.unwrap();
        let data = vec![7u8; 1 << 20];
        // The first poll returns at once: the bytes are queued, not written.
        let n = poll_fn(|cx| match Pin::new(&mut f).poll_write(cx, &data) {
            Poll::Ready(r) => Poll::Ready(r),
            Poll::Pending => panic!("a write with nothing in flight waited"),
        })
        .await
        .unwrap();
        assert_eq!(n, data.len());
        f.flush().await.unwrap();
        // After flush, another handle sees every byte.
        assert_eq!(std::fs::read(&path).unwrap().len(), data.len());
    });
}

#[test]
fn a_read_after_a_write_waits_for_the_write() {
    let dir = Scratch::new("order");
    let path = dir.path("f");
    std::fs::write(&path, b"0123456789").unwrap();
    run(async {
        let mut f = open_rw(&path).await;
        f.write_all(b"ab").await.unwrap(); // queued, not flushed
        let mut three = [0u8; 3];
        f.read_exact(&mut three).await.unwrap();
        assert_eq!(&three, b"234", "the read ran before the write");
    });
    assert_eq!(std::fs::read(&path).unwrap(), b"ab23456789");
}

/// Starts a read for `len` bytes and leaves it in flight (its first poll
/// is `Pending`: the blocking pool has not run it yet). Returns `false` if
/// the pool was quicker than the poll and the read already finished.
async fn start_read_and_abandon(f: &mut File, len: usize) -> bool {
    let mut big = vec![0u8; len];
    poll_fn(|cx| Poll::Ready(Pin::new(&mut *f).poll_read(cx, &mut big).is_pending())).await
}

#[test]
fn a_write_after_read_ahead_lands_where_the_reader_stopped() {
    let dir = Scratch::new("readahead");
    let path = dir.path("f");
    std::fs::write(&path, b"0123456789").unwrap();
    run(async {
        let mut f = open_rw(&path).await;
        // A read of 64 bytes is abandoned in flight; the next read takes 2
        // of the 10 it fetched, and 8 stay buffered ahead of the reader.
        while !start_read_and_abandon(&mut f, 64).await {
            f.seek(SeekFrom::Start(0)).await.unwrap();
        }
        let mut two = [0u8; 2];
        assert_eq!(f.read(&mut two).await.unwrap(), 2);
        assert_eq!(&two, b"01");
        f.write_all(b"ab").await.unwrap();
        f.flush().await.unwrap();
        assert_eq!(f.stream_position().await.unwrap(), 4);
        let mut rest = Vec::new();
        f.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"456789");
        // into_std gives the read-ahead back too.
        f.seek(SeekFrom::Start(0)).await.unwrap();
        while !start_read_and_abandon(&mut f, 64).await {
            f.seek(SeekFrom::Start(0)).await.unwrap();
        }
        let mut one = [0u8; 1];
        assert_eq!(f.read(&mut one).await.unwrap(), 1);
        let mut std = f.into_std().await;
        assert_eq!(std::io::Seek::stream_position(&mut std).unwrap(), 1);
    });
    assert_eq!(std::fs::read(&path).unwrap(), b"01ab456789");
}

#[test]
fn a_failed_background_write_is_reported_by_flush() {
    let dir = Scratch::new("failed");
    let path = dir.path("f");
    std::fs::write(&path, b"x").unwrap();
    run(async {
        // Opened read-only: the OS refuses the write on the blocking pool.
        let mut f = File::open(&path).await.unwrap();
        let queued = f.write(b"nope").await;
        assert_eq!(queued.unwrap(), 4, "queued before it ran");
        let err = f.flush().await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EBADF), "{err}");
        f.flush().await.unwrap(); // reported once
    });
}

#[cfg(feature = "tokio-io")]
#[test]
fn files_implement_tokio_io_traits() {
    use tokio::io::{AsyncRead as TRead, AsyncSeek as TSeek, AsyncWrite as TWrite, ReadBuf};
    let dir = Scratch::new("tokio");
    let path = dir.path("f");
    run(async {
        let mut f = open_rw(&path).await;
        let n = poll_fn(|cx| TWrite::poll_write(Pin::new(&mut f), cx, b"tokio"))
            .await
            .unwrap();
        assert_eq!(n, 5);
        poll_fn(|cx| TWrite::poll_flush(Pin::new(&mut f), cx))
            .await
            .unwrap();
        TSeek::start_seek(Pin::new(&mut f), SeekFrom::Start(1)).unwrap();
        let pos = poll_fn(|cx| TSeek::poll_complete(Pin::new(&mut f), cx))
            .await
            .unwrap();
        assert_eq!(pos, 1);
        let mut storage = [0u8; 16];
        let mut buf = ReadBuf::new(&mut storage);
        poll_fn(|cx| TRead::poll_read(Pin::new(&mut f), cx, &mut buf))
            .await
            .unwrap();
        assert_eq!(buf.filled(), b"okio");
    });
}

fn _assert_traits() {
    fn is<T: AsyncRead + AsyncWrite + Send + Sync + Unpin>() {}
    is::<File>();
}

#[test]
#[should_panic(expected = "weft::fs: file operations run on the runtime's blocking pool")]
fn file_operations_outside_a_runtime_panic_naming_the_fix() {
    let _ = weft_executor::block_on(fs::read("/etc/hostname"));
}
