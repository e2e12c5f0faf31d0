//! A connected client: its socket, query buffer, parser state, output
//! buffer and the per-connection settings (db, protocol, name, flags).
//!
//! Chapter: chapters/03-clients.md
//!
//! Invariants:
//! 1. `querybuf[qb_pos..]` holds the bytes received and not yet parsed; the
//!    parser's own state covers anything before `qb_pos` that belongs to a
//!    command still in progress.
//! 2. `out.pending()` is the number of reply bytes produced and not yet
//!    written to the socket; the writable event is registered only while it
//!    is non-zero and a direct write could not drain it.
//! 3. A client with `conn == None` (the AOF loader, a script caller) still
//!    gets replies appended to `out`: the reply path never assumes a socket.
//!
//! Not here: reading and writing the socket (`networking.rs`), running
//! commands (`dispatch.rs`).

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::io::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;

use crate::resp::{Protocol, RequestParser};

/// The transport under a client. `None` in `Client::conn` means a client
/// with no socket at all (invariant 3).
pub enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Conn {
    pub fn fd(&self) -> RawFd {
        match self {
            Conn::Tcp(s) => s.as_raw_fd(),
            Conn::Unix(s) => s.as_raw_fd(),
        }
    }
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Unix(s) => s.read(buf),
        }
    }
    pub fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write(buf),
            Conn::Unix(s) => s.write(buf),
        }
    }
}

// ANCHOR: output
/// Size of the fixed first buffer and of each later chunk. 16 KB is Redis's
/// PROTO_REPLY_CHUNK_BYTES: most replies fit in the first buffer, so the
/// common case is one write from one contiguous block.
pub const REPLY_CHUNK: usize = 16 * 1024;

/// Pending reply bytes: a first buffer plus a queue of chunks.
///
/// ```text
///   buf [#### sent ####|==== unsent ====]      (capacity 16 KB, reused)
///   chunks: [======== 16+ KB ========] -> [======] -> ...
///           written after buf, in order; each freed once written
/// ```
/// Replies are appended to the last non-full block; a reply is never split
/// by the buffer itself (a big one simply makes a big chunk).
#[derive(Default)]
pub struct OutputBuffer {
    buf: Vec<u8>,
    /// Bytes at the front of `buf` (or, when `buf` is drained, of the first
    /// chunk) already written to the socket.
    sent: usize,
    chunks: VecDeque<Vec<u8>>,
    /// Total unsent bytes across `buf` and `chunks` (invariant 2).
    pending: usize,
}

impl OutputBuffer {
    pub fn new() -> OutputBuffer {
        OutputBuffer {
            buf: Vec::with_capacity(REPLY_CHUNK),
            ..Default::default()
        }
    }

    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Chunks queued behind the first buffer (CLIENT LIST `oll`).
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// Bytes held in the first buffer (CLIENT LIST `obl`).
    pub fn buf_len(&self) -> usize {
        self.buf.len()
    }

    /// Memory held (CLIENT LIST `omem`): chunk capacities.
    pub fn memory(&self) -> usize {
        self.chunks.iter().map(|c| c.capacity()).sum()
    }

    /// Appends bytes produced by `f` to the tail of the buffer. `f` writes
    /// into a `Vec` and everything it appends counts as pending.
    pub fn append_with(&mut self, f: impl FnOnce(&mut Vec<u8>)) {
        let target = if self.chunks.is_empty() && self.buf.len() < REPLY_CHUNK {
            &mut self.buf
        } else {
            let need_new = self.chunks.back().is_none_or(|c| c.len() >= REPLY_CHUNK);
            if need_new {
                self.chunks.push_back(Vec::with_capacity(REPLY_CHUNK));
            }
            // The branch above guarantees a last chunk exists.
            match self.chunks.back_mut() {
                Some(c) => c,
                None => return,
            }
        };
        let before = target.len();
        f(target);
        self.pending += target.len() - before;
    }

    pub fn append(&mut self, bytes: &[u8]) {
        self.append_with(|v| v.extend_from_slice(bytes));
    }

