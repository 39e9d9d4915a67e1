//! `cargo xtask demo`: the rig and the page served as a site with its gateway, the way a team
//! deploys regsight, with the rig's Docker Hub-like registry as `docker.io`. Everything it starts
//! stays in its process group, so Ctrl-C in the terminal stops all of it; `cargo xtask test`
//! checks exactly that ([`check_ctrl_c`]).

use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use regsight_rig::paths::{RigPaths, port, workspace_root};
use regsight_rig::services;
use regsight_rig::{Result, RigInfo, rig_err};

use crate::{Lifetime, flag, pack_and_build_page, rig_paths, rig_up, setup, site};

/// Runs the demo until Ctrl-C (or until its nginx ends).
pub fn run(args: &[String]) -> Result<()> {
    // Watch for Ctrl-C from the start: one that comes while the rig starts ends the demo as soon
    // as it is up, and none is lost when this process inherited SIGINT ignored.
    let interrupted = watch_interrupts()?;
    setup::run()?;
    let port: u16 = match flag(args, "--port") {
        Some(p) => p.parse().map_err(|_| rig_err!("--port {p:?} is not a port"))?,
        None => 8080,
    };
    let dist = pack_and_build_page()?;
    let paths = rig_paths(args, "demo")?;
    // Everything the demo starts stays in this process group, so Ctrl-C stops all of it.
    let info = rig_up(&paths, Lifetime::WithCaller)?;
    let site = render_site(&paths, &info, &dist, port, &[])?;
    let mut nginx = serve_site(&site)?;
    wait_for_port(port)?;
    let hello = info.hub.images.first().ok_or_else(|| rig_err!("the rig's hub has no images"))?;
    println!();
    println!("regsight demo, served as a site with its gateway:");
    println!("  http://127.0.0.1:{port}/?image={}", familiar(&hello.repository, &hello.tag));
    println!(
        "  docker.io is the rig's Docker Hub-like registry {} (token realm on another origin,",
        info.hub.url
    );
    println!("  blobs redirected to a CDN, no CORS): the page reaches it through /registries/docker.io.");
    println!("  Also try {}/public/oci-gzip:v1 (a CORS-enabled registry, reached directly),", info.open.host);
    println!(
        "  library/broken:v1 (tampered), private/docker-v2:v1 (user alice, password in {}).",
        paths.info_file().display()
    );
    println!("stop with Ctrl-C");
    let guard = StopOnDrop(paths.clone());
    let ended = until_interrupted(&interrupted, &mut nginx);
    // Whatever ended the demo, nothing it started outlives it.
    let _ = Command::new("kill").arg(nginx.id().to_string()).status();
    let _ = nginx.wait();
    drop(guard);
    println!("demo: stopped ({})", ended?);
    Ok(())
}

/// Handles Ctrl-C (SIGINT) and SIGTERM from now on, also when this process inherited SIGINT
/// ignored (as background jobs do): each arrives on the returned channel.
fn watch_interrupts() -> Result<Receiver<()>> {
    let (tx, rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .map_err(|e| rig_err!("cannot watch for Ctrl-C: {e}"))?;
    Ok(rx)
}

/// Waits for an interrupt or for `nginx` to end; says which.
fn until_interrupted(rx: &Receiver<()>, nginx: &mut Child) -> Result<String> {
    loop {
        if rx.recv_timeout(Duration::from_millis(200)).is_ok() {
            return Ok("interrupted".into());
        }
        if let Some(status) = nginx.try_wait()? {
            return Ok(format!("the site's nginx ended ({status})"));
        }
    }
}

/// `library/hello` + `v1` as people type it on Docker Hub: `hello:v1`.
fn familiar(repository: &str, tag: &str) -> String {
    format!("{}:{tag}", repository.strip_prefix("library/").unwrap_or(repository))
}

/// Renders the site for a rig into its folder: the page, with the rig's hub-like registry as the
/// `docker.io` upstream of the gateway, listening on `port`; `extra` are more `cargo xtask site`
/// arguments (the tests add an anonymous upstream and the cache).
pub(crate) fn render_site(
    paths: &RigPaths,
    info: &RigInfo,
    dist: &Path,
    port: u16,
    extra: &[String],
) -> Result<PathBuf> {
    let out = paths.root.join("site");
    let hello = info.hub.images.first().ok_or_else(|| rig_err!("the rig's hub has no images"))?;
    let args: Vec<String> = [
        "--out",
        &out.display().to_string(),
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--upstream",
        &format!("docker.io={},realm={}", info.hub.url, info.hub.auth_url),
        "--default-image",
        &familiar(&hello.repository, &hello.tag),
        "--dist",
        &dist.display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(extra.iter().cloned())
    .collect();
    site::run(&args)?;
    Ok(out)
}

/// Starts the site's nginx exactly as deploy/README.md says, in this process group.
fn serve_site(site: &Path) -> Result<Child> {
    Command::new("nginx")
        .arg("-p")
        .arg(site)
        .arg("-c")
        .arg(site.join("nginx.conf"))
        .args(["-g", "daemon off;"])
        .spawn()
        .map_err(|e| rig_err!("cannot start nginx for the site: {e}"))
}

/// Waits up to 10 s for something to listen on 127.0.0.1:`port`.
fn wait_for_port(port: u16) -> Result<()> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    for _ in 0..100 {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(rig_err!("nothing listens on 127.0.0.1:{port} after 10 s"))
}

/// Stops a rig when dropped, so the demo cleans up when it returns.
struct StopOnDrop(RigPaths);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = services::stop(&self.0);
    }
}

