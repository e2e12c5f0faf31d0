//! Chapter 5 checkpoint: redis.conf, command-line flags, CONFIG and INFO.

mod common;

use common::{RespValue, Server};
use std::time::Duration;

fn info_text(c: &mut common::Client, section: &str) -> String {
    let reply = if section.is_empty() {
        c.cmd(&["INFO"])
    } else {
        c.cmd(&["INFO", section])
    };
    String::from_utf8_lossy(reply.as_bytes().expect("info is a bulk")).to_string()
}

#[test]
fn config_get_returns_redis_defaults_as_pairs() {
    let server = Server::start();
    let mut c = server.client();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "maxclients"]),
        RespValue::bulks(&["maxclients", "10000"])
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "proto-max-bulk-len"]),
        RespValue::bulks(&["proto-max-bulk-len", "536870912"])
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "client-output-buffer-limit"]),
        RespValue::bulks(&[
            "client-output-buffer-limit",
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        ])
    );
    // Several patterns at once, globs included.
    let reply = c.cmd(&["CONFIG", "GET", "hz", "maxmemory-p*"]);
    let items = reply.as_array().expect("array");
    let names: Vec<&str> = items.iter().step_by(2).filter_map(|v| v.as_str()).collect();
    assert!(names.contains(&"hz"));
    assert!(names.contains(&"maxmemory-policy"));
}

#[test]
fn config_set_changes_values_and_rejects_bad_ones() {
    let server = Server::start();
    let mut c = server.client();
    assert_eq!(c.cmd_raw(&["CONFIG", "SET", "hz", "20"]), b"+OK\r\n");
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "hz"]),
        RespValue::bulks(&["hz", "20"])
    );
    assert_eq!(
        c.cmd_raw(&["CONFIG", "SET", "nosuch", "1"]),
        b"-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n"
    );
    let bad = c.cmd_raw(&["CONFIG", "SET", "hz", "fast"]);
    assert!(
        bad.starts_with(b"-ERR CONFIG SET failed (possibly related to argument 'hz')"),
        "{}",
        String::from_utf8_lossy(&bad)
    );
}

#[test]
fn config_set_with_several_pairs_is_all_or_nothing() {
    let server = Server::start();
    let mut c = server.client();
    let reply = c.cmd(&["CONFIG", "SET", "hz", "30", "maxclients", "lots"]);
    assert!(reply.is_error());
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "hz"]),
        RespValue::bulks(&["hz", "10"])
    );
    assert_eq!(
        c.cmd_raw(&["CONFIG", "SET", "hz", "30", "maxclients", "500"]),
        b"+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "hz"]),
        RespValue::bulks(&["hz", "30"])
    );
}

