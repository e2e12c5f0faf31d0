//! Chapter 21 checkpoint: the append-only file survives restarts, crashes
//! and rewrites, and its files are Redis 7.0's.
//!
//! Each test runs a real `oxidis-server` in its own directory, stops it
//! (SHUTDOWN, or `kill -9` for the crash tests), starts a new one on the
//! same directory and compares what it loaded with what was written.
//!
//! ```text
//!   start ──writes──► stop ──► start again (loads appendonlydir/) ──► compare
//! ```
//!
//! Not here: the file format unit tests (src/persist/*.rs).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{
    free_port, fresh_temp_dir, persistence_field, redis_tools_available, require_tool, Client,
    RespValue,
};

/// Sends one command on a fresh connection and reads its reply; None on
/// any connection error or timeout.
fn raw_cmd(port: u16, args: &[&str]) -> Option<RespValue> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let parts: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    s.write_all(&common::encode_command(&parts)).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Ok(Some((v, _))) = common::parse_reply(&buf, 0) {
            return Some(v);
        }
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// One server process on a directory that outlives it.
struct Node {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl Node {
    /// Starts a server on `dir`. Ports come from the OS's free-port probe,
    /// which another test can race for: a server that cannot bind exits,
    /// and one that answers but reports another directory is someone
    /// else's. Either way, try another port.
    fn start(dir: &Path, extra: &[&str]) -> Node {
        for _ in 0..5 {
            if let Some(node) = Node::try_start(dir, extra) {
                return node;
            }
        }
        panic!("oxidis-server did not start on {}", dir.display());
    }

    fn try_start(dir: &Path, extra: &[&str]) -> Option<Node> {
        let port = free_port();
        let port_s = port.to_string();
        let dir_s = dir.to_string_lossy().into_owned();
        let log = dir.join("server.log").to_string_lossy().into_owned();
        let mut args = vec![
            "--port",
            &port_s,
            "--bind",
            "127.0.0.1",
            "--dir",
            &dir_s,
            "--save",
            "",
            "--logfile",
            &log,
        ];
        args.extend(extra);
        let child = Command::new(env!("CARGO_BIN_EXE_oxidis-server"))
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn oxidis-server");
        let mut node = Node {
            child: Some(child),
            port,
            dir: dir.to_path_buf(),
        };
        node.wait_ready().then_some(node)
    }

    /// Starts and expects the server to refuse (exit), returning its log.
    fn start_expecting_failure(dir: &Path, extra: &[&str]) -> String {
        let port = free_port().to_string();
        let dir_s = dir.to_string_lossy().into_owned();
        let log = dir.join("fail.log");
        let log_s = log.to_string_lossy().into_owned();
        let mut args = vec![
            "--port",
            &port,
            "--dir",
            &dir_s,
            "--save",
            "",
            "--logfile",
            &log_s,
        ];
        args.extend(extra);
        let status = Command::new(env!("CARGO_BIN_EXE_oxidis-server"))
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run oxidis-server");
        assert_eq!(status.code(), Some(1), "the server should refuse to start");
        std::fs::read_to_string(log).unwrap_or_default()
    }

