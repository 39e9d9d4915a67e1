//! Running the external tools the rig relies on, with errors that show what failed.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::{Result, rig_err};

/// Runs a command to completion and returns its stdout; a non-zero exit is an error with stderr.
pub fn run(cmd: &mut Command) -> Result<Vec<u8>> {
    let out = output(cmd)?;
    Ok(out.stdout)
}

/// Runs a command and returns its whole output; a non-zero exit is an error with stderr.
pub fn output(cmd: &mut Command) -> Result<Output> {
    let shown = format!("{cmd:?}");
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| rig_err!("cannot run {shown}: {e} (is it installed? `cargo xtask setup`)"))?;
    if !out.status.success() {
        return Err(rig_err!(
            "{shown} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out)
}

/// Runs a shell pipeline with `bash -o pipefail -c` and returns its trimmed stdout.
pub fn pipeline(script: &str) -> Result<String> {
    let out = run(Command::new("bash").args(["-o", "pipefail", "-c", script]))?;
    Ok(String::from_utf8_lossy(&out).trim().to_owned())
}

/// Quotes a path or string for a POSIX shell.
pub fn sh_quote(s: impl AsRef<std::ffi::OsStr>) -> String {
    let s = s.as_ref().to_string_lossy();
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// True when a shell pipeline (`bash -o pipefail -c`) exits 0; its output is discarded.
pub fn succeeds(script: &str) -> Result<bool> {
    let status = Command::new("bash")
        .args(["-o", "pipefail", "-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| rig_err!("cannot run bash for `{script}`: {e}"))?;
    Ok(status.success())
}

/// The lines a shell pipeline (`bash -o pipefail -c`) writes to stdout, exactly (not trimmed, the
/// final newline dropped), or `None` when it exits non-zero; output that is not UTF-8 is an error.
pub fn lines_if_succeeds(script: &str) -> Result<Option<Vec<String>>> {
    let out = Command::new("bash")
        .args(["-o", "pipefail", "-c", script])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| rig_err!("cannot run bash for `{script}`: {e}"))?;
    if !out.status.success() {
        return Ok(None);
    }
    let text = String::from_utf8(out.stdout).map_err(|e| rig_err!("`{script}` printed non-UTF-8: {e}"))?;
    let text = text.strip_suffix('\n').unwrap_or(&text);
    Ok(Some(if text.is_empty() { Vec::new() } else { text.split('\n').map(str::to_owned).collect() }))
}

/// `sha256:<hex>` of a file, computed by coreutils `sha256sum` (independent of our code).
pub fn sha256sum_file(path: &Path) -> Result<String> {
    sha256sum_of(&format!("cat {}", sh_quote(path)))
}

/// `sha256:<hex>` of what a shell command writes to stdout, computed by `sha256sum`.
pub fn sha256sum_of(producer: &str) -> Result<String> {
    digest_of(producer, "sha256")
}

/// `<algorithm>:<hex>` of a file, computed by coreutils `sha256sum` or `sha512sum`.
pub fn digest_file(path: &Path, algorithm: &str) -> Result<String> {
    digest_of(&format!("cat {}", sh_quote(path)), algorithm)
}

/// `<algorithm>:<hex>` of what a shell command writes to stdout, computed by coreutils
/// `sha256sum` or `sha512sum`.
pub fn digest_of(producer: &str, algorithm: &str) -> Result<String> {
    let hex_len = match algorithm {
        "sha256" => 64,
        "sha512" => 128,
        other => return Err(rig_err!("no coreutils tool for digest algorithm {other:?}")),
    };
    let line = pipeline(&format!("{producer} | {algorithm}sum"))?;
    let hex = line.split_whitespace().next().unwrap_or_default();
    if hex.len() != hex_len {
        return Err(rig_err!("{algorithm}sum printed {line:?} for `{producer}`"));
    }
    Ok(format!("{algorithm}:{hex}"))
}

/// The algorithm of a `<algorithm>:<hex>` digest string (`sha256` for an empty string).
pub fn algorithm_of(digest: &str) -> Result<&str> {
    if digest.is_empty() {
        return Ok("sha256");
    }
    match digest.split_once(':') {
        Some((algorithm @ ("sha256" | "sha512"), _)) => Ok(algorithm),
        _ => Err(rig_err!("digest {digest:?} is not sha256:<hex> or sha512:<hex>")),
    }
}

/// Byte count of what a shell command writes to stdout, counted by `wc -c`.
pub fn byte_count_of(producer: &str) -> Result<u64> {
    let line = pipeline(&format!("{producer} | wc -c"))?;
    line.parse().map_err(|_| rig_err!("wc -c printed {line:?} for `{producer}`"))
}

/// True when `name` is an executable on PATH.
pub fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
        .unwrap_or(false)
}
