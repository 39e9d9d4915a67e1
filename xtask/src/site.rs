//! `cargo xtask site`: renders a complete, deployable site: the release page with its site config,
//! and an nginx configuration that serves it with security headers and runs a same-origin gateway
//! to registries that do not answer CORS (see `deploy/site/README.md`).
//!
//! The nginx text lives in templates under `deploy/site/` (compiled in); this module validates the
//! options, fills the `@PLACEHOLDERS@` and writes `DIR/`.

mod csp;

use std::fmt::Write as _;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use regsight_rig::{Result, rig_err};

const USAGE: &str = "\
usage: cargo xtask site --out DIR [--listen ADDR:PORT] [--upstream NAME[=URL][,realm=ORIGIN]]...
                        [--default-image REF] [--default-platform P] [--cache SIZE]
                        [--resolver ADDR] [--ca-file PATH] [--dist DIR]";

/// Registries the gateway knows by name: (name as references spell it, registry URL, token realm
/// origin when it differs from the registry's own).
///
/// | name                  | registry                       | token realm origin       |
/// |-----------------------|--------------------------------|--------------------------|
/// | `docker.io`           | `https://registry-1.docker.io` | `https://auth.docker.io` |
/// | `ghcr.io`             | `https://ghcr.io`              | (same)                   |
/// | `quay.io`             | `https://quay.io`              | (same)                   |
/// | `gcr.io`              | `https://gcr.io`               | (same)                   |
/// | `registry.k8s.io`     | `https://registry.k8s.io`      | (same)                   |
/// | `mcr.microsoft.com`   | `https://mcr.microsoft.com`    | (same)                   |
/// | `public.ecr.aws`      | `https://public.ecr.aws`       | (same)                   |
/// | `registry.gitlab.com` | `https://registry.gitlab.com`  | `https://gitlab.com`     |
pub const WELL_KNOWN: &[(&str, &str, Option<&str>)] = &[
    ("docker.io", "https://registry-1.docker.io", Some("https://auth.docker.io")),
    ("ghcr.io", "https://ghcr.io", None),
    ("quay.io", "https://quay.io", None),
    ("gcr.io", "https://gcr.io", None),
    ("registry.k8s.io", "https://registry.k8s.io", None),
    ("mcr.microsoft.com", "https://mcr.microsoft.com", None),
    ("public.ecr.aws", "https://public.ecr.aws", None),
    ("registry.gitlab.com", "https://registry.gitlab.com", Some("https://gitlab.com")),
];

/// How many redirects the gateway follows for one request (the first one per upstream, the
/// others through shared locations).
const HOPS: usize = 3;

/// Where CA bundles live on common systems, tried in order when `--ca-file` is not given.
const CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
    "/etc/ssl/ca-bundle.pem",
];

mod template {
    //! The templates of `deploy/site/`, compiled in.
    pub const NGINX: &str = include_str!("../../deploy/site/nginx.conf.in");
    pub const SITE: &str = include_str!("../../deploy/site/regsight-site.conf.in");
    pub const UPSTREAM_MAPS: &str = include_str!("../../deploy/site/upstream-maps.conf.in");
    pub const UPSTREAM: &str = include_str!("../../deploy/site/upstream.conf.in");
    pub const HOP: &str = include_str!("../../deploy/site/hop.conf.in");
    pub const FOLLOW: &str = include_str!("../../deploy/site/follow.conf.in");
    pub const HYGIENE: &str = include_str!("../../deploy/site/hygiene.conf.in");
    pub const STREAMING: &str = include_str!("../../deploy/site/streaming.conf.in");
    pub const STREAMING_CACHE: &str = include_str!("../../deploy/site/streaming-cache.conf.in");
    pub const CACHE: &str = include_str!("../../deploy/site/cache.conf.in");
}

