//! HTTP/1.1 on one connection: the request goes out in one write, and the
//! response is read with httparse into buffers that are wiped when freed.
//!
//! Only what a login needs: one POST with a JSON body, a response framed by
//! Content-Length, chunked encoding or the end of the connection, interim
//! 1xx responses skipped, and nothing followed (no redirects, no retries).

use std::io;
use std::time::Instant;

use zeroize::Zeroizing;

use crate::base_url::Origin;
use crate::response::MAX_BODY_LEN;
use crate::transport::{Failure, Stream};

/// What `exchange` talks through: a [`Stream`], or bytes in memory in tests
/// and fuzzing.
pub(crate) trait Wire {
    /// Reads into `buffer`; `Ok(0)` at the end of the stream.
    fn read_before(&mut self, buffer: &mut [u8], deadline: Instant) -> Result<usize, Failure>;
    /// Writes and flushes all of `bytes`.
    fn write_before(&mut self, bytes: &[u8], deadline: Instant) -> Result<(), Failure>;
}

impl Wire for Stream {
    fn read_before(&mut self, buffer: &mut [u8], deadline: Instant) -> Result<usize, Failure> {
        Stream::read_before(self, buffer, deadline)
    }

    fn write_before(&mut self, bytes: &[u8], deadline: Instant) -> Result<(), Failure> {
        Stream::write_before(self, bytes, deadline)
    }
}

/// The response head (status line and headers) must fit in this.
pub(crate) const MAX_HEAD_LEN: usize = 64 * 1024;
/// Header fields read at most.
const MAX_HEADERS: usize = 64;
/// Bytes asked of the connection per read. A login response (two JWTs and
/// the headers) is about 1.2 KB; larger ones grow the buffer.
const READ_SIZE: usize = 4 * 1024;
/// A chunk-size line or the trailer section must fit in this.
const MAX_CHUNK_LINE: usize = 1024;

/// A POST with a JSON body.
pub(crate) struct Request<'a> {
    pub origin: &'a Origin,
    pub path: &'a str,
    pub user_agent: &'a str,
    /// A bearer token for `Authorization`, when the route needs one.
    pub bearer: Option<&'a str>,
    pub body: &'a [u8],
}

impl Request<'_> {
    /// The request as it goes on the wire, in a buffer wiped on drop (the
    /// body holds the password).
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        // Pieces rather than format!: this runs on every call.
        let length = self.body.len().to_string();
        let (authorization, bearer): (&[u8], &[u8]) = match self.bearer {
            Some(token) => (b"Authorization: Bearer ", token.as_bytes()),
            None => (b"", b""),
        };
        let crlf: &[u8] = if self.bearer.is_some() { b"\r\n" } else { b"" };
        let pieces: [&[u8]; 14] = [
            b"POST ",
            self.path.as_bytes(),
            b" HTTP/1.1\r\nHost: ",
            self.origin.authority.as_bytes(),
            b"\r\nUser-Agent: ",
            self.user_agent.as_bytes(),
            b"\r\nAccept: application/json\r\nContent-Type: application/json\r\n",
            authorization,
            bearer,
            crlf,
            b"Content-Length: ",
            length.as_bytes(),
            b"\r\n\r\n",
            self.body,
        ];
        let size = pieces.iter().map(|piece| piece.len()).sum();
        let mut bytes = Zeroizing::new(Vec::with_capacity(size));
        for piece in pieces {
            bytes.extend_from_slice(piece);
        }
        bytes
    }
}

/// A final response. Header values are kept only when they are visible
/// ASCII; messages built from them are sanitized by the caller.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub retry_after: Option<String>,
    /// The body, or why it could not be read in full.
    pub body: Result<Zeroizing<Vec<u8>>, Failure>,
    /// Whether the connection may carry another request.
    pub reusable: bool,
}

/// Sends `request` (already encoded) and reads the response to its end.
/// `Err` when no response head arrived; a body that fails is `body: Err`.
pub(crate) fn exchange(
    stream: &mut impl Wire,
    request: &[u8],
    deadline: Instant,
) -> Result<Response, Failure> {
    stream
        .write_before(request, deadline)
        .map_err(before_response)?;

    let mut received = Received::new();
    let head = loop {
        let head = match received.head(stream, deadline) {
            Ok(head) => head,
            Err(failure) if !received.any => return Err(before_response(failure)),
            Err(failure) => return Err(failure),
        };
        // 1xx responses are interim (100 Continue, 103 Early Hints).
        if !(100..200).contains(&head.status) || head.status == 101 {
            break head;
        }
    };
    let body = match head.framing {
        Framing::Empty => Ok(Zeroizing::new(Vec::new())),
        Framing::Length(length) if length > MAX_BODY_LEN as u64 => Err(Failure::BodyTooLarge),
        Framing::Length(length) => received.body_of_length(stream, length as usize, deadline),
        Framing::Chunked => received.chunked_body(stream, deadline),
        Framing::UntilClose => received.body_until_close(stream, deadline),
    };
    // `keep_alive` is already false for a body that ends with the
    // connection. Bytes after the response belong to nothing we sent.
    let reusable = head.keep_alive && body.is_ok() && received.pending().is_empty();
    Ok(Response {
        status: head.status,
        content_type: head.content_type,
        location: head.location,
        retry_after: head.retry_after,
        body,
        reusable,
    })
}

