//! Pure text helpers of the page: repository names, version-aware ordering, sizes and rates.
//! No browser APIs, so they are tested natively.

/// The reference without its tag and digest: `host/repo:tag@sha256:...` -> `host/repo`.
pub fn repository_of(reference: &str) -> &str {
    let name = reference.split('@').next().unwrap_or(reference);
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[last_slash..].find(':') {
        Some(colon) => &name[..last_slash + colon],
        None => name,
    }
}

/// Orders tags like versions: runs of digits compare as numbers (`1.9` < `1.10`).
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (na, ra) = split_digits(a);
                let (nb, rb) = split_digits(b);
                let (ta, tb) = (trim_zeros(na), trim_zeros(nb));
                let order = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb));
                if order.is_ne() {
                    return order;
                }
                (a, b) = (ra, rb);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                (a, b) = (&a[1..], &b[1..]);
            }
        }
    }
}

fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let end = s.iter().position(|c| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&c| c != b'0').unwrap_or(s.len());
    &s[start..]
}

/// `1234567` -> `1.2 MB`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// Seconds left at `rate` bytes per second, as `1 min 05 s` or `12 s`; `None` when unknowable.
pub fn format_eta(remaining: u64, rate: f64) -> Option<String> {
    if rate <= 0.0 || !rate.is_finite() {
        return None;
    }
    let seconds = (remaining as f64 / rate).ceil() as u64;
    Some(if seconds >= 60 {
        format!("{} min {:02} s", seconds / 60, seconds % 60)
    } else {
        format!("{seconds} s")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_strips_tag_and_digest() {
        assert_eq!(repository_of("127.0.0.1:5000/public/x:v1"), "127.0.0.1:5000/public/x");
        assert_eq!(repository_of("127.0.0.1:5000/public/x@sha256:ab"), "127.0.0.1:5000/public/x");
        assert_eq!(repository_of("python"), "python");
        assert_eq!(repository_of("python:3.12"), "python");
    }

    #[test]
    fn sizes_and_times_read_well() {
        assert_eq!(format_bytes(999), "999 B");
        assert_eq!(format_bytes(1_234_567), "1.2 MB");
        assert_eq!(format_eta(10_000_000, 1_000_000.0).as_deref(), Some("10 s"));
        assert_eq!(format_eta(65_000_000, 1_000_000.0).as_deref(), Some("1 min 05 s"));
        assert_eq!(format_eta(1, 0.0), None);
    }

    #[test]
    fn tags_sort_like_versions() {
        let mut tags = vec!["1.10", "1.9", "latest", "1.09a", "2"];
        tags.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(tags, ["1.9", "1.09a", "1.10", "2", "latest"]);
    }
}
