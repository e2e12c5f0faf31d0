//! Differential testing: send the same script to oxidis and to a real
//! redis-server, and demand byte-identical replies.
//!
//! A protocol test that spells out every expected reply is precise but slow
//! to write, and its author can be wrong about Redis. A differential test
//! asks Redis instead:
//!
//! ```text
//!   let pair = Pair::start();              // oxidis + a private redis-server
//!   same(&pair, &[
//!       &["SET", "k", "v"],
//!       &["RENAME", "nope", "x"],           // both must say -ERR no such key
//!       &["~TTL", "k"],                     // integers, compared within +-1
//!   ]);
//!
//!              script[i]          raw reply bytes
//!   test ──┬──> oxidis ─────────> a ─┐
//!          └──> redis-server ───> b ─┴─> normalise both, a == b ?
//! ```
//!
//! Markers on the command name normalise replies that are not
//! deterministic. The marker is stripped before the command is sent:
//!
//! ```text
//!   marker  example             compared as
//!   ~       ["~TTL", "k"]       integers, |a - b| <= 1 (seconds-scale)
//!   ~~      ["~~PTTL", "k"]     integers, |a - b| <= 250 (milliseconds-scale)
//!   ?       ["?RANDOMKEY"]      only the type byte ('$', '*', ':', ...)
//!   #       ["#KEYS", "*"]      arrays with their elements sorted (order
//!                               not defined by Redis, e.g. KEYS)
//! ```
//!
//! Identical bytes always pass, so `~` also accepts two equal errors.
//!
//! One pseudo-command is not sent anywhere: `["@SLEEP", "100"]` pauses the
//! script for 100 ms, once for both servers, e.g. to let a key expire.
//!
//! Anything else goes through `same_with`, whose closure rewrites each reply
//! before the comparison. Where no script can compare two servers (timing,
//! cursors, INFO text), `Pair::each`/`Pair::clients` run explicit assertions
//! on every server, and `expect` checks literal reply bytes on each.
//!
//! Invariants:
//! 1. Each script runs on fresh connections, one per server, kept for the
//!    whole script, after a FLUSHALL on every server: SELECT and other
//!    connection state never leaks from one script into the next.
//! 2. Commands are interleaved (server A command i, server B command i,
//!    then i + 1), so both servers see nearly the same clock and any
//!    timing skew between them stays within one round trip.
//! 3. A mismatch panics with the script index, the command, both replies
//!    escaped, and the commands before it, so a failure reads on its own.
//! 4. Every `RedisServer` this module spawns is killed and its directory
//!    removed on Drop, even after a panic.
//!
//! Modes, chosen once per `Pair::start`:
//! - normal: the subject is oxidis; the reference is redis-server if it is
//!   on PATH. Without it, CI (env `CI` set) fails the test; elsewhere a note
//!   is printed, scripts run on oxidis alone (so crashes and hangs still
//!   show) and only explicit expectations are checked.
//! - `DIFF_AGAINST_REDIS_ONLY=1`: the subject is a second real redis-server,
//!   so every script and expectation is proven against Redis itself.
//! - `DIFF_TRACE=1`: print every command and both replies to stderr.
//!
//! Not here: the scripts themselves (each chapter's test file).

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::{
    encode_command, free_port, fresh_temp_dir, parse_reply, redis_tools_available, Client,
    RespValue, Server,
};

/// How long `RedisServer::start` waits for PING to be answered.
const REDIS_STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// Port races are rare (see `Server`), so a few retries are plenty.
const REDIS_START_ATTEMPTS: usize = 5;

/// Tolerance of the `~` marker: TTL and EXPIRETIME round to seconds, so two
/// servers a few milliseconds apart may straddle a rounding boundary.
const SECONDS_TOLERANCE: i64 = 1;

/// Tolerance of the `~~` marker: the skew of invariant 2 is well under a
/// millisecond on an idle machine, but a debug build on a loaded two-core
/// box can stall for tens of milliseconds.
const MILLIS_TOLERANCE: i64 = 250;

/// How many earlier commands a mismatch report repeats (invariant 3).
const REPORT_CONTEXT: usize = 8;

// ---------------------------------------------------------------------------
// A real redis-server
// ---------------------------------------------------------------------------

/// A `redis-server` child on a free port with its own temp directory.
pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
    pub dir: PathBuf,
}

impl RedisServer {
    /// Spawn `redis-server` with persistence off and DEBUG enabled, and
    /// return once it answers PING. Panics if it cannot be started.
    pub fn start() -> RedisServer {
        RedisServer::start_in(fresh_temp_dir())
    }

