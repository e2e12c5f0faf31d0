//! Chapter 3 checkpoint: clients, pipelining, output buffers and limits,
//! CLIENT subcommands, listeners, shutdown — through the real binary.

mod common;

use common::{RespValue, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

#[test]
fn ping_over_tcp_gets_pong() {
    let server = Server::start();
    let mut c = server.client();
    assert_eq!(c.cmd_raw(&["PING"]), b"+PONG\r\n");
}

#[test]
fn pipelined_replies_are_batched() {
    // What if 10,000 commands arrive in one write? All must run, in order,
    // and every reply must arrive.
    let server = Server::start();
    let mut c = server.client();
    let mut batch = Vec::new();
    for i in 0..10_000 {
        let v = i.to_string();
        batch.extend_from_slice(&common::encode_command(&[b"SET", b"k", v.as_bytes()]));
        batch.extend_from_slice(&common::encode_command(&[b"GET", b"k"]));
    }
    c.send_raw(&batch);
    for i in 0..10_000 {
        assert_eq!(c.read_reply(), RespValue::ok());
        assert_eq!(c.read_reply(), RespValue::bulk(&i.to_string()));
    }
    assert_eq!(c.cmd_raw(&["PING"]), b"+PONG\r\n");
}

#[test]
fn inline_commands_work_for_humans_on_telnet() {
    let server = Server::start();
    let mut c = server.client();
    c.send_raw(b"PING\r\n");
    assert_eq!(c.read_raw_reply(), b"+PONG\r\n");
    c.send_raw(b"set greeting \"hello world\"\n");
    assert_eq!(c.read_raw_reply(), b"+OK\r\n");
    c.send_raw(b"get greeting\r\n");
    assert_eq!(c.read_raw_reply(), b"$11\r\nhello world\r\n");
}

#[test]
fn half_a_bulk_string_then_disconnect_leaves_the_server_healthy() {
    // What if a client sends half a bulk string and disconnects?
    let server = Server::start();
    {
        let mut s = TcpStream::connect(server.addr()).expect("connect");
        s.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nhalf")
            .expect("write");
    }
    let mut c = server.client();
    assert_eq!(c.cmd_raw(&["GET", "k"]), b"$-1\r\n");
    assert_eq!(c.cmd_raw(&["PING"]), b"+PONG\r\n");
}

#[test]
fn gigantic_declared_bulk_length_allocates_nothing_up_front() {
    // A client declaring a 512 MB argument and sending 10 bytes must not
    // make the server allocate 512 MB.
    let server = Server::start();
    let mut c = server.client();
    let before = used_memory(&mut c);
    let mut s = TcpStream::connect(server.addr()).expect("connect");
    s.write_all(b"*2\r\n$3\r\nGET\r\n$536870912\r\n0123456789")
        .expect("write");
    std::thread::sleep(Duration::from_millis(200));
    let after = used_memory(&mut c);
    assert!(
        after < before + 10 * 1024 * 1024,
        "used_memory grew from {before} to {after}"
    );
    // Over the limit is a protocol error.
    let mut d = server.client();
    d.send_raw(b"*2\r\n$3\r\nGET\r\n$2147483648\r\n");
    assert_eq!(
        d.read_raw_reply(),
        b"-ERR Protocol error: invalid bulk length\r\n"
    );
    d.expect_closed();
}

fn used_memory(c: &mut common::Client) -> u64 {
    let info = c.cmd(&["INFO", "memory"]);
    let text = String::from_utf8_lossy(info.as_bytes().expect("info text")).to_string();
    text.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory field")
}

#[test]
fn garbage_bytes_get_a_protocol_error_and_close_only_that_client() {
    let server = Server::start();
    let mut bystander = server.client();
    let mut c = server.client();
    c.send_raw(b"*abc\r\n");
    assert_eq!(
        c.read_raw_reply(),
        b"-ERR Protocol error: invalid multibulk length\r\n"
    );
    c.expect_closed();
    let mut c = server.client();
    c.send_raw(b"*1\r\n!3\r\nfoo\r\n");
    assert_eq!(
        c.read_raw_reply(),
        b"-ERR Protocol error: expected '$', got '!'\r\n"
    );
    c.expect_closed();
    assert_eq!(bystander.cmd_raw(&["PING"]), b"+PONG\r\n");
}

#[test]
fn unbalanced_quotes_in_an_inline_request_are_a_protocol_error() {
    let server = Server::start();
    let mut c = server.client();
    c.send_raw(b"SET k \"unterminated\r\n");
    assert_eq!(
        c.read_raw_reply(),
        b"-ERR Protocol error: unbalanced quotes in request\r\n"
    );
    c.expect_closed();
}

#[test]
fn client_that_never_reads_is_disconnected_by_output_limit() {
    let server = Server::start();
    let mut admin = server.client();
    assert_eq!(
        admin.cmd_raw(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 1mb 0 0"
        ]),
        b"+OK\r\n"
    );
    let big = "x".repeat(100_000);
    assert_eq!(admin.cmd_raw(&["SET", "big", &big]), b"+OK\r\n");
    // A raw socket that asks for 2,000 copies (200 MB) and never reads.
    let mut s = TcpStream::connect(server.addr()).expect("connect");
    let mut batch = Vec::new();
    for _ in 0..2000 {
        batch.extend_from_slice(&common::encode_command(&[b"GET", b"big"]));
    }
    s.write_all(&batch).expect("write");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = admin.cmd(&["INFO", "stats"]);
        let text = String::from_utf8_lossy(info.as_bytes().expect("text")).to_string();
        if text.contains("client_output_buffer_limit_disconnections:1") {
            break;
        }
        assert!(Instant::now() < deadline, "client was not disconnected");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(server
        .log_contents()
        .contains("scheduled to be closed ASAP for overcoming of output buffer limits"));
    // Everyone else goes on.
    assert_eq!(admin.cmd_raw(&["PING"]), b"+PONG\r\n");
}

