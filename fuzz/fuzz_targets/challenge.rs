//! `WWW-Authenticate` values: `parse_challenges`, then `BearerChallenge::from_challenge` against
//! a fixed request URL and `BasicChallenge::from_challenge`. Never panics; errors are
//! INVALID_RESPONSE or LIMIT_EXCEEDED; what is accepted stays within the caps, and a Bearer realm
//! is an http(s) URL the core would send to, in normalized form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regsight_core::ErrorCode;
use regsight_core::auth::challenge::{MAX_CHALLENGES, MAX_HEADER_LEN, MAX_PARAMS};
use regsight_core::auth::scope::MAX_SCOPE_LEN;
use regsight_core::auth::{
    BasicChallenge, BearerChallenge, ChallengeError, HttpUrl, ScopeSet, parse_challenges,
};
use regsight_fuzz::{check_error, check_sendable};

/// The request the challenge answers (a relative realm resolves against it).
const REQUEST: &str = "https://registry.example:5000/v2/library/alpine/manifests/latest";

const CODES: &[ErrorCode] = &[ErrorCode::InvalidResponse, ErrorCode::LimitExceeded];

fuzz_target!(|data: &[u8]| {
    // Header values are bytes; a browser hands them over as text.
    let header = String::from_utf8_lossy(data);
    let request = HttpUrl::parse(REQUEST).expect("the fixed request URL parses");
    let challenges = match parse_challenges(&header) {
        Ok(challenges) => challenges,
        Err(error) => return check_error(error.code(), &error, CODES),
    };
    assert!(header.len() <= MAX_HEADER_LEN);
    assert!((1..=MAX_CHALLENGES).contains(&challenges.len()));
    for challenge in &challenges {
        assert!(!challenge.scheme().is_empty());
        let params: Vec<(&str, &str)> = challenge.params().collect();
        assert!(params.len() <= MAX_PARAMS);
        for (i, (name, value)) in params.iter().enumerate() {
            assert!(!name.is_empty() && !name.bytes().any(|b| b.is_ascii_uppercase()), "name {name:?}");
            assert!(params[..i].iter().all(|(other, _)| other != name), "{name:?} twice");
            assert_eq!(challenge.param(name), Some(*value));
        }

        match BearerChallenge::from_challenge(challenge, &request) {
            Ok(bearer) => {
                assert!(challenge.is_scheme("bearer"));
                check_sendable(bearer.realm.as_str());
                // The scopes print as text that reads back as the same set (when each printed
                // scope still fits the per-scope cap: merging actions can lengthen one).
                let printed = bearer.scope.to_string();
                if bearer.scope.iter().all(|s| s.to_string().len() <= MAX_SCOPE_LEN) {
                    assert_eq!(ScopeSet::parse(&printed).as_ref(), Ok(&bearer.scope), "{printed:?}");
                }
            }
            Err(ChallengeError::WrongScheme { .. }) => assert!(!challenge.is_scheme("bearer")),
            Err(error) => check_error(error.code(), &error, CODES),
        }
        match BasicChallenge::from_challenge(challenge) {
            Ok(basic) => {
                assert!(challenge.is_scheme("basic"));
                assert_eq!(basic.realm.as_deref(), challenge.param("realm"));
            }
            Err(error) => {
                assert!(!challenge.is_scheme("basic"), "{error}");
                check_error(error.code(), &error, CODES);
            }
        }
    }
});
