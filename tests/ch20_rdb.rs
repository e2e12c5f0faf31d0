//! Chapter 20 checkpoint: RDB snapshots, DUMP/RESTORE, and interop with
//! real Redis 7.0 files in both directions.
//!
//! The interop tests need Debian's redis tools (`redis-server`,
//! `redis-check-rdb`); without them they print a note and pass, except in
//! CI where they fail (see `common::require_tool`).

mod common;

use common::diff::{same, Pair, RedisServer};
use common::{fresh_temp_dir, persistence_field, Client, RespValue, Server};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Arguments every oxidis in this file starts with: DEBUG for RELOAD.
const ARGS: &[&str] = &["--enable-debug-command", "yes"];

/// Databases the sample data uses.
const DBS: [usize; 3] = [0, 3, 15];

fn cmd(c: &mut Client, args: &[&str]) -> RespValue {
    c.cmd(args)
}

fn ok(c: &mut Client, args: &[&str]) {
    let r = c.cmd(args);
    assert!(!matches!(r, RespValue::Error(_)), "{args:?} failed: {r:?}");
}

/// Every type in every encoding Redis 7.0 writes, with TTLs, in three
/// databases. The same commands run on oxidis and on redis-server.
fn populate(c: &mut Client) {
    ok(c, &["SELECT", "0"]);
    ok(c, &["SET", "int", "12345"]);
    ok(c, &["SET", "bigint", "-9223372036854775808"]);
    ok(c, &["SET", "embstr", "hello world"]);
    ok(c, &["SET", "raw", &"r".repeat(100)]);
    ok(c, &["SET", "compressible", &"abc".repeat(200)]);
    ok(c, &["SET", "empty", ""]);
    ok(c, &["SET", "ttl", "expires later", "PX", "100000000"]);
    ok(c, &["SET", "binary", "\u{0}\u{1}\u{ff}\r\n"]);
    let items: Vec<String> = (0..3000).map(|i| format!("item-{i}")).collect();
    let mut rpush = vec!["RPUSH", "list"];
    rpush.extend(items.iter().map(|s| s.as_str()));
    ok(c, &rpush);
    ok(c, &["RPUSH", "small-list", "a", "1", "-7", "b"]);
    ok(c, &["HSET", "hash-lp", "a", "1", "b", "two"]);
    let big = "v".repeat(100);
    ok(c, &["HSET", "hash-ht", "x", "1", "y", &big]);
    ok(c, &["SADD", "set-int", "1", "-5", "70000", "1099511627776"]);
    ok(c, &["SADD", "set-ht", "a", "b", "c", "1"]);
    ok(
        c,
        &[
            "ZADD", "zset-lp", "-1.5", "a", "0", "b", "3", "c", "inf", "d",
        ],
    );
    let mut zadd = vec!["ZADD".to_string(), "zset-skip".to_string()];
    for i in 0..200 {
        zadd.push(format!("{}", i as f64 / 7.0));
        zadd.push(format!("m{i:04}"));
    }
    let zref: Vec<&str> = zadd.iter().map(|s| s.as_str()).collect();
    ok(c, &zref);
    ok(c, &["PEXPIRE", "hash-lp", "200000000"]);
    // Compressed quicklist nodes: small nodes, depth 1, compressible items.
    ok(c, &["CONFIG", "SET", "list-compress-depth", "1"]);
    ok(c, &["CONFIG", "SET", "list-max-listpack-size", "4"]);
    let long: Vec<String> = (0..40)
        .map(|i| format!("{i:03}{}", "z".repeat(60)))
        .collect();
    let mut rpush = vec!["RPUSH", "list-lzf"];
    rpush.extend(long.iter().map(|s| s.as_str()));
    ok(c, &rpush);
    ok(c, &["CONFIG", "SET", "list-compress-depth", "0"]);
    ok(c, &["CONFIG", "SET", "list-max-listpack-size", "-2"]);
    ok(c, &["SELECT", "3"]);
    ok(c, &["SET", "in-db-3", "v"]);
    ok(c, &["HSET", "h3", "f", "v"]);
    ok(c, &["SELECT", "15"]);
    ok(c, &["SADD", "s15", "x"]);
    ok(c, &["EXPIRE", "s15", "1000000"]);
    ok(c, &["SELECT", "0"]);
}

