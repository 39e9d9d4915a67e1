//! The page's state (signals) and what the buttons do. Every run gets its own `AbortController`;
//! starting a new run or pressing Cancel aborts the previous one.

use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::{AbortController, UrlSearchParams};

use crate::api::{Api, ApiError, ConfigResult, LayerRow, Login, ManifestResult, Options, Outcome, now_ms};
use crate::site::SiteConfig;

/// Where the verification stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Run {
    /// Nothing asked yet (or only inspected).
    #[default]
    Idle,
    /// Verifying.
    Verifying,
    /// Done: the verdict.
    Done(Outcome),
    /// The whole operation failed (see `error`).
    Failed,
    /// Cancelled by the user.
    Cancelled,
}

/// Tags of the repository last loaded.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Tags {
    /// None loaded.
    #[default]
    None,
    /// Loading.
    Loading,
    /// Loaded for `repository`.
    Loaded {
        /// The repository part of the reference (without tag or digest).
        repository: String,
        /// Its tags.
        tags: Vec<String>,
    },
    /// Could not be listed.
    Failed(ApiError),
}

/// The page's signals. `Copy`: components get it as a prop.
#[derive(Clone, Copy)]
pub struct Page {
    /// The reference typed in.
    pub reference: RwSignal<String>,
    /// Mirror for docker.io.
    pub mirror: RwSignal<String>,
    /// Platform for indexes.
    pub platform: RwSignal<String>,
    /// The image ID the person has (e.g. from `docker images`), to check the config against.
    pub image_id: RwSignal<String>,
    /// Credentials for the registry in use, as typed: memory only.
    pub login: RwSignal<Login>,
    /// The site's configuration (`regsight.json`), when the page is served as a site.
    pub site: RwSignal<Option<SiteConfig>>,
    /// The manifest of the last reference loaded.
    pub manifest: RwSignal<Option<ManifestResult>>,
    /// Its config.
    pub config: RwSignal<Option<Result<ConfigResult, ApiError>>>,
    /// Its layers.
    pub layers: RwSignal<Vec<LayerRow>>,
    /// The verification.
    pub run: RwSignal<Run>,
    /// A failure of the whole operation.
    pub error: RwSignal<Option<ApiError>>,
    /// The repository's tags.
    pub tags: RwSignal<Tags>,
    /// True while a run (inspect or verify) is under way.
    pub busy: RwSignal<bool>,
    abort: StoredValue<Option<AbortController>, LocalStorage>,
    generation: StoredValue<u64>,
}

/// What the page's URL asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeepLink {
    /// `image=`
    pub image: Option<String>,
    /// `mirror=`
    pub mirror: Option<String>,
    /// `platform=`
    pub platform: Option<String>,
    /// `id=`: the expected image ID.
    pub image_id: Option<String>,
    /// `verify=1`
    pub verify: bool,
}

impl DeepLink {
    /// Reads the page's query string.
    pub fn from_location() -> Self {
        let search = window().location().search().unwrap_or_default();
        let Ok(params) = UrlSearchParams::new_with_str(&search) else { return Self::default() };
        let get = |name: &str| params.get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        Self {
            image: get("image"),
            mirror: get("mirror"),
            platform: get("platform"),
            image_id: get("id"),
            verify: get("verify").is_some_and(|v| v != "0" && v != "false"),
        }
    }
}

impl Page {
    /// Takes the site's configuration: its defaults fill what the deep link left empty.
    pub fn use_site(&self, site: SiteConfig, link: &DeepLink) {
        if link.image.is_none()
            && let Some(image) = &site.default_image
        {
            self.reference.set(image.clone());
        }
        if link.platform.is_none()
            && let Some(platform) = &site.default_platform
        {
            self.platform.set(platform.clone());
        }
        self.site.set(Some(site));
    }

    /// Shows a failure that is not one operation's (e.g. a malformed site configuration).
    pub fn show_error(&self, error: ApiError) {
        self.error.set(Some(error));
    }

    /// Signals filled from the deep link.
    pub fn new(link: &DeepLink) -> Self {
        Self {
            reference: RwSignal::new(link.image.clone().unwrap_or_default()),
            mirror: RwSignal::new(link.mirror.clone().unwrap_or_default()),
            platform: RwSignal::new(link.platform.clone().unwrap_or_default()),
            image_id: RwSignal::new(link.image_id.clone().unwrap_or_default()),
            login: RwSignal::new(Login::default()),
            site: RwSignal::new(None),
            manifest: RwSignal::new(None),
            config: RwSignal::new(None),
            layers: RwSignal::new(Vec::new()),
            run: RwSignal::new(Run::Idle),
            error: RwSignal::new(None),
            tags: RwSignal::new(Tags::None),
            busy: RwSignal::new(false),
            abort: StoredValue::new_local(None),
            generation: StoredValue::new(0),
        }
    }

    /// Aborts whatever is running.
    pub fn cancel(&self) {
        if let Some(controller) = self.abort.try_update_value(Option::take).flatten() {
            controller.abort();
        }
    }

