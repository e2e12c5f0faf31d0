//! Test harness: start the real server binary and talk RESP to it.
//!
//! Every protocol test (`tests/chNN_*.rs`) does `mod common;` and then
//!
//! ```text
//!   let server = Server::from_env_or_start();   // a fresh oxidis-server
//!   let mut c = server.client();                // a TCP connection to it
//!   assert_eq!(c.cmd_raw(&["PING"]), b"+PONG\r\n");
//! ```
//!
//! The harness is std-only on purpose: it must not share code with the
//! server it tests, or a bug in the server's RESP parser could hide itself by
//! also being in the test's parser.
//!
//! Invariants:
//! 1. Each `Server` owns a fresh temp directory and a port the OS handed out;
//!    two tests never share either, so tests can run in parallel.
//! 2. A `Server` is only returned once its log says "Ready to accept
//!    connections", so the first command a test sends is never refused.
//! 3. Dropping a `Server` kills the child process and removes its directory,
//!    even when the test panicked (the log is printed first in that case).
//! 4. `Client` never loses bytes: whatever a read pulls from the socket past
//!    the end of one reply stays buffered for the next read.
//!
//! Running against real Redis: set `REDIS_COMPAT_ADDR=127.0.0.1:6379` and
//! `Server::from_env_or_start()` connects there instead of spawning, after a
//! FLUSHALL. Those tests share one server, so run them with
//! `cargo test -- --test-threads=1`.
//!
//! Not here: assertions about particular commands (each chapter's test file).

#![allow(dead_code)]

use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a client waits for a reply before the test fails. Long enough
/// for a debug build on a loaded two-core CI box, short enough that a hung
/// server fails the test instead of the whole CI job.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long `Server::start` waits for the "ready" log line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// Port collisions are rare (another process must grab the port in the few
/// milliseconds between our probe and the server's bind), so a handful of
/// retries makes them practically impossible.
const START_ATTEMPTS: usize = 5;

/// The line both oxidis and real Redis log once the listener is open.
const READY_LINE: &str = "Ready to accept connections";

// ---------------------------------------------------------------------------
// Temp directories
// ---------------------------------------------------------------------------

static DIR_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh, empty directory under `<tmp>/oxidis-tests/`. The pid, a
/// per-process counter and the clock together keep parallel tests and
/// parallel `cargo test` runs from ever picking the same name.
pub fn fresh_temp_dir() -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = DIR_COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join("oxidis-tests").join(format!(
        "{}-{}-{}",
        std::process::id(),
        n,
        nanos
    ));
    if let Err(e) = fs::create_dir_all(&dir) {
        panic!("cannot create test directory {}: {e}", dir.display());
    }
    dir
}

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

/// A running server: either an `oxidis-server` child this harness spawned,
/// or (with `REDIS_COMPAT_ADDR`) an external server it only connects to.
pub struct Server {
    /// `None` for an external server; only `Drop` takes it.
    child: Option<Child>,
    /// Host to connect to: always "127.0.0.1" for a spawned server.
    pub host: String,
    pub port: u16,
    /// The server's `--dir`: RDB/AOF files land here. For an external server
    /// this is still a fresh directory, but the server does not use it.
    pub dir: PathBuf,
    /// `<dir>/server.log`, the server's `--logfile`.
    log: PathBuf,
}

impl Server {
    /// Spawn `oxidis-server` with the harness's default arguments.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// Spawn `oxidis-server` with the default arguments followed by `extra`
    /// (e.g. `&["--maxclients", "10"]`); later flags override earlier ones.
    pub fn start_with(extra: &[&str]) -> Server {
        Server::start_inner(None, extra)
    }

    /// Spawn `oxidis-server /path/to/conf` (the file must be the first
    /// argument, as for redis-server), then the default arguments and `extra`.
    pub fn start_with_config_file(conf: &str, extra: &[&str]) -> Server {
        Server::start_inner(Some(conf), extra)
    }