/// A connection that broke before any response byte is `NoResponse`.
fn before_response(failure: Failure) -> Failure {
    match failure {
        Failure::Io(error)
            if matches!(
                error.kind(),
                io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
            ) =>
        {
            Failure::NoResponse(error)
        }
        other => other,
    }
}

/// How the body's end is found (RFC 9112, section 6.3).
#[derive(Debug, PartialEq, Eq)]
enum Framing {
    Empty,
    Length(u64),
    Chunked,
    UntilClose,
}

#[derive(Debug)]
struct Head {
    status: u16,
    content_type: Option<String>,
    location: Option<String>,
    retry_after: Option<String>,
    framing: Framing,
    keep_alive: bool,
}

/// Bytes read from the connection and not used yet. Grows only by copying
/// into a new buffer, so every buffer that held response bytes is wiped.
struct Received {
    buffer: Zeroizing<Vec<u8>>,
    start: usize,
    /// Whether any byte arrived at all.
    any: bool,
}

impl Received {
    fn new() -> Received {
        Received {
            buffer: Zeroizing::new(Vec::with_capacity(READ_SIZE)),
            start: 0,
            any: false,
        }
    }

    fn pending(&self) -> &[u8] {
        &self.buffer[self.start..]
    }

    fn consume(&mut self, amount: usize) {
        self.start += amount;
        if self.start == self.buffer.len() {
            self.buffer.clear();
            self.start = 0;
        }
    }

    /// Reads more bytes; `Ok(0)` at the end of the stream.
    fn fill(&mut self, stream: &mut impl Wire, deadline: Instant) -> Result<usize, Failure> {
        if self.start > 0 {
            // Compacting moves bytes within the same allocation.
            self.buffer.copy_within(self.start.., 0);
            let kept = self.buffer.len() - self.start;
            self.buffer.truncate(kept);
            self.start = 0;
        }
        let read = read_into(stream, &mut self.buffer, READ_SIZE, deadline)?;
        self.any |= read > 0;
        Ok(read)
    }

    /// Reads more bytes, failing at the end of the stream.
    fn fill_or_fail(&mut self, stream: &mut impl Wire, deadline: Instant) -> Result<(), Failure> {
        match self.fill(stream, deadline)? {
            0 => Err(Failure::Io(io::ErrorKind::UnexpectedEof.into())),
            _ => Ok(()),
        }
    }