    /// As `start`, in `dir`, which the server then owns (it is removed on
    /// Drop). A `dump.rdb` placed there beforehand is loaded at start-up.
    pub fn start_in(dir: PathBuf) -> RedisServer {
        let mut failures = String::new();
        for attempt in 1..=REDIS_START_ATTEMPTS {
            let port = free_port();
            match spawn_redis(port, &dir) {
                Ok(child) => {
                    return RedisServer {
                        child: Some(child),
                        port,
                        dir,
                    }
                }
                Err(why) => failures.push_str(&format!("attempt {attempt} (port {port}): {why}\n")),
            }
        }
        let _ = fs::remove_dir_all(&dir);
        panic!("redis-server did not start:\n{failures}");
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn client(&self) -> Client {
        Client::connect(&self.addr())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Start one redis-server and wait until it answers PING. The reply to
/// `INFO server` must carry the child's pid: a PONG from some other process
/// that grabbed the port first must not pass for ours.
fn spawn_redis(port: u16, dir: &std::path::Path) -> Result<Child, String> {
    let out_path = dir.join("redis-stdout.log");
    let out = fs::File::create(&out_path).map_err(|e| format!("create log: {e}"))?;
    let err = out.try_clone().map_err(|e| format!("dup log: {e}"))?;
    let port_arg = port.to_string();
    let dir_arg = dir.to_string_lossy().into_owned();
    let args = [
        "--port",
        &port_arg,
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        &dir_arg,
        "--enable-debug-command",
        "yes",
        "--daemonize",
        "no",
    ];
    let mut child = Command::new("redis-server")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("spawn redis-server: {e}"))?;
    let log = || fs::read_to_string(&out_path).unwrap_or_default();
    let deadline = Instant::now() + REDIS_STARTUP_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("exited with {status}:\n{}", log()));
        }
        if answers_ping_as(port, child.id()) {
            return Ok(child);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "no PONG within {REDIS_STARTUP_TIMEOUT:?}:\n{}",
                log()
            ));
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Does the server on `port` answer PING, and is it process `pid`?
/// Every failure just means "not yet": the port may briefly belong to
/// another test's probe, so nothing here may panic.
fn answers_ping_as(port: u16, pid: u32) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut ask = |args: &[&[u8]]| -> Option<RespValue> {
        s.write_all(&encode_command(args)).ok()?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            if let Ok(Some((v, _))) = parse_reply(&buf, 0) {
                return Some(v);
            }
            let n = s.read(&mut chunk).ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    if ask(&[b"PING"]) != Some(RespValue::simple("PONG")) {
        return false;
    }
    let Some(info) = ask(&[b"INFO", b"server"]) else {
        return false;
    };
    let want = format!("process_id:{pid}");
    info.as_str()
        .map(|s| s.lines().any(|l| l.trim_end() == want))
        .unwrap_or(false)
}

// ---------------------------------------------------------------------------
// The pair
// ---------------------------------------------------------------------------

/// The server under test: oxidis, or in self-check mode a real Redis.
pub enum Subject {
    Oxidis(Server),
    Redis(RedisServer),
}

impl Subject {
    pub fn port(&self) -> u16 {
        match self {
            Subject::Oxidis(s) => s.port,
            Subject::Redis(r) => r.port,
        }
    }

    pub fn client(&self) -> Client {
        match self {
            Subject::Oxidis(s) => s.client(),
            Subject::Redis(r) => r.client(),
        }
    }

    /// For failure messages: which server said what.
    pub fn name(&self) -> &'static str {
        match self {
            Subject::Oxidis(_) => "oxidis",
            Subject::Redis(_) => "redis (as subject)",
        }
    }
}

/// oxidis and, when available, a real Redis to compare it with.
pub struct Pair {
    pub oxidis: Subject,
    pub redis: Option<RedisServer>,
}

impl Pair {
    /// Start both servers (see the module header for the modes).
    pub fn start() -> Pair {
        let self_check = std::env::var("DIFF_AGAINST_REDIS_ONLY")
            .map(|v| !v.is_empty() && v != "0")
            .unwrap_or(false);
        let have_redis = redis_tools_available("redis-server");
        if self_check && !have_redis {
            panic!("DIFF_AGAINST_REDIS_ONLY is set but redis-server is not on PATH");
        }
        let oxidis = if self_check {
            Subject::Redis(RedisServer::start())
        } else {
            Subject::Oxidis(Server::start_with(&["--enable-debug-command", "yes"]))
        };
        let redis = if have_redis {
            Some(RedisServer::start())
        } else if std::env::var_os("CI").is_some() {
            panic!("redis-server is required in CI for differential tests");
        } else {
            eprintln!("note: redis-server not on PATH; differential checks skipped, oxidis-only checks run");
            None
        };
        Pair { oxidis, redis }
    }

    pub fn has_redis(&self) -> bool {
        self.redis.is_some()
    }

