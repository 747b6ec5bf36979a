//! Salesforce-shaped identifiers: 18-character record ids with the real
//! case-safe checksum suffix, opaque `00D…!…` session tokens, timestamps.
//! Owns: nothing but formatting; counters live in the state.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// An 18-character id: 3-character key prefix, pod `5g`, a base62 counter,
/// then the checksum Salesforce appends to 15-character ids.
pub fn record_id(prefix: &str, n: u64) -> String {
    let mut body = [b'0'; 10];
    let mut v = n;
    for slot in body.iter_mut().rev() {
        *slot = BASE62[(v % 62) as usize];
        v /= 62;
    }
    let mut id = String::with_capacity(18);
    id.push_str(&prefix[..3]);
    id.push_str("5g");
    id.push_str(std::str::from_utf8(&body).expect("base62 is ASCII"));
    let suffix = checksum(&id);
    id.push_str(&suffix);
    id
}

/// The 3-character suffix of an 18-character id.
pub fn checksum(id15: &str) -> String {
    const MAP: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    let bytes = id15.as_bytes();
    (0..3)
        .map(|chunk| {
            let mut bits = 0usize;
            for i in 0..5 {
                if bytes[chunk * 5 + i].is_ascii_uppercase() {
                    bits |= 1 << i;
                }
            }
            MAP[bits] as char
        })
        .collect()
}

/// The 15-character form of an id.
pub fn short(id: &str) -> &str {
    &id[..id.len().min(15)]
}

/// Whether two ids name the same record (15 or 18 characters).
pub fn same(a: &str, b: &str) -> bool {
    a.len() >= 15 && b.len() >= 15 && short(a) == short(b)
}

/// 64 unpredictable bits: std's per-process random SipHash keys over a counter
/// and the clock. Good enough for a loopback emulator's session tokens.
pub fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

/// An opaque token shaped like a Salesforce session id: `00D…!AQ…`.
pub fn token(org_id: &str) -> String {
    let mut s = format!("{}!AQ", short(org_id));
    for _ in 0..4 {
        let mut v = random_u64();
        for _ in 0..10 {
            s.push(BASE62[(v % 62) as usize] as char);
            v /= 62;
        }
    }
    s
}

/// Seconds since the epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `2026-11-22T08:30:00.000Z` for a time in seconds since the epoch.
pub fn iso(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Now, as `iso`.
pub fn now_iso() -> String {
    iso(now_secs())
}

/// Days since 1970-01-01 -> (year, month, day) (Howard Hinnant's algorithm).
fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_matches_salesforce() {
        // A real id pair from protocol.md: 0Af3D00001NViC1 -> 0Af3D00001NViC1SAL.
        assert_eq!(checksum("0Af3D00001NViC1"), "SAL");
        assert_eq!(record_id("005", 1).len(), 18);
        assert!(same(&record_id("005", 7), short(&record_id("005", 7))));
    }

    #[test]
    fn dates() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(1_700_000_000), "2023-11-14T22:13:20.000Z");
    }
}
