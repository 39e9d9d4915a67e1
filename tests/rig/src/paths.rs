//! Where a named rig keeps its files and which loopback ports it listens on.

use std::path::{Path, PathBuf};

/// The directories and ports of one named rig (`target/rig/<name>/`).
#[derive(Debug, Clone)]
pub struct RigPaths {
    /// The rig's name (`test`, `demo`, ...).
    pub name: String,
    /// `target/rig/<name>`.
    pub root: PathBuf,
    /// First of the rig's consecutive ports.
    pub base_port: u16,
}

/// Port offsets from the base port, one per listening service.
pub mod port {
    /// The open registry (CORS via `http.headers`, no auth).
    pub const OPEN: u16 = 0;
    /// nginx in front of the token-auth registry and the token server.
    pub const TOKEN_FRONT: u16 = 1;
    /// nginx in front of the htpasswd registry.
    pub const BASIC_FRONT: u16 = 2;
    /// nginx in front of the token-auth registry that redirects blob downloads to the CDN.
    pub const REDIRECT_FRONT: u16 = 3;
    /// A "CDN" on another origin serving blobs, logging any `Authorization` it receives.
    pub const CDN: u16 = 4;
    /// nginx in front of the hub registry, like `registry-1.docker.io`: no CORS at all, blob GETs
    /// answer 307 to [`HUB_CDN`].
    pub const HUB_FRONT: u16 = 5;
    /// nginx in front of the token server on its own origin, like `auth.docker.io`: no CORS.
    pub const HUB_AUTH: u16 = 6;
    /// The hub's blob "CDN" on a third origin: no CORS, logs any `Authorization` it receives.
    pub const HUB_CDN: u16 = 7;
    /// A pull-through cache (distribution `proxy.remoteurl`) of the token front, with CORS and no auth.
    pub const PULL_THROUGH: u16 = 8;
    /// The token-auth registry itself (behind nginx).
    pub const TOKEN_REGISTRY: u16 = 10;
    /// The token server (behind nginx).
    pub const TOKEN_SERVER: u16 = 11;
    /// The htpasswd registry itself (behind nginx).
    pub const BASIC_REGISTRY: u16 = 12;
    /// The hub registry itself (token auth, realm on [`HUB_AUTH`]; behind [`HUB_FRONT`]).
    pub const HUB_REGISTRY: u16 = 13;
    /// The evil registry (`regsight-evil`): one hostile behaviour per repository, CORS answered itself.
    pub const EVIL: u16 = 14;
    /// The evil registry's other origin: the target of its cross-origin blob redirects.
    pub const EVIL_OTHER: u16 = 15;
    /// The rendered site (`cargo xtask site`) that tests and the demo serve with its own nginx.
    pub const SITE: u16 = 20;
}

impl RigPaths {
    /// The rig called `name` with its ports starting at `base_port`.
    pub fn new(name: &str, base_port: u16) -> Self {
        Self { name: name.to_owned(), root: rigs_dir().join(name), base_port }
    }

    /// The default base port of a rig name, so a demo and a test rig can run side by side;
    /// `$REGSIGHT_RIG_BASE_PORT` overrides it (e.g. to run a second checkout's tests at once).
    pub fn default_base_port(name: &str) -> u16 {
        if let Some(port) = std::env::var("REGSIGHT_RIG_BASE_PORT").ok().and_then(|p| p.parse().ok()) {
            return port;
        }
        match name {
            "demo" => 5000,
            "test" => 15000,
            _ => 25000,
        }
    }

    /// The port of one service (see [`port`]).
    pub fn port(&self, offset: u16) -> u16 {
        self.base_port + offset
    }

    /// `http://127.0.0.1:<port>` of one service.
    pub fn url(&self, offset: u16) -> String {
        format!("http://127.0.0.1:{}", self.port(offset))
    }

    /// The registries' shared storage.
    pub fn storage(&self) -> PathBuf {
        self.root.join("storage")
    }

    /// The pull-through cache's own storage (never the shared one: it fills it from upstream).
    pub fn pull_through_storage(&self) -> PathBuf {
        self.root.join("pull-through-storage")
    }

    /// Generated configuration files.
    pub fn conf(&self) -> PathBuf {
        self.root.join("conf")
    }

    /// One log file per service.
    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }

    /// Fixture build directories (OCI layouts).
    pub fn build(&self) -> PathBuf {
        self.root.join("build")
    }

    /// The rig description tests read.
    pub fn info_file(&self) -> PathBuf {
        self.root.join("rig.json")
    }

    /// Process ids of the running services.
    pub fn pids_file(&self) -> PathBuf {
        self.root.join("pids")
    }
}

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `target/rig` of the workspace: always there, whatever `CARGO_TARGET_DIR` says, so every test
/// binary finds the same rigs.
pub fn rigs_dir() -> PathBuf {
    workspace_root().join("target").join("rig")
}