    fn head(&mut self, stream: &mut impl Wire, deadline: Instant) -> Result<Head, Failure> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(self.pending()) {
                Ok(httparse::Status::Complete(length)) => {
                    let head = read_head(&response)?;
                    self.consume(length);
                    return Ok(head);
                }
                Ok(httparse::Status::Partial) => {
                    if self.pending().len() > MAX_HEAD_LEN {
                        return Err(Failure::HeadTooLarge(MAX_HEAD_LEN));
                    }
                }
                Err(httparse::Error::TooManyHeaders) => {
                    return Err(Failure::Malformed(format!(
                        "more than {MAX_HEADERS} header fields"
                    )))
                }
                Err(error) => return Err(Failure::Malformed(error.to_string())),
            }
            self.fill_or_fail(stream, deadline)?;
        }
    }

    fn body_of_length(
        &mut self,
        stream: &mut impl Wire,
        length: usize,
        deadline: Instant,
    ) -> Result<Zeroizing<Vec<u8>>, Failure> {
        let mut body = Zeroizing::new(Vec::with_capacity(length));
        let take = length.min(self.pending().len());
        body.extend_from_slice(&self.pending()[..take]);
        self.consume(take);
        while body.len() < length {
            let room = length - body.len();
            if read_into(stream, &mut body, room, deadline)? == 0 {
                return Err(Failure::Io(io::ErrorKind::UnexpectedEof.into()));
            }
        }
        Ok(body)
    }

    fn body_until_close(
        &mut self,
        stream: &mut impl Wire,
        deadline: Instant,
    ) -> Result<Zeroizing<Vec<u8>>, Failure> {
        let mut body = Zeroizing::new(Vec::with_capacity(READ_SIZE.max(self.pending().len())));
        body.extend_from_slice(self.pending());
        self.consume(self.pending().len());
        loop {
            // One byte past the cap tells "too large" apart from "exactly 1 MiB".
            let room = (MAX_BODY_LEN + 1 - body.len().min(MAX_BODY_LEN)).min(READ_SIZE);
            if body.len() > MAX_BODY_LEN {
                return Err(Failure::BodyTooLarge);
            }
            if read_into(stream, &mut body, room, deadline)? == 0 {
                return Ok(body);
            }
        }
    }

    fn chunked_body(
        &mut self,
        stream: &mut impl Wire,
        deadline: Instant,
    ) -> Result<Zeroizing<Vec<u8>>, Failure> {
        let mut body = Zeroizing::new(Vec::with_capacity(READ_SIZE));
        loop {
            let size = loop {
                match httparse::parse_chunk_size(self.pending()) {
                    Ok(httparse::Status::Complete((length, size))) => {
                        self.consume(length);
                        break size;
                    }
                    Ok(httparse::Status::Partial) if self.pending().len() <= MAX_CHUNK_LINE => {
                        self.fill_or_fail(stream, deadline)?
                    }
                    _ => return Err(Failure::Malformed("invalid chunk size line".into())),
                }
            };
            if size == 0 {
                self.skip_trailers(stream, deadline)?;
                return Ok(body);
            }
            if size > (MAX_BODY_LEN - body.len()) as u64 {
                return Err(Failure::BodyTooLarge);
            }
            let mut left = size as usize;
            while left > 0 {
                if self.pending().is_empty() {
                    self.fill_or_fail(stream, deadline)?;
                }
                let take = left.min(self.pending().len());
                extend_wiped(&mut body, &self.pending()[..take]);
                self.consume(take);
                left -= take;
            }
            while self.pending().len() < 2 {
                self.fill_or_fail(stream, deadline)?;
            }
            if !self.pending().starts_with(b"\r\n") {
                return Err(Failure::Malformed(
                    "chunk data is not followed by CRLF".into(),
                ));
            }
            self.consume(2);
        }
    }

    /// Skips the trailer fields after the last chunk, up to the empty line.
    fn skip_trailers(&mut self, stream: &mut impl Wire, deadline: Instant) -> Result<(), Failure> {
        let mut skipped = 0;
        loop {
            match self.pending().windows(2).position(|w| w == b"\r\n") {
                Some(0) => {
                    self.consume(2);
                    return Ok(());
                }
                Some(end) => {
                    skipped += end + 2;
                    self.consume(end + 2);
                }
                None => self.fill_or_fail(stream, deadline)?,
            }
            if skipped > MAX_CHUNK_LINE {
                return Err(Failure::Malformed("the chunked trailer is too long".into()));
            }
        }
    }
}

/// Reads at most `most` bytes onto the end of `buffer`, first growing it
/// (by copying, see [`grow_wiped`]) when it is full. `Ok(0)` at the end of
/// the stream.
fn read_into(
    stream: &mut impl Wire,
    buffer: &mut Zeroizing<Vec<u8>>,
    most: usize,
    deadline: Instant,
) -> Result<usize, Failure> {
    if buffer.capacity() == buffer.len() {
        grow_wiped(buffer, buffer.len() + most.max(1));
    }
    let used = buffer.len();
    let end = buffer.capacity().min(used + most);
    // Within the capacity: no reallocation.
    buffer.resize(end, 0);
    let read = stream.read_before(&mut buffer[used..], deadline);
    buffer.truncate(used + *read.as_ref().unwrap_or(&0));
    read
}

/// Appends `bytes`, growing by copying so no unwiped copy is left behind.
fn extend_wiped(buffer: &mut Zeroizing<Vec<u8>>, bytes: &[u8]) {
    if buffer.capacity() - buffer.len() < bytes.len() {
        grow_wiped(buffer, buffer.len() + bytes.len());
    }
    buffer.extend_from_slice(bytes);
}

/// Moves `buffer` into a new allocation of at least `capacity` bytes (and
/// at least double the old one); the old allocation is wiped as it drops.
fn grow_wiped(buffer: &mut Zeroizing<Vec<u8>>, capacity: usize) {
    let capacity = capacity.max(buffer.capacity() * 2);
    let mut grown = Zeroizing::new(Vec::with_capacity(capacity));
    grown.extend_from_slice(buffer);
    *buffer = grown;
}