/// `cargo xtask site ...`: parses the options, builds the page and writes the site.
pub fn run(args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    let dist = match &options.dist {
        Some(dist) => dist.clone(),
        None => crate::pack_and_build_page()?,
    };
    let warnings = render(&options, &dist)?;
    for warning in &warnings {
        eprintln!("xtask site: warning: {warning}");
    }
    let out = options.out.display();
    println!("site rendered into {out}");
    println!("run it with: nginx -p {out} -c {out}/nginx.conf -g 'daemon off;'");
    println!("then open http://{}/", options.listen);
    Ok(())
}

/// The command line of `cargo xtask site`.
#[derive(Debug)]
struct Options {
    out: PathBuf,
    listen: SocketAddr,
    upstreams: Vec<Upstream>,
    default_image: Option<String>,
    default_platform: Option<String>,
    cache: Option<String>,
    resolver: Option<String>,
    ca_file: Option<PathBuf>,
    dist: Option<PathBuf>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let mut out = None;
        let mut options = Options {
            out: PathBuf::new(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            upstreams: Vec::new(),
            default_image: None,
            default_platform: None,
            cache: None,
            resolver: None,
            ca_file: None,
            dist: None,
        };
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            let mut value =
                || rest.next().map(String::as_str).ok_or_else(|| rig_err!("{arg} needs a value\n{USAGE}"));
            match arg.as_str() {
                "--out" => out = Some(PathBuf::from(value()?)),
                "--listen" => {
                    let v = value()?;
                    options.listen = v.parse().map_err(|_| {
                        rig_err!("--listen {v:?} is not ADDR:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)")
                    })?;
                }
                "--upstream" => {
                    let upstream = Upstream::parse(value()?)?;
                    if options.upstreams.iter().any(|u| u.name == upstream.name) {
                        return Err(rig_err!("--upstream {} is given twice", upstream.name));
                    }
                    options.upstreams.push(upstream);
                }
                "--default-image" => options.default_image = Some(printable("--default-image", value()?)?),
                "--default-platform" => {
                    options.default_platform = Some(printable("--default-platform", value()?)?);
                }
                "--cache" => options.cache = Some(cache_size(value()?)?),
                "--resolver" => options.resolver = Some(resolver_address(value()?)?),
                "--ca-file" => options.ca_file = Some(PathBuf::from(value()?)),
                "--dist" => options.dist = Some(PathBuf::from(value()?)),
                other => return Err(rig_err!("unknown option {other:?}\n{USAGE}")),
            }
        }
        let out = out.ok_or_else(|| rig_err!("--out DIR is required\n{USAGE}"))?;
        fs::create_dir_all(&out)?;
        // nginx resolves relative paths against its prefix, not against where it was started.
        options.out = fs::canonicalize(&out)?;
        nginx_safe("--out", &options.out.display().to_string())?;
        Ok(options)
    }
}

/// `http` or `https` and `host[:port]`: an origin, the only kind of URL the gateway takes.
#[derive(Debug, Clone, PartialEq)]
struct Origin {
    https: bool,
    authority: String,
}

impl Origin {
    /// Parses `http(s)://host[:port]` with an optional trailing `/` and nothing else.
    fn parse(url: &str, what: &str) -> Result<Self> {
        let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(rig_err!("{what} {url:?} must start with https:// or http://"));
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest).to_ascii_lowercase();
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(':') && !port.contains(']') => (host, Some(port)),
            _ => (authority.as_str(), None),
        };
        let host_ok = if let Some(ip6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            !ip6.is_empty() && ip6.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        } else {
            !host.is_empty()
                && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                && !host.starts_with(['.', '-'])
        };
        let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
        if !host_ok || !port_ok {
            return Err(rig_err!(
                "{what} {url:?} must be an origin, scheme://host[:port], with no path, user or query"
            ));
        }
        Ok(Self { https, authority })
    }

    fn scheme(&self) -> &'static str {
        if self.https { "https" } else { "http" }
    }

    fn url(&self) -> String {
        format!("{}://{}", self.scheme(), self.authority)
    }
}