    /// Loads the reference in the input (manifest, config, tags) and verifies it when `verify`.
    pub fn start(&self, verify: bool) {
        let page = *self;
        page.cancel();
        let reference = page.reference.get_untracked().trim().to_owned();
        if reference.is_empty() {
            return;
        }
        let options =
            Options { mirror: page.mirror.get_untracked(), platform: page.platform.get_untracked() };
        let image_id = page.image_id.get_untracked().trim().to_owned();
        page.write_url(&reference, &options, &image_id);
        page.error.set(None);
        page.manifest.set(None);
        page.config.set(None);
        page.layers.set(Vec::new());
        page.run.set(if verify { Run::Verifying } else { Run::Idle });
        let site = page.site.get_untracked();
        let api = match Api::new(&options, site.as_ref(), &page.login.get_untracked(), &reference) {
            Ok(api) => std::rc::Rc::new(api),
            Err(error) => return page.fail(error),
        };
        let Ok(controller) = AbortController::new() else { return };
        let signal = controller.signal();
        page.abort.set_value(Some(controller));
        let generation = page.generation.get_value() + 1;
        page.generation.set_value(generation);
        page.busy.set(true);

        let repository = repository_of(&reference).to_owned();
        let tags_loaded =
            matches!(&page.tags.get_untracked(), Tags::Loaded { repository: r, .. } if *r == repository);
        if !tags_loaded {
            page.tags.set(Tags::Loading);
            let (api, signal) = (api.clone(), signal.clone());
            let reference = reference.clone();
            spawn_local(async move {
                match api.tags(&reference, &signal).await {
                    Ok(mut tags) => {
                        tags.sort_by(|a, b| natural_cmp(a, b));
                        page.tags.set(Tags::Loaded { repository, tags });
                    }
                    Err(error) if error.is_abort() => page.tags.set(Tags::None),
                    Err(error) => page.tags.set(Tags::Failed(error)),
                }
            });
        }

        spawn_local(async move {
            let current = move || page.generation.get_value() == generation;
            let manifest = match api.manifest(&reference, &signal).await {
                Ok(manifest) => manifest,
                Err(error) => {
                    return if current() {
                        page.fail(error)
                    };
                }
            };
            if !current() {
                return;
            }
            page.layers.set(manifest.pending_layers());
            page.manifest.set(Some(manifest));
            let config = api.config(&reference, &signal).await;
            if !current() {
                return;
            }
            match config {
                Err(error) if error.is_abort() => return page.fail(error),
                config => page.config.set(Some(config)),
            }
            if verify {
                let on_progress = move |layer: usize, bytes: u64, uncompressed: u64| {
                    if current() {
                        page.layers.update(|rows| {
                            if let Some(row) = rows.get_mut(layer) {
                                row.progress(bytes, uncompressed, now_ms());
                            }
                        });
                    }
                };
                let mut rows = page.layers.get_untracked();
                let outcome = api.verify(&reference, &image_id, &signal, on_progress, &mut rows).await;
                if !current() {
                    return;
                }
                match outcome {
                    Ok(outcome) => {
                        page.layers.set(rows);
                        page.run.set(Run::Done(outcome));
                    }
                    Err(error) => return page.fail(error),
                }
            }
            page.busy.set(false);
            page.abort.set_value(None);
        });
    }

    /// Loads `tag` of the current repository.
    pub fn load_tag(&self, tag: &str) {
        let reference = self.reference.get_untracked();
        self.reference.set(format!("{}:{tag}", repository_of(reference.trim())));
        self.start(false);
    }

    fn fail(&self, error: ApiError) {
        self.busy.set(false);
        self.abort.set_value(None);
        if error.is_abort() {
            self.run.set(Run::Cancelled);
            self.layers.update(|rows| {
                for row in rows.iter_mut().filter(|r| matches!(r.status, crate::api::LayerStatus::Running)) {
                    row.status = crate::api::LayerStatus::Pending;
                }
            });
        } else {
            self.run.set(Run::Failed);
            self.error.set(Some(error));
        }
    }

    /// Keeps the address bar a shareable deep link (nothing secret goes there).
    fn write_url(&self, reference: &str, options: &Options, image_id: &str) {
        let Ok(params) = UrlSearchParams::new() else { return };
        params.append("image", reference);
        if !options.mirror.trim().is_empty() {
            params.append("mirror", options.mirror.trim());
        }
        if !options.platform.trim().is_empty() {
            params.append("platform", options.platform.trim());
        }
        if !image_id.is_empty() {
            params.append("id", image_id);
        }
        let url = format!("?{}", String::from(params.to_string()));
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
}

/// The reference without its tag and digest: `host/repo:tag@sha256:...` -> `host/repo`.
pub fn repository_of(reference: &str) -> &str {
    let name = reference.split('@').next().unwrap_or(reference);
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[last_slash..].find(':') {
        Some(colon) => &name[..last_slash + colon],
        None => name,
    }
}

/// Orders tags like versions: runs of digits compare as numbers (`1.9` < `1.10`).
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (na, ra) = split_digits(a);
                let (nb, rb) = split_digits(b);
                let (ta, tb) = (trim_zeros(na), trim_zeros(nb));
                let order = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb));
                if order.is_ne() {
                    return order;
                }
                (a, b) = (ra, rb);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                (a, b) = (&a[1..], &b[1..]);
            }
        }
    }
}

fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let end = s.iter().position(|c| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&c| c != b'0').unwrap_or(s.len());
    &s[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_strips_tag_and_digest() {
        assert_eq!(repository_of("127.0.0.1:5000/public/x:v1"), "127.0.0.1:5000/public/x");
        assert_eq!(repository_of("127.0.0.1:5000/public/x@sha256:ab"), "127.0.0.1:5000/public/x");
        assert_eq!(repository_of("python"), "python");
        assert_eq!(repository_of("python:3.12"), "python");
    }

    #[test]
    fn tags_sort_like_versions() {
        let mut tags = vec!["1.10", "1.9", "latest", "1.09a", "2"];
        tags.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(tags, ["1.9", "1.09a", "1.10", "2", "latest"]);
    }
}
