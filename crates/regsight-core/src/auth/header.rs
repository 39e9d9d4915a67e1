//! An `Authorization` header value bound to the one URL it was made for.

use std::fmt;

use crate::url::{HttpUrl, Origin};

/// An `Authorization` value plus the URL it is for; `Debug` never shows the secret.
///
/// The session only hands these out for the registry's own origin and for its token realm.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthHeader {
    url: HttpUrl,
    value: String,
}

impl AuthHeader {
    /// The header's name.
    pub const NAME: &'static str = "Authorization";

    pub(crate) fn new(url: HttpUrl, value: String) -> Self {
        Self { url, value }
    }

    /// The URL this header was made for: send it with a request to this URL only.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// The origin this header may go to.
    pub fn origin(&self) -> &Origin {
        self.url.origin()
    }

    /// The header value, e.g. `Bearer eyJ...` or `Basic dXNlcjpwYXNz`.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Whether `url` is on the same origin as the URL this header was made for (say, after a
    /// redirect); anything unparsable counts as another origin.
    pub fn may_send_to(&self, url: &str) -> bool {
        HttpUrl::parse(url).is_ok_and(|other| other.origin() == self.url.origin())
    }
}

impl fmt::Debug for AuthHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = self.value.split(' ').next().unwrap_or_default();
        f.debug_struct("AuthHeader")
            .field("url", &self.url.as_str())
            .field("value", &format_args!("{scheme} <redacted>"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_to_its_origin_and_hides_the_secret() -> Result<(), crate::url::UrlError> {
        let header = AuthHeader::new(
            HttpUrl::parse("https://r.example/v2/a/manifests/1")?,
            "Bearer s3cret".to_owned(),
        );
        assert!(header.may_send_to("https://R.example:443/v2/a/blobs/sha256:00"));
        assert!(!header.may_send_to("https://cdn.example/blob"));
        assert!(!header.may_send_to("http://r.example/v2/"));
        assert!(!header.may_send_to("not a url"));
        let shown = format!("{header:?}");
        assert!(shown.contains("Bearer <redacted>") && !shown.contains("s3cret"), "{shown}");
        Ok(())
    }
}
