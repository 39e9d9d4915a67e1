//! The page's one client: built from what the person set (mirror, platform, sign-in) and the
//! site's gateway paths, kept for as long as the page is open so tokens and workers live across
//! actions, and rebuilt only when those settings change.

use std::collections::BTreeMap;
use std::rc::Rc;

use regsight_core::Reference;
use regsight_wasm::{ClientCore, ClientOptions, CredentialsInput, WorkersOption};

use crate::failure::Failure;
use crate::site::SiteConfig;

/// The package's worker script, copied next to the page with its glue and wasm: the page's
/// workers load only the verifier, not the page.
pub const WORKER_SCRIPT: &str = "./worker.js";

/// The `sessionStorage` key of remembered sign-ins ("remember in this tab").
const REMEMBER_KEY: &str = "regsight.login";

/// What a person typed to sign in to the registry in use: memory only, unless they ask to
/// remember it in this tab (sessionStorage); never in the URL or localStorage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Login {
    /// The registry the sign-in is for (the reference's when typed, else the first one used):
    /// it is sent there and nowhere else.
    pub registry: String,
    /// Username, with `password`.
    pub username: String,
    /// Password (or access token used as one).
    pub password: String,
    /// A bearer token obtained elsewhere, instead of a username and password.
    pub token: String,
}

impl Login {
    /// True when a username or token was typed.
    pub fn is_given(&self) -> bool {
        !self.token.trim().is_empty() || !self.username.trim().is_empty()
    }

    /// The credentials to send, when something was typed.
    fn credentials(&self) -> Option<CredentialsInput> {
        if !self.token.trim().is_empty() {
            Some(CredentialsInput::Token { token: self.token.trim().to_owned() })
        } else if !self.username.trim().is_empty() {
            Some(CredentialsInput::Password {
                username: self.username.trim().to_owned(),
                password: self.password.clone(),
            })
        } else {
            None
        }
    }

    /// The sign-in remembered in this tab, if any.
    pub fn remembered() -> Option<Self> {
        let text = session_storage()?.get_item(REMEMBER_KEY).ok()??;
        let mut fields = text.splitn(4, '\n').map(str::to_owned);
        Some(Self {
            registry: fields.next().unwrap_or_default(),
            username: fields.next().unwrap_or_default(),
            password: fields.next().unwrap_or_default(),
            token: fields.next().unwrap_or_default(),
        })
    }

    /// Remembers this sign-in in this tab (`Some`) or forgets any (`None`).
    pub fn remember(login: Option<&Self>) {
        let Some(storage) = session_storage() else { return };
        let _ = match login {
            Some(l) => storage.set_item(
                REMEMBER_KEY,
                &format!("{}\n{}\n{}\n{}", l.registry, l.username, l.password, l.token),
            ),
            None => storage.remove_item(REMEMBER_KEY),
        };
    }
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// What the client is built from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Setup {
    /// Base URL that serves docker.io (a CORS-enabled mirror), or empty.
    pub mirror: String,
    /// Platform chosen from indexes, or empty for linux/amd64.
    pub platform: String,
    /// The sign-in: sent only when it is for `registry`.
    pub login: Login,
    /// The registry the sign-in is for (the reference's).
    pub registry: String,
    /// The site's gateway paths, when served as a site.
    pub site: Option<SiteConfig>,
}

impl Setup {
    /// The client options: the site's mirrors, the person's docker.io mirror, the sign-in keyed
    /// by the endpoint that will be contacted (the gateway path or mirror serving the registry,
    /// else the registry), and workers from [`WORKER_SCRIPT`].
    pub fn options(&self) -> ClientOptions {
        let mut mirrors: BTreeMap<String, String> =
            self.site.as_ref().map(|s| s.mirrors.clone().into_iter().collect()).unwrap_or_default();
        let mirror = self.mirror.trim();
        if !mirror.is_empty() {
            mirrors.insert("docker.io".into(), mirror.into());
        }
        let mut credentials = BTreeMap::new();
        if let Some(given) = self.login.credentials().filter(|_| self.login.registry == self.registry) {
            let key = mirrors.get(&self.registry).cloned().unwrap_or_else(|| self.registry.clone());
            credentials.insert(key, given);
        }
        let platform = Some(self.platform.trim().to_owned()).filter(|p| !p.is_empty());
        ClientOptions {
            mirrors,
            credentials,
            platform,
            workers: Some(WorkersOption::Url(WORKER_SCRIPT.into())),
            ..ClientOptions::default()
        }
    }
}

/// The registry a reference typed in names (`docker.io` for familiar names), if it parses.
pub fn registry_of(reference: &str) -> String {
    reference.trim().parse::<Reference>().map(|r| r.registry().to_owned()).unwrap_or_default()
}

/// The page's client, and the options it was built with.
#[derive(Default)]
pub struct Clients {
    current: Option<(ClientOptions, Rc<ClientCore>)>,
}

impl Clients {
    /// The client built last, if any.
    pub fn current(&self) -> Option<&Rc<ClientCore>> {
        self.current.as_ref().map(|(_, client)| client)
    }

    /// The client for `options`: the current one when they are unchanged, else a new one.
    pub fn get(&mut self, options: ClientOptions) -> Result<Rc<ClientCore>, Failure> {
        if let Some((built, client)) = &self.current
            && *built == options
        {
            return Ok(client.clone());
        }
        let page = regsight_wasm::page_url();
        let settings = options.clone().into_settings(page.as_deref(), None)?;
        let client = Rc::new(ClientCore::new(settings));
        self.current = Some((options, client.clone()));
        Ok(client)
    }
}
