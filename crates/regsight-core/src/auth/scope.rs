//! Token scopes such as `repository:127.0.0.1:5000/a/b:pull,push` and sets of them.
//!
//! A scope is `type:name:actions`. Names may hold `host:port`, so the type ends at the *first* colon
//! and the actions start after the *last* one. A challenge's `scope` parameter may list several
//! scopes separated by spaces.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use crate::ErrorCode;
use crate::auth::shorten;

/// Most scopes accepted in one set (one string, or the union the session builds).
pub const MAX_SCOPES: usize = 32;

/// Longest single scope accepted, in bytes.
pub const MAX_SCOPE_LEN: usize = 1024;

/// One resource and the actions wanted on it, e.g. `repository:library/alpine:pull`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    resource_type: String,
    name: String,
    actions: BTreeSet<String>,
}

impl Scope {
    /// Builds a scope from its parts, checking each.
    pub fn new<'a>(
        resource_type: &str,
        name: &str,
        actions: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, ScopeError> {
        let text = || format!("{resource_type}:{name}:...");
        let type_ok = !resource_type.is_empty()
            && resource_type.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '(' | ')'));
        if !type_ok {
            return Err(ScopeError::BadType { scope: shorten(&text()) });
        }
        let name_ok =
            !name.is_empty() && name.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\\'));
        if !name_ok {
            return Err(ScopeError::BadName { scope: shorten(&text()) });
        }
        let mut set = BTreeSet::new();
        for action in actions {
            let ok = !action.is_empty()
                && action.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '_' | '-'));
            if !ok {
                return Err(ScopeError::BadAction { scope: shorten(&text()), action: shorten(action) });
            }
            set.insert(action.to_owned());
        }
        if set.is_empty() {
            return Err(ScopeError::NoActions { scope: shorten(&text()) });
        }
        Ok(Self { resource_type: resource_type.to_owned(), name: name.to_owned(), actions: set })
    }

    /// `repository:<name>:pull`, the scope every read of a repository needs.
    pub fn repository_pull(name: &str) -> Result<Self, ScopeError> {
        Self::new("repository", name, ["pull"])
    }

    /// `registry:catalog:*`, the scope `/v2/_catalog` needs.
    pub fn registry_catalog() -> Self {
        Self {
            resource_type: "registry".to_owned(),
            name: "catalog".to_owned(),
            actions: BTreeSet::from(["*".to_owned()]),
        }
    }

    /// The resource type (`repository`, `registry`, ...).
    pub fn resource_type(&self) -> &str {
        &self.resource_type
    }

    /// The resource name (`library/alpine`, `127.0.0.1:5000/a/b`, `catalog`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The actions, sorted and without duplicates.
    pub fn actions(&self) -> impl Iterator<Item = &str> {
        self.actions.iter().map(String::as_str)
    }
}

impl FromStr for Scope {
    type Err = ScopeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() > MAX_SCOPE_LEN {
            return Err(ScopeError::TooLong { len: text.len(), limit: MAX_SCOPE_LEN });
        }
        let missing = || ScopeError::MissingParts { scope: shorten(text) };
        let (resource_type, rest) = text.split_once(':').ok_or_else(missing)?;
        let (name, actions) = rest.rsplit_once(':').ok_or_else(missing)?;
        Self::new(resource_type, name, actions.split(','))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:", self.resource_type, self.name)?;
        for (i, action) in self.actions.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(action)?;
        }
        Ok(())
    }
}

/// A set of scopes, order-insensitive: scopes on the same resource merge their actions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeSet {
    /// (type, name) -> actions.
    resources: BTreeMap<(String, String), BTreeSet<String>>,
}

impl ScopeSet {
    /// The empty set (what `/v2/` needs).
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses space-separated scopes, as in a challenge's `scope` parameter.
    pub fn parse(text: &str) -> Result<Self, ScopeError> {
        let mut set = Self::new();
        for scope in text.split(' ').filter(|s| !s.is_empty()) {
            set.insert(scope.parse()?)?;
        }
        Ok(set)
    }

    /// Adds a scope, merging its actions into those already held for the same resource.
    pub fn insert(&mut self, scope: Scope) -> Result<(), ScopeError> {
        let key = (scope.resource_type, scope.name);
        if !self.resources.contains_key(&key) && self.resources.len() >= MAX_SCOPES {
            return Err(ScopeError::TooMany { limit: MAX_SCOPES });
        }
        self.resources.entry(key).or_default().extend(scope.actions);
        Ok(())
    }

    /// Everything in `self` or in `other`.
    pub fn union(&self, other: &Self) -> Result<Self, ScopeError> {
        let mut out = self.clone();
        for scope in other.iter() {
            out.insert(scope)?;
        }
        Ok(out)
    }

    /// Whether every action on every resource of `other` is also in `self`.
    pub fn covers(&self, other: &Self) -> bool {
        other
            .resources
            .iter()
            .all(|(key, wanted)| self.resources.get(key).is_some_and(|held| wanted.is_subset(held)))
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// Number of distinct resources.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// The scopes, one per resource, in a stable order.
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.resources.iter().map(|((resource_type, name), actions)| Scope {
            resource_type: resource_type.clone(),
            name: name.clone(),
            actions: actions.clone(),
        })
    }
}