fn strings(v: &RespValue) -> Vec<String> {
    v.as_array()
        .unwrap_or(&[])
        .iter()
        .map(|x| String::from_utf8_lossy(x.as_bytes().unwrap_or(b"?")).into_owned())
        .collect()
}

/// Every key's database, name, type, encoding, value and absolute expiry.
fn state(c: &mut Client) -> Vec<String> {
    let mut out = Vec::new();
    for db in DBS {
        ok(c, &["SELECT", &db.to_string()]);
        let mut keys = strings(&cmd(c, &["KEYS", "*"]));
        keys.sort();
        for k in keys {
            let t = cmd(c, &["TYPE", &k]).as_str().unwrap_or("?").to_string();
            let enc = cmd(c, &["OBJECT", "ENCODING", &k]);
            let value = match t.as_str() {
                "string" => format!("{:?}", cmd(c, &["GET", &k])),
                "list" => format!("{:?}", strings(&cmd(c, &["LRANGE", &k, "0", "-1"]))),
                "hash" => {
                    let mut v = strings(&cmd(c, &["HGETALL", &k]));
                    let mut pairs: Vec<_> = v.chunks(2).map(|p| p.join("=")).collect();
                    pairs.sort();
                    v = pairs;
                    format!("{v:?}")
                }
                "set" => {
                    let mut v = strings(&cmd(c, &["SMEMBERS", &k]));
                    v.sort();
                    format!("{v:?}")
                }
                "zset" => format!(
                    "{:?}",
                    strings(&cmd(c, &["ZRANGE", &k, "0", "-1", "WITHSCORES"]))
                ),
                other => format!("unexpected type {other}"),
            };
            let exp = cmd(c, &["PEXPIRETIME", &k]);
            out.push(format!("db{db} {k} {t} {:?} exp={exp:?} {value}", enc));
        }
    }
    ok(c, &["SELECT", "0"]);
    out
}

fn assert_same_state(a: &[String], b: &[String]) {
    assert_eq!(a.len(), b.len(), "key counts differ:\n{a:#?}\n{b:#?}");
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x, y);
    }
}

// ---------------------------------------------------------------------------
// SAVE, restart, DEBUG RELOAD, SHUTDOWN
// ---------------------------------------------------------------------------

#[test]
fn save_and_restart_round_trips_every_type_and_encoding() {
    let mut server = Server::start_with(ARGS);
    let mut c = server.client();
    populate(&mut c);
    let before = state(&mut c);
    assert_eq!(c.cmd_raw(&["SAVE"]), b"+OK\r\n");
    assert!(server.log_contents().contains("DB saved on disk"));
    server.restart(ARGS);
    let mut c = server.client();
    assert_same_state(&before, &state(&mut c));
    let log = server.log_contents();
    assert!(
        log.contains("Loading RDB produced by version 7.0.15"),
        "{log}"
    );
    assert!(
        log.contains("Done loading RDB, keys loaded: 20, keys expired: 0."),
        "{log}"
    );
    assert!(log.contains("DB loaded from disk: "), "{log}");
}

