//! The request parser on arbitrary bytes, as an authenticated client and as one that must still
//! authenticate (the first byte picks): every request it returns lies within the input and
//! consumes at least one byte, and a multibulk request from an unauthenticated client never
//! holds more than 10 arguments or an argument over 16 KiB (Redis's CVE-2021-32675 limits).
#![no_main]

use libfuzzer_sys::fuzz_target;
use verdis_server::resp::decode::{ParseLimits, RequestParser};

/// A small `proto-max-bulk-len`, so long bulks are reachable.
const BULK_LEN_MAX: u64 = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, input)) = data.split_first() else { return };
    let unauthenticated = mode & 1 == 1;
    let limits = ParseLimits { bulk_len_max: BULK_LEN_MAX, unauthenticated };
    let mut parser = RequestParser::default();
    let mut offset = 0;
    // Each request consumes at least a byte, so the input bounds the loop.
    for _ in 0..=input.len() {
        let rest = &input[offset..];
        match parser.parse(rest, limits) {
            Ok(Some(used)) => {
                assert!(used > 0 && used <= rest.len(), "consumed {used} of {}", rest.len());
                let args = parser.args(rest);
                if unauthenticated && rest[0] == b'*' {
                    assert!(args.len() <= 10 && args.iter().all(|a| a.len() <= 16 * 1024));
                }
                parser.reset();
                offset += used;
            }
            Ok(None) | Err(_) => break,
        }
    }
});
