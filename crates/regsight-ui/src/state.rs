//! The page's state (signals) and what its buttons do. One client serves the page's lifetime
//! (see [`crate::session`]); every run gets its own `AbortController`, and starting a new run or
//! pressing Cancel aborts the previous one. A reference is resolved once: the manifest, config
//! and verdict shown always describe the same bytes.

use std::collections::BTreeMap;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use regsight_core::ImageId;
use regsight_core::model::{ImageConfig, parse_config};
use regsight_core::platform::Platform;
use regsight_core::verify::{LayerSummary, Progress, TarListing};
use regsight_core::{Digest, ErrorCode, Reference};
use regsight_wasm::{ClientCore, LayerState, Resolved, Verification, VerifyCall};
use web_sys::{AbortController, AbortSignal};

use crate::failure::Failure;
use crate::link::DeepLink;
use crate::session::{Clients, Login, Setup, registry_of};
use crate::site::SiteConfig;
use crate::text::{natural_cmp, repository_of};

/// Where the verification stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Run {
    /// Nothing asked yet (or only inspected).
    #[default]
    Idle,
    /// Verifying.
    Verifying,
    /// Done: see [`Page::verification`].
    Done,
    /// The whole operation failed (see [`Page::error`]).
    Failed,
    /// Cancelled by the user.
    Cancelled,
}

/// A list loaded from the registry (tags, repositories).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Listing {
    /// None loaded.
    #[default]
    None,
    /// Loading.
    Loading,
    /// Loaded for `of` (a repository, or a registry).
    Loaded {
        /// What was listed.
        of: String,
        /// The items, sorted like versions.
        items: Vec<String>,
    },
    /// Could not be listed.
    Failed(Failure),
}

/// The config blob of the resolved image.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The bytes as served.
    pub bytes: Vec<u8>,
    /// Their digest (the image ID), in the algorithm of the config's descriptor.
    pub digest: Digest,
    /// The parsed config, or why it does not parse.
    pub parsed: Result<ImageConfig, String>,
}

/// One layer's live progress while it streams.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LayerProgress {
    /// Compressed bytes received.
    pub bytes: u64,
    /// Uncompressed bytes produced.
    pub uncompressed: u64,
    /// `performance.now()` of the first event.
    pub started_ms: Option<f64>,
    /// Bytes per second, once measurable.
    pub rate: Option<f64>,
    /// True between the first event and the result.
    pub running: bool,
}

impl LayerProgress {
    /// Folds a progress event in.
    pub fn update(&mut self, progress: &Progress, now_ms: f64) {
        let started = *self.started_ms.get_or_insert(now_ms);
        self.running = true;
        self.bytes = progress.received;
        self.uncompressed = progress.uncompressed;
        let elapsed = (now_ms - started) / 1000.0;
        if elapsed > 0.05 {
            self.rate = Some(progress.received as f64 / elapsed);
        }
    }
}

/// One layer once verified: where it stands and what the verifier found. Set as soon as the layer
/// ends (its own findings, [`regsight_wasm::LayerOutcome::state`]), then, once the whole image is
/// verified, from [`Verification::layer_state`]; the chain picture and the layer rows read it.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerDone {
    /// Where it stands.
    pub state: LayerState,
    /// The verifier's findings, when the blob could be streamed.
    pub summary: Option<LayerSummary>,
}