#[test]
fn save_updates_lastsave_and_writes_no_temp_files() {
    let server = Server::start_with(ARGS);
    let mut c = server.client();
    ok(&mut c, &["SET", "k", "v"]);
    let before = cmd(&mut c, &["LASTSAVE"]).as_int().unwrap_or(0);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(c.cmd_raw(&["SAVE"]), b"+OK\r\n");
    let after = cmd(&mut c, &["LASTSAVE"]).as_int().unwrap_or(0);
    assert!(after > before, "LASTSAVE {before} -> {after}");
    assert!(server.dir.join("dump.rdb").exists());
    let temps: Vec<_> = std::fs::read_dir(&server.dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("temp-"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
}

#[test]
fn expired_keys_in_the_file_are_not_loaded() {
    let mut server = Server::start_with(ARGS);
    let mut c = server.client();
    ok(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    ok(&mut c, &["SET", "short", "v", "PX", "300"]);
    ok(&mut c, &["SET", "long", "v"]);
    assert_eq!(c.cmd_raw(&["SAVE"]), b"+OK\r\n");
    std::thread::sleep(Duration::from_millis(400));
    server.restart(ARGS);
    let mut c = server.client();
    assert_eq!(cmd(&mut c, &["DBSIZE"]), RespValue::Integer(1));
    assert!(server
        .log_contents()
        .contains("Done loading RDB, keys loaded: 1, keys expired: 1."));
}

#[test]
fn debug_reload_saves_flushes_and_loads_back() {
    let server = Server::start_with(ARGS);
    let mut c = server.client();
    populate(&mut c);
    let before = state(&mut c);
    assert_eq!(c.cmd_raw(&["DEBUG", "RELOAD"]), b"+OK\r\n");
    assert_same_state(&before, &state(&mut c));
    assert!(server
        .log_contents()
        .contains("DB reloaded by DEBUG RELOAD"));
    // NOSAVE reloads the file as it is: a key set since is gone.
    ok(&mut c, &["SET", "later", "x"]);
    assert_eq!(c.cmd_raw(&["DEBUG", "RELOAD", "NOSAVE"]), b"+OK\r\n");
    assert_eq!(cmd(&mut c, &["EXISTS", "later"]), RespValue::Integer(0));
    let r = c.cmd_raw(&["DEBUG", "RELOAD", "BOGUS"]);
    assert_eq!(
        r,
        b"-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n"
    );
}

#[test]
fn shutdown_save_writes_the_file_and_nosave_does_not() {
    let mut server = Server::start_with(ARGS);
    let mut c = server.client();
    ok(&mut c, &["SET", "k", "saved"]);
    c.send(&["SHUTDOWN", "SAVE"]);
    assert_eq!(server.wait_for_exit(Duration::from_secs(10)), Some(0));
    assert!(server.dir.join("dump.rdb").exists());
    server.restart(ARGS);
    let mut c = server.client();
    assert_eq!(
        cmd(&mut c, &["GET", "k"]),
        RespValue::Bulk(b"saved".to_vec())
    );
    // With save points set, NOSAVE still skips the final save.
    server.restart(&["--save", "3600 1"]);
    let mut c = server.client();
    ok(&mut c, &["SET", "k", "changed"]);
    c.send(&["SHUTDOWN", "NOSAVE"]);
    assert_eq!(server.wait_for_exit(Duration::from_secs(10)), Some(0));
    server.restart(ARGS);
    let mut c = server.client();
    assert_eq!(
        cmd(&mut c, &["GET", "k"]),
        RespValue::Bulk(b"saved".to_vec())
    );
}

#[test]
fn sigterm_saves_when_save_points_are_configured() {
    let mut server = Server::start_with(&["--save", "3600 1"]);
    let mut c = server.client();
    ok(&mut c, &["SET", "k", "v"]);
    let pid = server.pid().expect("spawned").to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status();
    assert!(status.map(|s| s.success()).unwrap_or(false));
    assert_eq!(server.wait_for_exit(Duration::from_secs(10)), Some(0));
    assert!(server
        .log_contents()
        .contains("Saving the final RDB snapshot before exiting."));
    assert!(server.dir.join("dump.rdb").exists());
}

// ---------------------------------------------------------------------------
// Bad files
// ---------------------------------------------------------------------------

/// Starts oxidis on a directory holding `bytes` as dump.rdb, listening
/// only on a unix socket there; returns its exit code (`None` if it was
/// still running after 10 s and had to be killed: it accepted the file)
/// and everything it printed.
fn start_on_file(bytes: &[u8]) -> (Option<i32>, String) {
    let dir = fresh_temp_dir();
    std::fs::write(dir.join("dump.rdb"), bytes).unwrap();
    let out_path = dir.join("out.log");
    let out = std::fs::File::create(&out_path).unwrap();
    let err = out.try_clone().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_oxidis-server"))
        .args(["--port", "0", "--save", "", "--unixsocket"])
        .arg(dir.join("s.sock"))
        .arg("--dir")
        .arg(&dir)
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("run oxidis-server");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let code = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status.code();
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let text = std::fs::read_to_string(&out_path).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    (code, text)
}

fn saved_sample() -> Vec<u8> {
    let server = Server::start_with(ARGS);
    let mut c = server.client();
    ok(&mut c, &["SET", "s", "hello"]);
    ok(&mut c, &["HSET", "h", "a", "1", "b", "2"]);
    ok(&mut c, &["RPUSH", "l", "x", "y", "z"]);
    ok(&mut c, &["ZADD", "z", "1", "m"]);
    ok(&mut c, &["SADD", "i", "1", "2"]);
    assert_eq!(c.cmd_raw(&["SAVE"]), b"+OK\r\n");
    std::fs::read(server.dir.join("dump.rdb")).unwrap()
}

#[test]
fn a_truncated_file_stops_start_up_with_file_offset_and_reason() {
    let bytes = saved_sample();
    for cut in [5, 9, 20, bytes.len() / 2, bytes.len() - 9, bytes.len() - 1] {
        let (code, text) = start_on_file(&bytes[..cut]);
        assert_eq!(code, Some(1), "cut {cut}: {text}");
        assert!(
            text.contains("Bad RDB file dump.rdb at offset"),
            "cut {cut}: {text}"
        );
        assert!(!text.contains("panicked"), "cut {cut}: {text}");
        assert!(!text.contains("Ready to accept connections"), "{text}");
    }
}

#[test]
fn bit_flipped_files_never_start_with_bad_data_or_panic() {
    let bytes = saved_sample();
    for i in (9..bytes.len()).step_by(7) {
        let mut b = bytes.clone();
        b[i] ^= 0x20;
        let (code, text) = start_on_file(&b);
        assert!(!text.contains("panicked"), "flip at {i}: {text}");
        // The checksum catches every flip the parsers do not.
        assert_eq!(code, Some(1), "flip at {i} was accepted: {text}");
        assert!(text.contains("offset"), "{text}");
    }
}

#[test]
fn check_rdb_mode_reports_like_redis_check_rdb() {
    let bytes = saved_sample();
    let dir = fresh_temp_dir();
    let path = dir.join("dump.rdb");
    std::fs::write(&path, &bytes).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_oxidis-server"))
        .arg("--check-rdb")
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("\\o/ RDB looks OK! \\o/"), "{text}");
    assert!(text.contains("[info] 5 keys read"), "{text}");
    std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_oxidis-server"))
        .arg("--check-rdb")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--- RDB ERROR DETECTED ---"));
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------
// DUMP / RESTORE
// ---------------------------------------------------------------------------

#[test]
fn restore_replies_and_errors_match_redis() {
    let pair = Pair::start();
    same(
        &pair,
        &[
            &["SET", "k", "hello"],
            &["DUMP", "k"],
            &["DUMP", "nokey"],
            &["RESTORE", "x", "0", "abc"],
            &["RESTORE", "x", "0", "abcdefghijkl"],
            &["RESTORE", "k", "0", "abc"],
            &["RESTORE", "x", "-1", "abc"],
            &["RESTORE", "x", "abc", "abc"],
            &["RESTORE", "x", "0", "abc", "IDLETIME", "-1"],
            &["RESTORE", "x", "0", "abc", "IDLETIME", "x"],
            &["RESTORE", "x", "0", "abc", "FREQ", "256"],
            &["RESTORE", "x", "0", "abc", "FOO"],
            &["RESTORE", "x", "0", "abc", "IDLETIME", "1", "FREQ", "2"],
            &["RESTORE", "x", "0", "abc", "IDLETIME"],
            &["RESTORE", "x"],
            &["RPUSH", "l", "a", "b", "c"],
            &["DUMP", "l"],
            &["HSET", "h", "a", "1", "b", "2"],
            &["DUMP", "h"],
            &["SADD", "s", "1", "2", "3"],
            &["DUMP", "s"],
            &["ZADD", "z", "1", "a", "2.5", "b"],
            &["DUMP", "z"],
            &["SET", "n", "12345"],
            &["DUMP", "n"],
        ],
    );
}

#[test]
fn restore_round_trips_with_ttl_replace_absttl_and_idletime() {
    let server = Server::start_with(ARGS);
    let mut c = server.client();
    ok(&mut c, &["RPUSH", "src", "a", "b"]);
    let payload = cmd(&mut c, &["DUMP", "src"]).as_bytes().unwrap().to_vec();
    let r = c.cmd_bytes(&[b"RESTORE", b"dst", b"0", &payload]);
    assert_eq!(r, RespValue::ok());
    assert_eq!(
        strings(&cmd(&mut c, &["LRANGE", "dst", "0", "-1"])),
        ["a", "b"]
    );
    let r = c.cmd_bytes(&[b"RESTORE", b"dst", b"0", &payload]);
    assert_eq!(
        r,
        RespValue::Error("BUSYKEY Target key name already exists.".into())
    );
    let r = c.cmd_bytes(&[b"RESTORE", b"dst", b"5000", &payload, b"REPLACE"]);
    assert_eq!(r, RespValue::ok());
    let pttl = cmd(&mut c, &["PTTL", "dst"]).as_int().unwrap();
    assert!((4000..=5000).contains(&pttl), "{pttl}");
    // ABSTTL in the past: OK, and REPLACE deleted the old key.
    let r = c.cmd_bytes(&[b"RESTORE", b"dst", b"1000", &payload, b"REPLACE", b"ABSTTL"]);
    assert_eq!(r, RespValue::ok());
    assert_eq!(cmd(&mut c, &["EXISTS", "dst"]), RespValue::Integer(0));
    let r = c.cmd_bytes(&[b"RESTORE", b"idle", b"0", &payload, b"IDLETIME", b"1000"]);
    assert_eq!(r, RespValue::ok());
    let idle = cmd(&mut c, &["OBJECT", "IDLETIME", "idle"])
        .as_int()
        .unwrap();
    assert!((1000..=1002).contains(&idle), "{idle}");
    // A corrupted body with a valid footer is "Bad data format".
    let mut bad = vec![0x12u8, 0x01, 0x02, 0x03, b'x', b'y', b'z'];
    bad.extend_from_slice(&10u16.to_le_bytes());
    let crc = crc64(&bad);
    bad.extend_from_slice(&crc.to_le_bytes());
    let r = c.cmd_bytes(&[b"RESTORE", b"bad", b"0", &bad]);
    assert_eq!(r, RespValue::Error("ERR Bad data format".into()));
}

/// CRC-64/Jones, bit by bit: the test's own copy, independent of the
/// server's tables.
fn crc64(data: &[u8]) -> u64 {
    let mut crc = 0u64;
    for &b in data {
        crc ^= b as u64;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x95ac_9329_ac4b_c9b5
            } else {
                crc >> 1
            };
        }
    }
    crc
}

// ---------------------------------------------------------------------------
// Interop with real Redis 7.0
// ---------------------------------------------------------------------------

#[test]
fn redis_check_rdb_accepts_our_dump() {
    if !common::require_tool("redis-check-rdb") {
        return;
    }
    let server = Server::start_with(ARGS);
    let mut c = server.client();
    populate(&mut c);
    assert_eq!(c.cmd_raw(&["SAVE"]), b"+OK\r\n");
    let out = Command::new("redis-check-rdb")
        .arg(server.dir.join("dump.rdb"))
        .output()
        .expect("run redis-check-rdb");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("RDB looks OK"), "{text}");
    assert!(text.contains("[info] 20 keys read"), "{text}");
}

