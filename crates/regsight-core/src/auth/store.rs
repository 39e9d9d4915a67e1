//! Which credentials go to which endpoint. Credentials are keyed by where they may be sent: a
//! registry host (`registry.example`, `127.0.0.1:5000`, `docker.io`) or a base URL
//! (`https://gateway.example/registries/ghcr.io`). A request gets the credentials keyed by the
//! endpoint it actually contacts; a mirror never gets the credentials of the registry it mirrors,
//! as containerd and dockerd behave.

use crate::endpoint::{BaseUrl, EndpointError};
use crate::reference;
use crate::url::{Origin, UrlError};
use crate::{ErrorCode, auth::Credentials};

/// Where one set of credentials may be used.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    /// `host[:port]`: the endpoint at that host and port, whatever its path; without a port, the
    /// scheme's default. Also the registry of that name when it is contacted directly.
    Host {
        /// As an https origin (port 443 when none was written).
        secure: Origin,
        /// As an http origin (port 80 when none was written).
        plain: Origin,
        /// The normalized registry name (`docker.io` for `index.docker.io`).
        registry: String,
    },
    /// `http(s)://host[:port][/prefix]`: that base URL exactly.
    Base(BaseUrl),
}

/// Why a credentials key is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialKeyError {
    /// Neither `host[:port]` nor an http(s) base URL.
    #[error("credentials key {key:?} is neither a registry host[:port] nor an http(s) base url: {source}")]
    Host {
        /// The key as given (shortened).
        key: String,
        /// What is wrong with it as a host.
        source: UrlError,
    },
    /// A base URL that does not parse.
    #[error("credentials key: {0}")]
    Base(#[from] EndpointError),
}

impl CredentialKeyError {
    /// The stable error code: credentials are the caller's configuration.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidArgument
    }
}

/// The endpoint a request goes to, as credentials are matched against it.
#[derive(Debug, Clone, Copy)]
pub struct Contact<'a> {
    /// The base URL contacted.
    pub base: &'a BaseUrl,
    /// The registry the reference names (`docker.io`, `ghcr.io`, `127.0.0.1:5000`).
    pub registry: &'a str,
    /// True when `base` is a configured mirror or gateway rather than the registry's own endpoint.
    pub via_mirror: bool,
}

/// Credentials keyed by where they may be sent.
#[derive(Debug, Clone, Default)]
pub struct CredentialStore {
    entries: Vec<(Key, Credentials)>,
}

impl CredentialStore {
    /// An empty store: every request is anonymous.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds credentials for `key` (`host[:port]`, a registry name, or an http(s) base URL).
    pub fn insert(&mut self, key: &str, credentials: Credentials) -> Result<(), CredentialKeyError> {
        let key = if key.contains("://") {
            Key::Base(BaseUrl::parse(key)?)
        } else {
            let bad = |source| CredentialKeyError::Host { key: crate::quote::shorten(key), source };
            let secure = Origin::from_authority(true, key).map_err(bad)?;
            let plain = Origin::from_authority(false, key).map_err(bad)?;
            let registry = reference::normalize_registry(&key.to_ascii_lowercase())
                .map_err(|source| bad(UrlError::BadHost { host: crate::quote::shorten(key), source }))?
                .to_owned();
            Key::Host { secure, plain, registry }
        };
        self.entries.retain(|(k, _)| *k != key);
        self.entries.push((key, credentials));
        Ok(())
    }

    /// The credentials for requests to `contact`: those keyed by its base URL, else by its
    /// origin, else (only when the registry is contacted directly) by the registry's name.
    pub fn for_contact(&self, contact: Contact<'_>) -> Credentials {
        let origin = contact.base.origin();
        let registry = reference::normalize_registry(contact.registry).ok();
        let base_match = self.find(|key| matches!(key, Key::Base(base) if base == contact.base));
        let origin_match = || {
            self.find(
                |key| matches!(key, Key::Host { secure, plain, .. } if secure == origin || plain == origin),
            )
        };
        let registry_match = || {
            self.find(|key| {
                !contact.via_mirror
                    && matches!(key, Key::Host { registry: name, .. } if Some(name.as_str()) == registry)
            })
        };
        base_match.or_else(origin_match).or_else(registry_match).cloned().unwrap_or(Credentials::Anonymous)
    }

