//! Many threads logging in at once through the C ABI: every call succeeds,
//! and the connection pool is shared, so the emulator sees about one
//! connection per thread rather than one per login.
//!
//! Two phases, each against its own emulator: 16 threads x 500 logins
//! through one configured client (`ovok_client_login`), and 16 x 500
//! through `ovok_login` (the shared default client). A pool that did not
//! work would show up as up to 8000 connections per phase.

mod common;

use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use common::hostile::short_timeout_client;
use common::{login, Outcome};
use ovok::OvokStatus;
use ovok_emulator::{Config, Emulator, DEMO_PASSWORD, DEMO_PROFILE_DISPLAY};

const THREADS: usize = 16;
const LOGINS_PER_THREAD: usize = 500;
/// Each thread holds at most one connection at a time, so the pool needs
/// 16; the slack allows for a connection the pool dropped while it was over
/// its idle limit for a moment, or a server-side close racing a reuse.
const MAX_CONNECTIONS: u64 = 2 * THREADS as u64 + 8;

/// Runs `login` from `THREADS` threads, `LOGINS_PER_THREAD` times each, all
/// starting together; returns the failures (at most a few, with their index)
/// and how many calls succeeded.
fn hammer(login: impl Fn() -> Outcome + Sync) -> (usize, Vec<String>) {
    let barrier = Barrier::new(THREADS);
    let results: Vec<(usize, Vec<String>)> = thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|thread_index| {
                let (barrier, login) = (&barrier, &login);
                scope.spawn(move || {
                    barrier.wait();
                    let mut succeeded = 0;
                    let mut failures = Vec::new();
                    for call in 0..LOGINS_PER_THREAD {
                        let outcome = login();
                        let ok = outcome.status == OvokStatus::Ok
                            && outcome
                                .access_token
                                .as_deref()
                                .is_some_and(|t| !t.is_empty())
                            && outcome.profile_display.as_deref() == Some(DEMO_PROFILE_DISPLAY);
                        if ok {
                            succeeded += 1;
                        } else if failures.len() < 3 {
                            failures.push(format!(
                                "thread {thread_index} call {call}: {:?} {} {:?}",
                                outcome.status, outcome.http_status, outcome.error_message
                            ));
                        }
                    }
                    (succeeded, failures)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let succeeded = results.iter().map(|(n, _)| n).sum();
    let failures = results.into_iter().flat_map(|(_, f)| f).collect();
    (succeeded, failures)
}

fn check(what: &str, emulator: &Emulator, succeeded: usize, failures: &[String], took: Duration) {
    let total = THREADS * LOGINS_PER_THREAD;
    eprintln!(
        "{what}: {succeeded}/{total} logins in {took:?}, {} connections, {} requests",
        emulator.connections_accepted(),
        emulator.requests_served()
    );
    assert!(
        failures.is_empty() && succeeded == total,
        "{what}: {succeeded} of {total} succeeded; first failures:\n{}",
        failures.join("\n")
    );
    assert_eq!(emulator.requests_served(), total as u64, "{what}");
    let connections = emulator.connections_accepted();
    assert!(
        (1..=MAX_CONNECTIONS).contains(&connections),
        "{what}: {connections} connections for {total} logins from {THREADS} threads; \
         expected at most {MAX_CONNECTIONS} (the pool is not reused)"
    );
}

#[test]
fn sixteen_threads_share_one_configured_client() {
    let emulator = Emulator::start("127.0.0.1:0", Config::default()).unwrap();
    // Direct (ignoring any proxy in the environment), with timeouts far
    // above what a loaded debug build needs, but below the 30 s default.
    let client = short_timeout_client(5_000, 15_000);
    let url = emulator.url().to_string();
    let started = Instant::now();
    let (succeeded, failures) = hammer(|| client.login(&url, DEMO_PASSWORD));
    check(
        "ovok_client_login",
        &emulator,
        succeeded,
        &failures,
        started.elapsed(),
    );
}

/// `ovok_login` uses the shared default client, which honours proxy
/// variables: run this without `HTTPS_PROXY` & co. set (or with `NO_PROXY`
/// covering 127.0.0.1).
#[test]
fn sixteen_threads_share_the_default_client_of_ovok_login() {
    let emulator = Emulator::start("127.0.0.1:0", Config::default()).unwrap();
    let url = emulator.url().to_string();
    let started = Instant::now();
    let (succeeded, failures) = hammer(|| login(&url, DEMO_PASSWORD));
    check(
        "ovok_login",
        &emulator,
        succeeded,
        &failures,
        started.elapsed(),
    );
}
