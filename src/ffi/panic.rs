//! The panic boundary: no Rust panic ever unwinds into C.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `body`, turning a panic into the value `on_panic` builds.
///
/// Every exported function goes through this, so a bug in the library
/// surfaces as `OVOK_STATUS_INTERNAL` instead of aborting the host app.
pub(crate) fn guard<T>(on_panic: impl FnOnce() -> T, body: impl FnOnce() -> T) -> T {
    // Unwind safety: a panic abandons only locals of `body`; no shared state
    // is left half-updated (the pool behind the shared agent guards itself).
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            // Dropping a payload can itself panic. Drop it inside a second
            // boundary, and leak it only in that case.
            let mut payload = Some(payload);
            if catch_unwind(AssertUnwindSafe(|| drop(payload.take()))).is_err() {
                std::mem::forget(payload);
            }
            on_panic()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::guard;

    #[test]
    fn a_panic_becomes_the_fallback_value() {
        let value = guard(|| "fallback", || panic!("inside the core"));
        assert_eq!(value, "fallback");
    }

    #[test]
    fn a_payload_whose_drop_panics_is_contained() {
        struct PanicsOnDrop;
        impl Drop for PanicsOnDrop {
            fn drop(&mut self) {
                panic!("drop of the payload");
            }
        }
        let value = guard(|| "fallback", || std::panic::panic_any(PanicsOnDrop));
        assert_eq!(value, "fallback");
    }

    #[test]
    fn a_normal_return_passes_through() {
        assert_eq!(guard(|| 0, || 42), 42);
    }
}