    /// Writes as much as the socket takes, at most `budget` bytes (so one
    /// client with a huge reply cannot starve the others). Returns the bytes
    /// written; `WouldBlock` is not an error, just a short count.
    pub fn write_to(&mut self, conn: &mut Conn, budget: usize) -> io::Result<usize> {
        let mut written = 0;
        while self.pending > 0 && written < budget {
            let block: &[u8] = if !self.buf.is_empty() {
                &self.buf[self.sent..]
            } else {
                match self.chunks.front() {
                    Some(c) => &c[self.sent..],
                    None => break,
                }
            };
            match conn.write(block) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    written += n;
                    self.consume(n, block.len());
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(written)
    }

    /// Drops everything pending without writing it (a client that is
    /// closing, or CLIENT REPLY OFF bookkeeping).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.chunks.clear();
        self.sent = 0;
        self.pending = 0;
    }

    /// Takes all pending bytes out as one vector (fake clients: the AOF
    /// loader or a test reads what a command replied).
    pub fn take_all(&mut self) -> Vec<u8> {
        let mut all = Vec::with_capacity(self.pending);
        if !self.buf.is_empty() {
            all.extend_from_slice(&self.buf[self.sent..]);
            self.sent = 0;
        } else if let Some(c) = self.chunks.pop_front() {
            all.extend_from_slice(&c[self.sent..]);
            self.sent = 0;
        }
        for c in self.chunks.drain(..) {
            all.extend_from_slice(&c);
        }
        self.buf.clear();
        self.pending = 0;
        all
    }

    fn consume(&mut self, n: usize, block_len: usize) {
        self.pending -= n;
        if n < block_len {
            self.sent += n;
            return;
        }
        // The current block is fully written.
        self.sent = 0;
        if !self.buf.is_empty() {
            self.buf.clear(); // keep its capacity for the next replies
        } else {
            self.chunks.pop_front();
        }
    }
}
// ANCHOR_END: output

/// CLIENT REPLY state.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    SkipNext,
    /// Set while running the command after `CLIENT REPLY SKIP`.
    Skipping,
}

pub use crate::config::ClientClass;

pub mod flags {
    pub const MONITOR: u32 = 1 << 0; // receives MONITOR feed
    pub const CLOSE_AFTER_REPLY: u32 = 1 << 1; // QUIT, protocol error
    pub const CLOSE_ASAP: u32 = 1 << 2; // CLIENT KILL, output limit
    pub const NO_EVICT: u32 = 1 << 3; // CLIENT NO-EVICT on
    pub const UNIX_SOCKET: u32 = 1 << 4; // connected through unixsocket
    pub const PAUSED: u32 = 1 << 5; // has input held back by CLIENT PAUSE
    pub const PUBSUB: u32 = 1 << 6; // subscribed to something
    pub const MULTI: u32 = 1 << 7; // inside MULTI
    pub const BLOCKED: u32 = 1 << 8; // waiting in a blocking command
    pub const DIRTY_CAS: u32 = 1 << 9; // a WATCHed key changed: EXEC fails
    pub const DIRTY_EXEC: u32 = 1 << 10; // a command was refused while queuing
    pub const DENY_BLOCKING: u32 = 1 << 11; // inside EXEC: block = time out now
}

pub struct Client {
    pub id: u64,
    pub conn: Option<Conn>,
    pub fd: RawFd,
    pub addr: String,
    pub laddr: String,
    pub name: Option<Vec<u8>>,
    pub lib_name: Option<Vec<u8>>,
    pub lib_ver: Option<Vec<u8>>,
    pub db: usize,
    pub flags: u32,
    pub resp: Protocol,
    pub authenticated: bool,
    pub reply_mode: ReplyMode,
    pub querybuf: Vec<u8>,
    /// Start of the unparsed part of `querybuf` (invariant 1).
    pub qb_pos: usize,
    pub parser: RequestParser,
    /// A parsed command held back by CLIENT PAUSE, run when it ends.
    pub held_argv: Option<Vec<Vec<u8>>>,
    /// Set while blocked in BLPOP and friends (see `blocking.rs`).
    pub blocked: Option<super::blocking::Blocked>,
    pub out: OutputBuffer,
    /// Unix ms of connection and of the last command (CLIENT LIST age/idle).
    pub created_ms: u64,
    pub last_interaction_ms: u64,
    /// Unix ms when the output buffer first passed the soft limit, or 0.
    pub soft_limit_since_ms: u64,
    /// Full name of the last command ("client|list") for CLIENT LIST `cmd`.
    pub last_cmd: String,
    /// Total bytes read and written (CLIENT LIST `tot-net-in`/`-out`).
    pub net_in: u64,
    pub net_out: u64,
    pub commands_processed: u64,
    /// Commands queued since MULTI (`multi.rs`); Some iff flag MULTI.
    pub mstate: Option<Box<super::multi::MultiState>>,
    /// Keys this client WATCHes, as (db, key), in WATCH order.
    pub watched: Vec<(usize, crate::ds::sds::Sds)>,
    /// Channels and patterns this client is subscribed to (`pubsub.rs`).
    pub subs: super::pubsub::Subscriptions,
}