/// A layer's file listing, asked for from the Files panel.
#[derive(Clone, Debug, PartialEq)]
pub enum Files {
    /// Streaming the layer to list it.
    Loading,
    /// The listing, and what verifying the layer again found.
    Listed(Rc<TarListing>, LayerState),
    /// Could not be listed.
    Failed(Failure),
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
    /// Credentials for the registry in use, as typed: memory only (see `remember`).
    pub login: RwSignal<Login>,
    /// Whether the sign-in is remembered in this tab (sessionStorage); off by default.
    pub remember: RwSignal<bool>,
    /// The site's configuration (`regsight.json`), when the page is served as a site.
    pub site: RwSignal<Option<SiteConfig>>,
    /// The registry being browsed (`registry=`), whose repositories are listed.
    pub browse: RwSignal<String>,
    /// What the reference resolved to: index and image manifest, exactly as served.
    pub resolved: RwSignal<Option<Rc<Resolved>>, LocalStorage>,
    /// Its config.
    pub config: RwSignal<Option<Result<Rc<Config>, Failure>>, LocalStorage>,
    /// The verification of exactly `resolved`.
    pub verification: RwSignal<Option<Rc<Verification>>, LocalStorage>,
    /// Per-layer progress of the run.
    pub progress: RwSignal<Vec<LayerProgress>>,
    /// Per layer, once it is verified (live, before the whole verification ends).
    pub layers: RwSignal<Vec<Option<LayerDone>>, LocalStorage>,
    /// The verification's state.
    pub run: RwSignal<Run>,
    /// A failure of the whole operation.
    pub error: RwSignal<Option<Failure>>,
    /// The repository's tags.
    pub tags: RwSignal<Listing>,
    /// The browsed registry's repositories.
    pub repositories: RwSignal<Listing>,
    /// Tag -> the digest its HEAD answered, asked for one tag at a time.
    pub tag_digests: RwSignal<BTreeMap<String, Result<String, Failure>>>,
    /// Layer index -> its file listing.
    pub files: RwSignal<BTreeMap<usize, Files>, LocalStorage>,
    /// The layer whose files are shown (`files=`).
    pub open_layer: RwSignal<Option<usize>>,
    /// Bumped whenever the client made requests (the curl view re-reads its transcript).
    pub requests: RwSignal<u64>,
    /// True while a run (inspect or verify) is under way.
    pub busy: RwSignal<bool>,
    /// True once the site's configuration is loaded (or known absent): nothing starts before,
    /// so no request goes around the site's gateway.
    pub loaded: RwSignal<bool>,
    clients: StoredValue<Clients, LocalStorage>,
    catalog_generation: StoredValue<u64>,
    resolved_by: StoredValue<Option<Rc<ClientCore>>, LocalStorage>,
    abort: StoredValue<Option<AbortController>, LocalStorage>,
    generation: StoredValue<u64>,
}

impl Page {
    /// Signals filled from the deep link (and a sign-in remembered in this tab).
    pub fn new(link: &DeepLink) -> Self {
        let remembered = Login::remembered();
        Self {
            reference: RwSignal::new(link.image.clone().unwrap_or_default()),
            mirror: RwSignal::new(link.mirror.clone().unwrap_or_default()),
            platform: RwSignal::new(link.platform.clone().unwrap_or_default()),
            image_id: RwSignal::new(link.image_id.clone().unwrap_or_default()),
            remember: RwSignal::new(remembered.is_some()),
            login: RwSignal::new(remembered.unwrap_or_default()),
            site: RwSignal::new(None),
            browse: RwSignal::new(link.registry.clone().unwrap_or_default()),
            resolved: RwSignal::new_local(None),
            config: RwSignal::new_local(None),
            verification: RwSignal::new_local(None),
            progress: RwSignal::new(Vec::new()),
            layers: RwSignal::new_local(Vec::new()),
            run: RwSignal::new(Run::Idle),
            error: RwSignal::new(None),
            tags: RwSignal::new(Listing::None),
            repositories: RwSignal::new(Listing::None),
            tag_digests: RwSignal::new(BTreeMap::new()),
            files: RwSignal::new_local(BTreeMap::new()),
            open_layer: RwSignal::new(link.files),
            requests: RwSignal::new(0),
            busy: RwSignal::new(false),
            loaded: RwSignal::new(false),
            clients: StoredValue::new_local(Clients::default()),
            catalog_generation: StoredValue::new(0),
            resolved_by: StoredValue::new_local(None),
            abort: StoredValue::new_local(None),
            generation: StoredValue::new(0),
        }
    }

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
    pub fn show_error(&self, error: Failure) {
        self.error.set(Some(error));
    }