fn copy_dump(from: &Path) -> std::path::PathBuf {
    let dir = fresh_temp_dir();
    std::fs::copy(from.join("dump.rdb"), dir.join("dump.rdb")).expect("copy dump.rdb");
    dir
}

#[test]
fn real_redis_loads_our_dump_with_the_same_data() {
    if !common::require_tool("redis-server") {
        return;
    }
    let server = Server::start_with(ARGS);
    let mut c = server.client();
    populate(&mut c);
    let ours = state(&mut c);
    assert_eq!(c.cmd_raw(&["SAVE"]), b"+OK\r\n");
    let redis = RedisServer::start_in(copy_dump(&server.dir));
    let mut r = redis.client();
    assert_same_state(&ours, &state(&mut r));
}

#[test]
fn oxidis_loads_a_dump_written_by_real_redis() {
    if !common::require_tool("redis-server") {
        return;
    }
    let redis = RedisServer::start();
    let mut r = redis.client();
    populate(&mut r);
    // A plain quicklist node: Redis stores elements above this threshold
    // outside any listpack.
    ok(&mut r, &["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100"]);
    let big = "P".repeat(300);
    ok(
        &mut r,
        &["RPUSH", "list-plain", "small", &big, "small again"],
    );
    let theirs = state(&mut r);
    assert_eq!(r.cmd_raw(&["SAVE"]), b"+OK\r\n");
    let mut server = Server::start_with(ARGS);
    std::fs::copy(redis.dir.join("dump.rdb"), server.dir.join("dump.rdb")).unwrap();
    server.restart(ARGS);
    let mut c = server.client();
    assert_same_state(&theirs, &state(&mut c));
}

