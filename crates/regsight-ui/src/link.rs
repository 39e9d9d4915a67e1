//! The page's deep link: what its query string asks for, read at load and rewritten as the
//! person works, so the address bar can always be shared. Nothing secret ever goes there.

use web_sys::UrlSearchParams;

/// What the page's URL asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeepLink {
    /// `image=`: the reference.
    pub image: Option<String>,
    /// `registry=`: the registry whose repositories are listed.
    pub registry: Option<String>,
    /// `mirror=`: the docker.io mirror.
    pub mirror: Option<String>,
    /// `platform=`: the platform chosen from an index.
    pub platform: Option<String>,
    /// `id=`: the expected image ID.
    pub image_id: Option<String>,
    /// `files=`: the layer whose files are shown.
    pub files: Option<usize>,
    /// `verify=1`: verify on load.
    pub verify: bool,
}

impl DeepLink {
    /// Reads the page's query string.
    pub fn from_location() -> Self {
        let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
        let Ok(params) = UrlSearchParams::new_with_str(&search) else { return Self::default() };
        let get = |name: &str| params.get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        Self {
            image: get("image"),
            registry: get("registry"),
            mirror: get("mirror"),
            platform: get("platform"),
            image_id: get("id"),
            files: get("files").and_then(|f| f.parse().ok()),
            verify: get("verify").is_some_and(|v| v != "0" && v != "false"),
        }
    }

    /// Replaces the address bar's query with this link (empty values left out).
    pub fn write(&self) {
        let Ok(params) = UrlSearchParams::new() else { return };
        let files = self.files.map(|f| f.to_string());
        let pairs = [
            ("image", self.image.as_deref()),
            ("registry", self.registry.as_deref()),
            ("mirror", self.mirror.as_deref()),
            ("platform", self.platform.as_deref()),
            ("id", self.image_id.as_deref()),
            ("files", files.as_deref()),
            ("verify", self.verify.then_some("1")),
        ];
        for (name, value) in pairs {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                params.append(name, value);
            }
        }
        let url = format!("?{}", String::from(params.to_string()));
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
}