    /// The page's client for the current settings (the same one until they change).
    pub fn client(&self) -> Result<Rc<ClientCore>, Failure> {
        // A sign-in typed before any reference belongs to the first registry it is used with.
        let registry = registry_of(&self.reference.get_untracked());
        if self.login.with_untracked(|l| l.is_given() && l.registry.is_empty()) && !registry.is_empty() {
            self.login.update(|l| l.registry = registry.clone());
        }
        let setup = Setup {
            mirror: self.mirror.get_untracked(),
            platform: self.platform.get_untracked(),
            login: self.login.get_untracked(),
            registry,
            site: self.site.get_untracked(),
        };
        let remember = self.remember.get_untracked();
        Login::remember(remember.then_some(&setup.login));
        self.clients.try_update_value(|clients| clients.get(setup.options())).unwrap_or_else(|| {
            Err(Failure::new(ErrorCode::Aborted, "the page's client is gone (the page is closing)"))
        })
    }

    /// Aborts whatever is running.
    pub fn cancel(&self) {
        if let Some(controller) = self.abort.try_update_value(Option::take).flatten() {
            controller.abort();
        }
    }

    /// A new run: aborts the previous one, returns its signal and a check that it is still current.
    fn begin(&self) -> Option<(AbortSignal, impl Fn() -> bool + Copy + 'static)> {
        self.cancel();
        let controller = AbortController::new().ok()?;
        let signal = controller.signal();
        self.abort.set_value(Some(controller));
        let generation = self.generation.get_value() + 1;
        self.generation.set_value(generation);
        let page = *self;
        Some((signal, move || page.generation.get_value() == generation))
    }

    /// Inspects the reference in the input (manifest, config, tags), and verifies it when
    /// `verify`. A Verify right after an Inspect of the same reference verifies what was
    /// inspected, without fetching the manifest and config again.
    pub fn start(&self, verify: bool) {
        let page = *self;
        let text = page.reference.get_untracked().trim().to_owned();
        if text.is_empty() || !page.loaded.get_untracked() {
            return;
        }
        let reference = match text.parse::<Reference>() {
            Ok(reference) => reference,
            Err(error) => return page.fail(Failure::from(regsight_wasm::ClientError::from(error))),
        };
        let image_id = match page.image_id.get_untracked().trim() {
            "" => None,
            id => match id.parse::<ImageId>() {
                Ok(id) => Some(id),
                Err(error) => return page.fail(Failure::from(regsight_wasm::ClientError::from(error))),
            },
        };
        let platform = match page.platform.get_untracked().trim() {
            "" => None,
            p => match p.parse::<Platform>() {
                Ok(p) => Some(p),
                Err(error) => return page.fail(Failure::from(regsight_wasm::ClientError::from(error))),
            },
        };
        page.write_url();
        let client = match page.client() {
            Ok(client) => client,
            Err(error) => return page.fail(error),
        };
        // Verify right after Inspect of the same image, by the same client: verify what was shown.
        let same_client =
            page.resolved_by.with_value(|by| by.as_ref().is_some_and(|by| Rc::ptr_eq(by, &client)));
        let inspected = verify
            && same_client
            && page.run.get_untracked() == Run::Idle
            && page.resolved.with_untracked(|r| r.as_ref().is_some_and(|r| r.reference == reference))
            && page.config.with_untracked(|c| matches!(c, Some(Ok(_))))
            && page.platform_unchanged();
        if verify {
            // The workers load while the manifest and config are fetched.
            client.warm_workers();
        }
        let Some((signal, current)) = page.begin() else { return };
        page.error.set(None);
        page.busy.set(true);
        page.load_tags(&client, &reference, &signal);
        page.run.set(if verify { Run::Verifying } else { Run::Idle });
        page.verification.set(None);
        page.layers.set(Vec::new());
        if !inspected {
            page.files.set(BTreeMap::new());
            page.resolved.set(None);
            page.config.set(None);
            page.progress.set(Vec::new());
        }
        spawn_local(async move {
            let outcome = async {
                if !inspected {
                    let resolved = client.resolve(&reference, platform.as_ref(), Some(&signal)).await?;
                    if !current() {
                        return Ok(());
                    }
                    let layers = match resolved.image() {
                        Some(regsight_core::Manifest::Image(image)) => image.layers.len(),
                        _ => 0,
                    };
                    page.progress.set(vec![LayerProgress::default(); layers]);
                    page.resolved.set(Some(Rc::new(resolved)));
                    page.resolved_by.set_value(Some(client.clone()));
                    page.requests.update(|n| *n += 1);
                    let Some(resolved) = page.resolved.get_untracked() else { return Ok(()) };
                    let config = match client.fetch_config(&resolved, Some(&signal)).await {
                        Ok(bytes) => Ok(Rc::new(Config {
                            digest: resolved.config_digest_of(&bytes),
                            parsed: parse_config(&bytes).map_err(|e| e.to_string()),
                            bytes,
                        })),
                        Err(regsight_wasm::ClientError::Aborted) => {
                            return Err(regsight_wasm::ClientError::Aborted);
                        }
                        Err(error) => Err(Failure::from(error)),
                    };
                    if !current() {
                        return Ok(());
                    }
                    page.config.set(Some(config));
                    page.requests.update(|n| *n += 1);
                }
                if verify {
                    page.verify_inspected(&client, &signal, image_id, current).await?;
                }
                Ok(())
            }
            .await;
            if !current() {
                return;
            }
            page.requests.update(|n| *n += 1);
            match outcome {
                Ok(()) => page.finish(),
                Err(error) => page.fail(Failure::from(error)),
            }
        });
    }

