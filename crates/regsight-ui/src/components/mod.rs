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
