//! Untrusted text cut short before it is quoted in an error message.

/// At most `max` characters of untrusted `text`, with `...` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Untrusted text cut to 64 characters, for error messages.
pub fn shorten(text: &str) -> String {
    truncate(text, 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_on_characters_not_bytes() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "abc...");
        assert_eq!(truncate("ééé", 2), "éé...");
        assert_eq!(shorten(&"x".repeat(100)).len(), 64 + 3);
    }
}
