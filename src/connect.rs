//! TCP connect with staggered attempts, as RFC 8305 ("Happy Eyeballs v2")
//! asks, so that a dead route to one address (mobile networks drop IPv6
//! without a word) does not use up the connect timeout.
//!
//! - The addresses are interleaved by family, IPv6 first (section 4), each
//!   family in the resolver's order.
//! - The next attempt starts [`CONNECTION_ATTEMPT_DELAY`] after the last
//!   one started (section 5's recommended 250 ms), or at once when every
//!   running attempt has failed.
//! - The first connection wins. Every other attempt keeps running until it
//!   ends or the deadline passes, and what it connects is closed at once.
//! - Everything ends by the deadline: past it, the result is `TimedOut`.
//!
//! Each attempt of a race runs on a thread of its own, blocked in
//! `connect` with the time left as its timeout, and reports to the caller
//! over a channel, so that the caller waits on all of them at once: std has
//! no `poll`, and a few short-lived threads cost less than a dependency that
//! every app would ship. A single address (a loopback server, most IP
//! literals) needs no race and is connected on the calling thread, without
//! a thread. At most [`MAX_ATTEMPTS`] addresses are tried.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// RFC 8305, section 5: the recommended Connection Attempt Delay.
pub(crate) const CONNECTION_ATTEMPT_DELAY: Duration = Duration::from_millis(250);
/// Addresses tried at most, and so threads per connect at most.
pub(crate) const MAX_ATTEMPTS: usize = 16;

/// A new TCP connection to the first of `addresses` that answers, with
/// Nagle off (one write per request). `TimedOut` once `deadline` passes;
/// otherwise the last attempt's error when all of them fail.
pub(crate) fn connect(addresses: &[SocketAddr], deadline: Instant) -> io::Result<TcpStream> {
    race(
        addresses,
        deadline,
        CONNECTION_ATTEMPT_DELAY,
        tcp_attempt,
        &mut |_| {},
    )
}

/// One attempt: `connect` with the time left as its timeout.
fn tcp_attempt(address: SocketAddr, time_left: Duration) -> io::Result<TcpStream> {
    let tcp = TcpStream::connect_timeout(&address, time_left)?;
    tcp.set_nodelay(true)?;
    Ok(tcp)
}

/// What a race did, in order; for tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    Started(SocketAddr),
    Failed(SocketAddr),
    Connected(SocketAddr),
}

/// `addresses` reordered for connecting: IPv6 and IPv4 alternating, IPv6
/// first, each family in its own order; at most [`MAX_ATTEMPTS`].
pub(crate) fn interleave(addresses: &[SocketAddr]) -> Vec<SocketAddr> {
    let (mut v6, mut v4) = (
        addresses.iter().filter(|a| a.is_ipv6()).peekable(),
        addresses.iter().filter(|a| a.is_ipv4()).peekable(),
    );
    let mut ordered = Vec::with_capacity(addresses.len().min(MAX_ATTEMPTS));
    while ordered.len() < MAX_ATTEMPTS && (v6.peek().is_some() || v4.peek().is_some()) {
        ordered.extend(v6.next());
        if ordered.len() < MAX_ATTEMPTS {
            ordered.extend(v4.next());
        }
    }
    ordered
}