    /// True once our server answers on the port; false if it exited or
    /// the port belongs to another server.
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        let ours = self.dir.canonicalize().unwrap_or_else(|_| self.dir.clone());
        loop {
            if let Some(Ok(Some(_))) = self.child.as_mut().map(|c| c.try_wait()) {
                return false;
            }
            // A raw query: the port may belong to another test's server
            // that is going away, and a closed connection is an answer too.
            if let Some(dir) = raw_cmd(self.port, &["CONFIG", "GET", "dir"]) {
                if flat(&dir)
                    .get(1)
                    .map(PathBuf::from)
                    .is_none_or(|d| d != ours)
                {
                    return false;
                }
                // Ours: now wait for the load to finish (INFO answers
                // during loading; most commands get -LOADING).
                let loaded = raw_cmd(self.port, &["INFO", "persistence"])
                    .and_then(|v| {
                        v.as_bytes()
                            .map(|b| String::from_utf8_lossy(b).into_owned())
                    })
                    .is_some_and(|t| t.contains("loading:0"));
                if loaded {
                    return true;
                }
            }
            assert!(
                Instant::now() < deadline,
                "server not ready; log:\n{}",
                self.log()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn client(&self) -> Client {
        Client::connect(&format!("127.0.0.1:{}", self.port))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    fn shutdown(mut self) {
        let mut c = self.client();
        c.send(&["SHUTDOWN"]);
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }

    fn kill9(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_rewrite_done(c: &mut Client, rewrites: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(persistence_field(c, "aof_rewrite_in_progress") == "0"
        && persistence_field(c, "aof_rewrites") == rewrites)
    {
        assert!(Instant::now() < deadline, "rewrite did not finish");
        thread::sleep(Duration::from_millis(20));
    }
}

/// A canonical text of every key in dbs 0..3: type, value and whether it
/// has a TTL, so two servers can be compared.
fn snapshot(c: &mut Client) -> Vec<String> {
    let mut out = Vec::new();
    for db in 0..3 {
        c.cmd(&["SELECT", &db.to_string()]);
        let keys = c.cmd(&["KEYS", "*"]);
        let mut names: Vec<String> = keys
            .as_array()
            .unwrap_or_default()
            .iter()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect();
        names.sort();
        for k in names {
            let ty = c.cmd(&["TYPE", &k]).as_str().unwrap_or("").to_string();
            let value = match ty.as_str() {
                "string" => format!("{:?}", c.cmd(&["GET", &k])),
                "list" => format!("{:?}", c.cmd(&["LRANGE", &k, "0", "-1"])),
                "hash" => {
                    let mut v: Vec<String> = flat(&c.cmd(&["HGETALL", &k]))
                        .chunks(2)
                        .map(|p| p.join("="))
                        .collect();
                    v.sort();
                    v.join(",")
                }
                "set" => {
                    let mut v = flat(&c.cmd(&["SMEMBERS", &k]));
                    v.sort();
                    v.join(",")
                }
                "zset" => format!("{:?}", c.cmd(&["ZRANGE", &k, "0", "-1", "WITHSCORES"])),
                other => other.to_string(),
            };
            let ttl = c.cmd(&["PTTL", &k]).as_int().unwrap_or(-3);
            out.push(format!("db{db} {k} {ty} {value} ttl:{}", ttl > 0));
        }
    }
    c.cmd(&["SELECT", "0"]);
    out
}

fn flat(v: &RespValue) -> Vec<String> {
    v.as_array()
        .unwrap_or_default()
        .iter()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

/// Writes every type in several encodings, with TTLs, in three dbs, using
/// commands whose propagation is rewritten.
fn write_everything(c: &mut Client) {
    for args in [
        &["SET", "int", "12345"][..],
        &["SET", "emb", "hello"],
        &["SET", "raw", &"r".repeat(100)],
        &["SET", "ttl", "v", "EX", "1000"],
        &["SETEX", "ttl2", "1000", "v"],
        &["INCRBYFLOAT", "float", "10.5"],
        &["INCRBYFLOAT", "float", "0.1"],
        &["APPEND", "raw", "x"],
        &["RPUSH", "list", "a", "b", "c", "1", "2"],
        &["LPOP", "list"],
        &["RPUSH", "biglist", &"x".repeat(70), "y"],
        &["HSET", "hash", "f1", "v1", "f2", "2"],
        &["HINCRBYFLOAT", "hash", "f3", "1.25"],
        &["HSET", "bighash", "f", &"v".repeat(100)],
        &["SADD", "intset", "1", "2", "3", "4"],
        &["SPOP", "intset"],
        &["SADD", "strset", "a", "b", "c"],
        &["SPOP", "strset", "2"],
        &["ZADD", "zset", "1", "a", "2.5", "b", "-inf", "c"],
        &["ZINCRBY", "zset", "0.5", "a"],
        &["ZADD", "bigzset", "1", &"m".repeat(100)],
        &["EXPIRE", "list", "1000"],
        &["PEXPIREAT", "hash", "9999999999999"],
        &["SELECT", "1"],
        &["SET", "in-db1", "x"],
        &["SELECT", "2"],
        &["RPUSH", "q", "1", "2", "3"],
        &["SELECT", "0"],
    ] {
        let r = c.cmd(args);
        assert!(!r.is_error(), "{args:?}: {r:?}");
    }
    // A transaction and blocking pops, whose replays must not block.
    c.cmd(&["MULTI"]);
    c.cmd(&["SET", "tx1", "1"]);
    c.cmd(&["INCR", "tx1"]);
    c.cmd(&["EXEC"]);
    c.cmd(&["RPUSH", "bl", "p", "q", "r"]);
    c.cmd(&["BLPOP", "bl", "0"]);
    c.cmd(&["BLMOVE", "bl", "bl2", "RIGHT", "LEFT", "0"]);
    c.cmd(&["ZADD", "bz", "1", "a", "2", "b"]);
    c.cmd(&["BZPOPMIN", "bz", "0"]);
}

#[test]
fn every_type_survives_an_aof_restart() {
    let dir = fresh_temp_dir();
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    let mut c = node.client();
    write_everything(&mut c);
    let before = snapshot(&mut c);
    node.shutdown();
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    let after = snapshot(&mut node.client());
    assert_eq!(before, after);
    assert!(node.log().contains("DB loaded from append only file"));
}

#[test]
fn every_type_survives_a_rewrite_and_restart() {
    let dir = fresh_temp_dir();
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    let mut c = node.client();
    write_everything(&mut c);
    assert_eq!(
        c.cmd(&["BGREWRITEAOF"]),
        RespValue::simple("Background append only file rewriting started")
    );
    wait_rewrite_done(&mut c, "1");
    c.cmd(&["SET", "after-rewrite", "1"]);
    let before = snapshot(&mut c);
    let manifest =
        std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap();
    assert!(manifest.contains("type b"), "{manifest}");
    node.shutdown();
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    assert_eq!(before, snapshot(&mut node.client()));
    // The files a rewrite retires are deleted.
    let files = std::fs::read_dir(dir.join("appendonlydir"))
        .unwrap()
        .count();
    assert_eq!(files, 3, "base, incr and manifest");
}

#[test]
fn turning_the_aof_on_at_run_time_writes_the_dataset_as_a_base() {
    let dir = fresh_temp_dir();
    let node = Node::start(&dir, &[]);
    let mut c = node.client();
    write_everything(&mut c);
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "appendonly", "yes"]),
        RespValue::ok()
    );
    wait_rewrite_done(&mut c, "1");
    c.cmd(&["SET", "later", "1"]);
    let before = snapshot(&mut c);
    node.shutdown();
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    assert_eq!(before, snapshot(&mut node.client()));
}

#[test]
fn a_truncated_last_command_is_dropped_with_a_warning() {
    let dir = fresh_temp_dir();
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    let mut c = node.client();
    c.cmd(&["SET", "kept", "1"]);
    node.shutdown();
    let incr = dir.join("appendonlydir/appendonly.aof.1.incr.aof");
    let mut bytes = std::fs::read(&incr).unwrap();
    let good = bytes.len();
    bytes.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$4\r\nlost\r\n$1");
    std::fs::write(&incr, &bytes).unwrap();

    // With aof-load-truncated no, the server refuses.
    let log =
        Node::start_expecting_failure(&dir, &["--appendonly", "yes", "--aof-load-truncated", "no"]);
    assert!(log.contains("Unexpected end of file"), "{log}");

    let node = Node::start(&dir, &["--appendonly", "yes"]);
    let mut c = node.client();
    assert_eq!(c.cmd(&["GET", "kept"]), RespValue::bulk("1"));
    assert_eq!(c.cmd(&["EXISTS", "lost"]), RespValue::Integer(0));
    assert!(node.log().contains("short read while loading the AOF"));
    assert_eq!(std::fs::metadata(&incr).unwrap().len() as usize, good);
}

#[test]
fn a_transaction_cut_short_applies_not_at_all() {
    let dir = fresh_temp_dir();
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    node.client().cmd(&["SET", "a", "1"]);
    node.shutdown();
    let incr = dir.join("appendonlydir/appendonly.aof.1.incr.aof");
    let mut bytes = std::fs::read(&incr).unwrap();
    bytes.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n");
    std::fs::write(&incr, &bytes).unwrap();
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    let mut c = node.client();
    assert_eq!(c.cmd(&["GET", "a"]), RespValue::bulk("1"));
    assert_eq!(c.cmd(&["EXISTS", "b"]), RespValue::Integer(0));
}

#[test]
fn a_corrupt_file_stops_start_up_and_check_aof_fix_repairs_it() {
    let dir = fresh_temp_dir();
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    node.client().cmd(&["SET", "a", "1"]);
    node.shutdown();
    let incr = dir.join("appendonlydir/appendonly.aof.1.incr.aof");
    let mut bytes = std::fs::read(&incr).unwrap();
    let good = bytes.len();
    bytes.extend_from_slice(b"this is not RESP\r\n*1\r\n$4\r\nPING\r\n");
    std::fs::write(&incr, &bytes).unwrap();
    let log = Node::start_expecting_failure(&dir, &["--appendonly", "yes"]);
    assert!(
        log.contains("Bad file format") && log.contains(&format!("offset {good}")),
        "{log}"
    );

    let check = |fix: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_oxidis-server"));
        cmd.arg("--check-aof");
        if fix {
            cmd.arg("--fix");
        }
        cmd.arg(&incr).output().expect("run --check-aof")
    };
    let out = check(false);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("ok_up_to={good}")));
    assert_eq!(check(true).status.code(), Some(0));
    assert_eq!(check(false).status.code(), Some(0));
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    assert_eq!(node.client().cmd(&["GET", "a"]), RespValue::bulk("1"));
}

/// Writes `k:i` for i = 0.. from a thread until stopped or the server
/// dies, recording when each write was acknowledged. A raw socket: the
/// server vanishing is the expected end here, not a test failure.
fn write_load(node: &Node, stop: Arc<AtomicBool>) -> thread::JoinHandle<Vec<(u64, Instant)>> {
    use std::io::{Read, Write};
    let port = node.port;
    thread::spawn(move || {
        let mut acked = Vec::new();
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
            return acked;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let mut i = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let key = format!("k:{i}");
            let cmd = format!("*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n$1\r\nv\r\n", key.len());
            if s.write_all(cmd.as_bytes()).is_err() {
                break;
            }
            let mut reply = [0u8; 5];
            if s.read_exact(&mut reply).is_err() || &reply != b"+OK\r\n" {
                break;
            }
            acked.push((i, Instant::now()));
            i += 1;
        }
        acked
    })
}

