//! Small pieces of HTTP the rig's own servers (`regsight-tokend`, `regsight-evil`) share: query and
//! form decoding, times as tokens state them.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// The `key=value` pairs of a query string or an `application/x-www-form-urlencoded` body, decoded,
/// in order (a key may repeat).
pub fn form_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

/// The values of each key of a query string (see [`form_pairs`]).
pub fn parse_query(query: &str) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (key, value) in form_pairs(query) {
        map.entry(key).or_default().push(value);
    }
    map
}

/// Decodes `%XX` escapes and `+` (a space in forms); a malformed escape stays as it is, bytes that
/// are not UTF-8 become U+FFFD.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                match bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix time (civil-from-days, proleptic Gregorian).
pub fn rfc3339(unix: u64) -> String {
    let days = unix / 86_400;
    let secs = unix % 86_400;
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// `s` with each whitespace character written `%20`, so a log field stays one word.
pub fn no_whitespace(s: &str) -> String {
    s.chars().map(|c| if c.is_whitespace() { "%20".to_owned() } else { c.to_string() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms() {
        assert_eq!(percent_decode("a%20b+c%3a%zz%4"), "a b c:%zz%4");
        assert_eq!(
            form_pairs("grant_type=password&scope=repository%3Aa%3Apull+x&&flag"),
            vec![
                ("grant_type".into(), "password".into()),
                ("scope".into(), "repository:a:pull x".into()),
                ("flag".into(), String::new())
            ]
        );
    }

    #[test]
    fn formats_times() {
        assert_eq!(rfc3339(1_704_067_200), "2024-01-01T00:00:00Z");
    }
}
