//! The HTTP requests a client made, kept as data, and the curl commands a person would type to
//! make them by hand (the walkthrough regsight started from). A secret never enters a record:
//! only which kind of `Authorization` went with a request, which the commands show as `$TOKEN`
//! or `$USER:$PASSWORD`, and, for a form sent (an OAuth2 token POST), the name of the shell
//! variable standing in for each secret field (`$PASSWORD`, `$REFRESH_TOKEN`).

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::Compression;

/// Most requests a transcript keeps; later ones are counted, not kept.
pub const TRANSCRIPT_CAP: usize = 2_000;

/// What a request was for: it decides how the command checks the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A token from the registry's auth realm.
    Token,
    /// A page of the registry's repository catalog.
    Catalog,
    /// A page of a repository's tags.
    Tags,
    /// A manifest or index (its digest is the sha256 of the bytes).
    Manifest,
    /// An image config (its digest is the image ID).
    Config,
    /// A layer blob, compressed this way (its uncompressed digest is the diff_id).
    Layer {
        /// How the blob is compressed.
        compression: Compression,
    },
}

/// Which kind of credentials went with a request (never the credentials themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthSent {
    /// No `Authorization` header.
    None,
    /// `Basic` username and password.
    Basic,
    /// A `Bearer` token.
    Bearer,
}

impl AuthSent {
    /// The kind of an `Authorization` header value, by its scheme.
    pub fn of(authorization: Option<&str>) -> Self {
        let scheme = authorization.and_then(|v| v.split_whitespace().next()).unwrap_or_default();
        if scheme.eq_ignore_ascii_case("basic") {
            Self::Basic
        } else if scheme.eq_ignore_ascii_case("bearer") {
            Self::Bearer
        } else {
            Self::None
        }
    }
}

/// A form field's value as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormValue {
    /// Sent as is (not a secret).
    Text(String),
    /// A secret, recorded only as the name of the shell variable standing in for it (`PASSWORD`).
    Secret(&'static str),
}

/// One request as made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `HEAD` or `POST`.
    pub method: String,
    /// The URL requested.
    pub url: String,
    /// The `Accept` header sent, if any.
    pub accept: Option<String>,
    /// Which credentials went with it.
    pub auth: AuthSent,
    /// The form fields of its `application/x-www-form-urlencoded` body, in order (none: no body).
    pub form: Vec<(String, FormValue)>,
    /// What it was for.
    pub purpose: Purpose,
    /// The answer's status, once known.
    pub status: Option<u16>,
}

/// The requests of a client, in the order they were made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    requests: Vec<RecordedRequest>,
    dropped: u64,
}

impl Transcript {
    /// An empty transcript.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a request; returns its position, for [`Transcript::answered`].
    pub fn record(&mut self, request: RecordedRequest) -> Option<usize> {
        if self.requests.len() >= TRANSCRIPT_CAP {
            self.dropped += 1;
            return None;
        }
        self.requests.push(request);
        Some(self.requests.len() - 1)
    }

    /// Notes the status of the request at `position`.
    pub fn answered(&mut self, position: Option<usize>, status: u16) {
        if let Some(request) = position.and_then(|p| self.requests.get_mut(p)) {
            request.status = Some(status);
        }
    }

    /// The requests kept.
    pub fn requests(&self) -> &[RecordedRequest] {
        &self.requests
    }

    /// How many requests were made after the cap and not kept.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Forgets every request.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// The requests as a shell script of curl commands: the API root first, then each request
    /// that got an answer worth having (a 401 the client then answered with credentials is left
    /// out, as a person would not type it twice).
    pub fn curl(&self) -> String {
        let mut out = String::new();
        let mut roots = HashSet::new();
        for (i, request) in self.requests.iter().enumerate() {
            if request.purpose != Purpose::Token
                && let Some(root) = api_root(&request.url)
                && roots.insert(root.to_owned())
            {
                let _ = writeln!(
                    out,
                    "# The API root answers 200, or 401 with a WWW-Authenticate header naming how to log in\n\
                     curl -i {}\n",
                    quote(root)
                );
            }
            let retried = request.status == Some(401)
                && self.requests[i + 1..].iter().any(|r| r.method == request.method && r.url == request.url);
            if retried {
                continue;
            }
            out.push_str(&command(request));
            out.push_str("\n\n");
        }
        if self.dropped > 0 {
            let _ = writeln!(out, "# ... and {} more requests, not kept", self.dropped);
        }
        out.trim_end().to_owned()
    }
}

