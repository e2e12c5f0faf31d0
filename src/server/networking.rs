//! Client connections: accept, read and parse queries, flush replies,
//! enforce the buffer limits, close.
//!
//! Chapter: chapters/03-clients.md
//!
//! The flow of one request, as in Redis:
//!
//! ```text
//!  readable ──► read_from_client ──► querybuf ──► parser ──► dispatch::execute
//!                                                              │ reply bytes
//!                                                              ▼
//!  before_sleep ──► flush_pending_writes ──► write(2) ◄── client.out
//!                       │ socket full?
//!                       └──► register WRITABLE ──► write_to_client (later)
//! ```
//!
//! Replies are not written when a command finishes but in `before_sleep`,
//! right before the loop waits again. All the commands pipelined in one
//! read therefore leave in one `write`.
//!
//! Invariants:
//! 1. A client is closed only here (`free_client`), after which its fd is
//!    unregistered and its table slot is `None`.
//! 2. At most `MAX_ACCEPTS_PER_CALL` connections are accepted per event, so
//!    a connection storm cannot starve existing clients.
//!
//! Not here: what commands do (`cmd/`), the protocol itself (`resp/`).

use std::io;
use std::os::unix::io::RawFd;

use super::client::{flags, Conn};
use super::{dispatch, listen, Client, Server};
use crate::event::{EventLoop, READABLE, WRITABLE};
use crate::resp::Limits;

/// Bytes read from a socket per readable event (Redis's PROTO_IOBUF_LEN).
const READ_CHUNK: usize = 16 * 1024;
/// Bytes written to one client per event before moving on to the next
/// (Redis's NET_MAX_WRITES_PER_EVENT): fairness between clients.
const MAX_WRITE_PER_EVENT: usize = 64 * 1024;
const MAX_ACCEPTS_PER_CALL: usize = 1000;

// ---------------------------------------------------------------------------
// Accepting
// ---------------------------------------------------------------------------

pub fn accept(srv: &mut Server, el: &mut EventLoop, index: usize) {
    for _ in 0..MAX_ACCEPTS_PER_CALL {
        let accepted = match &srv.listeners[index] {
            super::Listener::Tcp(l, local) => l.accept().map(|(s, peer)| {
                let laddr = s
                    .local_addr()
                    .map(|a| a.to_string())
                    .unwrap_or_else(|_| local.clone());
                (Conn::Tcp(s), peer.to_string(), laddr, false)
            }),
            super::Listener::Unix(l, path) => l
                .accept()
                .map(|(s, _)| (Conn::Unix(s), format!("{}:0", path), path.clone(), true)),
        };
        match accepted {
            Ok((conn, addr, laddr, is_unix)) => new_client(srv, el, conn, addr, laddr, is_unix),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                crate::log!(Warning, "Accepting client connection: {}", e);
                return;
            }
        }
    }
}

fn new_client(
    srv: &mut Server,
    el: &mut EventLoop,
    mut conn: Conn,
    addr: String,
    laddr: String,
    is_unix: bool,
) {
    let fd = conn.fd();
    let setup = match &conn {
        Conn::Tcp(s) => s.set_nonblocking(true).and_then(|_| s.set_nodelay(true)),
        Conn::Unix(s) => s.set_nonblocking(true),
    };
    if let Err(e) = setup {
        crate::log!(Warning, "Error configuring client socket: {}", e);
        return;
    }
    if !is_unix {
        listen::set_keepalive(fd, srv.config.tcp_keepalive as i32);
    }
    srv.stats.total_connections_received += 1;
    if srv.client_count >= srv.config.maxclients as usize {
        // Best effort: the socket is new, so this short write normally
        // fits in its buffer. Dropping `conn` closes it.
        let _ = conn.write(b"-ERR max number of clients reached\r\n");
        srv.stats.rejected_connections += 1;
        return;
    }
    if let Err(e) = el.register(fd, READABLE) {
        crate::log!(
            Warning,
            "Error registering fd event for the new client: {}",
            e
        );
        srv.stats.rejected_connections += 1;
        return;
    }
    let id = srv.next_client_id;
    srv.next_client_id += 1;
    let mut c = Client::new(id, Some(conn), addr, laddr, srv.now_ms);
    c.authenticated = srv.config.requirepass.is_empty();
    if is_unix {
        c.flags |= flags::UNIX_SOCKET;
    }
    let slot = fd as usize;
    if srv.clients.len() <= slot {
        srv.clients.resize_with(slot + 1, || None);
    }
    srv.clients[slot] = Some(Box::new(c));
    srv.client_count += 1;
    crate::log!(Verbose, "Accepted {}", fd);
}

// ---------------------------------------------------------------------------
// Reading and processing input
// ---------------------------------------------------------------------------

