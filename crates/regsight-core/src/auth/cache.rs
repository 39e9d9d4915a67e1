//! A small, bounded cache of bearer tokens keyed by realm, service and scope set.
//!
//! Expiry is checked against the `now` the caller passes. When full, expired entries go first, then
//! the one that expires soonest. A linear scan is fine at this size.

use crate::auth::scope::ScopeSet;
use crate::auth::time::UnixMillis;
use crate::auth::token::BearerToken;
use crate::url::HttpUrl;

/// Entries kept when no capacity is given.
pub const DEFAULT_CAPACITY: usize = 32;

/// What a token was issued for: its realm, service and scopes (scope order does not matter).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// The token endpoint.
    pub realm: HttpUrl,
    /// The `service` named in the request.
    pub service: Option<String>,
    /// The scopes asked for.
    pub scopes: ScopeSet,
}

#[derive(Debug, Clone)]
struct Entry {
    key: CacheKey,
    token: BearerToken,
    expires_at: UnixMillis,
}

/// Bearer tokens by [`CacheKey`], at most `capacity` of them.
#[derive(Debug, Clone)]
pub struct TokenCache {
    entries: Vec<Entry>,
    capacity: usize,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl TokenCache {
    /// An empty cache holding at most `capacity` tokens (at least one).
    pub fn new(capacity: usize) -> Self {
        Self { entries: Vec::new(), capacity: capacity.max(1) }
    }

    /// The token for `key` if it is still good at `now`; an expired one is dropped.
    pub fn get(&mut self, key: &CacheKey, now: UnixMillis) -> Option<&BearerToken> {
        let index = self.entries.iter().position(|e| &e.key == key)?;
        if self.entries.get(index)?.expires_at <= now {
            self.entries.swap_remove(index);
            return None;
        }
        self.entries.get(index).map(|e| &e.token)
    }

    /// Stores `token` for `key` until `expires_at`, replacing any older token for the same key.
    pub fn insert(&mut self, key: CacheKey, token: BearerToken, expires_at: UnixMillis, now: UnixMillis) {
        self.entries.retain(|e| e.key != key && e.expires_at > now);
        if self.entries.len() >= self.capacity {
            let soonest = self.entries.iter().enumerate().min_by_key(|(_, e)| e.expires_at).map(|(i, _)| i);
            if let Some(soonest) = soonest {
                self.entries.swap_remove(soonest);
            }
        }
        self.entries.push(Entry { key, token, expires_at });
    }

    /// Forgets the token for `key` (after the registry said `invalid_token`); true if there was one.
    pub fn invalidate(&mut self, key: &CacheKey) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| &e.key != key);
        self.entries.len() != before
    }

    /// Number of tokens held (some may have expired since they were last looked at).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no token is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(realm: &str, scopes: &str) -> CacheKey {
        let realm = HttpUrl::parse(realm);
        let scopes = ScopeSet::parse(scopes);
        match (realm, scopes) {
            (Ok(realm), Ok(scopes)) => CacheKey { realm, service: Some("svc".to_owned()), scopes },
            other => panic!("{other:?}"),
        }
    }

    fn token(text: &str) -> BearerToken {
        match BearerToken::new(text) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    fn got(cache: &mut TokenCache, key: &CacheKey, now: u64) -> Option<String> {
        cache.get(key, UnixMillis(now)).map(|t| t.as_str().to_owned())
    }

    #[test]
    fn scope_order_does_not_matter_but_everything_else_does() {
        let mut cache = TokenCache::default();
        cache.insert(
            key("https://a/t", "repository:x:pull repository:y:pull"),
            token("t1"),
            UnixMillis(100),
            UnixMillis(0),
        );
        assert_eq!(
            got(&mut cache, &key("https://a/t", "repository:y:pull repository:x:pull"), 0).as_deref(),
            Some("t1")
        );
        assert_eq!(got(&mut cache, &key("https://a/t", "repository:x:pull"), 0), None);
        assert_eq!(got(&mut cache, &key("https://b/t", "repository:x:pull repository:y:pull"), 0), None);
        let mut other_service = key("https://a/t", "repository:x:pull repository:y:pull");
        other_service.service = None;
        assert_eq!(got(&mut cache, &other_service, 0), None);
    }

    #[test]
    fn expiry_follows_the_callers_clock() {
        let mut cache = TokenCache::default();
        let k = key("https://a/t", "repository:x:pull");
        cache.insert(k.clone(), token("t1"), UnixMillis(1_000), UnixMillis(0));
        assert_eq!(got(&mut cache, &k, 999).as_deref(), Some("t1"));
        assert_eq!(got(&mut cache, &k, 1_000), None);
        assert!(cache.is_empty(), "expired entry is dropped on lookup");
    }

    #[test]
    fn replace_and_invalidate() {
        let mut cache = TokenCache::default();
        let k = key("https://a/t", "repository:x:pull");
        cache.insert(k.clone(), token("old"), UnixMillis(1_000), UnixMillis(0));
        cache.insert(k.clone(), token("new"), UnixMillis(2_000), UnixMillis(0));
        assert_eq!(cache.len(), 1);
        assert_eq!(got(&mut cache, &k, 0).as_deref(), Some("new"));
        assert!(cache.invalidate(&k));
        assert!(!cache.invalidate(&k));
        assert_eq!(got(&mut cache, &k, 0), None);
    }

    #[test]
    fn bounded_evicting_expired_then_soonest() {
        let mut cache = TokenCache::new(3);
        let keys: Vec<CacheKey> =
            (0..5).map(|i| key("https://a/t", &format!("repository:r{i}:pull"))).collect();
        cache.insert(keys[0].clone(), token("t0"), UnixMillis(50), UnixMillis(0));
        cache.insert(keys[1].clone(), token("t1"), UnixMillis(300), UnixMillis(0));
        cache.insert(keys[2].clone(), token("t2"), UnixMillis(200), UnixMillis(0));
        // At 60, t0 has expired: it goes, nothing else does.
        cache.insert(keys[3].clone(), token("t3"), UnixMillis(400), UnixMillis(60));
        assert_eq!(cache.len(), 3);
        assert!(got(&mut cache, &keys[1], 60).is_some() && got(&mut cache, &keys[2], 60).is_some());
        // Full with live entries: the soonest to expire (t2) goes.
        cache.insert(keys[4].clone(), token("t4"), UnixMillis(500), UnixMillis(60));
        assert_eq!(cache.len(), 3);
        assert_eq!(got(&mut cache, &keys[2], 60), None);
        assert!(got(&mut cache, &keys[1], 60).is_some());
        assert!(got(&mut cache, &keys[4], 60).is_some());
        for i in 0..100 {
            cache.insert(
                key("https://a/t", &format!("repository:z{i}:pull")),
                token("t"),
                UnixMillis(1_000),
                UnixMillis(60),
            );
        }
        assert_eq!(cache.len(), 3);
    }
}
