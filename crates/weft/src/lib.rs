//! weft: a multi-threaded work-stealing async runtime with a shared mio reactor and a blocking pool.
