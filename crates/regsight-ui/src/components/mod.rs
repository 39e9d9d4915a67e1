//! The page's parts; each takes the [`Page`](crate::state::Page) signals as a prop.

mod catalog;
mod chain;
mod config;
mod curl;
mod documents;
mod error;
mod files;
mod form;
mod platforms;
mod progress;
mod tags;
mod verification;

pub use catalog::RegistryBrowser;
pub use chain::ChainPicture;
pub use config::ConfigPanel;
pub use curl::CurlView;
pub use documents::RawDocuments;
pub use error::ErrorPanel;
pub use files::FileTree;
pub use form::ReferenceForm;
pub use platforms::PlatformCards;
pub use progress::ImageProgress;
pub use tags::TagList;
pub use verification::Verification;