    fn start_inner(conf: Option<&str>, extra: &[&str]) -> Server {
        let dir = fresh_temp_dir();
        let log = dir.join("server.log");
        let mut failures = String::new();
        for attempt in 1..=START_ATTEMPTS {
            let port = free_port();
            match spawn_and_wait(conf, port, &dir, &log, extra) {
                Ok(child) => {
                    return Server {
                        child: Some(child),
                        host: "127.0.0.1".to_string(),
                        port,
                        dir,
                        log,
                    }
                }
                Err(StartError::Exited(why)) => {
                    // Most likely someone else took the port between our
                    // probe and the server's bind: try another one.
                    failures.push_str(&format!("attempt {attempt} (port {port}): {why}\n"));
                }
                Err(StartError::Fatal(why)) => {
                    let _ = fs::remove_dir_all(&dir);
                    panic!("oxidis-server did not start: {why}");
                }
            }
        }
        let _ = fs::remove_dir_all(&dir);
        panic!("oxidis-server exited early {START_ATTEMPTS} times:\n{failures}");
    }

    /// Kill the spawned server (SIGKILL: nothing is saved on the way out)
    /// and start a new one in the same directory with the default arguments
    /// and `extra`, so it finds the files the old one left (dump.rdb).
    /// Panics for an external server.
    pub fn restart(&mut self, extra: &[&str]) {
        let Some(mut child) = self.child.take() else {
            panic!("restart on an external server");
        };
        let _ = child.kill();
        let _ = child.wait();
        let mut failures = String::new();
        for attempt in 1..=START_ATTEMPTS {
            let port = free_port();
            match spawn_and_wait(None, port, &self.dir, &self.log, extra) {
                Ok(child) => {
                    self.child = Some(child);
                    self.port = port;
                    return;
                }
                Err(StartError::Exited(why)) | Err(StartError::Fatal(why)) => {
                    failures.push_str(&format!("attempt {attempt} (port {port}): {why}\n"));
                }
            }
        }
        panic!("oxidis-server did not restart:\n{failures}");
    }

    /// With `REDIS_COMPAT_ADDR=host:port` set, use that server (after a
    /// FLUSHALL); otherwise spawn `oxidis-server` as `start()` does.
    pub fn from_env_or_start() -> Server {
        Server::from_env_or_start_with(&[])
    }

    /// As `from_env_or_start`, with extra `--name value` flags. For an
    /// external server each pair is applied with `CONFIG SET name value`
    /// instead, and the test panics if the server refuses one. Note that
    /// such settings outlive the test on the shared server.
    pub fn from_env_or_start_with(extra: &[&str]) -> Server {
        let addr = match std::env::var("REDIS_COMPAT_ADDR") {
            Ok(a) if !a.trim().is_empty() => a,
            _ => return Server::start_with(extra),
        };
        let (host, port) = match addr.trim().rsplit_once(':') {
            Some((h, p)) => match p.parse::<u16>() {
                Ok(p) => (h.to_string(), p),
                Err(_) => panic!("REDIS_COMPAT_ADDR={addr}: port is not a number"),
            },
            None => panic!("REDIS_COMPAT_ADDR={addr}: expected host:port"),
        };
        let dir = fresh_temp_dir();
        let log = dir.join("server.log");
        let server = Server {
            child: None,
            host,
            port,
            dir,
            log,
        };
        let mut c = server.client();
        let reply = c.cmd(&["FLUSHALL"]);
        assert_eq!(reply, RespValue::ok(), "FLUSHALL on {addr}");
        let pairs = extra.chunks_exact(2);
        if !pairs.remainder().is_empty() {
            panic!("extra server arguments must come in --name value pairs: {extra:?}");
        }
        for pair in pairs {
            let name = pair[0].trim_start_matches("--");
            let reply = c.cmd(&["CONFIG", "SET", name, pair[1]]);
            assert_eq!(
                reply,
                RespValue::ok(),
                "CONFIG SET {name} {} on {addr}",
                pair[1]
            );
        }
        server
    }

    /// True when the tests run against an external server (`REDIS_COMPAT_ADDR`):
    /// there is no log file and no control over the process.
    pub fn is_external(&self) -> bool {
        self.child.is_none()
    }

    /// `host:port`, ready for `TcpStream::connect` or `redis-cli -h/-p`.
    pub fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// A new connection to this server.
    pub fn client(&self) -> Client {
        Client::connect(&self.addr())
    }

