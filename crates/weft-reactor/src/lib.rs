//! One shared mio reactor: readiness, timers and net types for weft.