impl From<Scope> for ScopeSet {
    fn from(scope: Scope) -> Self {
        let mut set = Self::new();
        set.resources.insert((scope.resource_type, scope.name), scope.actions);
        set
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{scope}")?;
        }
        Ok(())
    }
}

/// Why a string is not a scope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// Fewer than three colon-separated parts.
    #[error("scope {scope:?} must look like type:name:actions")]
    MissingParts {
        /// The scope (shortened).
        scope: String,
    },
    /// The resource type is empty or holds other than letters, digits and `()`.
    #[error("scope {scope:?} has a bad resource type (letters and digits only)")]
    BadType {
        /// The scope (shortened).
        scope: String,
    },
    /// The resource name is empty or holds whitespace, quotes or control characters.
    #[error("scope {scope:?} has a bad resource name")]
    BadName {
        /// The scope (shortened).
        scope: String,
    },
    /// An action is empty or holds other than letters, digits, `*`, `_`, `-`.
    #[error("scope {scope:?} has a bad action {action:?}")]
    BadAction {
        /// The scope (shortened).
        scope: String,
        /// The action (shortened).
        action: String,
    },
    /// No action at all.
    #[error("scope {scope:?} lists no action")]
    NoActions {
        /// The scope (shortened).
        scope: String,
    },
    /// One scope longer than [`MAX_SCOPE_LEN`].
    #[error("scope is {len} bytes long; the limit is {limit}")]
    TooLong {
        /// Its length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// More than [`MAX_SCOPES`] resources.
    #[error("more than {limit} scopes in one set")]
    TooMany {
        /// The limit.
        limit: usize,
    },
}

impl ScopeError {
    /// The stable error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooLong { .. } | Self::TooMany { .. } => ErrorCode::LimitExceeded,
            _ => ErrorCode::InvalidResponse,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(text: &str) -> Scope {
        match text.parse() {
            Ok(scope) => scope,
            Err(e) => panic!("{text:?}: {e}"),
        }
    }

    #[test]
    fn splits_type_at_first_colon_and_actions_at_last() {
        let s = scope("repository:127.0.0.1:5000/a/b:push,pull");
        assert_eq!(s.resource_type(), "repository");
        assert_eq!(s.name(), "127.0.0.1:5000/a/b");
        assert_eq!(s.actions().collect::<Vec<_>>(), ["pull", "push"]);
        assert_eq!(s.to_string(), "repository:127.0.0.1:5000/a/b:pull,push");

        let c = scope("registry:catalog:*");
        assert_eq!(c, Scope::registry_catalog());
        assert_eq!(c.to_string(), "registry:catalog:*");

        let plugin = scope("repository(plugin):vieux/sshfs:pull");
        assert_eq!(plugin.resource_type(), "repository(plugin)");
    }

    #[test]
    fn builder_makes_pull_scopes() {
        let s = Scope::repository_pull("library/alpine").map(|s| s.to_string());
        assert_eq!(s.as_deref(), Ok("repository:library/alpine:pull"));
        assert!(Scope::repository_pull("").is_err());
        assert!(Scope::repository_pull("a b").is_err());
    }

    #[test]
    fn sets_are_order_insensitive_and_merge_actions() {
        let a = ScopeSet::parse("repository:a:pull registry:catalog:* repository:a:push");
        let b = ScopeSet::parse("  registry:catalog:*   repository:a:push,pull ");
        assert_eq!(a, b);
        let a = a.map(|s| s.to_string());
        assert_eq!(a.as_deref(), Ok("registry:catalog:* repository:a:pull,push"));
        assert_eq!(ScopeSet::parse(""), Ok(ScopeSet::new()));
    }

    #[test]
    fn covers_and_union() -> Result<(), ScopeError> {
        let pull = ScopeSet::parse("repository:a:pull")?;
        let both = ScopeSet::parse("repository:a:pull,push")?;
        let other = ScopeSet::parse("repository:b:pull")?;
        assert!(both.covers(&pull));
        assert!(!pull.covers(&both));
        assert!(!both.covers(&other));
        assert!(pull.covers(&ScopeSet::new()));
        let union = pull.union(&other)?;
        assert!(union.covers(&pull) && union.covers(&other));
        assert_eq!(union.len(), 2);
        Ok(())
    }

    #[test]
    fn rejects_malformed_scopes() {
        let cases = [
            ("repository", "type:name:actions"),
            ("repository:a", "type:name:actions"),
            (":a:pull", "resource type"),
            ("repo sitory:a:pull", "resource type"),
            ("repository::pull", "resource name"),
            ("repository:a\"b:pull", "resource name"),
            ("repository:a:", "bad action"),
            ("repository:a:pull,,push", "bad action"),
            ("repository:a:pu ll", "bad action"),
        ];
        for (text, expected) in cases {
            match text.parse::<Scope>() {
                Ok(s) => panic!("{text:?} parsed as {s}"),
                Err(e) => assert!(e.to_string().contains(expected), "{text:?}: {e}"),
            }
        }
        let long = format!("repository:{}:pull", "a".repeat(MAX_SCOPE_LEN));
        assert!(matches!(long.parse::<Scope>(), Err(ScopeError::TooLong { .. })));
        let many: Vec<String> = (0..=MAX_SCOPES).map(|i| format!("repository:r{i}:pull")).collect();
        assert_eq!(ScopeSet::parse(&many.join(" ")), Err(ScopeError::TooMany { limit: MAX_SCOPES }));
    }
}
