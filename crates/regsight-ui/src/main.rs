//! The regsight page (placeholder until the UI issue lands).

fn main() {}
