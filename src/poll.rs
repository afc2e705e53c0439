//! Polling: one poll of one source, and one cycle over many sources with bounded concurrency.
