#[weft::main(flavor = multi_thread, worker_threads = "4", crate = weft)]
async fn main() {}

#[weft::test(worker_threads = 0)]
async fn zero_workers() {}

#[weft::test(flavor = "single_thread")]
async fn unknown_flavor() {}

#[weft::test(flavor)]
async fn flavor_without_a_value() {}

#[weft::test(flavor = "current_thread", flavor = "multi_thread")]
async fn flavor_twice() {}
