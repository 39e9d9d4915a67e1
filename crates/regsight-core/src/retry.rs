//! When to try a request again, and when to stop: a `429` whose `Retry-After` is short is waited
//! out, at most [`MAX_RETRIES`] times; a `502`, `503` or `504` to a read (`GET`, `HEAD`) is tried
//! again after a short backoff, at most [`MAX_RETRIES`] times. Anything else is final, so a
//! misbehaving registry can never hold a client in a retry loop.

/// Most retries of one request.
pub const MAX_RETRIES: u32 = 2;
/// The longest `Retry-After` waited out, in seconds; a longer one fails at once.
pub const MAX_RETRY_AFTER_SECS: u64 = 10;
/// Backoff before each retry of a `502`/`503`/`504`, in milliseconds.
pub const BACKOFF_MS: [u64; 2] = [500, 1_500];

/// What to do with an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// The answer is final.
    No,
    /// Send the request again after this many milliseconds.
    After(u64),
}

/// Decides whether a request that got `status` (with `retry_after` as sent) should be sent again,
/// `retries` retries having been made already.
pub fn decide(method: &str, status: u16, retry_after: Option<&str>, retries: u32) -> Retry {
    if retries >= MAX_RETRIES {
        return Retry::No;
    }
    match status {
        429 => match retry_after.and_then(delay_seconds) {
            Some(seconds) if seconds <= MAX_RETRY_AFTER_SECS => Retry::After(seconds * 1_000),
            // A long wait, an HTTP date or garbage: not ours to sit out.
            _ => Retry::No,
        },
        502..=504 if is_read(method) => {
            let index = usize::try_from(retries).unwrap_or(usize::MAX).min(BACKOFF_MS.len() - 1);
            Retry::After(BACKOFF_MS[index])
        }
        _ => Retry::No,
    }
}

/// `Retry-After` as delta-seconds (`120`); `None` for an HTTP date or anything else.
pub fn delay_seconds(value: &str) -> Option<u64> {
    let value = value.trim();
    if value.is_empty() || value.len() > 12 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

fn is_read(method: &str) -> bool {
    method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_retry_after_is_waited_out_twice_then_never() {
        assert_eq!(decide("GET", 429, Some("1"), 0), Retry::After(1_000));
        assert_eq!(decide("GET", 429, Some(" 10 "), 1), Retry::After(10_000));
        assert_eq!(decide("GET", 429, Some("1"), 2), Retry::No);
    }

    #[test]
    fn a_long_or_unreadable_retry_after_is_final() {
        for value in ["11", "3600", "Wed, 21 Oct 2015 07:28:00 GMT", "-1", "1.5", "", "99999999999999999999"]
        {
            assert_eq!(decide("GET", 429, Some(value), 0), Retry::No, "{value:?}");
        }
        assert_eq!(decide("GET", 429, None, 0), Retry::No);
    }

    #[test]
    fn gateway_errors_on_reads_back_off_twice() {
        for status in [502, 503, 504] {
            assert_eq!(decide("GET", status, None, 0), Retry::After(500));
            assert_eq!(decide("HEAD", status, None, 1), Retry::After(1_500));
            assert_eq!(decide("GET", status, None, 2), Retry::No);
            assert_eq!(decide("POST", status, None, 0), Retry::No);
        }
        for status in [200, 401, 404, 500, 501] {
            assert_eq!(decide("GET", status, None, 0), Retry::No, "{status}");
        }
    }
}
