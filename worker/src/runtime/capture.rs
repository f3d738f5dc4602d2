//! Output capture: a WASI output stream that keeps a bounded record of what
//! the guest wrote, with the instant each line started.
//!
//! The *cap* bounds the bytes kept. Up to the cap everything is kept; past it
//! the first half of the cap (the head) and the most recent half (the tail)
//! are kept, and the bytes in between are counted as omitted. The line index
//! is bounded too: each half indexes at most one line per 32 bytes of its
//! cap (65,536 lines for the default), and a line past that budget shares the
//! entry, and the timestamp, of the last line indexed before it. Memory stays
//! within a small multiple of the cap however much the guest writes.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

use crate::model::{LineStart, Output};

/// Bytes of cap per indexed line: lines shorter than this on average run
/// out of index before they run out of bytes.
const BYTES_PER_INDEXED_LINE: usize = 32;
/// The smallest index of each half, for small caps.
const MIN_INDEXED_LINES: usize = 64;

/// A capturing stream; clones share one record.
#[derive(Clone)]
pub struct Capture {
    state: Arc<Mutex<State>>,
}

struct State {
    head_cap: usize,
    tail_cap: usize,
    /// The most line starts each half indexes.
    lines_cap: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    /// Bytes written in all; also the offset of the next byte.
    total: u64,
    /// Line starts at original offsets, in the head and in the tail.
    head_lines: Vec<(u64, DateTime<Utc>)>,
    tail_lines: VecDeque<(u64, DateTime<Utc>)>,
    /// The start of the line that the oldest tail byte belongs to.
    tail_first_line: Option<(u64, DateTime<Utc>)>,
    at_line_start: bool,
}

impl Capture {
    pub fn new(cap: usize) -> Capture {
        let head_cap = cap / 2;
        Capture {
            state: Arc::new(Mutex::new(State {
                head_cap,
                tail_cap: cap - head_cap,
                lines_cap: (head_cap / BYTES_PER_INDEXED_LINE).max(MIN_INDEXED_LINES),
                head: Vec::new(),
                tail: VecDeque::new(),
                total: 0,
                head_lines: Vec::new(),
                tail_lines: VecDeque::new(),
                tail_first_line: None,
                at_line_start: true,
            })),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records bytes written by the guest.
    pub fn push(&self, bytes: &[u8]) {
        let now = Utc::now();
        let mut state = self.state();
        for chunk in bytes.split_inclusive(|b| *b == b'\n') {
            state.push_chunk(chunk, now);
        }
    }

    /// The record so far, as stored with the run.
    pub fn finish(&self) -> Output {
        self.state().to_output()
    }
}

impl State {
    /// Pushes bytes that contain at most one newline, at their end.
    fn push_chunk(&mut self, chunk: &[u8], now: DateTime<Utc>) {
        if chunk.is_empty() {
            return;
        }
        if self.at_line_start {
            if self.head.len() < self.head_cap {
                if self.head_lines.len() < self.lines_cap {
                    self.head_lines.push((self.total, now));
                }
            } else {
                self.tail_lines.push_back((self.total, now));
                // Past the budget the oldest tail line merges into the one
                // before it, as it would on leaving the tail.
                if self.tail_lines.len() > self.lines_cap {
                    self.tail_first_line = self.tail_lines.pop_front();
                }
            }
        }
        self.at_line_start = chunk.ends_with(b"\n");

        let to_head = chunk.len().min(self.head_cap - self.head.len());
        self.head.extend_from_slice(&chunk[..to_head]);
        self.tail.extend(&chunk[to_head..]);
        self.total += chunk.len() as u64;

        // Drop what no longer fits the tail, and the line starts with it,
        // remembering which line the tail now begins inside.
        let overflow = self.tail.len().saturating_sub(self.tail_cap);
        if overflow > 0 {
            self.tail.drain(..overflow);
            let tail_start = self.total - self.tail.len() as u64;
            while let Some(&(offset, at)) = self.tail_lines.front() {
                if offset >= tail_start {
                    break;
                }
                self.tail_first_line = Some((offset, at));
                self.tail_lines.pop_front();
            }
        }
    }

    fn to_output(&self) -> Output {
        let head_len = self.head.len() as u64;
        let tail_start = self.total - self.tail.len() as u64;
        let omitted = tail_start - head_len;

        let mut lines: Vec<LineStart> = self
            .head_lines
            .iter()
            .map(|&(offset, at)| LineStart { offset, at })
            .collect();
        // When the tail begins inside a line, that partial line starts at the
        // end of the head, stamped with the time its line began.
        let tail_begins_mid_line = self.tail_lines.front().is_none_or(|&(o, _)| o > tail_start);
        let partial_line_time = self.tail_first_line.or(self.head_lines.last().copied());
        if omitted > 0
            && tail_begins_mid_line
            && !self.tail.is_empty()
            && let Some((_, at)) = partial_line_time
        {
            lines.push(LineStart {
                offset: head_len,
                at,
            });
        }
        lines.extend(self.tail_lines.iter().map(|&(offset, at)| LineStart {
            offset: offset - omitted,
            at,
        }));

        let mut bytes = Vec::with_capacity(self.head.len() + self.tail.len());
        bytes.extend_from_slice(&self.head);
        bytes.extend(self.tail.iter());
        Output {
            bytes,
            lines,
            total_bytes: self.total,
            omitted_bytes: omitted,
            omitted_at: head_len,
        }
    }
}

impl IsTerminal for Capture {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Capture {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for Capture {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        // Always ready: bytes past the cap are counted, not kept.
        Ok(1 << 20)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for Capture {
    async fn ready(&mut self) {}
}

impl AsyncWrite for Capture {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
