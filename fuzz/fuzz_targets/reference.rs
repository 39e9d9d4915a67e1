//! `Reference::from_str` over any UTF-8 text: never panics; an error is INVALID_REFERENCE (or
//! UNSUPPORTED for a digest algorithm we cannot compute); an accepted reference re-parses from
//! its canonical and familiar forms and yields URLs the core's own parser accepts.
#![no_main]

use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use regsight_core::{ErrorCode, Reference};
use regsight_fuzz::{check_error, check_reference};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match Reference::from_str(input) {
        Ok(reference) => check_reference(&reference),
        Err(error) => {
            check_error(error.code(), &error, &[ErrorCode::InvalidReference, ErrorCode::Unsupported]);
        }
    }
});