/// One request as a commented command.
fn command(request: &RecordedRequest) -> String {
    let mut parts = vec!["curl".to_owned()];
    let head = request.method.eq_ignore_ascii_case("HEAD");
    parts.push(if head { "-sI" } else { "-s" }.to_owned());
    if request.method.eq_ignore_ascii_case("POST") {
        parts.push("-X POST".to_owned());
    }
    match request.auth {
        AuthSent::None => {}
        AuthSent::Basic => parts.push("-u \"$USER:$PASSWORD\"".to_owned()),
        AuthSent::Bearer => parts.push("-H \"Authorization: Bearer $TOKEN\"".to_owned()),
    }
    for (name, value) in &request.form {
        // curl percent-encodes each value; a secret comes from the variable the reader set.
        parts.push(match value {
            FormValue::Text(text) => format!("--data-urlencode {}", quote(&format!("{name}={text}"))),
            FormValue::Secret(variable) if name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
                format!("--data-urlencode \"{name}=${variable}\"")
            }
            FormValue::Secret(variable) => {
                format!("--data-urlencode {}\"${variable}\"", quote(&format!("{name}=")))
            }
        });
    }
    if let Some(accept) = &request.accept
        && request.purpose != Purpose::Token
    {
        parts.push(format!("-H {}", quote(&format!("Accept: {accept}"))));
    }
    let blob = matches!(request.purpose, Purpose::Config | Purpose::Layer { .. });
    if blob {
        // Registries often answer a blob GET with a redirect to storage elsewhere.
        parts.push("-L".to_owned());
    }
    parts.push(quote(&request.url));
    let curl = parts.join(" ");
    let status = request.status.map(|s| format!(" (answered {s})")).unwrap_or_default();
    let (comment, line) = match (request.purpose, head) {
        (_, true) => {
            ("Does the object exist, and what is its digest (Docker-Content-Digest)?".to_owned(), curl)
        }
        (Purpose::Token, _) => (
            if request.form.is_empty() {
                "A token for the scope asked for".to_owned()
            } else {
                "A token for the scope asked for, by an OAuth2 form (a refresh_token in the answer stands in \
                 for the password later)"
                    .to_owned()
            },
            format!("TOKEN=$({curl} | jq -r '.token // .access_token')"),
        ),
        (Purpose::Catalog, _) => ("The registry's repositories".to_owned(), curl),
        (Purpose::Tags, _) => ("The repository's tags".to_owned(), curl),
        (Purpose::Manifest, _) => (
            "The manifest: its sha256 is the digest it is pulled by".to_owned(),
            format!("{curl} | sha256sum"),
        ),
        (Purpose::Config, _) => {
            ("The config: its sha256 is the image ID".to_owned(), format!("{curl} | sha256sum"))
        }
        (Purpose::Layer { compression }, _) => {
            let inflate = match compression {
                Compression::Gzip => " | gunzip",
                Compression::Zstd => " | zstd -dc",
                Compression::None => "",
            };
            (
                "A layer: the blob's sha256 (first line) is its digest; the tar's is its diff_id".to_owned(),
                format!("{curl} | tee >(sha256sum >&2){inflate} | sha256sum"),
            )
        }
    };
    format!("# {comment}{status}\n{line}")
}

/// `scheme://host[:port][/path]/v2/` of a registry URL, if it has one.
fn api_root(url: &str) -> Option<&str> {
    url.find("/v2/").map(|at| &url[..at + 4])
}

