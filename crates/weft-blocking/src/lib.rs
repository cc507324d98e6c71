//! weft's blocking pool and user-built thread pools for run_in_executor.
