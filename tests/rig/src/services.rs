//! Configuring, starting and stopping the rig's processes: three registries, the token server and
//! nginx.

use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::info::{CdnInfo, RegistryInfo, TokenServerInfo, User};
use crate::paths::{RigPaths, port, workspace_root};
use crate::{Result, cmd, rig_err};

/// The `service` the token registry and token server agree on.
pub const SERVICE: &str = "regsight-rig";
/// The `iss` claim of rig tokens.
pub const ISSUER: &str = "regsight-rig-tokend";
/// Lifetime of rig tokens in seconds: the minimum clients honour, so expiry is reachable in tests.
pub const TOKEN_EXPIRES_IN: u64 = 60;

/// How to start a rig.
#[derive(Debug, Clone)]
pub struct UpOptions {
    /// Path of the built `regsight-tokend` binary.
    pub tokend: PathBuf,
    /// A directory for nginx to serve as the demo page, and the port to serve it on.
    pub page: Option<(PathBuf, u16)>,
    /// Keep the services running after this process exits (own process group).
    pub detach: bool,
}

/// The rig's running processes.
pub struct Services {
    children: Vec<(String, Child)>,
}

/// The accounts of every rig.
pub fn users() -> Vec<User> {
    vec![
        User {
            username: "alice".into(),
            password: "wonderland-rig".into(),
            note: "may pull public/* and private/*".into(),
        },
        User {
            username: "stale".into(),
            password: "stale-rig".into(),
            note: "its tokens die at the registry ~2 s after issue though they claim 60 s (tests refresh on invalid_token)"
                .into(),
        },
    ]
}

/// The registry descriptions of a rig, as written to `rig.json`.
pub fn registries(paths: &RigPaths) -> (RegistryInfo, RegistryInfo, RegistryInfo, TokenServerInfo) {
    let registry = |kind: &str, offset, anonymous: &[&str]| RegistryInfo {
        kind: kind.into(),
        url: paths.url(offset),
        host: format!("127.0.0.1:{}", paths.port(offset)),
        anonymous_pull: anonymous.iter().map(|s| (*s).to_owned()).collect(),
    };
    (
        registry("open", port::OPEN, &["public/", "private/"]),
        registry("token", port::TOKEN_FRONT, &["public/"]),
        registry("basic", port::BASIC_FRONT, &[]),
        TokenServerInfo {
            realm: format!("{}/token", paths.url(port::TOKEN_FRONT)),
            service: SERVICE.into(),
            issuer: ISSUER.into(),
            expires_in: TOKEN_EXPIRES_IN,
            log: paths.logs().join("tokend-requests.log"),
        },
    )
}

/// The redirecting front and its CDN, as written to `rig.json`.
pub fn redirecting(paths: &RigPaths) -> (RegistryInfo, CdnInfo) {
    (
        RegistryInfo {
            kind: "redirect".into(),
            url: paths.url(port::REDIRECT_FRONT),
            host: format!("127.0.0.1:{}", paths.port(port::REDIRECT_FRONT)),
            anonymous_pull: vec!["public/".into()],
        },
        CdnInfo { url: paths.url(port::CDN), log: paths.logs().join("cdn-access.log") },
    )
}