    /// Everything the server has logged so far ("" for an external server).
    pub fn log_contents(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The OS process id of the spawned server, if this harness spawned it.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Has the spawned server exited (e.g. after SHUTDOWN)? Always false for
    /// an external server.
    pub fn has_exited(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => !matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Wait up to `timeout` for the spawned server to exit on its own and
    /// return its exit code (`None` if killed by a signal). Panics on
    /// timeout or for an external server.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Option<i32> {
        let Some(child) = self.child.as_mut() else {
            panic!("wait_for_exit on an external server");
        };
        let deadline = Instant::now() + timeout;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return status.code(),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                Ok(None) => panic!("server still running after {timeout:?}"),
                Err(e) => panic!("waiting for server: {e}"),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGKILL, not SHUTDOWN: a test that broke the server must not
            // be able to hang the suite on the way out.
            let _ = child.kill();
            let _ = child.wait();
            if thread::panicking() {
                // The test failed: its captured stderr is shown, so put the
                // server's side of the story there too.
                eprintln!(
                    "---- server log ({}) ----\n{}---- end of server log ----",
                    self.log.display(),
                    tail(&self.log_contents(), 60)
                );
            }
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

enum StartError {
    /// The child exited before it was ready: worth retrying on another port.
    Exited(String),
    /// Anything else (cannot spawn, never became ready): retrying won't help.
    Fatal(String),
}

/// Ask the OS for a free port: bind port 0, read what we got, let it go.
/// (Passing `--port 0` to the server would mean "no TCP listener", as in
/// Redis, so the harness must choose.)
pub fn free_port() -> u16 {
    match TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(addr) => addr.port(),
        Err(e) => panic!("cannot get a free port from the OS: {e}"),
    }
}

/// One field of `INFO persistence` as text ("" if absent): the
/// persistence tests poll it for children and loads to finish.
pub fn persistence_field(c: &mut Client, field: &str) -> String {
    let info = c.cmd(&["INFO", "persistence"]);
    let text = String::from_utf8_lossy(info.as_bytes().unwrap_or_default()).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or("")
        .trim()
        .to_string()
}

fn spawn_and_wait(
    conf: Option<&str>,
    port: u16,
    dir: &Path,
    log: &Path,
    extra: &[&str],
) -> Result<Child, StartError> {
    // A retry reuses the directory: clear the previous attempt's log so we
    // don't mistake its contents for this attempt's.
    let _ = fs::remove_file(log);
    let stdout_path = dir.join("stdout.log");
    let stdout = fs::File::create(&stdout_path)
        .map_err(|e| StartError::Fatal(format!("create {}: {e}", stdout_path.display())))?;
    let stderr = stdout
        .try_clone()
        .map_err(|e| StartError::Fatal(format!("dup stdout file: {e}")))?;
    let port_arg = port.to_string();
    let mut args: Vec<&str> = conf.into_iter().collect();
    args.extend(["--port", &port_arg, "--bind", "127.0.0.1"]);
    let dir_arg = dir.to_string_lossy().into_owned();
    let log_arg = log.to_string_lossy().into_owned();
    args.extend(["--dir", &dir_arg, "--save", "", "--appendonly", "no"]);
    args.extend(["--logfile", &log_arg]);
    args.extend(extra);

    let mut child = Command::new(env!("CARGO_BIN_EXE_oxidis-server"))
        .args(&args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .map_err(|e| StartError::Fatal(format!("spawn oxidis-server: {e}")))?;

    let describe = |what: &str| {
        format!(
            "{what}\n  args: {args:?}\n---- {} ----\n{}---- stdout/stderr ----\n{}",
            log.display(),
            fs::read_to_string(log).unwrap_or_default(),
            fs::read_to_string(&stdout_path).unwrap_or_default()
        )
    };
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        // The ready line normally goes to the log file; accept it on stdout
        // too, so a server whose --logfile handling is broken still gets a
        // clear test failure rather than a startup timeout.
        let ready = [log, stdout_path.as_path()].iter().any(|p| {
            fs::read_to_string(p)
                .map(|s| s.contains(READY_LINE))
                .unwrap_or(false)
        });
        if ready {
            return Ok(child);
        }
        match child.try_wait() {
            Ok(Some(status)) => {
                return Err(StartError::Exited(describe(&format!(
                    "exited with {status} before it was ready"
                ))))
            }
            Ok(None) => {}
            Err(e) => return Err(StartError::Fatal(describe(&format!("try_wait: {e}")))),
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(StartError::Fatal(describe(&format!(
                "no {READY_LINE:?} in the log within {STARTUP_TIMEOUT:?}"
            ))));
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// The last `n` lines of `s`, each ending in a newline.
fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    let start = lines.len().saturating_sub(n);
    lines[start..].iter().map(|l| format!("{l}\n")).collect()
}

// ---------------------------------------------------------------------------
// External tools (redis-cli, redis-benchmark, ...)
// ---------------------------------------------------------------------------

/// Is `tool` an executable file in one of the directories on `PATH`?
pub fn redis_tools_available(tool: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| is_executable(&dir.join(tool)))
}

/// Call at the top of a test that needs `tool`: returns true if it is
/// installed. Otherwise, in CI (env `CI` set) the test fails, because CI
/// installs the tools and a skip there would hide a broken setup; on a
/// developer machine it prints a note and returns false so the test can
/// `return` early.
pub fn require_tool(tool: &str) -> bool {
    if redis_tools_available(tool) {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{tool} is required in CI");
    }
    eprintln!("skipping: {tool} not installed");
    false
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

// ---------------------------------------------------------------------------
// RESP values
// ---------------------------------------------------------------------------

/// One parsed RESP2 or RESP3 reply.
///
/// ```text
///   byte  RESP2/3  variant           byte  RESP3 only  variant
///   +     simple   Simple            _     null        Null
///   -     error    Error             ,     double      Double (text as sent)
///   :     integer  Integer           #     boolean     Boolean
///   $     bulk     Bulk / NullBulk   (     big number  BigNumber (digits)
///   *     array    Array / NullArray !     bulk error  BulkError
///                                    =     verbatim    Verbatim (format, text)
///                                    %     map         Map (pairs, in order)
///                                    ~     set         Set (in order)
///                                    >     push        Push
/// ```
///
/// Doubles and big numbers keep their text so `PartialEq` is exact and
/// `inf`/`nan` compare the way they were sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RespValue {
    Simple(String),
    Error(String),
    Integer(i64),
    Bulk(Vec<u8>),
    /// `$-1\r\n`
    NullBulk,
    Array(Vec<RespValue>),
    /// `*-1\r\n`
    NullArray,
    /// `_\r\n`
    Null,
    Double(String),
    Boolean(bool),
    BigNumber(String),
    BulkError(Vec<u8>),
    Verbatim(String, Vec<u8>),
    Map(Vec<(RespValue, RespValue)>),
    Set(Vec<RespValue>),
    Push(Vec<RespValue>),
}

impl RespValue {
    /// `+OK`
    pub fn ok() -> RespValue {
        RespValue::Simple("OK".to_string())
    }

    pub fn simple(s: &str) -> RespValue {
        RespValue::Simple(s.to_string())
    }

    pub fn error(s: &str) -> RespValue {
        RespValue::Error(s.to_string())
    }

    pub fn bulk(s: &str) -> RespValue {
        RespValue::Bulk(s.as_bytes().to_vec())
    }

    /// An array of bulk strings, the shape of most multi-value replies.
    pub fn bulks(items: &[&str]) -> RespValue {
        RespValue::Array(items.iter().map(|s| RespValue::bulk(s)).collect())
    }

    /// The text of a simple string, error, bulk string, bulk error or
    /// verbatim string, if it is UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            RespValue::Simple(s) | RespValue::Error(s) => Some(s),
            RespValue::Bulk(b) | RespValue::BulkError(b) | RespValue::Verbatim(_, b) => {
                std::str::from_utf8(b).ok()
            }
            _ => None,
        }
    }

    /// The raw bytes of a bulk string, bulk error or verbatim string (or the
    /// text of a simple string or error).
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            RespValue::Simple(s) | RespValue::Error(s) => Some(s.as_bytes()),
            RespValue::Bulk(b) | RespValue::BulkError(b) | RespValue::Verbatim(_, b) => Some(b),
            _ => None,
        }
    }

    /// An integer reply, or a bulk/simple string that holds a decimal
    /// integer (as GET returns after INCR).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            RespValue::Integer(n) => Some(*n),
            RespValue::Simple(_) | RespValue::Bulk(_) => self.as_str()?.parse().ok(),
            _ => None,
        }
    }

    /// The elements of an array, set or push.
    pub fn as_array(&self) -> Option<&[RespValue]> {
        match self {
            RespValue::Array(v) | RespValue::Set(v) | RespValue::Push(v) => Some(v),
            _ => None,
        }
    }

    /// `-ERR ...` or `!<len>\r\nERR ...`.
    pub fn is_error(&self) -> bool {
        matches!(self, RespValue::Error(_) | RespValue::BulkError(_))
    }

    /// Any of the three ways to say "nothing": `$-1`, `*-1`, `_`.
    pub fn is_null(&self) -> bool {
        matches!(
            self,
            RespValue::NullBulk | RespValue::NullArray | RespValue::Null
        )
    }
}