// ANCHOR: read
pub fn read_from_client(srv: &mut Server, el: &mut EventLoop, fd: RawFd) {
    let Some(mut c) = take_client(srv, fd) else {
        return;
    };
    let result = match c.conn.as_mut() {
        Some(conn) => read_some(conn, &mut c.querybuf, READ_CHUNK),
        None => Ok(0),
    };
    match result {
        Ok(0) => {
            crate::log!(Verbose, "Client closed connection id={}", c.id);
            free_client(srv, el, c);
            return;
        }
        Ok(n) => {
            c.net_in += n as u64;
            srv.stats.total_net_input_bytes += n as u64;
            c.last_interaction_ms = srv.now_ms;
        }
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
        Err(e) => {
            crate::log!(Verbose, "Reading from client: {}", e);
            free_client(srv, el, c);
            return;
        }
    }
    let limit = srv.config.client_query_buffer_limit as usize;
    if c.querybuf.len() - c.qb_pos > limit {
        crate::log!(
            Warning,
            "Closing client that reached max query buffer length: {} (qbuf initial bytes: {:?})",
            client_info_line(srv, &c),
            String::from_utf8_lossy(
                &c.querybuf[c.qb_pos..c.qb_pos + 64.min(c.querybuf.len() - c.qb_pos)]
            )
        );
        srv.stats.client_qbuf_limit_disconnections += 1;
        free_client(srv, el, c);
        return;
    }
    process_input(srv, &mut c);
    put_back(srv, el, c);
}
// ANCHOR_END: read