#[test]
fn large_reply_does_not_starve_other_clients() {
    let server = Server::start();
    let mut a = server.client();
    let big = "y".repeat(1_000_000);
    assert_eq!(a.cmd_raw(&["SET", "big", &big]), b"+OK\r\n");
    // Client b pipelines 50 MB of replies but reads slowly.
    let mut b = TcpStream::connect(server.addr()).expect("connect");
    let mut batch = Vec::new();
    for _ in 0..50 {
        batch.extend_from_slice(&common::encode_command(&[b"GET", b"big"]));
    }
    b.write_all(&batch).expect("write");
    let start = Instant::now();
    assert_eq!(a.cmd_raw(&["PING"]), b"+PONG\r\n");
    assert!(start.elapsed() < Duration::from_secs(2));
    // Drain b completely: every byte of the 50 replies arrives.
    let expected = 50 * (1_000_000 + "$1000000\r\n".len() + 2);
    let mut got = 0;
    let mut buf = vec![0u8; 1 << 16];
    b.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    while got < expected {
        let n = b.read(&mut buf).expect("read");
        assert!(n > 0, "connection closed after {got} bytes");
        got += n;
    }
    assert_eq!(got, expected);
}

#[test]
fn a_thousand_simultaneous_connections_are_served() {
    let server = Server::start();
    let mut conns: Vec<common::Client> = (0..1000).map(|_| server.client()).collect();
    for c in conns.iter_mut() {
        c.send(&["PING"]);
    }
    for c in conns.iter_mut() {
        assert_eq!(c.read_raw_reply(), b"+PONG\r\n");
    }
    let mut admin = server.client();
    let info = admin.cmd(&["INFO", "clients"]);
    let text = String::from_utf8_lossy(info.as_bytes().expect("text")).to_string();
    assert!(text.contains("connected_clients:1001"), "{text}");
}

#[test]
fn maxclients_refuses_the_extra_connection_with_redis_error() {
    let server = Server::start_with(&["--maxclients", "2"]);
    let _a = server.client();
    let _b = server.client();
    let mut c = TcpStream::connect(server.addr()).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut buf = Vec::new();
    let _ = c.read_to_end(&mut buf);
    assert_eq!(buf, b"-ERR max number of clients reached\r\n");
}