impl Client {
    pub fn new(id: u64, conn: Option<Conn>, addr: String, laddr: String, now_ms: u64) -> Client {
        let fd = conn.as_ref().map_or(-1, |c| c.fd());
        Client {
            id,
            conn,
            fd,
            addr,
            laddr,
            name: None,
            lib_name: None,
            lib_ver: None,
            db: 0,
            flags: 0,
            resp: Protocol::Resp2,
            authenticated: false,
            reply_mode: ReplyMode::On,
            querybuf: Vec::new(),
            qb_pos: 0,
            parser: RequestParser::new(),
            held_argv: None,
            blocked: None,
            out: OutputBuffer::new(),
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            soft_limit_since_ms: 0,
            last_cmd: "NULL".to_string(),
            net_in: 0,
            net_out: 0,
            commands_processed: 0,
            mstate: None,
            watched: Vec::new(),
            subs: Default::default(),
        }
    }

    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    pub fn class(&self) -> ClientClass {
        if self.has(flags::PUBSUB) {
            ClientClass::PubSub
        } else {
            ClientClass::Normal
        }
    }

    /// Are replies currently being suppressed by CLIENT REPLY?
    pub fn replies_muted(&self) -> bool {
        // CLIENT REPLY SKIP's own reply is muted too (SkipNext), as Redis.
        matches!(
            self.reply_mode,
            ReplyMode::Off | ReplyMode::SkipNext | ReplyMode::Skipping
        )
    }

    /// Drops the consumed prefix of the query buffer. Called once per read
    /// batch, not per command, so pipelined commands cost one memmove.
    pub fn compact_querybuf(&mut self) {
        if self.qb_pos == 0 {
            return;
        }
        if self.qb_pos >= self.querybuf.len() {
            self.querybuf.clear();
        } else {
            self.querybuf.drain(..self.qb_pos);
        }
        self.qb_pos = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_replies_go_to_the_first_buffer_and_large_ones_to_chunks() {
        let mut out = OutputBuffer::new();
        out.append(b"+OK\r\n");
        assert_eq!(out.pending(), 5);
        assert_eq!(out.chunk_count(), 0);
        out.append(&vec![b'x'; REPLY_CHUNK]);
        // The first buffer was not full when the big reply came, so the
        // reply went there whole; the next one starts a chunk.
        out.append(b":1\r\n");
        assert_eq!(out.chunk_count(), 1);
        assert_eq!(out.pending(), 5 + REPLY_CHUNK + 4);
        let all = out.take_all();
        assert_eq!(all.len(), 5 + REPLY_CHUNK + 4);
        assert!(all.ends_with(b":1\r\n"));
        assert_eq!(out.pending(), 0);
    }

    #[test]
    fn partial_writes_resume_where_they_stopped() {
        let (a, mut b) = UnixStream::pair().expect("socketpair");
        a.set_nonblocking(true).expect("nonblocking");
        let mut conn = Conn::Unix(a);
        let mut out = OutputBuffer::new();
        out.append(b"hello ");
        for _ in 0..3 {
            out.append(&vec![b'z'; REPLY_CHUNK]);
        }
        let total = out.pending();
        let mut got = Vec::new();
        let mut buf = vec![0u8; 4096];
        while out.pending() > 0 {
            // A budget of 1000 forces many partial writes.
            out.write_to(&mut conn, 1000).expect("write");
            let n = b.read(&mut buf).expect("read");
            got.extend_from_slice(&buf[..n]);
        }
        while got.len() < total {
            let n = b.read(&mut buf).expect("read");
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got.len(), total);
        assert!(got.starts_with(b"hello zzz"));
    }
}