/// Reads up to `max` bytes appended to `buf`, without zero-filling the
/// spare capacity first (that memset would cost more than many reads).
fn read_some(conn: &mut Conn, buf: &mut Vec<u8>, max: usize) -> io::Result<usize> {
    buf.reserve(max);
    let spare = buf.spare_capacity_mut();
    let want = spare.len().min(max);
    // SAFETY: `spare` is writable memory of at least `want` bytes owned by
    // `buf`; read(2) writes at most `want` bytes into it and reports how
    // many, and only those are then marked initialised by `set_len`.
    let n = unsafe { libc::read(conn.fd(), spare.as_mut_ptr() as *mut libc::c_void, want) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let n = n as usize;
    // SAFETY: the first `n` spare bytes were just initialised by read(2).
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

// ANCHOR: process_input
/// Parses and runs every complete command in the client's query buffer.
pub fn process_input(srv: &mut Server, c: &mut Client) {
    let limits = Limits {
        max_bulk_len: srv.config.proto_max_bulk_len as usize,
        ..Limits::default()
    };
    loop {
        if c.has(flags::CLOSE_AFTER_REPLY) || c.has(flags::CLOSE_ASAP) {
            break;
        }
        if c.has(flags::PAUSED) || c.blocked.is_some() {
            break;
        }
        // A command held back by CLIENT PAUSE runs first, before anything
        // that arrived after it.
        let parsed = match c.held_argv.take() {
            Some(argv) => Ok(Some(argv)),
            None => {
                let mut pos = c.qb_pos;
                let parsed = c.parser.next_command(&c.querybuf, &mut pos, &limits);
                c.qb_pos = pos;
                parsed
            }
        };
        match parsed {
            Ok(Some(argv)) => {
                if !dispatch::execute(srv, c, argv) {
                    // Held by CLIENT PAUSE: `execute` parked the command in
                    // `held_argv`; it runs when the pause ends.
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                crate::log!(
                    Verbose,
                    "Protocol error ({}) from client: {}",
                    e.0,
                    client_info_line(srv, c)
                );
                let msg = format!("ERR {}", e.0);
                dispatch::add_reply(srv, c, &crate::resp::Reply::error(msg));
                c.flags |= flags::CLOSE_AFTER_REPLY;
                c.querybuf.clear();
                c.qb_pos = 0;
                break;
            }
        }
    }
    c.compact_querybuf();
}
// ANCHOR_END: process_input

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

pub fn write_to_client(srv: &mut Server, el: &mut EventLoop, fd: RawFd) {
    let Some(mut c) = take_client(srv, fd) else {
        return;
    };
    match flush(srv, &mut c) {
        Ok(()) => {
            if c.out.pending() == 0 {
                el.unregister(fd, WRITABLE);
            }
            if c.out.pending() == 0 && c.has(flags::CLOSE_AFTER_REPLY) {
                free_client(srv, el, c);
                return;
            }
            put_back(srv, el, c);
        }
        Err(_) => free_client(srv, el, c),
    }
}

fn flush(srv: &mut Server, c: &mut Client) -> io::Result<()> {
    let Some(conn) = c.conn.as_mut() else {
        return Ok(());
    };
    let n = c.out.write_to(conn, MAX_WRITE_PER_EVENT)?;
    c.net_out += n as u64;
    srv.stats.total_net_output_bytes += n as u64;
    if n > 0 {
        c.last_interaction_ms = srv.now_ms;
    }
    Ok(())
}

// ANCHOR: before_sleep
/// Runs before each wait on the poller: closes clients marked for closing,
/// then writes every pending reply directly. Only a client whose socket
/// could not take everything gets a WRITABLE registration.
pub fn before_sleep(srv: &mut Server, el: &mut EventLoop) {
    super::cron::check_shutdown_signal(srv);
    if srv.shutdown_requested {
        super::cron::prepare_shutdown(srv, el);
        return;
    }
    // Before any reply is written: with appendfsync always, a client must
    // not see a reply before its write is on disk (aof invariant 2).
    crate::persist::aof::flush(srv, false);
    close_marked_clients(srv, el);
    listen::sync_with_loop(srv, el);
    super::blocking::expire_timeouts(srv);
    super::blocking::arm_timer(srv, el);
    super::cron::resume_paused_clients(srv, el);
    let pending = std::mem::take(&mut srv.pending_write);
    for fd in pending {
        let Some(mut c) = take_client(srv, fd) else {
            continue;
        };
        if c.out.pending() == 0 {
            put_back(srv, el, c);
            continue;
        }
        match flush(srv, &mut c) {
            Ok(()) if c.out.pending() > 0 => {
                if el.register(fd, WRITABLE).is_err() {
                    free_client(srv, el, c);
                    continue;
                }
                srv.clients[fd as usize] = Some(c);
            }
            Ok(()) => {
                if c.has(flags::CLOSE_AFTER_REPLY) {
                    free_client(srv, el, c);
                } else {
                    srv.clients[fd as usize] = Some(c);
                }
            }
            Err(_) => free_client(srv, el, c),
        }
    }
    // A protocol error or QUIT with nothing left to write closes now.
    close_marked_clients(srv, el);
    // Owed to clients that were out of the table: every command has
    // finished, so anything left belongs to a client that is gone.
    srv.deferred.clear();
}
// ANCHOR_END: before_sleep

fn close_marked_clients(srv: &mut Server, el: &mut EventLoop) {
    if srv.close_asap.is_empty() {
        return;
    }
    for id in std::mem::take(&mut srv.close_asap) {
        let fd = srv
            .clients
            .iter()
            .flatten()
            .find(|c| c.id == id)
            .map(|c| c.fd);
        if let Some(fd) = fd {
            if let Some(c) = take_client(srv, fd) {
                free_client(srv, el, c);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Client table helpers
// ---------------------------------------------------------------------------

pub fn take_client(srv: &mut Server, fd: RawFd) -> Option<Box<Client>> {
    if fd < 0 {
        return None;
    }
    srv.clients.get_mut(fd as usize).and_then(|s| s.take())
}

/// Returns a client to its slot after processing, queuing its replies for
/// `before_sleep` and honouring close requests.
fn put_back(srv: &mut Server, el: &mut EventLoop, c: Box<Client>) {
    if c.has(flags::CLOSE_ASAP) {
        free_client(srv, el, c);
        return;
    }
    if c.out.pending() > 0 || c.has(flags::CLOSE_AFTER_REPLY) {
        srv.pending_write.push(c.fd);
    }
    let fd = c.fd as usize;
    srv.clients[fd] = Some(c);
}

/// Closes the connection and forgets the client (invariant 1).
pub fn free_client(srv: &mut Server, el: &mut EventLoop, mut c: Box<Client>) {
    super::blocking::unregister(srv, &mut c);
    super::multi::discard(srv, &mut c);
    super::pubsub::forget_client(srv, &mut c);
    if c.fd >= 0 {
        el.unregister(c.fd, READABLE | WRITABLE);
        if let Some(slot) = srv.clients.get_mut(c.fd as usize) {
            *slot = None;
        }
    }
    srv.monitors.retain(|&id| id != c.id);
    srv.paused_clients.retain(|&fd| fd != c.fd);
    srv.client_count = srv.client_count.saturating_sub(1);
    crate::log!(Verbose, "Client closed id={} addr={}", c.id, c.addr);
    // Dropping `c` drops its Conn, which closes the socket.
}

/// Checks `client-output-buffer-limit` for the client's class after a
/// reply was added; marks the client for closing when over a limit.
pub fn check_output_limits(srv: &mut Server, c: &mut Client) -> bool {
    if c.conn.is_none() || c.has(flags::CLOSE_ASAP) {
        return false;
    }
    let limit = srv.config.client_output_buffer_limit[c.class() as usize];
    let (hard, soft, soft_secs) = (limit.hard, limit.soft, limit.soft_seconds);
    let used = c.out.pending() as u64;
    let mut over = hard > 0 && used >= hard;
    if soft > 0 && used >= soft {
        if c.soft_limit_since_ms == 0 {
            c.soft_limit_since_ms = srv.now_ms;
        } else if srv.now_ms - c.soft_limit_since_ms >= soft_secs * 1000 {
            over = true;
        }
    } else {
        c.soft_limit_since_ms = 0;
    }
    if over {
        crate::log!(
            Warning,
            "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
            client_info_line(srv, c)
        );
        srv.stats.client_outbuf_limit_disconnections += 1;
        c.out.clear();
        c.flags |= flags::CLOSE_ASAP;
        srv.close_asap.push(c.id);
    }
    over
}

/// A short description for log lines.
pub fn client_info_line(_srv: &Server, c: &Client) -> String {
    format!(
        "id={} addr={} laddr={} fd={} name={} qbuf={} omem={} cmd={}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        c.name
            .as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or_default(),
        c.querybuf.len() - c.qb_pos,
        c.out.pending(),
        c.last_cmd
    )
}