/// The staggered race of [`connect`], with the attempt, the delay and an
/// observer given: tests drive it with attempts that block or fail on cue.
pub(crate) fn race<T, A>(
    addresses: &[SocketAddr],
    deadline: Instant,
    attempt_delay: Duration,
    attempt: A,
    on_event: &mut dyn FnMut(Event),
) -> io::Result<T>
where
    T: Send + 'static,
    A: Fn(SocketAddr, Duration) -> io::Result<T> + Send + Sync + 'static,
{
    let order = interleave(addresses);
    if let [only] = order[..] {
        // Nothing to race: no thread.
        on_event(Event::Started(only));
        let result = time_left(deadline).and_then(|left| attempt(only, left));
        on_event(match &result {
            Ok(_) => Event::Connected(only),
            Err(_) => Event::Failed(only),
        });
        return result;
    }

    let attempt = Arc::new(attempt);
    let (done, results) = mpsc::channel::<(SocketAddr, io::Result<T>)>();
    let mut pending = order.into_iter();
    let mut running = 0usize;
    let mut last_error = None;
    let mut next_start = Instant::now();
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Err(timed_out());
        }
        if running == 0 || now >= next_start {
            if let Some(address) = pending.next() {
                on_event(Event::Started(address));
                let attempt = Arc::clone(&attempt);
                let done = done.clone();
                let spawned = thread::Builder::new()
                    .name("ovok-connect".into())
                    .spawn(move || {
                        let result = time_left(deadline).and_then(|left| attempt(address, left));
                        // After the race is decided nobody listens: a late
                        // connection is dropped here, which closes it.
                        let _ = done.send((address, result));
                    });
                match spawned {
                    Ok(_) => running += 1,
                    Err(error) => {
                        on_event(Event::Failed(address));
                        last_error = Some(error);
                        continue;
                    }
                }
                next_start = now + attempt_delay;
                continue;
            }
            if running == 0 {
                return Err(
                    last_error.unwrap_or_else(|| io::Error::from(io::ErrorKind::AddrNotAvailable))
                );
            }
        }
        let wake_at = match pending.len() {
            0 => deadline,
            _ => next_start.min(deadline),
        };
        match results.recv_timeout(wake_at.saturating_duration_since(now)) {
            Ok((address, Ok(stream))) => {
                on_event(Event::Connected(address));
                return Ok(stream);
            }
            Ok((address, Err(error))) => {
                on_event(Event::Failed(address));
                running -= 1;
                last_error = Some(error);
                if running == 0 {
                    // Nothing left in flight: the next address now.
                    next_start = Instant::now();
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // Not reached: this function holds a sender.
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err(timed_out()),
        }
    }
}

fn time_left(deadline: Instant) -> io::Result<Duration> {
    match deadline.saturating_duration_since(Instant::now()) {
        left if left.is_zero() => Err(timed_out()),
        left => Ok(left),
    }
}