/// One `--upstream`: a registry name, its URL and its token realm's origin.
#[derive(Debug, Clone)]
struct Upstream {
    name: String,
    registry: Origin,
    realm: Origin,
}

impl Upstream {
    /// Parses `NAME[=URL][,realm=ORIGIN]`; a NAME without URL must be in [`WELL_KNOWN`].
    fn parse(spec: &str) -> Result<Self> {
        let mut parts = spec.split(',');
        let head = parts.next().unwrap_or_default();
        let (name, url) = match head.split_once('=') {
            Some((name, url)) => (name, Some(url)),
            None => (head, None),
        };
        let name = name.to_ascii_lowercase();
        let name_ok = !name.is_empty()
            && name.len() <= 255
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
            && name.matches(':').count() <= 1
            && name.split_once(':').is_none_or(|(_, port)| port.parse::<u16>().is_ok());
        if !name_ok {
            return Err(rig_err!(
                "--upstream {spec:?}: {name:?} is not a registry name as references spell it \
                 (host[:port], e.g. docker.io, ghcr.io, 127.0.0.1:5000)"
            ));
        }
        let known = WELL_KNOWN.iter().find(|(n, _, _)| *n == name);
        let registry = match (url, known) {
            (Some(url), _) => Origin::parse(url, &format!("--upstream {name}: URL"))?,
            (None, Some((_, url, _))) => Origin::parse(url, "well-known URL")?,
            (None, None) => {
                let names: Vec<&str> = WELL_KNOWN.iter().map(|(n, _, _)| *n).collect();
                return Err(rig_err!(
                    "--upstream {name}: no URL given and {name} is not a well-known registry ({}); \
                     write --upstream {name}=https://HOST[:PORT] (the origin that serves its /v2/)",
                    names.join(", ")
                ));
            }
        };
        let mut realm = match (url, known) {
            (None, Some((_, _, Some(realm)))) => Origin::parse(realm, "well-known realm")?,
            _ => registry.clone(),
        };
        for option in parts {
            match option.split_once('=') {
                Some(("realm", origin)) => {
                    realm = Origin::parse(origin, &format!("--upstream {name}: realm"))?;
                }
                _ => {
                    return Err(rig_err!(
                        "--upstream {spec:?}: unknown part {option:?} (only realm=ORIGIN may follow a comma)"
                    ));
                }
            }
        }
        Ok(Self { name, registry, realm })
    }
}

/// A `--cache` size as nginx writes it: digits and an optional k, m or g.
fn cache_size(size: &str) -> Result<String> {
    let digits = size.strip_suffix(['k', 'K', 'm', 'M', 'g', 'G']).unwrap_or(size);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) || digits.parse::<u64>().is_err() {
        return Err(rig_err!("--cache {size:?} is not a size (e.g. 512m, 20g)"));
    }
    Ok(size.to_owned())
}

/// A resolver address as nginx writes it (`ADDR[:PORT]`, IPv6 in brackets).
fn resolver_address(addr: &str) -> Result<String> {
    if addr.parse::<std::net::Ipv6Addr>().is_ok() {
        return Ok(format!("[{addr}]"));
    }
    let ok = addr.parse::<std::net::IpAddr>().is_ok()
        || addr.parse::<SocketAddr>().is_ok()
        || (!addr.is_empty()
            && addr.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':')));
    if ok { Ok(addr.to_owned()) } else { Err(rig_err!("--resolver {addr:?} is not an address")) }
}

/// The first usable `nameserver` of /etc/resolv.conf, or 127.0.0.1 with a warning.
fn system_resolver(warnings: &mut Vec<String>) -> String {
    let conf = fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let found = conf
        .lines()
        .filter_map(|line| line.trim().strip_prefix("nameserver"))
        .map(str::trim)
        .filter(|addr| !addr.contains('%'))
        .find_map(|addr| resolver_address(addr).ok());
    found.unwrap_or_else(|| {
        warnings.push(
            "/etc/resolv.conf names no nameserver; the gateway resolves with 127.0.0.1 (pass --resolver)"
                .into(),
        );
        "127.0.0.1".into()
    })
}