/// Single-quotes `text` for a POSIX shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, url: &str, auth: AuthSent, purpose: Purpose, status: u16) -> RecordedRequest {
        RecordedRequest {
            method: method.into(),
            url: url.into(),
            accept: None,
            auth,
            form: Vec::new(),
            purpose,
            status: Some(status),
        }
    }

    #[test]
    fn a_token_flow_reads_like_the_walkthrough() {
        let mut t = Transcript::new();
        let base = "https://r.example/v2/library/x";
        t.record(request("GET", &format!("{base}/manifests/1"), AuthSent::None, Purpose::Manifest, 401));
        t.record(request("GET", "https://auth.example/token?scope=a", AuthSent::Basic, Purpose::Token, 200));
        let mut manifest =
            request("GET", &format!("{base}/manifests/1"), AuthSent::Bearer, Purpose::Manifest, 200);
        manifest.accept = Some("application/vnd.oci.image.manifest.v1+json".into());
        t.record(manifest);
        t.record(request(
            "GET",
            &format!("{base}/blobs/sha256:ab"),
            AuthSent::Bearer,
            Purpose::Layer { compression: Compression::Gzip },
            200,
        ));
        let text = t.curl();
        let commands: Vec<&str> = text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect();
        assert_eq!(
            commands,
            [
                "curl -i 'https://r.example/v2/'",
                "TOKEN=$(curl -s -u \"$USER:$PASSWORD\" 'https://auth.example/token?scope=a' | jq -r '.token // .access_token')",
                "curl -s -H \"Authorization: Bearer $TOKEN\" -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
                 'https://r.example/v2/library/x/manifests/1' | sha256sum",
                "curl -s -H \"Authorization: Bearer $TOKEN\" -L 'https://r.example/v2/library/x/blobs/sha256:ab' \
                 | tee >(sha256sum >&2) | gunzip | sha256sum",
            ]
        );
    }

    #[test]
    fn an_oauth_login_shows_placeholders_never_secrets() -> Result<(), Box<dyn std::error::Error>> {
        use crate::auth::{BearerToken, Grant, Password, ScopeSet, TokenForm};
        let scopes = ScopeSet::parse("repository:evil/oauth:pull")?;
        let realm = "https://r.example/oauth/token";
        let mut t = Transcript::new();
        for (grant, status) in [
            (Grant::Password(Password::new("alice", "hunter2 'x'")?), 200),
            (Grant::RefreshToken(BearerToken::new("refresh-secret")?), 200),
        ] {
            let mut post = request("POST", realm, AuthSent::None, Purpose::Token, status);
            post.form = TokenForm::new(&grant, Some("svc"), &scopes).shown();
            t.record(post);
        }
        let text = t.curl();
        assert!(
            !text.contains("hunter2") && !text.contains("refresh-secret") && !text.contains("alice"),
            "{text}"
        );
        let commands: Vec<&str> = text.lines().filter(|l| l.starts_with("TOKEN=")).collect();
        assert_eq!(
            commands,
            [
                "TOKEN=$(curl -s -X POST --data-urlencode 'grant_type=password' --data-urlencode \"username=$USER\" \
                 --data-urlencode \"password=$PASSWORD\" --data-urlencode 'access_type=offline' \
                 --data-urlencode 'client_id=regsight' --data-urlencode 'service=svc' \
                 --data-urlencode 'scope=repository:evil/oauth:pull' 'https://r.example/oauth/token' \
                 | jq -r '.token // .access_token')",
                "TOKEN=$(curl -s -X POST --data-urlencode 'grant_type=refresh_token' \
                 --data-urlencode \"refresh_token=$REFRESH_TOKEN\" --data-urlencode 'client_id=regsight' \
                 --data-urlencode 'service=svc' --data-urlencode 'scope=repository:evil/oauth:pull' \
                 'https://r.example/oauth/token' | jq -r '.token // .access_token')",
            ]
        );
        // A field name that is not a plain word is quoted on its own.
        let mut odd = request("POST", realm, AuthSent::None, Purpose::Token, 200);
        odd.form = vec![("a\"b".to_owned(), FormValue::Secret("PASSWORD"))];
        assert!(command(&odd).contains(r#"--data-urlencode 'a"b='"$PASSWORD""#), "{}", command(&odd));
        Ok(())
    }

    #[test]
    fn urls_are_quoted_and_the_cap_is_counted() {
        let mut t = Transcript::new();
        for _ in 0..TRANSCRIPT_CAP + 3 {
            t.record(request("HEAD", "http://h/v2/it's/manifests/x", AuthSent::None, Purpose::Manifest, 200));
        }
        assert_eq!((t.requests().len(), t.dropped()), (TRANSCRIPT_CAP, 3));
        let text = t.curl();
        assert!(text.contains(r"curl -sI 'http://h/v2/it'\''s/manifests/x'"), "{text}");
        assert!(text.ends_with("# ... and 3 more requests, not kept"));
    }

    #[test]
    fn auth_kind_comes_from_the_scheme_only() {
        assert_eq!(AuthSent::of(Some("Bearer abc")), AuthSent::Bearer);
        assert_eq!(AuthSent::of(Some("basic dXNlcg==")), AuthSent::Basic);
        assert_eq!(AuthSent::of(None), AuthSent::None);
    }
}
