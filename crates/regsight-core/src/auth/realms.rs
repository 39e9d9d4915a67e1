//! What a session learned about token realms: the refresh token each realm and service gave (kept
//! in memory only), and which realms take token requests by GET only.
//!
//! Both lists are bounded; when full, the oldest entry goes (a registry naming many realms can
//! cost it refresh tokens, never memory).

use crate::auth::token::BearerToken;
use crate::url::HttpUrl;

/// Most realms (and realm + service pairs) remembered in each list.
pub const MAX_REALMS: usize = 8;

/// Per-realm knowledge of one session.
#[derive(Debug, Clone, Default)]
pub struct RealmMemory {
    refresh_tokens: Vec<((HttpUrl, Option<String>), BearerToken)>,
    get_only: Vec<HttpUrl>,
}

impl RealmMemory {
    /// The refresh token `realm` gave for `service`, if any.
    pub fn refresh_token(&self, realm: &HttpUrl, service: Option<&str>) -> Option<&BearerToken> {
        self.refresh_tokens
            .iter()
            .find(|((r, s), _)| r == realm && s.as_deref() == service)
            .map(|(_, token)| token)
    }

    /// Keeps `token` as the refresh token of `realm` for `service`, replacing an older one.
    pub fn keep_refresh_token(&mut self, realm: &HttpUrl, service: Option<&str>, token: BearerToken) {
        self.forget_refresh_token(realm, service);
        if self.refresh_tokens.len() >= MAX_REALMS {
            self.refresh_tokens.remove(0);
        }
        self.refresh_tokens.push(((realm.clone(), service.map(str::to_owned)), token));
    }

    /// Forgets the refresh token of `realm` for `service` (the realm said it is no good).
    pub fn forget_refresh_token(&mut self, realm: &HttpUrl, service: Option<&str>) {
        self.refresh_tokens.retain(|((r, s), _)| !(r == realm && s.as_deref() == service));
    }

    /// Whether `realm` is known not to take token POSTs.
    pub fn is_get_only(&self, realm: &HttpUrl) -> bool {
        self.get_only.contains(realm)
    }

    /// Remembers that `realm` does not take token POSTs.
    pub fn mark_get_only(&mut self, realm: &HttpUrl) {
        if self.is_get_only(realm) {
            return;
        }
        if self.get_only.len() >= MAX_REALMS {
            self.get_only.remove(0);
        }
        self.get_only.push(realm.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn refresh_tokens_by_realm_and_service_bounded() -> TestResult {
        let mut memory = RealmMemory::default();
        let realm = HttpUrl::parse("https://auth.example/token")?;
        memory.keep_refresh_token(&realm, Some("a"), BearerToken::new("r-a")?);
        memory.keep_refresh_token(&realm, None, BearerToken::new("r-none")?);
        assert_eq!(memory.refresh_token(&realm, Some("a")).map(BearerToken::as_str), Some("r-a"));
        assert_eq!(memory.refresh_token(&realm, None).map(BearerToken::as_str), Some("r-none"));
        assert_eq!(memory.refresh_token(&realm, Some("b")), None);
        memory.keep_refresh_token(&realm, Some("a"), BearerToken::new("r-a2")?);
        assert_eq!(memory.refresh_token(&realm, Some("a")).map(BearerToken::as_str), Some("r-a2"));
        memory.forget_refresh_token(&realm, Some("a"));
        assert_eq!(memory.refresh_token(&realm, Some("a")), None);
        for i in 0..MAX_REALMS + 3 {
            let other = HttpUrl::parse(&format!("https://auth{i}.example/token"))?;
            memory.keep_refresh_token(&other, None, BearerToken::new("r")?);
            memory.mark_get_only(&other);
            memory.mark_get_only(&other);
        }
        assert_eq!((memory.refresh_tokens.len(), memory.get_only.len()), (MAX_REALMS, MAX_REALMS));
        assert!(
            memory.is_get_only(&HttpUrl::parse(&format!("https://auth{}.example/token", MAX_REALMS + 2))?)
        );
        assert!(!memory.is_get_only(&HttpUrl::parse("https://auth0.example/token")?));
        Ok(())
    }
}