impl fmt::Display for RespValue {
    /// Roughly what redis-cli prints; for assertion messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RespValue::Simple(s) => write!(f, "{s}"),
            RespValue::Error(s) => write!(f, "(error) {s}"),
            RespValue::Integer(n) => write!(f, "(integer) {n}"),
            RespValue::Bulk(b) => write!(f, "{:?}", String::from_utf8_lossy(b)),
            RespValue::NullBulk | RespValue::NullArray | RespValue::Null => write!(f, "(nil)"),
            RespValue::Double(d) => write!(f, "(double) {d}"),
            RespValue::Boolean(b) => write!(f, "({b})"),
            RespValue::BigNumber(n) => write!(f, "(big number) {n}"),
            RespValue::BulkError(b) => write!(f, "(error) {}", String::from_utf8_lossy(b)),
            RespValue::Verbatim(fmt_, b) => {
                write!(f, "(verbatim {fmt_}) {}", String::from_utf8_lossy(b))
            }
            RespValue::Map(pairs) => {
                write!(f, "{{")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{k} => {v}")?;
                }
                write!(f, "}}")
            }
            RespValue::Array(v) | RespValue::Set(v) | RespValue::Push(v) => {
                let (open, close) = match self {
                    RespValue::Set(_) => ("~[", "]"),
                    RespValue::Push(_) => (">[", "]"),
                    _ => ("[", "]"),
                };
                write!(f, "{open}")?;
                for (i, x) in v.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{x}")?;
                }
                write!(f, "{close}")
            }
        }
    }
}