#[test]
fn config_file_and_flags_are_read_at_start_with_flags_winning() {
    let dir = common::fresh_temp_dir();
    let conf = dir.join("oxidis.conf");
    std::fs::write(
        &conf,
        "# a comment\nhz 15\nmaxclients 123\nslowlog-max-len \"77\"\nmaxmemory 1mb\n",
    )
    .expect("write conf");
    let conf_s = conf.display().to_string();
    // The file comes first on the command line; flags after it win.
    let server = Server::start_with_config_file(&conf_s, &["--maxclients", "321"]);
    let mut c = server.client();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "hz"]),
        RespValue::bulks(&["hz", "15"])
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "maxclients"]),
        RespValue::bulks(&["maxclients", "321"])
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "maxmemory"]),
        RespValue::bulks(&["maxmemory", "1048576"])
    );
    let info = info_text(&mut c, "server");
    assert!(info.contains(&format!("config_file:{conf_s}")), "{info}");
    // CONFIG REWRITE keeps the comment and records the new value.
    assert_eq!(c.cmd_raw(&["CONFIG", "SET", "hz", "25"]), b"+OK\r\n");
    assert_eq!(c.cmd_raw(&["CONFIG", "REWRITE"]), b"+OK\r\n");
    let text = std::fs::read_to_string(&conf).expect("read conf");
    assert!(text.contains("# a comment"), "{text}");
    assert!(text.contains("hz 25"), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn config_set_port_moves_the_listener_and_a_busy_port_is_refused() {
    let server = Server::start();
    let mut c = server.client();
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    assert_eq!(
        c.cmd_raw(&["CONFIG", "SET", "port", &free.to_string()]),
        b"+OK\r\n"
    );
    let mut moved = common::Client::connect(&format!("127.0.0.1:{free}"));
    assert_eq!(moved.cmd_raw(&["PING"]), b"+PONG\r\n");
    // A port someone else holds: refused with Redis's text, nothing moves.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let busy_port = busy.local_addr().expect("addr").port().to_string();
    assert_eq!(
        moved.cmd_raw(&["CONFIG", "SET", "port", &busy_port]),
        b"-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n"
    );
    assert_eq!(
        moved.cmd(&["CONFIG", "GET", "port"]),
        RespValue::bulks(&["port", &free.to_string()])
    );
    let mut again = common::Client::connect(&format!("127.0.0.1:{free}"));
    assert_eq!(again.cmd_raw(&["PING"]), b"+PONG\r\n");
}

#[test]
fn config_rewrite_without_a_file_is_an_error() {
    let server = Server::start();
    let mut c = server.client();
    assert_eq!(
        c.cmd_raw(&["CONFIG", "REWRITE"]),
        b"-ERR The server is running without a config file\r\n"
    );
}

#[test]
fn bad_directive_stops_startup_with_redis_message_and_exit_code_1() {
    let dir = common::fresh_temp_dir();
    let conf = dir.join("bad.conf");
    std::fs::write(&conf, "port 7000\nfoo bar\n").expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oxidis-server"))
        .arg(&conf)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(err.contains("*** FATAL CONFIG FILE ERROR"), "{err}");
    assert!(err.contains("at line 2"), "{err}");
    assert!(err.contains(">>> 'foo bar'"), "{err}");
    assert!(
        err.contains("Bad directive or wrong number of arguments"),
        "{err}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oxidis-server"))
        .args(["--port", "notaport"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn info_has_redis_sections_and_field_names() {
    let server = Server::start();
    let mut c = server.client();
    let info = info_text(&mut c, "");
    for header in [
        "# Server\r\n",
        "# Clients\r\n",
        "# Memory\r\n",
        "# Persistence\r\n",
        "# Stats\r\n",
        "# Replication\r\n",
        "# CPU\r\n",
        "# Keyspace\r\n",
    ] {
        assert!(info.contains(header), "missing {header}");
    }
    for field in [
        "redis_version:7.0.15\r\n",
        "oxidis_version:",
        "redis_mode:standalone",
        "multiplexing_api:epoll",
        "connected_clients:1\r\n",
        "used_memory:",
        "used_memory_human:",
        "total_commands_processed:",
        "role:master",
        "used_cpu_user:",
    ] {
        assert!(info.contains(field), "missing {field}");
    }
    assert!(!info.contains("# Commandstats"));
    // A single section, and unknown sections print nothing.
    let server_only = info_text(&mut c, "server");
    assert!(server_only.starts_with("# Server\r\n"));
    assert!(!server_only.contains("# Clients"));
    assert_eq!(info_text(&mut c, "nosuchsection"), "");
}

#[test]
fn info_keyspace_counts_keys_per_db() {
    let server = Server::start();
    let mut c = server.client();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SET", "b", "1", "EX", "100"]);
    c.cmd(&["SELECT", "2"]);
    c.cmd(&["SET", "c", "1"]);
    let info = info_text(&mut c, "keyspace");
    assert!(info.contains("db0:keys=2,expires=1,avg_ttl="), "{info}");
    assert!(info.contains("db2:keys=1,expires=0,avg_ttl="), "{info}");
}

#[test]
fn info_commandstats_and_errorstats_count_calls_and_errors() {
    let server = Server::start();
    let mut c = server.client();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["GET", "a"]);
    c.cmd(&["GET", "a"]);
    c.cmd(&["GET"]);
    c.cmd(&["NOSUCH"]);
    c.cmd(&["CONFIG", "GET", "hz"]);
    let stats = info_text(&mut c, "commandstats");
    assert!(stats.contains("cmdstat_get:calls=2,usec="), "{stats}");
    assert!(stats.contains("rejected_calls=1,failed_calls=0"), "{stats}");
    assert!(stats.contains("cmdstat_config|get:calls=1"), "{stats}");
    let errors = info_text(&mut c, "errorstats");
    assert!(errors.contains("errorstat_ERR:count=2"), "{errors}");
    assert_eq!(c.cmd_raw(&["CONFIG", "RESETSTAT"]), b"+OK\r\n");
    let stats = info_text(&mut c, "commandstats");
    assert!(!stats.contains("cmdstat_get"), "{stats}");
}

#[test]
fn info_everything_includes_commandstats() {
    let server = Server::start();
    let mut c = server.client();
    let info = info_text(&mut c, "everything");
    assert!(info.contains("# Commandstats\r\n"));
    let all = info_text(&mut c, "all");
    assert!(all.contains("cmdstat_info:calls="));
}

#[test]
fn loglevel_and_log_line_format_match_redis() {
    let server = Server::start_with(&["--loglevel", "verbose"]);
    let _c = server.client();
    std::thread::sleep(Duration::from_millis(200));
    let log = server.log_contents();
    let ready = log
        .lines()
        .find(|l| l.contains("Ready to accept connections"))
        .expect("ready line");
    // "4242:M 30 Nov 2026 18:07:28.123 * Ready to accept connections"
    let (pid, rest) = ready.split_once(':').expect("pid:");
    assert!(pid.parse::<u32>().is_ok(), "{ready}");
    assert!(rest.starts_with("M "), "{ready}");
    assert!(rest.contains(" * Ready"), "{ready}");
    assert!(log.contains(" - Accepted") || log.contains(" - "), "{log}");
}

#[test]
fn memory_usage_and_stats_report_numbers() {
    let server = Server::start();
    let mut c = server.client();
    c.cmd(&["SET", "k", "value"]);
    let usage = c.cmd(&["MEMORY", "USAGE", "k"]).as_int().expect("usage");
    assert!(usage > 5 && usage < 1000, "{usage}");
    assert_eq!(c.cmd_raw(&["MEMORY", "USAGE", "nokey"]), b"$-1\r\n");
    let stats = c.cmd(&["MEMORY", "STATS"]);
    let items = stats.as_array().expect("array");
    assert_eq!(items[0], RespValue::bulk("peak.allocated"));
    assert!(c.cmd(&["MEMORY", "DOCTOR"]).as_bytes().is_some());
}

#[test]
fn latency_latest_is_empty_then_records_slow_commands() {
    let server = Server::start_with(&[
        "--latency-monitor-threshold",
        "1",
        "--enable-debug-command",
        "yes",
    ]);
    let mut c = server.client();
    assert_eq!(c.cmd_raw(&["LATENCY", "LATEST"]), b"*0\r\n");
    assert_eq!(c.cmd_raw(&["DEBUG", "SLEEP", "0.02"]), b"+OK\r\n");
    let latest = c.cmd(&["LATENCY", "LATEST"]);
    let rows = latest.as_array().expect("array");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].as_array().expect("row")[0],
        RespValue::bulk("command")
    );
    assert_eq!(c.cmd(&["LATENCY", "RESET"]), RespValue::Integer(1));
}
