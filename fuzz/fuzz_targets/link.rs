//! `Link` headers: `endpoint::next_link` against a fixed request URL. Never panics; a malformed
//! header is INVALID_RESPONSE (the fixed request URL is never blamed); a next link is an absolute
//! http(s) URL in normalized form, never the page itself, and `same_origin` says whether it is.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regsight_core::auth::HttpUrl;
use regsight_core::{ErrorCode, next_link};
use regsight_fuzz::{check_error, check_sendable};

/// The page whose response carried the header.
const REQUEST: &str = "https://registry.example/v2/library/alpine/tags/list?n=100";

fuzz_target!(|data: &[u8]| {
    let header = String::from_utf8_lossy(data);
    let request = HttpUrl::parse(REQUEST).expect("the fixed request URL parses");
    match next_link(&header, REQUEST) {
        Ok(None) => {}
        Ok(Some(next)) => {
            let url = check_sendable(&next.url);
            assert!(!next.url.contains('#'), "{:?} keeps a fragment", next.url);
            assert_ne!(next.url, request.normalized(), "a next link that loops was accepted");
            assert_eq!(next.same_origin, url.origin() == request.origin(), "{next:?}");
        }
        Err(error) => check_error(error.code(), &error, &[ErrorCode::InvalidResponse]),
    }
});