fn crash_under_load(policy: &str) -> (Vec<(u64, Instant)>, Instant, Node, PathBuf) {
    let dir = fresh_temp_dir();
    let node = Node::start(&dir, &["--appendonly", "yes", "--appendfsync", policy]);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = write_load(&node, Arc::clone(&stop));
    thread::sleep(Duration::from_millis(600));
    let killed_at = Instant::now();
    node.kill9();
    stop.store(true, Ordering::Relaxed);
    let acked = writer.join().expect("writer thread");
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    (acked, killed_at, node, dir)
}

#[test]
fn with_appendfsync_always_no_acknowledged_write_is_lost_to_kill_9() {
    let (acked, _, node, _dir) = crash_under_load("always");
    assert!(
        acked.len() > 10,
        "the load wrote too little: {}",
        acked.len()
    );
    let mut c = node.client();
    let missing: Vec<u64> = acked
        .iter()
        .filter(|(i, _)| c.cmd(&["EXISTS", &format!("k:{i}")]) != RespValue::Integer(1))
        .map(|(i, _)| *i)
        .collect();
    assert!(missing.is_empty(), "acknowledged writes lost: {missing:?}");
}

#[test]
fn with_appendfsync_everysec_a_crash_loses_at_most_about_two_seconds() {
    let (acked, killed_at, node, _dir) = crash_under_load("everysec");
    let mut c = node.client();
    for (i, at) in &acked {
        if c.cmd(&["EXISTS", &format!("k:{i}")]) != RespValue::Integer(1) {
            // kill -9 kills the process, not the kernel: what write(2)
            // accepted survives even without fsync. Whatever is lost must
            // be recent.
            assert!(
                killed_at.duration_since(*at) < Duration::from_millis(2500),
                "k:{i} acknowledged {:?} before the crash was lost",
                killed_at.duration_since(*at)
            );
        }
    }
}