/// Writes every configuration file and starts every service; returns once all ports answer.
pub fn start(paths: &RigPaths, options: &UpOptions) -> Result<Services> {
    fs::create_dir_all(paths.conf())?;
    fs::create_dir_all(paths.logs())?;
    fs::create_dir_all(paths.storage())?;
    let conf = paths.conf();
    write_keys(&conf)?;
    write_htpasswd(&conf.join("htpasswd"))?;
    let storage = paths.storage();

    // No line continuations here: they would eat the YAML indentation.
    let open_headers = concat!(
        "  headers:\n",
        "    X-Content-Type-Options: [nosniff]\n",
        "    Access-Control-Allow-Origin: ['*']\n",
        "    Access-Control-Allow-Methods: [HEAD, GET, OPTIONS]\n",
        "    Access-Control-Allow-Headers: [Authorization, Accept, Range, If-None-Match]\n",
        "    Access-Control-Expose-Headers: [WWW-Authenticate, Docker-Content-Digest, ",
        "Docker-Distribution-Api-Version, Link, Content-Length, Content-Range, Accept-Ranges, ETag, ",
        "Retry-After, Warning]\n",
        "    Access-Control-Max-Age: [600]\n",
    );
    let (_, _, _, token_info) = registries(paths);
    let token_auth = format!(
        "auth:\n  token:\n    realm: {}\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
        token_info.realm,
        conf.join("token-cert.pem").display()
    );
    let basic_auth = format!(
        "auth:\n  htpasswd:\n    realm: regsight-rig-basic\n    path: {}\n",
        conf.join("htpasswd").display()
    );
    write_registry_config(&conf.join("open.yml"), &storage, paths.port(port::OPEN), open_headers, "")?;
    write_registry_config(
        &conf.join("token.yml"),
        &storage,
        paths.port(port::TOKEN_REGISTRY),
        "",
        &token_auth,
    )?;
    write_registry_config(
        &conf.join("basic.yml"),
        &storage,
        paths.port(port::BASIC_REGISTRY),
        "",
        &basic_auth,
    )?;
    let tokend_config = serde_json::json!({
        "listen": format!("127.0.0.1:{}", paths.port(port::TOKEN_SERVER)),
        "issuer": ISSUER,
        "service": SERVICE,
        "keyFile": conf.join("token-key.pk8.pem"),
        "expiresIn": TOKEN_EXPIRES_IN,
        "requestLog": token_info.log,
        "users": users(),
    });
    fs::write(conf.join("tokend.json"), serde_json::to_vec_pretty(&tokend_config)?)?;
    write_nginx_config(paths, options.page.as_ref())?;

    let mut services = Services { children: Vec::new() };
    let registry = |name: &str| {
        let mut c = Command::new("docker-registry");
        c.arg("serve").arg(conf.join(format!("{name}.yml")));
        c
    };
    services.spawn(paths, "registry-open", registry("open"), options.detach)?;
    services.spawn(paths, "registry-token", registry("token"), options.detach)?;
    services.spawn(paths, "registry-basic", registry("basic"), options.detach)?;
    let mut tokend = Command::new(&options.tokend);
    tokend.arg(conf.join("tokend.json"));
    services.spawn(paths, "tokend", tokend, options.detach)?;
    let mut nginx = Command::new("nginx");
    nginx
        .arg("-p")
        .arg(paths.root.join("nginx"))
        .arg("-e")
        .arg(paths.logs().join("nginx-error.log"))
        .arg("-c")
        .arg(conf.join("nginx.conf"))
        .args(["-g", "daemon off;"]);
    services.spawn(paths, "nginx", nginx, options.detach)?;
    let pids: Vec<String> = services.children.iter().map(|(name, c)| format!("{} {name}", c.id())).collect();
    fs::write(paths.pids_file(), pids.join("\n") + "\n")?;

    let ports = vec![
        ("registry-open", port::OPEN),
        ("registry-token", port::TOKEN_REGISTRY),
        ("registry-basic", port::BASIC_REGISTRY),
        ("tokend", port::TOKEN_SERVER),
        ("nginx", port::TOKEN_FRONT),
        ("nginx", port::BASIC_FRONT),
        ("nginx", port::REDIRECT_FRONT),
        ("nginx", port::CDN),
    ];
    let mut ports: Vec<(&str, u16)> =
        ports.into_iter().map(|(name, offset)| (name, paths.port(offset))).collect();
    if let Some((_, page_port)) = &options.page {
        ports.push(("nginx", *page_port));
    }
    for (name, port) in ports {
        services.wait_for_port(paths, name, port)?;
    }
    Ok(services)
}

impl Services {
    fn spawn(&mut self, paths: &RigPaths, name: &str, mut command: Command, detach: bool) -> Result<()> {
        let log = paths.logs().join(format!("{name}.log"));
        let out = fs::File::create(&log)?;
        let err = out.try_clone()?;
        command.stdin(Stdio::null()).stdout(out).stderr(err);
        if detach {
            command.process_group(0);
        }
        let child = command
            .spawn()
            .map_err(|e| rig_err!("cannot start {name} ({command:?}): {e}; run `cargo xtask setup`"))?;
        self.children.push((name.to_owned(), child));
        Ok(())
    }