fn timed_out() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "no address accepted a connection in time",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    #[test]
    fn families_alternate_ipv6_first_each_in_its_order() {
        let given = [
            addr("10.0.0.1:1"),
            addr("10.0.0.2:1"),
            addr("10.0.0.3:1"),
            addr("[2001:db8::1]:1"),
            addr("[2001:db8::2]:1"),
        ];
        assert_eq!(
            interleave(&given),
            [given[3], given[0], given[4], given[1], given[2]]
        );
        assert_eq!(interleave(&given[..2]), given[..2]);
        assert!(interleave(&[]).is_empty());
        let many: Vec<SocketAddr> = (0..40).map(|n| addr(&format!("10.0.0.{n}:1"))).collect();
        assert_eq!(interleave(&many), many[..MAX_ATTEMPTS]);
    }

    /// Something an attempt "connected", that reports when it is dropped.
    struct Connection(SocketAddr, Arc<Mutex<Vec<SocketAddr>>>);

    impl Drop for Connection {
        fn drop(&mut self) {
            self.1.lock().unwrap().push(self.0);
        }
    }

    #[test]
    fn a_hanging_first_attempt_does_not_hold_up_the_second() {
        let (hang, blocked) = (addr("[2001:db8::dead]:443"), addr("203.0.113.1:443"));
        let (release, released) = mpsc::channel::<()>();
        let released = Mutex::new(released);
        let dropped = Arc::new(Mutex::new(Vec::new()));
        let dropped_by_attempt = Arc::clone(&dropped);
        let mut events = Vec::new();
        let winner = race(
            &[blocked, hang],
            far(),
            Duration::from_millis(10),
            move |address, _| {
                if address == hang {
                    // A dead route: nothing until the test says so.
                    let _ = released.lock().unwrap().recv();
                }
                Ok(Connection(address, Arc::clone(&dropped_by_attempt)))
            },
            &mut |event| events.push(event),
        )
        .unwrap();
        assert_eq!(winner.0, blocked);
        assert_eq!(
            events,
            [
                Event::Started(hang),
                Event::Started(blocked),
                Event::Connected(blocked)
            ],
            "the second attempt started while the first was still running"
        );
        // The loser connects after all: its connection is closed, not kept.
        release.send(()).unwrap();
        while !dropped.lock().unwrap().contains(&hang) {
            thread::yield_now();
        }
        assert!(
            !dropped.lock().unwrap().contains(&blocked),
            "the winner is open"
        );
    }

    #[test]
    fn a_failure_starts_the_next_attempt_at_once() {
        let addresses = [addr("[::1]:1"), addr("127.0.0.1:1"), addr("[::1]:2")];
        let mut events = Vec::new();
        // The delay is longer than the deadline: only failures can start
        // the later attempts in time.
        let result = race(
            &addresses,
            far(),
            Duration::from_secs(3600),
            |address, _| match address.port() {
                2 => Ok(address),
                _ => Err(io::Error::from(io::ErrorKind::ConnectionRefused)),
            },
            &mut |event| events.push(event),
        );
        assert_eq!(result.unwrap(), addresses[2]);
        assert_eq!(
            events,
            [
                Event::Started(addresses[0]),
                Event::Failed(addresses[0]),
                Event::Started(addresses[1]),
                Event::Failed(addresses[1]),
                Event::Started(addresses[2]),
                Event::Connected(addresses[2]),
            ]
        );
    }

    #[test]
    fn when_all_fail_the_last_error_is_returned() {
        let addresses = [addr("[::1]:1"), addr("127.0.0.1:1")];
        let failures = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&failures);
        let error = race(
            &addresses,
            far(),
            Duration::from_secs(3600),
            move |_, _| -> io::Result<()> {
                counted.fetch_add(1, Ordering::SeqCst);
                Err(io::Error::from(io::ErrorKind::ConnectionRefused))
            },
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
        assert_eq!(failures.load(Ordering::SeqCst), 2);
        let none = race(
            &[],
            far(),
            CONNECTION_ATTEMPT_DELAY,
            |a, _| Ok(a),
            &mut |_| {},
        );
        assert_eq!(none.unwrap_err().kind(), io::ErrorKind::AddrNotAvailable);
    }

    #[test]
    fn nothing_outlives_the_deadline() {
        let (hold, held) = mpsc::channel::<()>();
        let held = Mutex::new(held);
        let addresses = [addr("[2001:db8::1]:1"), addr("203.0.113.1:1")];
        let mut events = Vec::new();
        let error = race(
            &addresses,
            Instant::now() + Duration::from_millis(50),
            Duration::from_millis(1),
            move |address, _| {
                let _ = held.lock().unwrap().recv();
                Ok(address)
            },
            &mut |event| events.push(event),
        )
        .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert!(
            events.iter().all(|e| matches!(e, Event::Started(_))),
            "{events:?}"
        );
        drop(hold);
    }

    #[test]
    fn a_single_address_is_connected_on_the_calling_thread() {
        let caller = thread::current().id();
        let on = race(
            &[addr("127.0.0.1:1")],
            far(),
            CONNECTION_ATTEMPT_DELAY,
            |_, _| Ok(thread::current().id()),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(on, caller);
        let past = race(
            &[addr("127.0.0.1:1")],
            Instant::now() - Duration::from_millis(1),
            CONNECTION_ATTEMPT_DELAY,
            |a, _| Ok(a),
            &mut |_| {},
        );
        assert_eq!(past.unwrap_err().kind(), io::ErrorKind::TimedOut);
    }

    /// A listener on `[::1]` whose accept queue is full: the kernel drops
    /// further SYNs, so a connect to it hangs as over a dead route. Only
    /// loopback sees the traffic.
    fn blackhole() -> (socket2::Socket, TcpStream, SocketAddr) {
        use socket2::{Domain, Socket, Type};
        let listener = Socket::new(Domain::IPV6, Type::STREAM, None).unwrap();
        listener.bind(&addr("[::1]:0").into()).unwrap();
        listener.listen(0).unwrap();
        let address = listener.local_addr().unwrap().as_socket().unwrap();
        // Backlog 0 holds one connection; it is never accepted.
        let filler = TcpStream::connect(address).unwrap();
        (listener, filler, address)
    }

    #[test]
    fn a_blackholed_ipv6_address_does_not_use_up_the_deadline_before_ipv4() {
        let (_listener, _filler, dead) = blackhole();
        let alive = TcpListener::bind("127.0.0.1:0").unwrap();
        let alive_address = alive.local_addr().unwrap();
        let mut events = Vec::new();
        // Sequential attempts would block on `dead` until the deadline.
        let tcp = race(
            &[alive_address, dead],
            far(),
            Duration::from_millis(20),
            tcp_attempt,
            &mut |event| events.push(event),
        )
        .unwrap();
        assert_eq!(tcp.peer_addr().unwrap(), alive_address);
        assert!(tcp.nodelay().unwrap());
        assert_eq!(
            events,
            [
                Event::Started(dead),
                Event::Started(alive_address),
                Event::Connected(alive_address)
            ]
        );
        assert!(alive.accept().is_ok());
    }

    #[test]
    fn connect_reaches_a_listener_and_reports_a_refusal() {
        let alive = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = alive.local_addr().unwrap();
        assert_eq!(
            connect(&[address], far()).unwrap().peer_addr().unwrap(),
            address
        );
        drop(alive);
        let error = connect(&[address], far()).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
    }
}
