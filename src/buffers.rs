//! The buffers ureq reads responses into and writes requests from, for
//! every connection ovok makes. ureq's own `LazyBuffers` are not wiped;
//! these are: a request holds a password or a token, a response holds
//! tokens, and neither may stay behind in freed memory.
//!
//! - The request bytes are zeroed as soon as they are sent.
//! - The response bytes are zeroed as soon as ureq has consumed all of them
//!   (so an idle pooled connection holds no tokens), and when the buffer
//!   grows or is dropped.

use ureq::unversioned::transport::Buffers;
use zeroize::{Zeroize, Zeroizing};

/// Free space offered to each read. A login response (two JWTs and the
/// headers) is about 1.2 KB; bigger ones grow the buffer.
const READ_SIZE: usize = 4 * 1024;
/// The input never grows past this: a response head must fit in
/// `client::MAX_HEAD_LEN` (64 KiB, checked by ureq), and a chunk-size or
/// trailer line, which ureq-proto waits for whole, in what is left. A full
/// buffer offers no free space, and the connection reports that.
pub(crate) const MAX_INPUT: usize = 72 * 1024;

#[derive(Debug)]
pub(crate) struct WipedBuffers {
    input: Zeroizing<Vec<u8>>,
    /// `input[consumed..filled]` is what ureq has not used yet.
    consumed: usize,
    filled: usize,
    output: Zeroizing<Vec<u8>>,
    output_size: usize,
    /// Whether the last `input_consume` used any bytes (see `can_use_input`).
    progress: bool,
}

impl WipedBuffers {
    /// Buffers that allocate on first use; `output_size` bounds the request
    /// head (ureq writes it whole).
    pub(crate) fn new(output_size: usize) -> WipedBuffers {
        WipedBuffers {
            input: Zeroizing::new(Vec::new()),
            consumed: 0,
            filled: 0,
            output: Zeroizing::new(Vec::new()),
            output_size,
            progress: false,
        }
    }

    /// Zeroes the first `amount` bytes of the output: they are on the wire.
    pub(crate) fn wipe_output(&mut self, amount: usize) {
        let amount = amount.min(self.output.len());
        self.output[..amount].zeroize();
    }

    /// Makes room for at least [`READ_SIZE`] more bytes after `filled`.
    fn reserve_input(&mut self) {
        if self.input.len() - self.filled >= READ_SIZE || self.input.len() >= MAX_INPUT {
            return;
        }
        let pending = self.filled - self.consumed;
        if self.consumed > 0 && self.input.len() - pending >= READ_SIZE {
            // Moving within the allocation; the tail left behind is zeroed.
            self.input.copy_within(self.consumed..self.filled, 0);
            self.input[pending..self.filled].zeroize();
        } else {
            // A new allocation; the old one is wiped when it drops.
            let size = (pending + READ_SIZE)
                .max(2 * self.input.len())
                .min(MAX_INPUT);
            let mut grown = Zeroizing::new(vec![0u8; size]);
            grown[..pending].copy_from_slice(&self.input[self.consumed..self.filled]);
            self.input = grown;
        }
        self.consumed = 0;
        self.filled = pending;
    }

    /// The input is at [`MAX_INPUT`] with no free space left.
    pub(crate) fn input_is_full(&self) -> bool {
        self.input.len() >= MAX_INPUT && self.filled == self.input.len()
    }

    fn ensure_output(&mut self) {
        if self.output.len() < self.output_size {
            self.output = Zeroizing::new(vec![0u8; self.output_size]);
        }
    }
}

impl Buffers for WipedBuffers {
    fn output(&mut self) -> &mut [u8] {
        self.ensure_output();
        &mut self.output
    }

    fn input(&self) -> &[u8] {
        &self.input[self.consumed..self.filled]
    }

    fn input_append_buf(&mut self) -> &mut [u8] {
        self.reserve_input();
        &mut self.input[self.filled..]
    }

    fn input_appended(&mut self, amount: usize) {
        self.filled = (self.filled + amount).min(self.input.len());
    }

    fn input_consume(&mut self, amount: usize) {
        self.progress = amount > 0;
        self.consumed = (self.consumed + amount).min(self.filled);
        if self.consumed == self.filled && self.filled > 0 {
            // Everything read was used: nothing of it needs to stay.
            self.input[..self.filled].zeroize();
            self.consumed = 0;
            self.filled = 0;
        }
    }

    fn tmp_and_output(&mut self) -> (&mut [u8], &mut [u8]) {
        // `tmp` carries the request body on its way into `output`; it is the
        // free part of the input, zeroed with it.
        self.ensure_output();
        self.reserve_input();
        (&mut self.input[self.filled..], &mut self.output)
    }

    fn can_use_input(&self) -> bool {
        self.filled > self.consumed && self.progress
    }
}

impl WipedBuffers {
    /// Zeroes the free part of the input, where `tmp_and_output` put the
    /// request body.
    pub(crate) fn wipe_tmp(&mut self) {
        let filled = self.filled;
        self.input[filled..].zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumed_input_is_zeroed_and_unconsumed_input_kept_across_growth() {
        let mut buffers = WipedBuffers::new(64);
        let space = buffers.input_append_buf();
        assert!(space.len() >= READ_SIZE);
        space[..5].copy_from_slice(b"hello");
        buffers.input_appended(5);
        buffers.input_consume(2);
        assert_eq!(buffers.input(), b"llo");
        assert!(!buffers.can_use_input() || buffers.progress);

        // Fill the rest so that the next append must grow the buffer.
        let free = buffers.input_append_buf().len();
        buffers.input_append_buf().fill(b'x');
        buffers.input_appended(free);
        let before = buffers.input().len();
        let _ = buffers.input_append_buf();
        assert_eq!(buffers.input().len(), before);
        assert!(buffers.input().starts_with(b"llo"));

        let all = buffers.input().len();
        buffers.input_consume(all);
        assert!(buffers.input().is_empty());
        assert!(
            buffers.input.iter().all(|&b| b == 0),
            "consumed bytes are zeroed"
        );
    }

    #[test]
    fn the_input_stops_growing_at_its_limit() {
        let mut buffers = WipedBuffers::new(64);
        while !buffers.input_is_full() {
            let free = buffers.input_append_buf().len();
            assert!(free > 0);
            buffers.input_appended(free);
        }
        assert_eq!(buffers.input().len(), MAX_INPUT);
        assert!(buffers.input_append_buf().is_empty());
    }

    #[test]
    fn sent_output_and_the_body_scratch_space_are_zeroed() {
        let mut buffers = WipedBuffers::new(64);
        buffers.output()[..6].copy_from_slice(b"secret");
        buffers.wipe_output(6);
        assert!(buffers.output().iter().all(|&b| b == 0));
        let (tmp, _) = buffers.tmp_and_output();
        tmp[..6].copy_from_slice(b"secret");
        buffers.wipe_tmp();
        assert!(buffers.input.iter().all(|&b| b == 0));
    }
}