    /// A fresh connection to every running server, the subject first, each
    /// with the server's name for messages.
    pub fn clients(&self) -> Vec<(&'static str, Client)> {
        let mut out = vec![(self.oxidis.name(), self.oxidis.client())];
        if let Some(r) = &self.redis {
            out.push(("redis", r.client()));
        }
        out
    }

    /// FLUSHALL every server.
    pub fn flushall(&self) {
        for (name, mut c) in self.clients() {
            let reply = c.cmd_raw(&["FLUSHALL"]);
            assert_eq!(reply, b"+OK\r\n", "FLUSHALL on {name}: {}", escape(&reply));
        }
    }

    /// Run `f` once per server, each time on a fresh connection after a
    /// FLUSHALL of all servers. For explicit assertions that must hold on
    /// Redis and oxidis alike.
    pub fn each(&self, mut f: impl FnMut(&str, &mut Client)) {
        for (name, mut c) in self.clients() {
            self.flushall();
            f(name, &mut c);
        }
    }
}

// ---------------------------------------------------------------------------
// Scripts
// ---------------------------------------------------------------------------

/// How one command's replies are compared (the module header's markers).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Compare {
    Exact,
    Within(i64),
    TypeOnly,
    Sorted,
}

/// Split a marker off the command name: `"~~PTTL"` -> (Within(250), "PTTL").
fn split_marker(name: &str) -> (Compare, &str) {
    if let Some(rest) = name.strip_prefix("~~") {
        (Compare::Within(MILLIS_TOLERANCE), rest)
    } else if let Some(rest) = name.strip_prefix('~') {
        (Compare::Within(SECONDS_TOLERANCE), rest)
    } else if let Some(rest) = name.strip_prefix('?') {
        (Compare::TypeOnly, rest)
    } else if let Some(rest) = name.strip_prefix('#') {
        (Compare::Sorted, rest)
    } else {
        (Compare::Exact, name)
    }
}

/// Send each command of `script` to both servers and assert identical
/// replies, command by command (invariants 1-3).
pub fn same(pair: &Pair, script: &[&[&str]]) {
    same_with(pair, script, |_, bytes| bytes.to_vec());
}

/// As `same`, but every reply first goes through `normalise(index, bytes)`,
/// where `index` is the command's position in `script`. The markers are
/// applied after it.
pub fn same_with(pair: &Pair, script: &[&[&str]], normalise: impl Fn(usize, &[u8]) -> Vec<u8>) {
    pair.flushall();
    let trace = std::env::var_os("DIFF_TRACE").is_some();
    let mut subject = pair.oxidis.client();
    let mut reference = pair.redis.as_ref().map(|r| r.client());
    let mut history: Vec<String> = Vec::new();
    for (i, cmd) in script.iter().enumerate() {
        let Some((&first, rest)) = cmd.split_first() else {
            panic!("script[{i}] is an empty command");
        };
        if first == "@SLEEP" {
            let ms = rest.first().and_then(|m| m.parse::<u64>().ok());
            let Some(ms) = ms else {
                panic!("script[{i}]: @SLEEP needs a number of milliseconds");
            };
            thread::sleep(Duration::from_millis(ms));
            history.push(format!("  [{i}] @SLEEP {ms}"));
            continue;
        }
        let (how, name) = split_marker(first);
        let mut args: Vec<&str> = Vec::with_capacity(cmd.len());
        args.push(name);
        args.extend_from_slice(rest);
        let shown = show_command(&args);

        let a = normalise(i, &subject.cmd_raw(&args));
        let Some(reference) = reference.as_mut() else {
            if trace {
                eprintln!("[{i}] {shown}\n    {}: {}", pair.oxidis.name(), escape(&a));
            }
            continue;
        };
        let b = normalise(i, &reference.cmd_raw(&args));
        if trace {
            eprintln!(
                "[{i}] {shown}\n    {}: {}\n    redis: {}",
                pair.oxidis.name(),
                escape(&a),
                escape(&b)
            );
        }
        if let Err(why) = compare(how, &a, &b) {
            if history.is_empty() {
                history.push("  (none)".to_string());
            }
            let start = history.len().saturating_sub(REPORT_CONTEXT);
            panic!(
                "script[{i}] {shown}: replies differ ({why})\n  {:<8} {}\n  {:<8} {}\n\
                 preceding commands (replies equal):\n{}",
                pair.oxidis.name(),
                escape(&a),
                "redis",
                escape(&b),
                history[start..].join("\n")
            );
        }
        history.push(format!("  [{i}] {shown} -> {}", escape(&b)));
    }
}

