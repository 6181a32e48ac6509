//! The response path (ureq over an in-memory transport, `src/fuzzing.rs`) on arbitrary bytes, as a
//! hostile server would send them.
//!
//! Input: one byte that sets how many bytes each read returns (1 to 256),
//! then the response.
//!
//! Invariants, beyond "no panic" and no unbounded memory:
//! - a body is never larger than `MAX_BODY_LEN`;
//! - a status is a three-digit code;
//! - the outcome does not depend on how the bytes are split into reads,
//!   except for whether the pool kept the connection, which depends on whether bytes after the response
//!   were read along with it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ovok::fuzzing::read_http_response;
use ovok::response::MAX_BODY_LEN;

fuzz_target!(|data: &[u8]| {
    let Some((&first, response)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first) + 1;
    let split = read_http_response(response, chunk);
    let whole = read_http_response(response, response.len().max(1));
    if let Ok((status, body, _)) = &split {
        assert!((100..=999).contains(status), "status {status}");
        assert!(body.len() <= MAX_BODY_LEN, "a {} byte body", body.len());
    }
    let outcome = |result: &Result<(u16, Vec<u8>, bool), String>| {
        result.as_ref().map(|(status, body, _)| (*status, body.clone())).map_err(Clone::clone)
    };
    assert_eq!(outcome(&split), outcome(&whole), "read {chunk} bytes at a time");
});
