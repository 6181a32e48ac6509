//! The response path through ureq over an in-memory transport: for the
//! `http_response` fuzz target and for tests. Not an API.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};
use ureq::Agent;

use crate::buffers::WipedBuffers;
use crate::client::{agent_config, read_body};
use crate::transport::OUTPUT_BUFFER;

/// Reads `response` as the answer to a login, `chunk` bytes per read,
/// through the agent settings and body reader every `Client` uses: the
/// status, the body and whether ureq's pool kept the connection, or the
/// failure as text.
pub fn read_http_response(response: &[u8], chunk: usize) -> Result<(u16, Vec<u8>, bool), String> {
    let pooled = Arc::new(AtomicBool::new(false));
    let connector = CannedConnector {
        bytes: response.to_vec(),
        chunk: chunk.max(1),
        pooled: Arc::clone(&pooled),
    };
    let config = agent_config(
        Duration::from_secs(60),
        Duration::from_secs(60),
        "ovok-fuzz",
    );
    let agent = Agent::with_parts(config, connector, Loopback);
    let (head, mut body) = agent
        .post("http://127.0.0.1/v2/auth/login")
        .send(&b"{}"[..])
        .map_err(|error| format!("{error:?}"))?
        .into_parts();
    let status = head.status.as_u16();
    let read = read_body(&head.headers, &mut body).map_err(|error| format!("{error:?}"));
    drop(body);
    let body = read?;
    Ok((status, body.to_vec(), pooled.load(Ordering::SeqCst)))
}

#[derive(Debug)]
struct Loopback;

impl Resolver for Loopback {
    fn resolve(
        &self,
        _uri: &Uri,
        _config: &Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let mut resolved = self.empty();
        resolved.push(SocketAddr::from(([127, 0, 0, 1], 80)));
        Ok(resolved)
    }
}

#[derive(Debug)]
struct CannedConnector {
    bytes: Vec<u8>,
    chunk: usize,
    pooled: Arc<AtomicBool>,
}

impl Connector<()> for CannedConnector {
    type Out = Canned;

    fn connect(
        &self,
        _details: &ConnectionDetails<'_>,
        _chained: Option<()>,
    ) -> Result<Option<Canned>, ureq::Error> {
        Ok(Some(Canned {
            bytes: self.bytes.clone(),
            at: 0,
            chunk: self.chunk,
            buffers: WipedBuffers::new(OUTPUT_BUFFER),
            pooled: Arc::clone(&self.pooled),
        }))
    }
}

/// A connection whose server's bytes are `bytes`, `chunk` per read.
#[derive(Debug)]
struct Canned {
    bytes: Vec<u8>,
    at: usize,
    chunk: usize,
    buffers: WipedBuffers,
    pooled: Arc<AtomicBool>,
}

impl Transport for Canned {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(
        &mut self,
        _amount: usize,
        _timeout: NextTimeout,
    ) -> Result<(), ureq::Error> {
        Ok(())
    }

    fn await_input(&mut self, _timeout: NextTimeout) -> Result<bool, ureq::Error> {
        if self.buffers.input_is_full() {
            return Err(crate::transport::Failure::LineTooLong.into_ureq());
        }
        let input = self.buffers.input_append_buf();
        let amount = self.chunk.min(input.len()).min(self.bytes.len() - self.at);
        input[..amount].copy_from_slice(&self.bytes[self.at..self.at + amount]);
        self.buffers.input_appended(amount);
        self.at += amount;
        Ok(amount > 0)
    }

    /// What `transport::Connection::is_open` decides, for bytes in memory:
    /// open only if every byte the server sent has been used.
    fn is_open(&mut self) -> bool {
        let open = self.at == self.bytes.len();
        self.pooled.store(open, Ordering::SeqCst);
        open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";

    #[test]
    fn any_split_into_reads_gives_the_same_answer() {
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
        for response in [OK, &chunked[..]] {
            let whole = read_http_response(response, response.len()).unwrap();
            assert_eq!((whole.0, &whole.1[..], whole.2), (200, &b"{}"[..], true));
            for chunk in 1..response.len() {
                assert_eq!(
                    read_http_response(response, chunk).unwrap(),
                    whole,
                    "{chunk}"
                );
            }
        }
    }

    #[test]
    fn bytes_after_the_response_keep_the_connection_out_of_the_pool() {
        let mut two = OK.to_vec();
        two.extend_from_slice(OK);
        let (status, body, pooled) = read_http_response(&two, two.len()).unwrap();
        assert_eq!((status, &body[..]), (200, &b"{}"[..]));
        assert!(!pooled);
    }

    #[test]
    fn an_overlong_chunked_trailer_is_refused() {
        let mut response =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-Trailer: "
                .to_vec();
        response.extend(std::iter::repeat_n(b'a', 200 * 1024));
        let outcome = read_http_response(&response, 4096).unwrap_err();
        assert!(outcome.contains("LineTooLong"), "{outcome}");
    }
}
