//! The other registry documents over any bytes: `parse_config`, `parse_tag_list`, `parse_catalog`,
//! and registry error bodies (`parse_error_body`, `summarize_error`). Never panics; errors are
//! INVALID_RESPONSE or LIMIT_EXCEEDED; what is accepted reads back from its own serialization;
//! history pairs with layers consistently; an error summary is one short line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regsight_core::model::{
    SUMMARY_MAX_CHARS, parse_catalog, parse_config, parse_error_body, parse_tag_list, summarize_error,
};
use regsight_core::{ErrorCode, ImageConfig};
use regsight_fuzz::check_error;

const CODES: &[ErrorCode] = &[ErrorCode::InvalidResponse, ErrorCode::LimitExceeded];

fn check_config(config: &ImageConfig) {
    let json = serde_json::to_vec(config).expect("a config serializes");
    assert_eq!(parse_config(&json).as_ref(), Ok(config), "{}", String::from_utf8_lossy(&json));
    let platform = config.platform();
    assert_eq!(platform.normalized(), platform);
    let steps = config.history_steps();
    assert_eq!(steps.len(), config.history.len());
    let mut next = 0;
    for step in &steps {
        assert_eq!(step.layer.is_none(), step.entry.empty_layer);
        if let Some(layer) = step.layer {
            assert_eq!(layer, next);
            next += 1;
        }
    }
    assert_eq!(config.layer_history(next).map(|h| h.len()), Ok(next));
    let layers = config.rootfs.diff_ids.len();
    if let Err(error) = config.layer_history(layers) {
        assert_ne!(layers, next);
        check_error(error.code(), &error, CODES);
    }
}

fuzz_target!(|data: &[u8]| {
    match parse_config(data) {
        Ok(config) => check_config(&config),
        Err(error) => check_error(error.code(), &error, CODES),
    }
    match parse_tag_list(data) {
        Ok(list) => {
            let json = serde_json::to_vec(&list).expect("a tag list serializes");
            assert_eq!(parse_tag_list(&json), Ok(list));
        }
        Err(error) => check_error(error.code(), &error, CODES),
    }
    match parse_catalog(data) {
        Ok(page) => {
            let json = serde_json::to_vec(&page).expect("a catalog page serializes");
            assert_eq!(parse_catalog(&json), Ok(page));
        }
        Err(error) => check_error(error.code(), &error, CODES),
    }
    if let Err(error) = parse_error_body(data) {
        check_error(error.code(), &error, CODES);
    }
    for status in [401, 404, 429, 500, 599] {
        let summary = summarize_error(status, data);
        assert_eq!(summary.status, status);
        assert!(!summary.message.is_empty());
        assert!(summary.message.chars().count() <= SUMMARY_MAX_CHARS, "{:?}", summary.message);
        assert!(!summary.message.chars().any(char::is_control), "{:?}", summary.message);
    }
});