/// Values that end up in JSON are fine with anything printable; nginx paths are not.
fn printable(what: &str, value: &str) -> Result<String> {
    if value.is_empty() || value.chars().any(char::is_control) {
        return Err(rig_err!("{what} {value:?} must be non-empty printable text"));
    }
    Ok(value.to_owned())
}

/// A value pasted into the nginx configuration must not end a directive or open a block.
fn nginx_safe(what: &str, value: &str) -> Result<()> {
    if value
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ';' | '{' | '}' | '"' | '\'' | '$' | '#'))
    {
        return Err(rig_err!(
            "{what} {value:?} holds a character nginx would misread (space, ; {{ }} quotes $ #)"
        ));
    }
    Ok(())
}

/// Writes the whole site into `options.out`; returns warnings for the user.
fn render(options: &Options, dist: &Path) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    let out = &options.out;
    let www = out.join("www");
    if !dist.join("index.html").is_file() {
        return Err(rig_err!("{} holds no index.html: build the page first", dist.display()));
    }
    if www.exists() {
        fs::remove_dir_all(&www)?;
    }
    copy_dir(dist, &www)?;
    fs::write(www.join("regsight.json"), site_json(options))?;
    for dir in ["logs", "tmp/client_body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"] {
        fs::create_dir_all(out.join(dir))?;
    }
    if options.cache.is_some() {
        fs::create_dir_all(out.join("cache"))?;
    }
    let index = fs::read_to_string(www.join("index.html"))?;
    let policy = csp::policy(&index, &mut warnings)?;

    let resolver = match &options.resolver {
        Some(r) => r.clone(),
        None => system_resolver(&mut warnings),
    };
    let ca_file = match &options.ca_file {
        Some(path) if path.is_file() => path.clone(),
        Some(path) => return Err(rig_err!("--ca-file {} is not a file", path.display())),
        None => CA_BUNDLES.iter().map(PathBuf::from).find(|p| p.is_file()).ok_or_else(|| {
            rig_err!(
                "no CA bundle found (looked at {}): install ca-certificates or pass --ca-file PATH",
                CA_BUNDLES.join(", ")
            )
        })?,
    };
    nginx_safe("--ca-file", &ca_file.display().to_string())?;

    let site = render_site(options, &policy, &resolver, &ca_file)?;
    fs::write(out.join("regsight-site.conf"), site)?;
    let dir = out.display().to_string();
    let nginx = fill(template::NGINX, &[("DIR", &dir)])?;
    fs::write(out.join("nginx.conf"), nginx)?;
    if options.upstreams.is_empty() {
        warnings
            .push("no --upstream: the gateway serves nothing, the page talks to registries directly".into());
    }
    Ok(warnings)
}

