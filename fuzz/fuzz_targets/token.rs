//! Token endpoint answers: `TokenResponse::parse` and `token::error_message` over any bytes.
//! Never panics; errors are INVALID_RESPONSE or LIMIT_EXCEEDED; an accepted token is safe in a
//! header, never shown by `Debug`, and lives between one minute and one day.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regsight_core::ErrorCode;
use regsight_core::auth::token::{
    self, EXPIRY_MARGIN_MS, MAX_LIFETIME_SECS, MAX_TOKEN_LEN, MIN_LIFETIME_SECS,
};
use regsight_core::auth::{BearerToken, TokenResponse, UnixMillis};
use regsight_fuzz::check_error;

fn check_token(token: &BearerToken) {
    let text = token.as_str();
    assert!(!text.is_empty() && text.len() <= MAX_TOKEN_LEN);
    assert!(text.bytes().all(|b| b.is_ascii_graphic()), "{text:?} cannot go in a header");
    assert_eq!(BearerToken::new(text).as_ref(), Ok(token));
    assert_eq!(token.authorization_value(), format!("Bearer {text}"));
    let debug = format!("{token:?}");
    assert!(text.len() < 8 || !debug.contains(text), "Debug shows the token: {debug}");
}

fuzz_target!(|data: &[u8]| {
    match TokenResponse::parse(data) {
        Ok(response) => {
            check_token(&response.token);
            if let Some(refresh) = &response.refresh_token {
                check_token(refresh);
            }
            let lifetime = response.lifetime_secs();
            assert!((MIN_LIFETIME_SECS..=MAX_LIFETIME_SECS).contains(&lifetime));
            let now = UnixMillis(1_700_000_000_000);
            let expires = response.expires_at(now);
            assert_eq!(expires.0, now.0 + lifetime * 1000 - EXPIRY_MARGIN_MS);
            assert!(expires > now);
            // Saturates instead of overflowing at the ends of the clock.
            let _ = response.expires_at(UnixMillis(u64::MAX));
            let _ = response.expires_at(UnixMillis(0));
        }
        Err(error) => {
            check_error(error.code(), &error, &[ErrorCode::InvalidResponse, ErrorCode::LimitExceeded])
        }
    }
    if let Some(message) = token::error_message(data) {
        assert!(!message.is_empty() && message.chars().count() <= 200, "{message:?}");
    }
});