fn read_head(response: &httparse::Response<'_, '_>) -> Result<Head, Failure> {
    let status = response.code.unwrap_or(0);
    if status < 100 {
        // Three digits, but no status class (RFC 9110, section 15).
        return Err(Failure::Malformed(format!("status code {status:03}")));
    }
    let http_1_1 = response.version == Some(1);
    let mut content_length: Option<u64> = None;
    let mut chunked = false;
    let mut transfer_encoding = false;
    let mut close = false;
    let mut head = Head {
        status,
        content_type: None,
        location: None,
        retry_after: None,
        framing: Framing::UntilClose,
        keep_alive: false,
    };
    for header in response.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            let length = std::str::from_utf8(header.value)
                .ok()
                .map(str::trim)
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| Failure::Malformed("invalid content-length header".into()))?;
            if content_length.is_some_and(|seen| seen != length) {
                return Err(Failure::Malformed(
                    "conflicting content-length headers".into(),
                ));
            }
            content_length = Some(length);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            transfer_encoding = true;
            // Only the last coding decides whether the body is chunked.
            chunked = last_token(header.value).is_some_and(|t| t.eq_ignore_ascii_case("chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            close |= tokens(header.value).any(|t| t.eq_ignore_ascii_case("close"));
        } else if name.eq_ignore_ascii_case("content-type") {
            head.content_type = visible_ascii(header.value);
        } else if name.eq_ignore_ascii_case("location") {
            head.location = visible_ascii(header.value);
        } else if name.eq_ignore_ascii_case("retry-after") {
            head.retry_after = visible_ascii(header.value);
        }
    }
    head.framing = if status == 204 || status == 304 || (100..200).contains(&status) {
        Framing::Empty
    } else if transfer_encoding {
        // With both, Transfer-Encoding wins and the connection is closed after.
        close |= content_length.is_some();
        if chunked {
            Framing::Chunked
        } else {
            Framing::UntilClose
        }
    } else if let Some(length) = content_length {
        Framing::Length(length)
    } else {
        Framing::UntilClose
    };
    head.keep_alive = http_1_1 && !close && head.framing != Framing::UntilClose;
    Ok(head)
}

fn tokens(value: &[u8]) -> impl Iterator<Item = &str> {
    std::str::from_utf8(value)
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn last_token(value: &[u8]) -> Option<&str> {
    tokens(value).last()
}

fn visible_ascii(value: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(value).ok()?;
    text.bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
        .then(|| text.trim().to_string())
}

/// A response in memory, handed out `chunk` bytes per read.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) struct Canned<'a> {
    pub bytes: &'a [u8],
    pub chunk: usize,
}

#[cfg(any(test, feature = "fuzzing"))]
impl Wire for Canned<'_> {
    fn read_before(&mut self, buffer: &mut [u8], _: Instant) -> Result<usize, Failure> {
        let take = self.bytes.len().min(self.chunk.max(1)).min(buffer.len());
        buffer[..take].copy_from_slice(&self.bytes[..take]);
        self.bytes = &self.bytes[take..];
        Ok(take)
    }

    fn write_before(&mut self, _: &[u8], _: Instant) -> Result<(), Failure> {
        Ok(())
    }
}