/// `regsight-site.conf`: the http-level maps and the server block.
fn render_site(options: &Options, policy: &str, resolver: &str, ca_file: &Path) -> Result<String> {
    let cached = options.cache.is_some();
    let streaming = indent_free(if cached { template::STREAMING_CACHE } else { template::STREAMING });
    let hygiene = indent_free(template::HYGIENE);
    let any_http = options.upstreams.iter().any(|u| !u.registry.https);
    let follow = |next: &str| {
        fill(template::FOLLOW, &[("HYGIENE", &hygiene), ("STREAMING", &streaming), ("NEXT", next)])
            .map(|text| text.trim_end().to_owned())
    };

    let mut list = String::new();
    let mut maps = String::new();
    let mut locations = String::new();
    for (i, upstream) in options.upstreams.iter().enumerate() {
        let index = i.to_string();
        let url = upstream.registry.url();
        let realm_url = upstream.realm.url();
        let _ = writeln!(list, "#   {} -> {url}, realm {realm_url}", upstream.name);
        let http_follow = if upstream.registry.https {
            String::new()
        } else {
            "    '~*^http://' $upstream_http_location;\n".into()
        };
        maps.push_str(&fill(
            template::UPSTREAM_MAPS,
            &[
                ("NAME", &upstream.name),
                ("I", &index),
                ("URL", &url),
                ("URL_RE", &regex_escape(&url)),
                ("REALM_URL", &realm_url),
                ("REALM_RE", &regex_escape(&realm_url)),
                ("SCHEME", upstream.registry.scheme()),
                ("HTTP_FOLLOW", &http_follow),
            ],
        )?);
        let first_follow = follow(if HOPS > 1 { "@regsight_hop_2" } else { "@regsight_too_many_redirects" })?;
        locations.push_str(&fill(
            template::UPSTREAM,
            &[
                ("NAME", &upstream.name),
                ("NAME_RE", &regex_escape(&upstream.name)),
                ("I", &index),
                ("URL", &url),
                ("HOST", &upstream.registry.authority),
                ("REALM_URL", &realm_url),
                ("REALM_HOST", &upstream.realm.authority),
                ("HYGIENE", &hygiene),
                ("STREAMING", &streaming),
                ("FOLLOW", &first_follow),
            ],
        )?);
    }
    if list.is_empty() {
        list.push_str("#   (none)\n");
    }

    let mut hops = String::new();
    for hop in 2..=HOPS {
        let _ = writeln!(maps, "# Redirect hop {hop}: absolute URLs only.");
        let _ = writeln!(maps, "map $upstream_http_location $regsight_hop_url_{hop} {{");
        let _ = writeln!(maps, "    '~*^https://' $upstream_http_location;");
        if any_http {
            let _ = writeln!(maps, "    '~*^http://' $upstream_http_location;");
        }
        let _ = writeln!(maps, "    default '';\n}}\n");
        let next = if hop < HOPS {
            format!("@regsight_hop_{}", hop + 1)
        } else {
            "@regsight_too_many_redirects".into()
        };
        hops.push_str(&fill(template::HOP, &[("HOP", &hop.to_string()), ("FOLLOW", &follow(&next)?)])?);
    }

    let dir = options.out.display().to_string();
    let cache = match &options.cache {
        Some(size) => fill(template::CACHE, &[("DIR", &dir), ("SIZE", size)])?,
        None => String::new(),
    };
    fill(
        template::SITE,
        &[
            ("WWW", &options.out.join("www").display().to_string()),
            ("UPSTREAM_LIST", list.trim_end()),
            ("CACHE", &cache),
            ("MAPS", maps.trim_end()),
            ("LISTEN", &options.listen.to_string()),
            ("RESOLVER", resolver),
            ("CA_FILE", &ca_file.display().to_string()),
            ("HOPS", &HOPS.to_string()),
            ("CSP", policy),
            ("UPSTREAMS", &locations),
            ("HOPS_LOCATIONS", hops.trim_end()),
        ],
    )
}

/// A snippet without its trailing newline, to stand on its own lines in a template.
fn indent_free(snippet: &str) -> String {
    snippet.trim_end().to_owned()
}

/// Replaces every `@KEY@` of `template`; a placeholder left over is an error (a typo here).
fn fill(template: &str, values: &[(&str, &str)]) -> Result<String> {
    let mut text = template.to_owned();
    for (key, value) in values {
        text = text.replace(&format!("@{key}@"), value);
    }
    let leftover = text.match_indices('@').find_map(|(at, _)| {
        let tail = &text[at + 1..];
        let end = tail.find(|c: char| !(c.is_ascii_uppercase() || c == '_'))?;
        (end > 0 && tail[end..].starts_with('@')).then(|| tail[..end].to_owned())
    });
    match leftover {
        Some(key) => Err(rig_err!("template placeholder @{key}@ was not filled")),
        None => Ok(text),
    }
}

