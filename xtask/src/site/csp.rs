//! The page's Content-Security-Policy: fixed directives plus a `'sha256-…'` source for every inline
//! `<script>` and `<style>` of the built `index.html` (trunk emits an inline module script).

use std::io::Write as _;
use std::process::{Command, Stdio};

use regsight_rig::{Result, rig_err};

/// The policy for the page whose entry document is `index_html`; `warnings` gets what the policy
/// cannot allow (inline event handlers) or had to loosen (inline `style` attributes).
pub fn policy(index_html: &str, warnings: &mut Vec<String>) -> Result<String> {
    let mut script_src = vec!["'self'".to_owned(), "'wasm-unsafe-eval'".to_owned()];
    let mut style_src = vec!["'self'".to_owned()];
    let mut style_attributes = false;
    for element in elements(index_html) {
        if let Some(handler) = element.attributes.iter().find(|a| a.starts_with("on")) {
            warnings.push(format!(
                "index.html has an inline event handler ({handler}= on <{}>) that the CSP blocks",
                element.name
            ));
        }
        style_attributes |= element.attributes.iter().any(|a| a == "style");
        let inline = !element.attributes.iter().any(|a| a == "src");
        match (element.name.as_str(), element.text) {
            ("script", Some(text)) if inline => script_src.push(hash_source(text)?),
            ("style", Some(text)) => style_src.push(hash_source(text)?),
            _ => {}
        }
    }
    if style_attributes {
        warnings.push("index.html uses style= attributes: style-src allows 'unsafe-inline'".into());
        // Hashes would make browsers ignore 'unsafe-inline'; the attributes need it.
        style_src.retain(|s| !s.starts_with("'sha256-"));
        style_src.push("'unsafe-inline'".into());
    }
    Ok([
        "default-src 'none'".to_owned(),
        format!("script-src {}", script_src.join(" ")),
        format!("style-src {}", style_src.join(" ")),
        "img-src 'self' data:".to_owned(),
        "connect-src 'self' https: http:".to_owned(),
        "worker-src 'self'".to_owned(),
        "object-src 'none'".to_owned(),
        "base-uri 'none'".to_owned(),
        "frame-ancestors 'none'".to_owned(),
        "form-action 'none'".to_owned(),
    ]
    .join("; "))
}

/// One start tag of the document, with the raw text of `<script>` and `<style>` elements.
#[derive(Debug, PartialEq)]
struct Element<'a> {
    /// Lower-case tag name.
    name: String,
    /// Lower-case attribute names.
    attributes: Vec<String>,
    /// For `script` and `style`: everything up to the end tag.
    text: Option<&'a str>,
}

/// The start tags of an HTML document, in order (comments skipped; enough HTML for trunk's output).
fn elements(html: &str) -> Vec<Element<'_>> {
    let lower = html.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = lower[at..].find('<') {
        let start = at + offset;
        if lower[start..].starts_with("<!--") {
            at = lower[start..].find("-->").map_or(lower.len(), |end| start + end + 3);
            continue;
        }
        let name_end = lower[start + 1..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .map_or(lower.len(), |end| start + 1 + end);
        if name_end == start + 1 || !bytes[start + 1].is_ascii_alphabetic() {
            at = start + 1;
            continue;
        }
        let name = lower[start + 1..name_end].to_owned();
        let (attributes, tag_end) = attributes(&lower, name_end);
        let mut text = None;
        at = tag_end;
        if name == "script" || name == "style" {
            let close = format!("</{name}");
            let end = lower[tag_end..].find(&close).map_or(lower.len(), |end| tag_end + end);
            text = Some(&html[tag_end..end]);
            at = end;
        }
        found.push(Element { name, attributes, text });
    }
    found
}

/// The attribute names of a start tag whose name ends at `at`, and the index after its `>`.
fn attributes(lower: &str, mut at: usize) -> (Vec<String>, usize) {
    let bytes = lower.as_bytes();
    let mut names = Vec::new();
    loop {
        while at < bytes.len() && (bytes[at].is_ascii_whitespace() || bytes[at] == b'/') {
            at += 1;
        }
        if at >= bytes.len() {
            return (names, at);
        }
        if bytes[at] == b'>' {
            return (names, at + 1);
        }
        let start = at;
        while at < bytes.len() && !matches!(bytes[at], b'=' | b'>' | b'/') && !bytes[at].is_ascii_whitespace()
        {
            at += 1;
        }
        names.push(lower[start..at].to_owned());
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if at < bytes.len() && bytes[at] == b'=' {
            at += 1;
            while at < bytes.len() && bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            match bytes.get(at) {
                Some(&quote @ (b'"' | b'\'')) => {
                    at = lower[at + 1..].find(quote as char).map_or(bytes.len(), |end| at + 1 + end + 1);
                }
                _ => {
                    while at < bytes.len() && !bytes[at].is_ascii_whitespace() && bytes[at] != b'>' {
                        at += 1;
                    }
                }
            }
        }
    }
}

/// `'sha256-<base64>'` of an element's text as browsers hash it (newlines normalized to LF).
fn hash_source(text: &str) -> Result<String> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut encoded = String::new();
    regsight_core::auth::basic::base64_encode_into(&sha256(text.as_bytes())?, &mut encoded);
    Ok(format!("'sha256-{encoded}'"))
}

/// SHA-256 by `openssl dgst` (one of the packages `cargo xtask setup` installs).
fn sha256(data: &[u8]) -> Result<Vec<u8>> {
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-binary"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| rig_err!("cannot run openssl (install it, or run `cargo xtask setup`): {e}"))?;
    child.stdin.take().ok_or_else(|| rig_err!("openssl has no stdin"))?.write_all(data)?;
    let output = child.wait_with_output()?;
    if !output.status.success() || output.stdout.len() != 32 {
        return Err(rig_err!("openssl dgst -sha256 failed ({})", output.status));
    }
    Ok(output.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_inline_scripts_only() {
        let html = "<!-- <script>no</script> --><SCRIPT type=\"module\">a\r\nb</script>\
                    <script src='/x.js'></script><p onclick=\"x>y\" style=\"\">";
        let found = elements(html);
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].text, Some("a\r\nb"));
        assert_eq!(found[1].attributes, ["src"]);
        assert_eq!(found[2].attributes, ["onclick", "style"]);
    }

    #[test]
    fn policy_hashes_like_browsers() -> Result<()> {
        let mut warnings = Vec::new();
        // printf 'alert(1)' | openssl dgst -sha256 -binary | base64
        let policy = policy("<script>alert(1)</script>", &mut warnings)?;
        assert!(policy.contains("'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"), "{policy}");
        assert!(warnings.is_empty());
        Ok(())
    }
}