    fn wait_for_port(&mut self, paths: &RigPaths, name: &str, port: u16) -> Result<()> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Some((_, child)) = self.children.iter_mut().find(|(n, _)| n == name)
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(rig_err!(
                    "{name} exited ({status}) before listening on {port}:\n{}",
                    log_tail(paths, name)
                ));
            }
            if Instant::now() > deadline {
                return Err(rig_err!(
                    "{name} does not listen on {port} after 30 s:\n{}",
                    log_tail(paths, name)
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until any service exits (used by the demo, which runs until interrupted).
    pub fn wait_any(&mut self) -> Result<String> {
        loop {
            for (name, child) in &mut self.children {
                if let Ok(Some(status)) = child.try_wait() {
                    return Ok(format!("{name} exited ({status})"));
                }
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// The last lines of a service's log, for error messages.
pub fn log_tail(paths: &RigPaths, name: &str) -> String {
    let text = fs::read_to_string(paths.logs().join(format!("{name}.log"))).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Stops the services recorded in the rig's pid file (if any) and waits for them to go.
pub fn stop(paths: &RigPaths) -> Result<()> {
    let Ok(text) = fs::read_to_string(paths.pids_file()) else { return Ok(()) };
    let pids: Vec<&str> = text.lines().filter_map(|l| l.split_whitespace().next()).collect();
    for pid in &pids {
        // A service that already exited is fine.
        let _ = Command::new("kill").arg(pid).stderr(Stdio::null()).status();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while pids.iter().any(|pid| Path::new(&format!("/proc/{pid}")).exists()) {
        if Instant::now() > deadline {
            for pid in &pids {
                let _ = Command::new("kill").args(["-9", pid]).stderr(Stdio::null()).status();
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    fs::remove_file(paths.pids_file())?;
    Ok(())
}

/// One line per recorded service: pid, name, and whether it is alive.
pub fn status(paths: &RigPaths) -> String {
    let Ok(text) = fs::read_to_string(paths.pids_file()) else {
        return format!("rig {:?} is not running", paths.name);
    };
    text.lines()
        .map(|line| {
            let pid = line.split_whitespace().next().unwrap_or_default();
            let alive = Path::new(&format!("/proc/{pid}")).exists();
            format!("{line}: {}", if alive { "running" } else { "gone" })
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn write_registry_config(path: &Path, storage: &Path, port: u16, headers: &str, auth: &str) -> Result<()> {
    let yaml = format!(
        "version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
{auth}http:
  addr: 127.0.0.1:{port}
  secret: regsight-rig-not-a-secret
{headers}",
        storage = storage.display()
    );
    fs::write(path, yaml)?;
    Ok(())
}

/// A P-256 key (PKCS#8 for the token server) and a self-signed certificate for the registry.
fn write_keys(conf: &Path) -> Result<()> {
    let key = conf.join("token-key.pem");
    cmd::run(
        Command::new("openssl")
            .args(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out"])
            .arg(&key),
    )?;
    cmd::run(
        Command::new("openssl")
            .args(["pkcs8", "-topk8", "-nocrypt", "-in"])
            .arg(&key)
            .arg("-out")
            .arg(conf.join("token-key.pk8.pem")),
    )?;
    cmd::run(
        Command::new("openssl")
            .args(["req", "-x509", "-new", "-days", "3650", "-subj", "/CN=regsight rig token signer", "-key"])
            .arg(&key)
            .arg("-out")
            .arg(conf.join("token-cert.pem")),
    )?;
    Ok(())
}

fn write_htpasswd(path: &Path) -> Result<()> {
    let mut lines = String::new();
    for user in users() {
        let line = cmd::run(Command::new("htpasswd").args(["-Bbn", &user.username, &user.password]))?;
        lines.push_str(String::from_utf8_lossy(&line).trim());
        lines.push('\n');
    }
    fs::write(path, lines)?;
    Ok(())
}

/// nginx for the token and basic fronts (rendered from `deploy/nginx`) and, for the demo, the page.
fn write_nginx_config(paths: &RigPaths, page: Option<&(PathBuf, u16)>) -> Result<()> {
    let deploy = workspace_root().join("deploy").join("nginx");
    let template = fs::read_to_string(deploy.join("registry-server.conf"))?;
    let render = |listen: u16, registry: u16, token: Option<u16>| {
        // The header comment documents the placeholders: keep it out of the rendered config.
        let mut text = template[template.find("server {").unwrap_or(0)..].to_owned();
        if token.is_none()
            && let (Some(start), Some(end)) =
                (text.find("    # BEGIN token realm"), text.find("    # END token realm\n"))
        {
            text.replace_range(start..end + "    # END token realm\n".len(), "");
        }
        text.replace("@LISTEN@", &format!("127.0.0.1:{listen}"))
            .replace("@ALLOW_ORIGIN@", "*")
            .replace("@REGISTRY@", &format!("127.0.0.1:{registry}"))
            .replace("@TOKEN_SERVER@", &format!("127.0.0.1:{}", token.unwrap_or_default()))
            .replace("@SNIPPETS@", &deploy.display().to_string())
    };
    let prefix = paths.root.join("nginx");
    for dir in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"] {
        fs::create_dir_all(prefix.join("tmp").join(dir))?;
    }
    let page = page
        .map(|(root, page_port)| {
            format!(
                "server {{\n    listen 127.0.0.1:{};\n    root {};\n    location / {{ try_files $uri $uri/ /index.html; }}\n}}\n",
                page_port,
                root.display()
            )
        })
        .unwrap_or_default();
    let user = if is_root() { "user root;\n" } else { "" };
    let conf = format!(
        "{user}worker_processes 1;
pid {pid};
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    access_log {access};
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;

# token front
{token}
# basic front
{basic}
# redirecting front and its CDN
{redirect}
{page}}}
",
        pid = prefix.join("nginx.pid").display(),
        access = paths.logs().join("nginx-access.log").display(),
        tmp = prefix.join("tmp").display(),
        token = render(
            paths.port(port::TOKEN_FRONT),
            paths.port(port::TOKEN_REGISTRY),
            Some(paths.port(port::TOKEN_SERVER))
        ),
        basic = render(paths.port(port::BASIC_FRONT), paths.port(port::BASIC_REGISTRY), None),
        redirect = redirect_servers(paths, &render),
    );
    fs::write(paths.conf().join("nginx.conf"), conf)?;
    Ok(())
}

/// A front like the token one whose blob answers are 307s to the CDN origin, and the CDN: it serves
/// blobs from the open registry with CORS and logs every request's `Authorization` header.
fn redirect_servers(paths: &RigPaths, render: &dyn Fn(u16, u16, Option<u16>) -> String) -> String {
    let front = render(
        paths.port(port::REDIRECT_FRONT),
        paths.port(port::TOKEN_REGISTRY),
        Some(paths.port(port::TOKEN_SERVER)),
    );
    let snippets = workspace_root().join("deploy").join("nginx");
    let blobs = format!(
        "    location ~ ^/v2/.+/blobs/sha(256|512):[0-9a-f]+$ {{\n        include {}/regsight-cors.conf;\n        return 307 {}$request_uri;\n    }}\n\n    location /v2/ {{",
        snippets.display(),
        paths.url(port::CDN)
    );
    let front = front.replacen("    location /v2/ {", &blobs, 1);
    format!(
        "{front}
    log_format regsight_auth '$request auth=\"$http_authorization\"';
    server {{
        listen 127.0.0.1:{cdn};
        access_log {log} regsight_auth;
        # The open registry behind it sends the CORS headers (adding ours would double them).
        location /v2/ {{
            proxy_pass http://127.0.0.1:{open};
            proxy_buffering off;
        }}
    }}
",
        cdn = paths.port(port::CDN),
        log = paths.logs().join("cdn-access.log").display(),
        open = paths.port(port::OPEN),
    )
}

fn is_root() -> bool {
    cmd::pipeline("id -u").map(|uid| uid == "0").unwrap_or(false)
}