/// `text` as a PCRE pattern matching it literally.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !c.is_ascii_alphanumeric() && !matches!(c, ':' | '/' | '-' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `regsight.json`: the gateway's mirrors (relative base URLs) and the page's defaults.
fn site_json(options: &Options) -> String {
    let mirrors: Vec<String> = options
        .upstreams
        .iter()
        .map(|u| format!("    {}: {}", json_string(&u.name), json_string(&format!("/registries/{}", u.name))))
        .collect();
    let optional = |value: &Option<String>| value.as_deref().map_or_else(|| "null".to_owned(), json_string);
    let mirrors =
        if mirrors.is_empty() { "{}".to_owned() } else { format!("{{\n{}\n  }}", mirrors.join(",\n")) };
    format!(
        "{{\n  \"mirrors\": {mirrors},\n  \"defaultImage\": {},\n  \"defaultPlatform\": {}\n}}\n",
        optional(&options.default_image),
        optional(&options.default_platform)
    )
}

/// A JSON string literal.
fn json_string(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Copies a directory tree.
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstreams_parse() -> Result<()> {
        let hub = Upstream::parse("docker.io")?;
        assert_eq!(hub.registry.url(), "https://registry-1.docker.io");
        assert_eq!(hub.realm.url(), "https://auth.docker.io");
        let local = Upstream::parse("127.0.0.1:5000=http://127.0.0.1:5001/,realm=http://127.0.0.1:5002")?;
        assert_eq!(local.registry.url(), "http://127.0.0.1:5001");
        assert_eq!(local.realm.url(), "http://127.0.0.1:5002");
        // A URL given for a well-known name replaces its realm default too.
        assert_eq!(
            Upstream::parse("docker.io=https://mirror.example")?.realm.url(),
            "https://mirror.example"
        );
        assert!(Upstream::parse("nope.example").is_err());
        assert!(Upstream::parse("x.example=https://x.example/v2").is_err());
        assert!(Upstream::parse("x.example=https://x;evil").is_err());
        assert!(Upstream::parse("x.example=ftp://x.example").is_err());
        assert!(Upstream::parse("docker.io,realm=https://a/b").is_err());
        Ok(())
    }

    #[test]
    fn named_locations_are_unique() -> Result<()> {
        let options = Options {
            out: PathBuf::from("/srv/site"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            upstreams: vec![
                Upstream::parse("docker.io")?,
                Upstream::parse("ghcr.io")?,
                Upstream::parse("127.0.0.1:5000=http://127.0.0.1:5000")?,
                Upstream::parse("quay.io")?,
            ],
            default_image: None,
            default_platform: None,
            cache: Some("1g".into()),
            resolver: None,
            ca_file: None,
            dist: None,
        };
        let site = render_site(&options, "default-src 'none'", "127.0.0.1", Path::new("/etc/ca.pem"))?;
        let mut names: Vec<&str> =
            site.lines().filter_map(|l| l.trim().strip_prefix("location @")?.strip_suffix(" {")).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "{names:?}");
        assert_eq!(count, 4 + (HOPS - 1) + 1);
        for target in site.lines().filter_map(|l| l.trim().strip_prefix("error_page 301 302 303 307 308 = "))
        {
            assert!(
                names.contains(&target.trim_end_matches(';').trim_start_matches('@')),
                "{target} is not a named location"
            );
        }
        assert!(site.contains("max_size=1g"));
        assert!(site.contains("realm=\")https://auth\\.docker\\.io(?:/"));
        Ok(())
    }

    #[test]
    fn fill_reports_leftovers() {
        assert!(fill("a @B@ c", &[("B", "b")]).is_ok_and(|t| t == "a b c"));
        assert!(fill("a @B@ @C@", &[("B", "b")]).is_err());
        assert!(fill("location @regsight_x {", &[]).is_ok());
    }

    #[test]
    fn json_escapes() {
        assert_eq!(json_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
    }
}
