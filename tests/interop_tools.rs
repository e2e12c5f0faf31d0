//! Interop with Debian's redis-tools: `redis-cli` (one-shot, `--pipe` and
//! interactive with hints from COMMAND DOCS) and `redis-benchmark`.
//!
//! Skipped with a note when the tools are missing; a failure in CI.

mod common;

use common::Server;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn cli(server: &Server, args: &[&str]) -> String {
    let port = server.port.to_string();
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port])
        .args(args)
        .output()
        .expect("run redis-cli");
    assert!(
        out.status.success(),
        "redis-cli {:?} failed: {:?}",
        args,
        out
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn redis_cli_one_shot_commands_work() {
    if !common::require_tool("redis-cli") {
        return;
    }
    let server = Server::start();
    assert_eq!(cli(&server, &["PING"]), "PONG\n");
    assert_eq!(cli(&server, &["SET", "greeting", "hello world"]), "OK\n");
    assert_eq!(cli(&server, &["GET", "greeting"]), "hello world\n");
    assert_eq!(cli(&server, &["GET", "missing"]), "\n");
    assert!(cli(&server, &["INFO", "server"]).contains("redis_version:7.0.15"));
    let list = cli(&server, &["CLIENT", "LIST"]);
    assert!(list.contains("cmd=client|list"), "{list}");
}

#[test]
fn redis_cli_pipe_mode_loads_ten_thousand_keys() {
    if !common::require_tool("redis-cli") {
        return;
    }
    let server = Server::start();
    let mut input = Vec::new();
    for i in 0..10_000 {
        let k = format!("key:{i:010}");
        let v = format!("value-{i:08}");
        input.extend_from_slice(&common::encode_command(&[
            b"SET",
            k.as_bytes(),
            v.as_bytes(),
        ]));
    }
    let port = server.port.to_string();
    let mut child = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port, "--pipe"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn redis-cli --pipe");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&input)
        .expect("write pipe input");
    let out = child.wait_with_output().expect("wait");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("errors: 0, replies: 10000"), "{text}");
    assert_eq!(cli(&server, &["DBSIZE"]), "10000\n");
}

#[test]
fn redis_benchmark_ping_set_get_run_without_errors() {
    if !common::require_tool("redis-benchmark") {
        return;
    }
    let server = Server::start();
    let port = server.port.to_string();
    for pipeline in ["1", "16"] {
        let out = Command::new("redis-benchmark")
            .args(["-h", "127.0.0.1", "-p", &port])
            .args(["-c", "20", "-n", "5000", "-r", "1000", "-P", pipeline])
            .args(["-t", "ping_inline,ping_mbulk,set,get", "-q"])
            .output()
            .expect("run redis-benchmark");
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{text}");
        for test in ["PING_INLINE", "PING_MBULK", "SET", "GET"] {
            assert!(
                text.contains(&format!("{test}: ")) && text.contains("requests per second"),
                "missing {test} in {text}"
            );
        }
        assert!(!text.to_lowercase().contains("error"), "{text}");
    }
}

#[test]
fn redis_benchmark_default_tests_for_implemented_types_run_without_errors() {
    // redis-benchmark's default suite, minus what needs later chapters
    // (zadd/zpopmin: sorted sets; xadd: streams).
    if !common::require_tool("redis-benchmark") {
        return;
    }
    let server = Server::start();
    let port = server.port.to_string();
    let tests = "incr,lpush,rpush,lpop,rpop,sadd,hset,spop,lrange_100,lrange_300,lrange_600,mset";
    let out = Command::new("redis-benchmark")
        .args(["-h", "127.0.0.1", "-p", &port])
        .args(["-c", "10", "-n", "2000", "-r", "1000", "-t", tests, "-q"])
        .output()
        .expect("run redis-benchmark");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    // MSET's line reads "MSET (10 keys): ...".
    for test in [
        "INCR:", "LPUSH:", "RPUSH:", "LPOP:", "RPOP:", "SADD:", "HSET:", "SPOP:", "MSET (",
    ] {
        assert!(text.contains(test), "missing {test} in {text}");
    }
    assert!(text.contains("LRANGE_600"), "{text}");
    assert!(!text.to_lowercase().contains("error"), "{text}");
}

#[test]
fn interactive_redis_cli_shows_hints_built_from_command_docs() {
    // Interactive redis-cli fetches COMMAND DOCS at start and shows the
    // argument syntax as a hint while you type. A malformed DOCS reply
    // makes it print garbage or exit, so drive a real one in tmux.
    if !common::require_tool("redis-cli") || !common::require_tool("tmux") {
        return;
    }
    let server = Server::start();
    let session = format!("oxidis-cli-{}-{}", std::process::id(), server.port);
    let cmdline = format!("redis-cli -h 127.0.0.1 -p {}", server.port);
    let tmux = |args: &[&str]| Command::new("tmux").args(args).output().expect("run tmux");
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "200",
        "-y",
        "20",
        &cmdline,
    ]);
    assert!(started.status.success(), "{started:?}");
    let capture = || {
        let out = tmux(&["capture-pane", "-p", "-t", &session]);
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let wait_for = |needle: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let screen = capture();
            if screen.contains(needle) {
                return screen;
            }
            if Instant::now() > deadline {
                let _ = tmux(&["kill-session", "-t", &session]);
                panic!("never saw {needle:?} on screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait_for(&format!("127.0.0.1:{}>", server.port));
    tmux(&["send-keys", "-t", &session, "SET ", ""]);
    // The hint for SET comes from our COMMAND DOCS argument tree.
    let screen = wait_for("key value");
    assert!(screen.contains("NX|XX"), "{screen}");
    tmux(&["send-keys", "-t", &session, "C-u", ""]);
    tmux(&["send-keys", "-t", &session, "PING", "Enter"]);
    wait_for("PONG");
    let _ = tmux(&["kill-session", "-t", &session]);
}

#[test]
fn redis_cli_in_subscribe_mode_receives_messages_published_through_oxidis() {
    if !common::require_tool("redis-cli") {
        return;
    }
    let server = Server::start();
    let port = server.port.to_string();
    let mut child = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port, "SUBSCRIBE", "news"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn redis-cli SUBSCRIBE");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Wait until redis-cli is subscribed: PUBLISH then counts it.
    let mut c = server.client();
    let deadline = Instant::now() + Duration::from_secs(10);
    while c
        .cmd(&["PUBSUB", "NUMSUB", "news"])
        .as_array()
        .and_then(|a| a.get(1).and_then(|n| n.as_int()))
        != Some(1)
    {
        assert!(Instant::now() < deadline, "redis-cli never subscribed");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        c.cmd(&["PUBLISH", "news", "hello from oxidis"]).as_int(),
        Some(1)
    );
    let mut seen = Vec::new();
    let got = loop {
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(line) if line == "hello from oxidis" => break true,
            Ok(line) => seen.push(line),
            Err(_) => break false,
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(got, "redis-cli printed only {seen:?}");
    assert_eq!(&seen[..3], ["subscribe", "news", "1"]);
}