    fn find(&self, wanted: impl Fn(&Key) -> bool) -> Option<&Credentials> {
        self.entries.iter().find(|(key, _)| wanted(key)).map(|(_, credentials)| credentials)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Password;

    fn password(user: &str) -> Credentials {
        Credentials::Password(Password::new(user, "secret").expect("valid"))
    }

    fn contact<'a>(base: &'a BaseUrl, registry: &'a str, via_mirror: bool) -> Contact<'a> {
        Contact { base, registry, via_mirror }
    }

    #[test]
    fn host_keys_are_normalized_and_default_ports_elided() {
        let mut store = CredentialStore::new();
        store.insert("Registry.Example:443", password("a")).expect("key");
        let base = BaseUrl::parse("https://registry.example").expect("base");
        assert_eq!(store.for_contact(contact(&base, "registry.example", false)), password("a"));
        let other_port = BaseUrl::parse("https://registry.example:5000").expect("base");
        assert_eq!(
            store.for_contact(contact(&other_port, "registry.example:5000", false)),
            Credentials::Anonymous
        );

        let mut store = CredentialStore::new();
        store.insert("registry.example", password("b")).expect("key");
        let explicit = BaseUrl::parse("https://REGISTRY.example:443/").expect("base");
        assert_eq!(store.for_contact(contact(&explicit, "registry.example", false)), password("b"));
        let local = BaseUrl::parse("http://127.0.0.1:5000").expect("base");
        store.insert("127.0.0.1:5000", password("c")).expect("key");
        assert_eq!(store.for_contact(contact(&local, "127.0.0.1:5000", false)), password("c"));
    }

    #[test]
    fn a_mirror_never_gets_the_mirrored_registrys_credentials() {
        let mut store = CredentialStore::new();
        store.insert("docker.io", password("hub")).expect("key");
        let mirror = BaseUrl::parse("https://mirror.example/hub").expect("base");
        assert_eq!(store.for_contact(contact(&mirror, "docker.io", true)), Credentials::Anonymous);
        // Docker Hub contacted directly: `docker.io` names it, whatever host serves its API.
        let hub = BaseUrl::for_registry("docker.io").expect("hub");
        assert_eq!(store.for_contact(contact(&hub, "docker.io", false)), password("hub"));
        assert_eq!(store.for_contact(contact(&hub, "index.docker.io", false)), password("hub"));
        // Keyed by the mirror's own host, the mirror gets them.
        store.insert("mirror.example", password("mirror")).expect("key");
        assert_eq!(store.for_contact(contact(&mirror, "docker.io", true)), password("mirror"));
    }

    #[test]
    fn a_base_url_key_names_one_gateway_path_only() {
        let mut store = CredentialStore::new();
        store.insert("https://site.example/registries/ghcr.io", password("gh")).expect("key");
        let ghcr = BaseUrl::parse("https://site.example/registries/ghcr.io/").expect("base");
        let hub = BaseUrl::parse("https://site.example/registries/docker.io").expect("base");
        assert_eq!(store.for_contact(contact(&ghcr, "ghcr.io", true)), password("gh"));
        assert_eq!(store.for_contact(contact(&hub, "docker.io", true)), Credentials::Anonymous);
    }

    #[test]
    fn bad_keys_are_invalid_arguments() {
        let mut store = CredentialStore::new();
        for key in ["user:pw@host", "ftp://host", "https://host?x=1", "bad host", ""] {
            let error = store.insert(key, password("x")).expect_err(key);
            assert_eq!(error.code(), ErrorCode::InvalidArgument, "{key}: {error}");
        }
    }
}
