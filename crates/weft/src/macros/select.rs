/// Waits on several futures at once and runs the handler of the first one
/// to finish; the others are dropped.
///
/// ```
/// use std::time::Duration;
///
/// #[weft::main]
/// async fn main() {
///     let mut work = weft::spawn(async { 6 * 7 });
///     let answer = weft::select! {
///         out = &mut work => out.unwrap(),
///         _ = weft::time::sleep(Duration::from_secs(30)) => panic!("the task took too long"),
///     };
///     assert_eq!(answer, 42);
/// }
/// ```
///
/// # Syntax
///
/// ```text
/// weft::select! {
///     biased;                                          // optional, first
///     <pattern> = <future> (, if <precondition>)? => <handler>,
///     ...
///     else => <handler>,                               // optional
/// }
/// ```
///
/// tokio's syntax, so code moves over by changing the path. A handler is a
/// block or an expression; after an expression the comma is required. Any
/// number of branches.
///
/// # What it does
///
/// 1. Every precondition is evaluated, in order. A branch whose
///    precondition is `false` is disabled for this `select!`.
/// 2. Every future expression is evaluated, in order, disabled branches'
///    too (their futures are never polled). A future is anything that
///    implements [`IntoFuture`](std::future::IntoFuture); it needs no
///    `.fuse()` and need not be `Unpin`: `select!` pins it on the stack.
/// 3. The enabled futures are polled, starting from a random branch at
///    every poll (from the first with `biased;`), until one finishes. If its
///    output matches the branch's pattern, that branch wins. If not, the
///    branch is disabled and the others are polled on.
/// 4. Every future is dropped, then the winning branch's handler runs with
///    the pattern's bindings. The handler runs in the surrounding code:
///    `break`, `continue`, `return`, `?` and `.await` in it mean what they
///    mean around the `select!`, and it may use again what a future
///    borrowed. The `select!` evaluates to the handler's value.
/// 5. If every branch is disabled, the `else` handler runs; without an
///    `else`, `select!` panics, saying so.
///
/// A loop around `select!` starts afresh each time round: preconditions
/// are evaluated again and the futures are made again.
///
/// ```
/// #[weft::main]
/// async fn main() {
///     let mut a = weft::spawn(async { 1 });
///     let mut b = weft::spawn(async { 2 });
///     let (mut a_done, mut b_done) = (false, false);
///     let mut sum = 0;
///     loop {
///         weft::select! {
///             out = &mut a, if !a_done => {
///                 a_done = true;
///                 sum += out.unwrap();
///             }
///             out = &mut b, if !b_done => {
///                 b_done = true;
///                 sum += out.unwrap();
///             }
///             else => break,
///         }
///     }
///     assert_eq!(sum, 3);
/// }
/// ```
///
/// A branch whose pattern does not match is disabled and the others go on:
///
/// ```
/// use std::time::Duration;
///
/// #[weft::main(flavor = "current_thread")]
/// async fn main() {
///     let v = weft::select! {
///         Some(v) = async { None::<u32> } => v,
///         v = async {
///             weft::time::sleep(Duration::from_millis(5)).await;
///             7
///         } => v,
///     };
///     assert_eq!(v, 7);
/// }
/// ```
///
/// # Fairness
///
/// Without `biased;`, each poll starts at a random branch, so a branch that
/// is always ready cannot keep the others from ever winning. With `biased;`
/// the branches are polled top to bottom: the first ready one wins, which
/// gives a priority order (a shutdown signal before work, say) and costs the
/// random number; a loop whose first branch is always ready then never runs
/// the others.
///
/// ```
/// #[weft::main(flavor = "current_thread")]
/// async fn main() {
///     let first = weft::select! {
///         biased;
///         a = async { 'a' } => a,
///         b = async { 'b' } => b,
///     };
///     assert_eq!(first, 'a');
/// }
/// ```
///
/// # The cooperative budget
///
/// Each `select!` that finishes spends one unit of the task's budget (see
/// [`crate::task::consume_budget`]). When the budget is spent, the
/// `select!` yields to the scheduler before it polls anything, so a loop
/// over branches that are always ready (a busy channel, futures that are
/// ready at once) still lets the worker's other tasks, its timers and its
/// sockets run.
///
/// # Cancellation safety
///
/// When one branch wins, the other futures are dropped, and in a loop they
/// are made again next time round. That is harmless for a future whose
/// work happens all at once, in the poll that returns `Ready`; it loses data
/// for one that works in steps, when it is dropped between two.
///
/// **Safe** in a `select!` loop (dropped mid-way, nothing is lost):
///
/// - `TcpListener::accept` and `UnixListener::accept` of [`crate::net`]: a
///   connection leaves the backlog only in the poll that returns it.
/// - `AsyncReadExt::read` (of [`crate::io`]) on weft's `TcpStream` and
///   `UnixStream`, and `UdpSocket::recv` / `recv_from`, `UnixDatagram::recv`
///   / `recv_from`: bytes are consumed only in the poll that returns them.
///   Likewise `AsyncWriteExt::write`, `UdpSocket::send` / `send_to`: bytes
///   are sent in the poll that says how many.
/// - [`crate::time::sleep`], [`crate::time::sleep_until`],
///   `Interval::tick`: nothing is lost, but a new `sleep(d)` made each time
///   round waits a whole `d` again. For one deadline across the loop, make
///   the sleep once before it, `std::pin::pin!` it and select on
///   `&mut sleep`, or use `sleep_until`.
/// - `&mut handle` for a [`JoinHandle`](crate::task::JoinHandle): dropping
///   the reference does nothing to the task, and the next `.await` on the
///   handle gets the output. (The handle itself, moved into a branch, is
///   dropped when another branch wins: the task is detached, runs on, and
///   its output is lost.)
/// - [`crate::time::timeout`] of a future that is itself safe.
/// - From `weft::sync`, as tokio documents for its equivalents: the
///   receivers' `recv` (`mpsc::Receiver`, `mpsc::UnboundedReceiver`,
///   `broadcast::Receiver`), `watch::Receiver::changed`, and a
///   `oneshot::Receiver` awaited as `&mut rx`: a message leaves the channel
///   only in the poll that returns it.
///
/// **Not safe** (dropped mid-way, data or a place in a queue is lost):
///
/// - `AsyncReadExt::read_exact`, `read_to_end`, `read_to_string`,
///   `AsyncBufReadExt::read_line`, `read_until`: they read in several
///   polls; what the earlier polls read is consumed from the stream and, at
///   best, left in your buffer with no count of how much.
/// - `AsyncWriteExt::write_all` and [`crate::io::copy`]: part of the data
///   may be written, and you are not told how much.
/// - From `weft::sync`, as tokio documents for its equivalents:
///   `mpsc::Sender::send` (the message is dropped with the future, and its
///   place in the queue of waiting senders is lost; `reserve` then
///   `Permit::send` loses only the place; so does `reserve_many`, whose
///   slots already handed to the dropped future go on to the next waiting
///   sender), `Mutex::lock`, `RwLock::read` /
///   `write`, `Semaphore::acquire` and `Notify::notified`: they wait in a
///   first-come queue, and a dropped waiter's next call queues at the back.
///
/// To use an unsafe one in a loop, make its future once, before the loop,
/// pin it, and select on `&mut fut`: it is then dropped only when the loop
/// is done with it.
///
/// ```
/// use std::time::Duration;
/// use weft::io::{AsyncReadExt, AsyncWriteExt};
/// use weft::net::{TcpListener, TcpStream};
///
/// #[weft::main]
/// async fn main() -> std::io::Result<()> {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     weft::spawn(async move {
///         let mut c = TcpStream::connect(addr).await?;
///         c.write_all(b"ping").await?;
///         Ok::<_, std::io::Error>(())
///     });
///     let (mut stream, _) = listener.accept().await?;
///     let mut buf = [0u8; 4];
///     // read_exact is not cancellation safe: made once, polled by reference.
///     let mut read = std::pin::pin!(stream.read_exact(&mut buf));
///     let mut ticks = weft::time::interval(Duration::from_millis(1));
///     loop {
///         weft::select! {
///             done = &mut read => break done?,
///             _ = ticks.tick() => {} // safe: nothing lost when read wins
///         }
///     }
///     assert_eq!(&buf, b"ping");
///     Ok(())
/// }
/// ```
#[macro_export]
macro_rules! select {
    ($($input:tt)*) => {
        $crate::__private::select_impl! { ($crate) $($input)* }
    };
}