// ---------------------------------------------------------------------------
// RESP parsing (the harness's own, deliberately separate from src/resp)
// ---------------------------------------------------------------------------

/// Parse one reply starting at `buf[pos..]`.
/// `Ok(None)`: the bytes so far are a valid but incomplete prefix.
/// `Ok(Some((value, end)))`: a whole reply occupies `buf[pos..end]`.
/// `Err`: the bytes can never become a valid reply.
pub fn parse_reply(buf: &[u8], pos: usize) -> Result<Option<(RespValue, usize)>, String> {
    let Some(&kind) = buf.get(pos) else {
        return Ok(None);
    };
    let Some((line, after)) = read_line(buf, pos + 1) else {
        return Ok(None);
    };
    let text = || {
        String::from_utf8(line.to_vec())
            .map_err(|_| format!("non-UTF-8 header line after {:?}", kind as char))
    };
    match kind {
        b'+' => Ok(Some((RespValue::Simple(text()?), after))),
        b'-' => Ok(Some((RespValue::Error(text()?), after))),
        b':' => {
            let n = text()?
                .parse::<i64>()
                .map_err(|_| format!("bad integer {:?}", String::from_utf8_lossy(line)))?;
            Ok(Some((RespValue::Integer(n), after)))
        }
        b'_' => {
            if !line.is_empty() {
                return Err(format!(
                    "null with payload {:?}",
                    String::from_utf8_lossy(line)
                ));
            }
            Ok(Some((RespValue::Null, after)))
        }
        b',' => Ok(Some((RespValue::Double(text()?), after))),
        b'(' => Ok(Some((RespValue::BigNumber(text()?), after))),
        b'#' => match line {
            b"t" => Ok(Some((RespValue::Boolean(true), after))),
            b"f" => Ok(Some((RespValue::Boolean(false), after))),
            _ => Err(format!("bad boolean {:?}", String::from_utf8_lossy(line))),
        },
        b'$' | b'!' | b'=' => {
            let len = parse_len(line)?;
            if len < 0 {
                if kind == b'$' && len == -1 {
                    return Ok(Some((RespValue::NullBulk, after)));
                }
                return Err(format!("bad length {len} for {:?}", kind as char));
            }
            let len = len as usize;
            let end = after.saturating_add(len);
            if buf.len() < end.saturating_add(2) {
                return Ok(None);
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err(format!("{len}-byte payload not followed by CRLF"));
            }
            let data = buf[after..end].to_vec();
            let value = match kind {
                b'$' => RespValue::Bulk(data),
                b'!' => RespValue::BulkError(data),
                _ => {
                    // Verbatim: "txt:" or "mkd:" then the text.
                    if data.len() < 4 || data[3] != b':' {
                        return Err("verbatim string without a 3-byte format prefix".into());
                    }
                    let format = String::from_utf8_lossy(&data[..3]).into_owned();
                    RespValue::Verbatim(format, data[4..].to_vec())
                }
            };
            Ok(Some((value, end + 2)))
        }
        b'*' | b'~' | b'>' | b'%' => {
            let len = parse_len(line)?;
            if len < 0 {
                if kind == b'*' && len == -1 {
                    return Ok(Some((RespValue::NullArray, after)));
                }
                return Err(format!("bad length {len} for {:?}", kind as char));
            }
            let count = if kind == b'%' {
                (len as usize).saturating_mul(2)
            } else {
                len as usize
            };
            // The length is the server's claim: don't reserve more than the
            // bytes could possibly hold (each element is at least 3 bytes).
            let mut items = Vec::with_capacity(count.min(buf.len() / 3 + 1));
            let mut at = after;
            for _ in 0..count {
                match parse_reply(buf, at)? {
                    Some((v, next)) => {
                        items.push(v);
                        at = next;
                    }
                    None => return Ok(None),
                }
            }
            let value = match kind {
                b'*' => RespValue::Array(items),
                b'~' => RespValue::Set(items),
                b'>' => RespValue::Push(items),
                _ => {
                    let mut pairs = Vec::with_capacity(items.len() / 2);
                    let mut it = items.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        pairs.push((k, v));
                    }
                    RespValue::Map(pairs)
                }
            };
            Ok(Some((value, at)))
        }
        other => Err(format!("unknown RESP type byte {:?}", other as char)),
    }
}