#[test]
fn query_buffer_limit_closes_the_client_and_logs_it() {
    let server = Server::start_with(&["--client-query-buffer-limit", "1mb"]);
    let mut c = server.client();
    // An inline request never ends: no newline. The inline limit (64 KB)
    // fires first with its own protocol error.
    let mut s = TcpStream::connect(server.addr()).expect("connect");
    let _ = s.write_all(&vec![b'a'; 100_000]);
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert_eq!(buf, b"-ERR Protocol error: too big inline request\r\n");
    // A bulk argument arriving slowly past the query buffer limit.
    let mut s = TcpStream::connect(server.addr()).expect("connect");
    let _ = s.write_all(b"*2\r\n$3\r\nSET\r\n$3000000\r\n");
    let chunk = vec![b'b'; 256 * 1024];
    for _ in 0..8 {
        if s.write_all(&chunk).is_err() {
            break;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server
        .log_contents()
        .contains("Closing client that reached max query buffer length")
    {
        assert!(Instant::now() < deadline, "no log line");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(c.cmd_raw(&["PING"]), b"+PONG\r\n");
}

#[test]
fn client_id_setname_getname_and_list() {
    let server = Server::from_env_or_start();
    let mut c = server.client();
    let id = c.cmd(&["CLIENT", "ID"]).as_int().expect("id");
    assert!(id > 0);
    assert_eq!(c.cmd_raw(&["CLIENT", "GETNAME"]), b"$-1\r\n");
    assert_eq!(c.cmd_raw(&["CLIENT", "SETNAME", "worker-1"]), b"+OK\r\n");
    assert_eq!(c.cmd_raw(&["CLIENT", "GETNAME"]), b"$8\r\nworker-1\r\n");
    assert_eq!(
        c.cmd_raw(&["CLIENT", "SETNAME", "a b"]),
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    let list = c.cmd(&["CLIENT", "LIST"]);
    let text = String::from_utf8_lossy(list.as_bytes().expect("text")).to_string();
    let line = text
        .lines()
        .find(|l| l.contains("name=worker-1"))
        .expect("own line");
    assert!(
        line.starts_with(&format!("id={id} addr=127.0.0.1:")),
        "{line}"
    );
    for field in [
        " laddr=",
        " fd=",
        " age=",
        " idle=",
        " flags=N",
        " db=0",
        " cmd=client|list",
        " resp=2",
    ] {
        assert!(line.contains(field), "missing {field} in {line}");
    }
    let info = c.cmd(&["CLIENT", "INFO"]);
    let text = String::from_utf8_lossy(info.as_bytes().expect("text")).to_string();
    assert!(text.starts_with(&format!("id={id} ")));
    assert!(text.ends_with('\n'));
}

#[test]
fn client_kill_by_id_and_by_address_closes_the_victim() {
    let server = Server::from_env_or_start();
    let mut admin = server.client();
    let mut victim = server.client();
    let vid = victim.cmd(&["CLIENT", "ID"]).as_int().expect("id");
    assert_eq!(
        admin.cmd(&["CLIENT", "KILL", "ID", &vid.to_string()]),
        RespValue::Integer(1)
    );
    victim.expect_closed();
    assert_eq!(
        admin.cmd_raw(&["CLIENT", "KILL", "ID", "999999"]),
        b":0\r\n"
    );
    assert_eq!(
        admin.cmd_raw(&["CLIENT", "KILL", "1.2.3.4:5"]),
        b"-ERR No such client\r\n"
    );
    let mut victim = server.client();
    // Make sure the server has accepted the connection before killing it.
    assert_eq!(victim.cmd_raw(&["PING"]), b"+PONG\r\n");
    let addr = victim.stream().local_addr().expect("addr").to_string();
    assert_eq!(admin.cmd_raw(&["CLIENT", "KILL", &addr]), b"+OK\r\n");
    victim.expect_closed();
    // SKIPME defaults to yes in the new form.
    assert_eq!(
        admin.cmd(&["CLIENT", "KILL", "TYPE", "normal"]),
        RespValue::Integer(0)
    );
    assert_eq!(admin.cmd_raw(&["PING"]), b"+PONG\r\n");
}

#[test]
fn client_reply_off_and_skip_suppress_replies() {
    let server = Server::from_env_or_start();
    let mut c = server.client();
    c.send(&["CLIENT", "REPLY", "OFF"]);
    c.send(&["SET", "a", "1"]);
    c.send(&["CLIENT", "REPLY", "ON"]);
    assert_eq!(c.read_raw_reply(), b"+OK\r\n");
    c.send(&["CLIENT", "REPLY", "SKIP"]);
    c.send(&["GET", "a"]);
    assert_eq!(c.cmd_raw(&["GET", "a"]), b"$1\r\n1\r\n");
}

#[test]
fn client_pause_holds_commands_until_it_ends() {
    let server = Server::from_env_or_start();
    let mut admin = server.client();
    let mut other = server.client();
    assert_eq!(
        admin.cmd_raw(&["CLIENT", "PAUSE", "300", "WRITE"]),
        b"+OK\r\n"
    );
    let start = Instant::now();
    // Reads are not held by a WRITE pause.
    assert_eq!(other.cmd_raw(&["GET", "x"]), b"$-1\r\n");
    assert!(start.elapsed() < Duration::from_millis(250));
    assert_eq!(other.cmd_raw(&["SET", "x", "1"]), b"+OK\r\n");
    assert!(start.elapsed() >= Duration::from_millis(250));
    assert_eq!(
        admin.cmd_raw(&["CLIENT", "PAUSE", "10", "SOMETIMES"]),
        b"-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"
    );
    // Under a WRITE pause, CLIENT UNPAUSE itself is not held (under ALL it
    // would be, in Redis too) and releases the held writes at once.
    assert_eq!(
        admin.cmd_raw(&["CLIENT", "PAUSE", "10000", "WRITE"]),
        b"+OK\r\n"
    );
    other.send(&["SET", "y", "1"]);
    std::thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    assert_eq!(admin.cmd_raw(&["CLIENT", "UNPAUSE"]), b"+OK\r\n");
    assert_eq!(other.read_raw_reply(), b"+OK\r\n");
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn client_setinfo_and_no_evict_are_accepted() {
    let server = Server::start();
    let mut c = server.client();
    assert_eq!(
        c.cmd_raw(&["CLIENT", "SETINFO", "LIB-NAME", "redis-py"]),
        b"+OK\r\n"
    );
    assert_eq!(
        c.cmd_raw(&["CLIENT", "SETINFO", "LIB-VER", "5.0.1"]),
        b"+OK\r\n"
    );
    assert_eq!(c.cmd_raw(&["CLIENT", "NO-EVICT", "on"]), b"+OK\r\n");
    assert_eq!(
        c.cmd_raw(&["CLIENT", "NO-EVICT", "maybe"]),
        b"-ERR syntax error\r\n"
    );
    assert_eq!(
        c.cmd_raw(&["CLIENT", "FOO"]),
        b"-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n"
    );
}

#[test]
fn idle_clients_are_closed_after_timeout() {
    let server = Server::start_with(&["--timeout", "1"]);
    let mut c = server.client();
    assert_eq!(c.cmd_raw(&["PING"]), b"+PONG\r\n");
    c.set_timeout(Duration::from_secs(5));
    c.expect_closed();
}

#[test]
fn select_backend_serves_clients_too() {
    let server = Server::start_with(&["--event-backend", "select"]);
    let mut c = server.client();
    assert_eq!(c.cmd_raw(&["SET", "k", "v"]), b"+OK\r\n");
    assert_eq!(c.cmd_raw(&["GET", "k"]), b"$1\r\nv\r\n");
    let info = c.cmd(&["INFO", "server"]);
    let text = String::from_utf8_lossy(info.as_bytes().expect("text")).to_string();
    assert!(text.contains("multiplexing_api:select"), "{text}");
}

#[test]
fn unix_socket_listener_serves_clients() {
    let dir = common::fresh_temp_dir();
    let path = dir.join("oxidis.sock");
    let path_s = path.display().to_string();
    let server = Server::start_with(&["--unixsocket", &path_s, "--unixsocketperm", "700"]);
    let mut s = std::os::unix::net::UnixStream::connect(&path).expect("connect");
    s.write_all(b"*1\r\n$4\r\nPING\r\n").expect("write");
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).expect("read");
    assert_eq!(&buf, b"+PONG\r\n");
    assert!(server.log_contents().contains("unix socket"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn sigterm_shuts_the_server_down_gracefully() {
    let mut server = Server::start();
    let pid = server.pid().expect("pid") as i32;
    // SAFETY: plain kill(2) on our own child process.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    let code = server.wait_for_exit(Duration::from_secs(10));
    assert_eq!(code, Some(0));
    let log = server.log_contents();
    assert!(
        log.contains("Received SIGTERM scheduling shutdown"),
        "{log}"
    );
    assert!(log.contains("ready to exit, bye bye"), "{log}");
}

#[test]
fn shutdown_command_closes_the_connection_and_exits() {
    let mut server = Server::start();
    let mut c = server.client();
    c.send(&["SHUTDOWN", "NOSAVE"]);
    c.expect_closed();
    assert_eq!(server.wait_for_exit(Duration::from_secs(10)), Some(0));
}

#[test]
fn port_zero_with_no_unix_socket_refuses_to_start() {
    let dir = common::fresh_temp_dir();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oxidis-server"))
        .args(["--port", "0", "--dir"])
        .arg(&dir)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn soft_output_limit_closes_a_client_that_stays_over_it_for_its_seconds() {
    // What if a client goes over the soft limit once and then nothing new
    // is sent to it? The cron must still close it after the seconds pass.
    let server = Server::start();
    let mut admin = server.client();
    assert_eq!(
        admin.cmd_raw(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 0 1mb 1"
        ]),
        b"+OK\r\n"
    );
    let big = "z".repeat(1_000_000);
    assert_eq!(admin.cmd_raw(&["SET", "big", &big]), b"+OK\r\n");
    let mut s = TcpStream::connect(server.addr()).expect("connect");
    let mut batch = Vec::new();
    for _ in 0..30 {
        batch.extend_from_slice(&common::encode_command(&[b"GET", b"big"]));
    }
    s.write_all(&batch).expect("write");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = admin.cmd(&["INFO", "stats"]);
        let text = String::from_utf8_lossy(info.as_bytes().expect("text")).to_string();
        if text.contains("client_output_buffer_limit_disconnections:1") {
            break;
        }
        assert!(Instant::now() < deadline, "soft limit never enforced");
        std::thread::sleep(Duration::from_millis(100));
    }
}