/// Send each command to every server and assert the exact reply bytes,
/// e.g. `(&["RENAME", "nope", "x"], b"-ERR no such key\r\n")`. Runs on
/// oxidis even without redis-server; in self-check mode it proves the
/// literal against Redis. Each server gets one connection after FLUSHALL.
pub fn expect(pair: &Pair, steps: &[(&[&str], &[u8])]) {
    pair.each(|name, c| {
        for (i, (cmd, want)) in steps.iter().enumerate() {
            let got = c.cmd_raw(cmd);
            assert!(
                got == *want,
                "{name}: step[{i}] {}\n  got  {}\n  want {}",
                show_command(cmd),
                escape(&got),
                escape(want)
            );
        }
    });
}

/// Compare two (already normalised) raw replies the way `how` says.
fn compare(how: Compare, a: &[u8], b: &[u8]) -> Result<(), String> {
    match how {
        Compare::Exact => match a.iter().zip(b).position(|(x, y)| x != y) {
            Some(at) => Err(format!("first difference at byte {at}")),
            None if a.len() != b.len() => Err(format!("lengths {} and {}", a.len(), b.len())),
            None => Ok(()),
        },
        Compare::TypeOnly => match (a.first(), b.first()) {
            (Some(x), Some(y)) if x == y => Ok(()),
            _ => Err("reply types".into()),
        },
        Compare::Sorted => {
            if sort_array(a)? == sort_array(b)? {
                Ok(())
            } else {
                Err("sorted elements".into())
            }
        }
        Compare::Within(tolerance) => {
            if a == b {
                return Ok(());
            }
            match (integer_reply(a), integer_reply(b)) {
                (Some(x), Some(y)) if x.abs_diff(y) <= tolerance.unsigned_abs() => Ok(()),
                (Some(_), Some(_)) => Err(format!("integers more than {tolerance} apart")),
                _ => Err("not both integers".into()),
            }
        }
    }
}

/// The value of a `:n\r\n` reply.
fn integer_reply(raw: &[u8]) -> Option<i64> {
    let body = raw.strip_prefix(b":")?.strip_suffix(b"\r\n")?;
    std::str::from_utf8(body).ok()?.parse().ok()
}

/// An array reply rebuilt with its top-level elements in byte order, so
/// two replies that differ only in element order become equal. Anything
/// that is not an array is returned unchanged.
pub fn sort_array(raw: &[u8]) -> Result<Vec<u8>, String> {
    if raw.first() != Some(&b'*') {
        return Ok(raw.to_vec());
    }
    let header_end = match raw.windows(2).position(|w| w == b"\r\n") {
        Some(i) => i + 2,
        None => return Err("array header without CRLF".into()),
    };
    let count: i64 = std::str::from_utf8(&raw[1..header_end - 2])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or("bad array length")?;
    let mut elements: Vec<&[u8]> = Vec::new();
    let mut at = header_end;
    for _ in 0..count.max(0) {
        match parse_reply(raw, at)? {
            Some((_, end)) => {
                elements.push(&raw[at..end]);
                at = end;
            }
            None => return Err("truncated array".into()),
        }
    }
    elements.sort();
    let mut out = raw[..header_end].to_vec();
    for e in elements {
        out.extend_from_slice(e);
    }
    out.extend_from_slice(&raw[at..]);
    Ok(out)
}

/// `SET "k" "a b"` style, for messages.
fn show_command(args: &[&str]) -> String {
    args.iter()
        .map(|a| format!("{a:?}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reply bytes as one readable line: printable ASCII as is, CR/LF and
/// everything else escaped.
pub fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('"');
    for &b in bytes {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

// ---------------------------------------------------------------------------
// Small helpers shared by the chapter test files
// ---------------------------------------------------------------------------

/// Run a script built at run time (values that are computed, not literal).
pub fn same_owned(pair: &Pair, script: &[Vec<String>]) {
    let cmds: Vec<Vec<&str>> = script
        .iter()
        .map(|c| c.iter().map(String::as_str).collect())
        .collect();
    let refs: Vec<&[&str]> = cmds.iter().map(Vec::as_slice).collect();
    same(pair, &refs);
}

/// One command of a run-time script.
pub fn cmd(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// The elements of an array reply, as strings; panics with the reply
/// otherwise (the servers are trusted here, not the client input).
pub fn strings(name: &str, reply: &RespValue) -> Vec<String> {
    let Some(items) = reply.as_array() else {
        panic!("{name}: expected an array, got {reply}");
    };
    items
        .iter()
        .map(|v| match v.as_str() {
            Some(s) => s.to_string(),
            None => panic!("{name}: expected bulk strings, got {reply}"),
        })
        .collect()
}

pub fn encoding(c: &mut Client, key: &str) -> String {
    c.cmd(&["OBJECT", "ENCODING", key])
        .as_str()
        .unwrap_or_default()
        .to_string()
}