    /// Verifies the resolved image with its fetched config.
    async fn verify_inspected(
        &self,
        client: &ClientCore,
        signal: &AbortSignal,
        image_id: Option<ImageId>,
        current: impl Fn() -> bool + Copy + 'static,
    ) -> Result<(), regsight_wasm::ClientError> {
        let page = *self;
        let Some(resolved) = page.resolved.get_untracked() else { return Ok(()) };
        let config = page.config.with_untracked(|c| match c {
            Some(Ok(config)) => Some(config.bytes.clone()),
            _ => None,
        });
        page.progress.update(|rows| rows.iter_mut().for_each(|r| *r = LayerProgress::default()));
        let on_progress = move |layer: usize, progress: Progress| {
            if current() {
                let now = now_ms();
                page.progress.update(|rows| {
                    if let Some(row) = rows.get_mut(layer) {
                        row.update(&progress, now);
                    }
                });
            }
        };
        let on_layer = move |outcome: &regsight_wasm::LayerOutcome| {
            if current() {
                let done = LayerDone { state: outcome.state(), summary: outcome.summary.clone() };
                page.layers.update(|layers| {
                    if layers.len() <= outcome.job.index {
                        layers.resize(outcome.job.index + 1, None);
                    }
                    layers[outcome.job.index] = Some(done);
                });
                page.progress.update(|rows| {
                    if let Some(row) = rows.get_mut(outcome.job.index) {
                        row.running = false;
                    }
                });
            }
        };
        let call = VerifyCall {
            platform: None,
            signal: Some(signal),
            list_files: false,
            on_progress: &on_progress,
            on_layer: &on_layer,
            expected_image_id: image_id,
        };
        let verification = client.verify_resolved((*resolved).clone(), config, call).await?;
        if current() {
            page.progress.update(|rows| rows.iter_mut().for_each(|r| r.running = false));
            // The whole chain's word replaces each layer's own.
            let layers = verification
                .layers
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    Some(LayerDone { state: verification.layer_state(i), summary: l.summary.clone() })
                })
                .collect();
            page.layers.set(layers);
            page.verification.set(Some(Rc::new(verification)));
            page.run.set(Run::Done);
        }
        Ok(())
    }

    /// True when the platform typed in is the one the resolved image was chosen for.
    fn platform_unchanged(&self) -> bool {
        let typed = self.platform.get_untracked();
        self.resolved.with_untracked(|r| match r.as_ref().and_then(|r| r.index.as_ref()) {
            None => true,
            Some((_, entry)) => {
                let chosen = entry.platform.as_ref().map(ToString::to_string).unwrap_or_default();
                typed.trim().is_empty() || typed.trim() == chosen
            }
        })
    }

    /// Lists the repository's tags, unless they are listed already.
    fn load_tags(&self, client: &Rc<ClientCore>, reference: &Reference, signal: &AbortSignal) {
        let page = *self;
        let repository = format!("{}/{}", reference.registry(), reference.repository());
        let loaded =
            page.tags.with_untracked(|t| matches!(t, Listing::Loaded { of, .. } if *of == repository));
        if loaded {
            return;
        }
        page.tags.set(Listing::Loading);
        page.tag_digests.set(BTreeMap::new());
        let (client, signal, reference) = (client.clone(), signal.clone(), reference.clone());
        spawn_local(async move {
            let listing = match client.tags(&reference, Some(&signal)).await {
                Ok(mut tags) => {
                    tags.sort_by(|a, b| natural_cmp(a, b));
                    Listing::Loaded { of: repository, items: tags }
                }
                Err(regsight_wasm::ClientError::Aborted) => Listing::None,
                Err(error) => Listing::Failed(Failure::from(error)),
            };
            page.tags.set(listing);
            page.requests.update(|n| *n += 1);
        });
    }

    /// Lists the repositories of the registry in `browse` (its `_catalog`, every page).
    pub fn load_catalog(&self) {
        let page = *self;
        let registry = page.browse.get_untracked().trim().to_owned();
        if registry.is_empty() || !page.loaded.get_untracked() {
            return;
        }
        page.write_url();
        let client = match page.client() {
            Ok(client) => client,
            Err(error) => return page.repositories.set(Listing::Failed(error)),
        };
        page.repositories.set(Listing::Loading);
        // Only the last Browse's answer is shown, whichever comes back first.
        let asked = page.catalog_generation.get_value() + 1;
        page.catalog_generation.set_value(asked);
        spawn_local(async move {
            let answer = client.catalog(&registry, None).await;
            if page.catalog_generation.get_value() != asked {
                return;
            }
            let listing = match answer {
                Ok(mut items) => {
                    items.sort_by(|a, b| natural_cmp(a, b));
                    Listing::Loaded { of: registry, items }
                }
                Err(error) => Listing::Failed(Failure::from(error)),
            };
            page.repositories.set(listing);
            page.requests.update(|n| *n += 1);
        });
    }

    /// Opens repository `name` of the browsed registry: lists its tags, to pick one from (a
    /// repository need not have `latest`).
    pub fn open_repository(&self, name: &str) {
        let page = *self;
        let registry = page.browse.get_untracked();
        let text = format!("{}/{name}", registry.trim());
        page.reference.set(text.clone());
        page.write_url();
        let (Ok(reference), Ok(client)) = (text.parse::<Reference>(), page.client()) else { return };
        let Some((signal, _)) = page.begin() else { return };
        page.error.set(None);
        page.run.set(Run::Idle);
        page.resolved.set(None);
        page.config.set(None);
        page.verification.set(None);
        page.layers.set(Vec::new());
        page.progress.set(Vec::new());
        page.files.set(BTreeMap::new());
        page.load_tags(&client, &reference, &signal);
    }

    /// Loads `tag` of the current repository.
    pub fn load_tag(&self, tag: &str) {
        let reference = self.reference.get_untracked();
        self.reference.set(format!("{}:{tag}", repository_of(reference.trim())));
        self.start(false);
    }

    /// Chooses `platform` from the index shown, and inspects it.
    pub fn choose_platform(&self, platform: &str) {
        self.platform.set(platform.to_owned());
        self.start(false);
    }

    /// Asks the registry which digest `tag` points to (a HEAD), for the tag list.
    pub fn tag_digest(&self, tag: &str) {
        let page = *self;
        let reference = format!("{}:{tag}", repository_of(page.reference.get_untracked().trim()));
        let (Ok(client), Ok(parsed)) = (page.client(), reference.parse::<Reference>()) else { return };
        let tag = tag.to_owned();
        spawn_local(async move {
            let answer = match client.manifest_digest(&parsed, None).await {
                Ok(Some(digest)) => Ok(digest),
                Ok(None) => Err(Failure::new(
                    ErrorCode::InvalidResponse,
                    "the registry sent no Docker-Content-Digest",
                )),
                Err(error) => Err(Failure::from(error)),
            };
            page.tag_digests.update(|map| {
                map.insert(tag, answer);
            });
            page.requests.update(|n| *n += 1);
        });
    }

    /// Lists layer `index`'s files (streams it again through the verifier's tar walk).
    pub fn list_files(&self, index: usize) {
        let page = *self;
        page.open_layer.set(Some(index));
        page.write_url();
        if page.files.with_untracked(|f| matches!(f.get(&index), Some(Files::Loading | Files::Listed(..)))) {
            return;
        }
        let (Some(resolved), Ok(client)) = (page.resolved.get_untracked(), page.client()) else { return };
        let config = page.config.with_untracked(|c| match c {
            Some(Ok(config)) => config.bytes.clone(),
            _ => Vec::new(),
        });
        page.files.update(|f| {
            f.insert(index, Files::Loading);
        });
        // A listing that ends after another image was loaded is not this image's.
        let generation = page.generation.get_value();
        spawn_local(async move {
            let outcome = client.layer_files(&resolved, &config, index, None, &|_| {}).await;
            if page.generation.get_value() != generation {
                return;
            }
            let files = match outcome {
                Ok(outcome) => match outcome.files.clone() {
                    Some(listing) => Files::Listed(Rc::new(listing), outcome.state()),
                    None => Files::Failed(Failure::new(
                        ErrorCode::InvalidResponse,
                        "the verifier returned no listing",
                    )),
                },
                Err(error) => Files::Failed(Failure::from(error)),
            };
            page.files.update(|f| {
                f.insert(index, files);
            });
            page.requests.update(|n| *n += 1);
        });
    }

    /// The curl commands for every request the page's client made.
    pub fn curl(&self) -> String {
        self.requests.track();
        self.clients
            .try_with_value(|clients| clients.current().map(|c| c.transcript().curl()))
            .flatten()
            .unwrap_or_default()
    }

    fn finish(&self) {
        self.busy.set(false);
        self.abort.set_value(None);
    }

    fn fail(&self, error: Failure) {
        self.finish();
        self.progress.update(|rows| rows.iter_mut().for_each(|r| r.running = false));
        if error.is_abort() {
            self.run.set(Run::Cancelled);
        } else {
            self.run.set(Run::Failed);
            self.error.set(Some(error));
        }
    }

    /// Keeps the address bar a shareable deep link (nothing secret goes there).
    fn write_url(&self) {
        let link = DeepLink {
            image: Some(self.reference.get_untracked().trim().to_owned()),
            registry: Some(self.browse.get_untracked().trim().to_owned()),
            mirror: Some(self.mirror.get_untracked().trim().to_owned()),
            platform: Some(self.platform.get_untracked().trim().to_owned()),
            image_id: Some(self.image_id.get_untracked().trim().to_owned()),
            files: self.open_layer.get_untracked(),
            verify: false,
        };
        link.write();
    }
}

/// `performance.now()`, or 0 where there is none.
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}
