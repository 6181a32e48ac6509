//! A panic inside the core surfaces as OVOK_STATUS_INTERNAL, and the process
//! carries on. Needs the test-only hook: `cargo test --features test-hooks`.
#![cfg(feature = "test-hooks")]

mod common;

use common::{login, login_raw, Builder};
use ovok::client::TEST_PANIC_EMAIL;
use ovok::OvokStatus;
use ovok_emulator::{Config, Emulator, DEMO_CLIENT_ID, DEMO_PASSWORD};

#[test]
fn a_panic_in_the_core_becomes_internal_and_the_library_keeps_working() {
    let emulator = Emulator::start("127.0.0.1:0", Config::default()).unwrap();
    let outcome = login_raw(
        Some(emulator.url()),
        Some(TEST_PANIC_EMAIL),
        Some(DEMO_PASSWORD),
        Some(DEMO_CLIENT_ID),
    );
    assert_eq!(
        (outcome.status, outcome.http_status),
        (OvokStatus::Internal, 0)
    );
    let message = outcome.error_message.unwrap();
    assert!(message.contains("internal error"), "{message}");
    assert!(!message.contains(DEMO_PASSWORD));
    assert_eq!(outcome.access_token, None);

    assert_eq!(login(emulator.url(), DEMO_PASSWORD).status, OvokStatus::Ok);
    let client = Builder::new().build().unwrap();
    assert_eq!(
        client.login(emulator.url(), DEMO_PASSWORD).status,
        OvokStatus::Ok
    );
}