#[test]
fn kill_9_during_a_rewrite_leaves_the_previous_files_loadable() {
    let dir = fresh_temp_dir();
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    let mut c = node.client();
    let mut args = vec!["MSET".to_string()];
    for i in 0..20000 {
        args.push(format!("key:{i}"));
        args.push(format!("value:{i}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    c.cmd(&refs);
    c.cmd(&["BGREWRITEAOF"]);
    node.kill9();
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    let mut c = node.client();
    assert_eq!(c.cmd(&["DBSIZE"]), RespValue::Integer(20000));
    assert_eq!(c.cmd(&["GET", "key:19999"]), RespValue::bulk("value:19999"));
}

// ---------------------------------------------------------------------------
// Interop with Redis 7.0
// ---------------------------------------------------------------------------

struct RedisNode {
    child: Child,
    port: u16,
}

impl RedisNode {
    fn start(dir: &Path, extra: &[&str]) -> RedisNode {
        let port = free_port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--dir",
                &dir.to_string_lossy(),
                "--save",
                "",
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        let node = RedisNode { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            // Redis answers PING with -LOADING until its files are loaded.
            if raw_cmd(port, &["PING"]) == Some(RespValue::simple("PONG")) {
                break;
            }
            assert!(Instant::now() < deadline, "redis-server did not start");
            thread::sleep(Duration::from_millis(20));
        }
        node
    }

    fn client(&self) -> Client {
        Client::connect(&format!("127.0.0.1:{}", self.port))
    }

    fn shutdown(mut self) {
        self.client().send(&["SHUTDOWN"]);
        let _ = self.child.wait();
    }
}

impl Drop for RedisNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn oxidis_loads_an_aof_directory_written_by_redis() {
    if !require_tool("redis-server") {
        return;
    }
    // Redis 7.0's default base is an RDB preamble (.base.rdb); with the
    // preamble off it is commands (.base.aof). Both must load.
    for preamble in ["yes", "no"] {
        let dir = fresh_temp_dir();
        let redis = RedisNode::start(
            &dir,
            &["--appendonly", "yes", "--aof-use-rdb-preamble", preamble],
        );
        let mut c = redis.client();
        write_everything(&mut c);
        // A rewrite makes a base; later writes go to an incr file.
        c.cmd(&["BGREWRITEAOF"]);
        wait_rewrite_done(&mut c, "1");
        c.cmd(&["SET", "after-rewrite", "1"]);
        let before = snapshot(&mut c);
        redis.shutdown();
        let node = Node::start(&dir, &["--appendonly", "yes"]);
        assert_eq!(before, snapshot(&mut node.client()), "preamble {preamble}");
    }
}

#[test]
fn redis_loads_an_aof_directory_written_by_oxidis() {
    if !redis_tools_available("redis-server") {
        if std::env::var_os("CI").is_some() {
            panic!("redis-server is required in CI");
        }
        eprintln!("note: redis-server not installed; skipping");
        return;
    }
    for preamble in ["yes", "no"] {
        let dir = fresh_temp_dir();
        let node = Node::start(
            &dir,
            &["--appendonly", "yes", "--aof-use-rdb-preamble", preamble],
        );
        let mut c = node.client();
        write_everything(&mut c);
        c.cmd(&["BGREWRITEAOF"]);
        wait_rewrite_done(&mut c, "1");
        c.cmd(&["SET", "after-rewrite", "1"]);
        let before = snapshot(&mut c);
        let suffix = if preamble == "yes" { "rdb" } else { "aof" };
        assert!(
            dir.join(format!("appendonlydir/appendonly.aof.1.base.{suffix}"))
                .exists(),
            "preamble {preamble}"
        );
        node.shutdown();
        let redis = RedisNode::start(&dir, &["--appendonly", "yes"]);
        assert_eq!(before, snapshot(&mut redis.client()), "preamble {preamble}");
    }
}

#[test]
fn aof_files_and_fields_show_in_info() {
    let dir = fresh_temp_dir();
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    let mut c = node.client();
    assert_eq!(persistence_field(&mut c, "aof_enabled"), "1");
    c.cmd(&["SET", "a", "1"]);
    thread::sleep(Duration::from_millis(50));
    assert!(
        persistence_field(&mut c, "aof_current_size")
            .parse::<u64>()
            .unwrap_or(0)
            > 0
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "appendonly", "no"]),
        RespValue::ok()
    );
    assert_eq!(persistence_field(&mut c, "aof_enabled"), "0");
}

#[test]
fn a_legacy_single_file_aof_is_loaded_and_moved_into_the_directory() {
    let dir = fresh_temp_dir();
    // What Redis 6 (or 7.0 before its first start) leaves in `dir`.
    std::fs::write(
        dir.join("appendonly.aof"),
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$6\r\nlegacy\r\n$3\r\nyes\r\n",
    )
    .unwrap();
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    let mut c = node.client();
    assert_eq!(c.cmd(&["GET", "legacy"]), RespValue::bulk("yes"));
    c.cmd(&["SET", "new", "1"]);
    node.shutdown();
    assert!(
        !dir.join("appendonly.aof").exists(),
        "moved into appendonlydir/"
    );
    let manifest =
        std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap();
    assert!(
        manifest.contains("file appendonly.aof seq 1 type b"),
        "{manifest}"
    );
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    let mut c = node.client();
    assert_eq!(c.cmd(&["GET", "legacy"]), RespValue::bulk("yes"));
    assert_eq!(c.cmd(&["GET", "new"]), RespValue::bulk("1"));
}

#[test]
fn clients_get_loading_errors_while_a_large_aof_loads() {
    let dir = fresh_temp_dir();
    let node = Node::start(
        &dir,
        &["--appendonly", "yes", "--aof-use-rdb-preamble", "no"],
    );
    let mut c = node.client();
    // Many small commands, so loading takes a while and serves in between.
    for batch in 0..60 {
        let mut args = vec!["MSET".to_string()];
        for i in 0..5000 {
            args.push(format!("k:{batch}:{i}"));
            args.push("v".to_string());
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        c.cmd(&refs);
    }
    for i in 0..30000 {
        c.send(&["INCR", "counter"]);
        if i % 1000 == 999 {
            for _ in 0..1000 {
                c.read_reply();
            }
        }
    }
    node.shutdown();
    // Start without waiting for the load, and ask at once.
    let port = free_port();
    let dir_s = dir.to_string_lossy().into_owned();
    let log = dir.join("server.log").to_string_lossy().into_owned();
    let port_s = port.to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_oxidis-server"))
        .args([
            "--port",
            &port_s,
            "--dir",
            &dir_s,
            "--save",
            "",
            "--logfile",
            &log,
        ])
        .args(["--appendonly", "yes"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut saw_loading = false;
    loop {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            drop(s);
            let mut c = Client::connect(&format!("127.0.0.1:{port}"));
            match c.cmd(&["GET", "counter"]) {
                RespValue::Error(e) => {
                    assert_eq!(e, "LOADING Redis is loading the dataset in memory");
                    saw_loading = true;
                }
                v => {
                    assert_eq!(v, RespValue::bulk("30000"));
                    break;
                }
            }
        }
        assert!(Instant::now() < deadline, "never finished loading");
        thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
    // On a fast machine the load may finish before the first connection;
    // when it did not, the reply was -LOADING, never a wrong value.
    if !saw_loading {
        eprintln!("note: the AOF loaded before a client could ask");
    }
}

#[test]
fn the_aof_rewrites_itself_when_it_doubles_past_the_minimum_size() {
    let dir = fresh_temp_dir();
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    let mut c = node.client();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "auto-aof-rewrite-min-size", "4kb"]),
        RespValue::ok()
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "auto-aof-rewrite-percentage", "100"]),
        RespValue::ok()
    );
    // Many overwrites of one key: the log grows, the dataset does not.
    for i in 0..400 {
        c.cmd(&["SET", "k", &format!("value-{i}")]);
    }
    wait_rewrite_done(&mut c, "1");
    assert!(node
        .log()
        .contains("Starting automatic rewriting of AOF on"));
    let size: u64 = persistence_field(&mut c, "aof_current_size")
        .parse()
        .unwrap_or(u64::MAX);
    assert!(size < 4096, "the rewrite compacted the log: {size} bytes");
    node.shutdown();
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    assert_eq!(
        node.client().cmd(&["GET", "k"]),
        RespValue::bulk("value-399")
    );
}

#[test]
fn a_transaction_reaches_the_file_as_one_multi_exec_block() {
    let dir = fresh_temp_dir();
    let node = Node::start(&dir, &["--appendonly", "yes"]);
    let mut c = node.client();
    c.cmd(&["MULTI"]);
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["GET", "a"]);
    c.cmd(&["INCR", "b"]);
    c.cmd(&["EXEC"]);
    // A transaction with a single write is just that write.
    c.cmd(&["MULTI"]);
    c.cmd(&["SET", "c", "1"]);
    c.cmd(&["EXEC"]);
    node.shutdown();
    let text = String::from_utf8_lossy(
        &std::fs::read(dir.join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap(),
    )
    .replace("\r\n", " ");
    assert!(
        text.contains(
            "*1 $5 MULTI *3 $3 SET $1 a $1 1 *2 $4 INCR $1 b *1 $4 EXEC *3 $3 SET $1 c $1 1"
        ),
        "{text}"
    );
}