/// Runs `cargo xtask demo` on its own ports in a process group of its own, waits until its page
/// answers, sends SIGINT to the group as a terminal's Ctrl-C does, and fails if any process it
/// started is still alive or any of its ports still listens afterwards.
pub fn check_ctrl_c() -> Result<()> {
    let base = 16_000;
    let page = base + port::SITE;
    let paths = RigPaths::new("demo-check", base);
    let mut demo = Command::new(std::env::current_exe()?)
        .args(["demo", "--name", "demo-check", "--base-port", &base.to_string()])
        .args(["--port", &page.to_string()])
        .current_dir(workspace_root())
        .process_group(0)
        .spawn()
        .map_err(|e| rig_err!("cannot start the demo: {e}"))?;
    let group = demo.id();
    let started = Instant::now();
    let answered = loop {
        if demo.try_wait()?.is_some() {
            break Err(rig_err!("the demo ended before its page answered"));
        }
        if TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], page)), Duration::from_millis(200))
            .is_ok()
        {
            break Ok(());
        }
        if started.elapsed() > Duration::from_secs(600) {
            break Err(rig_err!("the demo's page did not answer on {page} within 10 minutes"));
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    // The services the demo started, before they are told to stop.
    let pids: Vec<String> = std::fs::read_to_string(paths.pids_file())
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    // `--` before the negative id: without it procps' kill takes `-<pgid>` for an option.
    let interrupted = Command::new("kill").args(["-INT", "--", &format!("-{group}")]).status();
    let deadline = Instant::now() + Duration::from_secs(60);
    while demo.try_wait()?.is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(2));
    let survivors: Vec<String> =
        pids.iter().filter(|pid| Path::new(&format!("/proc/{pid}")).exists()).cloned().collect();
    let group_left = Command::new("pgrep").args(["-g", &group.to_string()]).output()?;
    let group_left = String::from_utf8_lossy(&group_left.stdout).trim().to_owned();
    let listening: Vec<u16> = (base..=page)
        .filter(|p| {
            TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], *p)), Duration::from_millis(100))
                .is_ok()
        })
        .collect();
    // Clean up whatever is left, so a failure here does not leak into later runs.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .stderr(std::process::Stdio::null())
        .status();
    let _ = services::stop(&paths);
    answered?;
    if !interrupted.is_ok_and(|s| s.success()) {
        return Err(rig_err!("could not send SIGINT to the demo's process group {group}"));
    }
    if pids.is_empty() {
        return Err(rig_err!("the demo recorded no services in {}", paths.pids_file().display()));
    }
    if demo.try_wait()?.is_none() {
        return Err(rig_err!("the demo did not exit within 60 s of Ctrl-C"));
    }
    if !survivors.is_empty() || !group_left.is_empty() || !listening.is_empty() {
        return Err(rig_err!(
            "after Ctrl-C the demo left processes {survivors:?} (group: {group_left:?}) and listening ports {listening:?}"
        ));
    }
    println!("demo: Ctrl-C stopped all {} services and the site's nginx", pids.len());
    Ok(())
}
