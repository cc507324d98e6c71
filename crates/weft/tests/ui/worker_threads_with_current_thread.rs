#[weft::main(flavor = "current_thread", worker_threads = 2)]
async fn main() {}

// The default flavor of a test is current_thread.
#[weft::test(worker_threads = 2)]
async fn defaults_to_current_thread() {}
