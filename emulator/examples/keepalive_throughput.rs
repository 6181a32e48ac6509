//! Quick throughput check of the emulator's HTTP layer: one keep-alive
//! connection on loopback, requests sent back to back.
//!
//! `cargo run --release -p ovok-emulator --example keepalive_throughput [REQUESTS]`

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use ovok_emulator::{Config, Emulator, DEMO_CLIENT_ID, DEMO_EMAIL, DEMO_PASSWORD};

fn main() {
    let requests: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("REQUESTS must be a number"))
        .unwrap_or(100_000);
    let emulator = Emulator::start("127.0.0.1:0", Config::default()).expect("start");
    let body = format!(
        r#"{{"email":"{DEMO_EMAIL}","password":"{DEMO_PASSWORD}","clientId":"{DEMO_CLIENT_ID}"}}"#
    );
    let login = format!(
        "POST /v2/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    // A 404 does no JSON parsing or JWT signing: mostly the HTTP layer.
    let not_found = "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n".to_owned();
    for (name, request) in [
        ("POST /v2/auth/login", login),
        ("GET /nope (404)", not_found),
    ] {
        let stream = TcpStream::connect(emulator.local_addr()).expect("connect");
        stream.set_nodelay(true).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        let mut line = String::new();
        let mut response_body = Vec::new();
        let started = Instant::now();
        for _ in 0..requests {
            writer.write_all(request.as_bytes()).unwrap();
            let mut length = 0;
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" {
                    break;
                }
                if let Some(value) = line.strip_prefix("Content-Length: ") {
                    length = value.trim().parse().unwrap();
                }
            }
            response_body.resize(length, 0);
            reader.read_exact(&mut response_body).unwrap();
        }
        let elapsed = started.elapsed();
        println!(
            "{name}: {requests} requests on one keep-alive connection in {:.3} s = {:.0} req/s ({:.1} µs each)",
            elapsed.as_secs_f64(),
            requests as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64() * 1e6 / requests as f64
        );
    }
    assert_eq!(emulator.connections_accepted(), 2);
}
