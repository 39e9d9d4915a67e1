//! Verifier throughput (being written).
fn main() {}
