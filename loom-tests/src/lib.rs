//! Loom models of weft's concurrent protocols; see `tests/`.