/// The bytes from `from` up to the next CRLF, and the index just past it.
fn read_line(buf: &[u8], from: usize) -> Option<(&[u8], usize)> {
    let rest = buf.get(from..)?;
    let i = rest.windows(2).position(|w| w == b"\r\n")?;
    Some((&rest[..i], from + i + 2))
}

fn parse_len(line: &[u8]) -> Result<i64, String> {
    std::str::from_utf8(line)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| format!("bad length {:?}", String::from_utf8_lossy(line)))
}

/// Encode a command the way clients do: an array of bulk strings.
pub fn encode_command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

// ---------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------

/// One connection. Every method panics with a readable message on I/O
/// errors, timeouts and malformed replies: in a test that is the failure.
pub struct Client {
    stream: TcpStream,
    /// Bytes read from the socket but not yet returned (invariant 4).
    buf: Vec<u8>,
    timeout: Duration,
}

impl Client {
    /// Connect to `addr` ("host:port") with a `READ_TIMEOUT` read timeout.
    pub fn connect(addr: &str) -> Client {
        let stream = match TcpStream::connect(addr) {
            Ok(s) => s,
            Err(e) => panic!("connect to {addr}: {e}"),
        };
        // Tests send many small commands and wait for each reply: without
        // NODELAY, Nagle + delayed ACK can add 40 ms to some round trips.
        let _ = stream.set_nodelay(true);
        let mut c = Client {
            stream,
            buf: Vec::new(),
            timeout: READ_TIMEOUT,
        };
        c.set_timeout(READ_TIMEOUT);
        c
    }

