//! The page's parts; each takes the [`Page`](crate::state::Page) signals as a prop.

mod config;
mod error;
mod form;
mod tags;
mod verification;

pub use config::ConfigPanel;
pub use error::ErrorPanel;
pub use form::ReferenceForm;
pub use tags::TagList;
pub use verification::Verification;

/// `1234567` -> `1.2 MB`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}