#[test]
fn dump_from_one_server_restores_into_the_other_both_ways() {
    if !common::require_tool("redis-server") {
        return;
    }
    let server = Server::start_with(ARGS);
    let redis = RedisServer::start();
    let mut c = server.client();
    let mut r = redis.client();
    populate(&mut c);
    populate(&mut r);
    let expected = state(&mut c);
    for oxidis_to_redis in [true, false] {
        let (from, to) = if oxidis_to_redis {
            (&mut c, &mut r)
        } else {
            (&mut r, &mut c)
        };
        for db in DBS {
            let sel = db.to_string();
            ok(from, &["SELECT", &sel]);
            ok(to, &["SELECT", &sel]);
            for k in strings(&cmd(from, &["KEYS", "*"])) {
                let payload = cmd(from, &["DUMP", &k]).as_bytes().unwrap().to_vec();
                let ttl = cmd(from, &["PEXPIRETIME", &k]).as_int().unwrap();
                let ttl = if ttl < 0 { 0 } else { ttl }.to_string();
                let reply = to.cmd_bytes(&[
                    b"RESTORE",
                    k.as_bytes(),
                    ttl.as_bytes(),
                    &payload,
                    b"REPLACE",
                    b"ABSTTL",
                ]);
                assert_eq!(reply, RespValue::ok(), "RESTORE {k}");
            }
        }
        ok(from, &["SELECT", "0"]);
        ok(to, &["SELECT", "0"]);
        assert_same_state(&expected, &state(to));
    }
}

