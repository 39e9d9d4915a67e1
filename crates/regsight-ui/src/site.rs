//! The site's configuration: `regsight.json` next to the page, written by `cargo xtask site`. It
//! names the same-origin gateway paths that serve registries sending no CORS (`mirrors`), and the
//! image and platform the page opens on. Without it the page runs in direct mode.

use std::collections::BTreeMap;

use serde::Deserialize;
use wasm_bindgen::JsCast as _;
use wasm_bindgen_futures::JsFuture;

use regsight_core::ErrorCode;

use crate::failure::Failure;

/// The file the page looks for next to itself.
pub const SITE_CONFIG: &str = "regsight.json";

/// What a site tells the page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SiteConfig {
    /// Registry name -> base URL that serves it, relative to the page (`/registries/docker.io`).
    #[serde(default)]
    pub mirrors: BTreeMap<String, String>,
    /// The reference the page opens on when its link names none.
    #[serde(default)]
    pub default_image: Option<String>,
    /// The platform chosen from indexes when the link names none.
    #[serde(default)]
    pub default_platform: Option<String>,
}

/// Loads `regsight.json`: `Ok(None)` when the page is served without one (direct mode).
pub async fn load() -> Result<Option<SiteConfig>, Failure> {
    let bad = |message: String| Failure::new(ErrorCode::InvalidArgument, message);
    let Some(window) = web_sys::window() else { return Ok(None) };
    // A network failure here means no site config, not a broken one: the page still works direct.
    let Ok(response) = JsFuture::from(window.fetch_with_str(SITE_CONFIG)).await else { return Ok(None) };
    let Ok(response) = response.dyn_into::<web_sys::Response>() else { return Ok(None) };
    if !response.ok() {
        return Ok(None);
    }
    let text = match response.text().map(JsFuture::from) {
        Ok(pending) => pending.await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| bad(format!("{SITE_CONFIG} of this site is malformed: {e}")))
}