    /// Change how long reads wait before failing the test.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
        if let Err(e) = self.stream.set_read_timeout(Some(timeout)) {
            panic!("set_read_timeout: {e}");
        }
    }

    /// The underlying socket, e.g. to `shutdown(Write)` half the connection.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Send one command as a RESP array of bulk strings.
    pub fn send(&mut self, args: &[&str]) {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.send_bytes(&args);
    }

    /// Send one command whose arguments may be any bytes.
    pub fn send_bytes(&mut self, args: &[&[u8]]) {
        self.send_raw(&encode_command(args));
    }

    /// Write `bytes` exactly as given: inline commands, pipelines, broken
    /// frames, half a command.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        if let Err(e) = self
            .stream
            .write_all(bytes)
            .and_then(|_| self.stream.flush())
        {
            panic!("write {} bytes: {e}", bytes.len());
        }
    }

    /// Read one whole reply and parse it.
    pub fn read_reply(&mut self) -> RespValue {
        let (value, end) = self.next_reply();
        self.buf.drain(..end);
        value
    }

    /// Read one whole reply and return its exact bytes, for byte-for-byte
    /// assertions.
    pub fn read_raw_reply(&mut self) -> Vec<u8> {
        let (_, end) = self.next_reply();
        self.buf.drain(..end).collect()
    }

    /// Send a command and read its reply.
    pub fn cmd(&mut self, args: &[&str]) -> RespValue {
        self.send(args);
        self.read_reply()
    }

    /// Send a binary command and read its reply.
    pub fn cmd_bytes(&mut self, args: &[&[u8]]) -> RespValue {
        self.send_bytes(args);
        self.read_reply()
    }

    /// Send a command and return the exact bytes of its reply.
    pub fn cmd_raw(&mut self, args: &[&str]) -> Vec<u8> {
        self.send(args);
        self.read_raw_reply()
    }

    /// Read exactly `n` bytes, whatever they are.
    pub fn read_exact_bytes(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            if self.fill() == 0 {
                panic!(
                    "connection closed after {} of {n} expected bytes: {:?}",
                    self.buf.len(),
                    String::from_utf8_lossy(&self.buf)
                );
            }
        }
        self.buf.drain(..n).collect()
    }

    /// Assert that the server closes the connection (EOF or reset) within
    /// the read timeout, without sending anything more first.
    pub fn expect_closed(&mut self) {
        if !self.buf.is_empty() {
            panic!(
                "expected the connection to close, but have unread bytes: {:?}",
                String::from_utf8_lossy(&self.buf)
            );
        }
        let mut chunk = [0u8; 4096];
        match self.stream.read(&mut chunk) {
            Ok(0) => {}
            Ok(n) => panic!(
                "expected the connection to close, got {:?}",
                String::from_utf8_lossy(&chunk[..n])
            ),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {}
            Err(e) if is_timeout(&e) => {
                panic!("connection still open after {:?}", self.timeout)
            }
            Err(e) => panic!("expected the connection to close, got error: {e}"),
        }
    }

    /// Assert that nothing arrives for `wait` (e.g. a blocked BLPOP, or a
    /// command that must not be answered yet). Restores the read timeout.
    pub fn expect_no_data(&mut self, wait: Duration) {
        if !self.buf.is_empty() {
            panic!(
                "expected silence, but have unread bytes: {:?}",
                String::from_utf8_lossy(&self.buf)
            );
        }
        let saved = self.timeout;
        self.set_timeout(wait);
        let mut chunk = [0u8; 4096];
        let result = self.stream.read(&mut chunk);
        self.set_timeout(saved);
        match result {
            Ok(0) => panic!("expected silence, but the connection was closed"),
            Ok(n) => panic!(
                "expected silence for {wait:?}, got {:?}",
                String::from_utf8_lossy(&chunk[..n])
            ),
            Err(e) if is_timeout(&e) => {}
            Err(e) => panic!("expected silence, got error: {e}"),
        }
    }

    /// Parse the first buffered reply, reading from the socket until one is
    /// complete. Returns the value and the length it occupies in `buf`.
    fn next_reply(&mut self) -> (RespValue, usize) {
        loop {
            match parse_reply(&self.buf, 0) {
                Ok(Some(done)) => return done,
                Ok(None) => {}
                Err(why) => panic!(
                    "malformed reply ({why}): {:?}",
                    String::from_utf8_lossy(&self.buf)
                ),
            }
            if self.fill() == 0 {
                panic!(
                    "connection closed while waiting for a reply; partial reply: {:?}",
                    String::from_utf8_lossy(&self.buf)
                );
            }
        }
    }

    /// One `read` into `buf`; `0` means EOF (or reset). Panics on timeout
    /// and other errors.
    fn fill(&mut self) -> usize {
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return n;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return 0,
                Err(e) if is_timeout(&e) => panic!(
                    "no complete reply within {:?}; received so far: {:?}",
                    self.timeout,
                    String::from_utf8_lossy(&self.buf)
                ),
                Err(e) => panic!("read: {e}"),
            }
        }
    }
}

/// Read timeouts show up as WouldBlock on Unix and TimedOut on Windows.
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

pub mod diff;