// ---------------------------------------------------------------------------
// BGSAVE: fork, save points, failures
// ---------------------------------------------------------------------------

/// Polls INFO until `field` reads `want` (a child to finish, a save point
/// to fire).
fn wait_for_field(c: &mut Client, field: &str, want: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while persistence_field(c, field) != want {
        assert!(
            std::time::Instant::now() < deadline,
            "{field} never became {want} (is {})",
            persistence_field(c, field)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn bgsave_in_a_child_round_trips_every_type_and_encoding() {
    let mut server = Server::start_with(ARGS);
    let mut c = server.client();
    populate(&mut c);
    let before = state(&mut c);
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        RespValue::simple("Background saving started")
    );
    wait_for_field(&mut c, "rdb_bgsave_in_progress", "0");
    assert_eq!(persistence_field(&mut c, "rdb_last_bgsave_status"), "ok");
    assert_eq!(persistence_field(&mut c, "rdb_saves"), "1");
    assert_eq!(
        persistence_field(&mut c, "rdb_changes_since_last_save"),
        "0"
    );
    // The child reported how much memory copy-on-write cost it.
    let cow: u64 = persistence_field(&mut c, "rdb_last_cow_size")
        .parse()
        .unwrap_or(0);
    assert!(cow > 0, "rdb_last_cow_size {cow}");
    assert!(server
        .log_contents()
        .contains("Background saving terminated with success"));
    // No temp-<pid>.rdb is left behind.
    let temps = std::fs::read_dir(&server.dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("temp-"))
        .count();
    assert_eq!(temps, 0);
    server.restart(ARGS);
    assert_same_state(&before, &state(&mut server.client()));
}

#[test]
fn bgsave_replies_follow_redis_while_a_child_runs() {
    let server = Server::start_with(ARGS);
    let mut c = server.client();
    // Enough data that the child is still writing when the next command
    // arrives.
    let mut args = vec!["MSET".to_string()];
    for i in 0..200_000 {
        args.push(format!("key:{i}"));
        args.push(format!("value:{i}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&mut c, &refs);
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        RespValue::simple("Background saving started")
    );
    let second = c.cmd(&["BGSAVE"]);
    let save = c.cmd(&["SAVE"]);
    if persistence_field(&mut c, "rdb_bgsave_in_progress") == "1" || second.is_error() {
        assert_eq!(
            second,
            RespValue::error("ERR Background save already in progress")
        );
        assert_eq!(
            save,
            RespValue::error("ERR Background save already in progress")
        );
    }
    wait_for_field(&mut c, "rdb_bgsave_in_progress", "0");
    assert_eq!(
        c.cmd(&["BGSAVE", "NOW"]),
        RespValue::error("ERR syntax error")
    );
}

#[test]
fn a_save_point_starts_a_bgsave_when_enough_changes_are_old_enough() {
    let server = Server::start_with(ARGS);
    let mut c = server.client();
    ok(&mut c, &["CONFIG", "SET", "save", "1 2"]);
    ok(&mut c, &["SET", "a", "1"]);
    ok(&mut c, &["SET", "b", "2"]);
    wait_for_field(&mut c, "rdb_saves", "1");
    assert!(server
        .log_contents()
        .contains("2 changes in 1 seconds. Saving..."));
    assert!(server.dir.join("dump.rdb").exists());
}

#[test]
fn a_failed_bgsave_refuses_writes_with_misconf_until_allowed() {
    let server = Server::start_with(&["--enable-protected-configs", "yes"]);
    let mut c = server.client();
    // A directory that vanishes under the server: the child cannot create
    // its temp file there (even as root).
    let gone = fresh_temp_dir();
    ok(&mut c, &["CONFIG", "SET", "dir", &gone.to_string_lossy()]);
    ok(&mut c, &["CONFIG", "SET", "save", "3600 1"]);
    std::fs::remove_dir_all(&gone).unwrap();
    ok(&mut c, &["SET", "a", "1"]);
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        RespValue::simple("Background saving started")
    );
    wait_for_field(&mut c, "rdb_last_bgsave_status", "err");
    wait_for_field(&mut c, "rdb_bgsave_in_progress", "0");
    let r = c.cmd(&["SET", "b", "2"]);
    assert!(
        matches!(&r, RespValue::Error(e) if e.starts_with("MISCONF Redis is configured to save RDB snapshots")),
        "{r:?}"
    );
    assert_eq!(c.cmd(&["GET", "a"]), RespValue::bulk("1"), "reads go on");
    ok(
        &mut c,
        &["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"],
    );
    ok(&mut c, &["SET", "b", "2"]);
}

#[test]
fn kill_9_of_the_bgsave_child_leaves_the_previous_file_loadable() {
    let mut server = Server::start_with(ARGS);
    let mut c = server.client();
    ok(&mut c, &["SET", "old", "1"]);
    ok(&mut c, &["SAVE"]);
    let mut args = vec!["MSET".to_string()];
    for i in 0..200_000 {
        args.push(format!("key:{i}"));
        args.push(format!("value:{i}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&mut c, &refs);
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        RespValue::simple("Background saving started")
    );
    // The child's pid is in the log; kill it mid-write.
    let log = server.log_contents();
    let pid: i32 = log
        .lines()
        .filter_map(|l| l.split("Background saving started by pid ").nth(1))
        .filter_map(|p| p.trim().parse().ok())
        .next_back()
        .expect("child pid in the log");
    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    wait_for_field(&mut c, "rdb_bgsave_in_progress", "0");
    server.restart(ARGS);
    let mut c = server.client();
    // Either the old file (the child died before its rename) or, if the
    // child won the race, the new one: never a broken one.
    let size = c.cmd(&["DBSIZE"]).as_int().unwrap_or(-1);
    assert!(size == 1 || size == 200_001, "DBSIZE {size}");
    assert_eq!(c.cmd(&["GET", "old"]), RespValue::bulk("1"));
}