/// Reads `response` as the answer to a request, `chunk` bytes per read:
/// the status, the body and whether the connection could be reused, or the
/// failure, as text. For tests and the `http_response` fuzz target.
#[cfg(any(test, feature = "fuzzing"))]
pub fn read_canned(response: &[u8], chunk: usize) -> Result<(u16, Vec<u8>, bool), String> {
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    let mut wire = Canned {
        bytes: response,
        chunk,
    };
    let answer = exchange(&mut wire, b"", deadline).map_err(|failure| format!("{failure:?}"))?;
    let body = answer.body.map_err(|failure| format!("{failure:?}"))?;
    Ok((answer.status, body.to_vec(), answer.reusable))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head_of(text: impl AsRef<[u8]>) -> Result<Head, Failure> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        let parsed = response.parse(text.as_ref()).unwrap();
        assert!(parsed.is_complete());
        read_head(&response)
    }

    #[test]
    fn the_request_is_one_buffer_with_the_documented_headers() {
        let origin = Origin {
            https: true,
            host: "api.ovok.com".into(),
            port: 443,
            authority: "api.ovok.com".into(),
        };
        let request = Request {
            origin: &origin,
            path: "/v2/auth/login",
            user_agent: "ovok/0.1.0",
            bearer: None,
            body: br#"{"password":"x"}"#,
        };
        assert_eq!(
            std::str::from_utf8(&request.encode()).unwrap(),
            "POST /v2/auth/login HTTP/1.1\r\nHost: api.ovok.com\r\nUser-Agent: ovok/0.1.0\r\n\
             Accept: application/json\r\nContent-Type: application/json\r\n\
             Content-Length: 16\r\n\r\n{\"password\":\"x\"}"
        );
        let logout = Request {
            path: "/auth/logout",
            bearer: Some("t0ken"),
            body: b"",
            ..request
        };
        assert_eq!(
            std::str::from_utf8(&logout.encode()).unwrap(),
            "POST /auth/logout HTTP/1.1\r\nHost: api.ovok.com\r\nUser-Agent: ovok/0.1.0\r\n\
             Accept: application/json\r\nContent-Type: application/json\r\n\
             Authorization: Bearer t0ken\r\nContent-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn framing_follows_rfc_9112() {
        let cases = [
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
                Framing::Length(5),
                true,
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
                Framing::Length(5),
                true,
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                Framing::Chunked,
                true,
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                Framing::Chunked,
                true,
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                Framing::Chunked,
                false,
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                Framing::UntilClose,
                false,
            ),
            ("HTTP/1.1 200 OK\r\n\r\n", Framing::UntilClose, false),
            (
                "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
                Framing::Empty,
                true,
            ),
            (
                "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n",
                Framing::Length(5),
                false,
            ),
            (
                "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 5\r\n\r\n",
                Framing::Length(5),
                false,
            ),
        ];
        for (text, framing, keep_alive) in cases {
            let head = head_of(text).unwrap();
            assert_eq!(
                (head.framing, head.keep_alive),
                (framing, keep_alive),
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_status_below_100_is_malformed() {
        match head_of("HTTP/1.1 051 Odd\r\nContent-Length: 0\r\n\r\n") {
            Err(Failure::Malformed(said)) => assert_eq!(said, "status code 051"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_content_lengths_are_malformed() {
        for (text, problem) in [
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
                "conflicting content-length headers",
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                "invalid content-length header",
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
                "invalid content-length header",
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
                "invalid content-length header",
            ),
        ] {
            match head_of(text) {
                Err(Failure::Malformed(said)) => assert_eq!(said, problem, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn header_values_are_kept_only_when_visible_ascii() {
        let head = head_of(
            b"HTTP/1.1 302 Found\r\nLocation: https://x.example/\r\nRetry-After: \xff\r\n\
              Content-Type: application/json\r\n\r\n",
        )
        .unwrap();
        assert_eq!(head.location.as_deref(), Some("https://x.example/"));
        assert_eq!(head.retry_after, None);
        assert_eq!(head.content_type.as_deref(), Some("application/json"));
    }

    #[test]
    fn growing_copies_into_a_larger_buffer() {
        let mut buffer = Zeroizing::new(Vec::with_capacity(4));
        buffer.extend_from_slice(b"abcd");
        extend_wiped(&mut buffer, b"efgh");
        assert_eq!(&buffer[..], b"abcdefgh");
        assert!(buffer.capacity() >= 8);
    }

    #[test]
    fn any_split_of_the_response_reads_the_same() {
        let responses: [&[u8]; 7] = [
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
              3;ext=1\r\nhel\r\n2\r\nlo\r\n0\r\nX-Trailer: 1\r\n\r\n",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            b"HTTP/1.0 200 OK\r\n\r\nuntil the end",
            b"HTTP/1.1 204 No Content\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nexactly 9",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        ];
        let expected = [
            Ok((200, b"hello".to_vec(), true)),
            Ok((200, b"hello".to_vec(), true)),
            Ok((200, b"ok".to_vec(), true)),
            Ok((200, b"until the end".to_vec(), false)),
            Ok((204, Vec::new(), true)),
            Ok((200, b"exactly 9".to_vec(), true)),
            Err("Malformed(\"invalid chunk size line\")".to_string()),
        ];
        for (response, expected) in responses.iter().zip(expected) {
            for chunk in 1..=response.len() {
                assert_eq!(
                    read_canned(response, chunk),
                    expected,
                    "{:?} read {chunk} bytes at a time",
                    String::from_utf8_lossy(response)
                );
            }
        }
    }

    #[test]
    fn a_body_cut_short_or_no_response_at_all_is_a_failure() {
        let cut = read_canned(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", 64);
        assert!(cut.unwrap_err().contains("UnexpectedEof"));
        let nothing = read_canned(b"", 64).unwrap_err();
        assert!(nothing.starts_with("NoResponse"), "{nothing}");
        let partial_head = read_canned(b"HTTP/1.1 200 OK\r\n", 64).unwrap_err();
        assert!(partial_head.starts_with("Io"), "{partial_head}");
    }
}
