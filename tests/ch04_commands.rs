//! Chapter 4 checkpoint: the command table, dispatch order, errors, and
//! the first commands — exact reply bytes through the real binary.

mod common;

use common::{RespValue, Server};

#[test]
fn unknown_command_error_quotes_the_first_arguments() {
    let server = Server::from_env_or_start();
    let mut c = server.client();
    assert_eq!(
        c.cmd_raw(&["FOO", "a", "b"]),
        b"-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n"
    );
    assert_eq!(
        c.cmd_raw(&["foo"]),
        b"-ERR unknown command 'foo', with args beginning with: \r\n"
    );
}

#[test]
fn wrong_arity_names_the_command_in_lowercase() {
    let server = Server::from_env_or_start();
    let mut c = server.client();
    assert_eq!(
        c.cmd_raw(&["GET"]),
        b"-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        c.cmd_raw(&["CONFIG", "GET"]),
        b"-ERR wrong number of arguments for 'config|get' command\r\n"
    );
    assert_eq!(
        c.cmd_raw(&["CLIENT"]),
        b"-ERR wrong number of arguments for 'client' command\r\n"
    );
    assert_eq!(
        c.cmd_raw(&["PING", "a", "b"]),
        b"-ERR wrong number of arguments for 'ping' command\r\n"
    );
}

#[test]
fn ping_echo_select_and_quit() {
    let server = Server::from_env_or_start();
    let mut c = server.client();
    assert_eq!(c.cmd_raw(&["PING"]), b"+PONG\r\n");
    assert_eq!(c.cmd_raw(&["ping", "hello"]), b"$5\r\nhello\r\n");
    assert_eq!(c.cmd_raw(&["ECHO", ""]), b"$0\r\n\r\n");
    assert_eq!(c.cmd_raw(&["SELECT", "15"]), b"+OK\r\n");
    assert_eq!(
        c.cmd_raw(&["SELECT", "16"]),
        b"-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        c.cmd_raw(&["SELECT", "x"]),
        b"-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(c.cmd_raw(&["QUIT"]), b"+OK\r\n");
    c.expect_closed();
}

#[test]
fn get_set_del_exists_round_trip() {
    let server = Server::from_env_or_start();
    let mut c = server.client();
    assert_eq!(c.cmd_raw(&["GET", "k"]), b"$-1\r\n");
    assert_eq!(c.cmd_raw(&["SET", "k", "v"]), b"+OK\r\n");
    assert_eq!(c.cmd_raw(&["GET", "k"]), b"$1\r\nv\r\n");
    assert_eq!(c.cmd_raw(&["EXISTS", "k", "k", "nope"]), b":2\r\n");
    assert_eq!(c.cmd_raw(&["SET", "k", "w", "NX"]), b"$-1\r\n");
    assert_eq!(c.cmd_raw(&["SET", "other", "w", "XX"]), b"$-1\r\n");
    assert_eq!(c.cmd_raw(&["SET", "k", "w", "XX"]), b"+OK\r\n");
    assert_eq!(
        c.cmd_raw(&["SET", "k", "v", "NX", "XX"]),
        b"-ERR syntax error\r\n"
    );
    assert_eq!(c.cmd_raw(&["DEL", "k", "nope"]), b":1\r\n");
    assert_eq!(c.cmd_raw(&["DBSIZE"]), b":0\r\n");
}

#[test]
fn set_with_px_expires_lazily() {
    let server = Server::from_env_or_start();
    let mut c = server.client();
    // 800 ms leaves room for a stalled CI machine between SET and GET.
    assert_eq!(c.cmd_raw(&["SET", "t", "v", "PX", "800"]), b"+OK\r\n");
    assert_eq!(c.cmd_raw(&["GET", "t"]), b"$1\r\nv\r\n");
    std::thread::sleep(std::time::Duration::from_millis(900));
    assert_eq!(c.cmd_raw(&["GET", "t"]), b"$-1\r\n");
    assert_eq!(
        c.cmd_raw(&["SET", "t", "v", "EX", "0"]),
        b"-ERR invalid expire time in 'set' command\r\n"
    );
}

#[test]
fn databases_are_separate_and_swapdb_swaps_them() {
    let server = Server::from_env_or_start();
    let mut c = server.client();
    assert_eq!(c.cmd_raw(&["SET", "k", "zero"]), b"+OK\r\n");
    assert_eq!(c.cmd_raw(&["SELECT", "1"]), b"+OK\r\n");
    assert_eq!(c.cmd_raw(&["GET", "k"]), b"$-1\r\n");
    assert_eq!(c.cmd_raw(&["SWAPDB", "0", "1"]), b"+OK\r\n");
    assert_eq!(c.cmd_raw(&["GET", "k"]), b"$4\r\nzero\r\n");
    assert_eq!(
        c.cmd_raw(&["SWAPDB", "0", "a"]),
        b"-ERR invalid second DB index\r\n"
    );
    assert_eq!(c.cmd_raw(&["FLUSHALL"]), b"+OK\r\n");
    assert_eq!(c.cmd_raw(&["DBSIZE"]), b":0\r\n");
    assert_eq!(c.cmd_raw(&["FLUSHDB", "LATER"]), b"-ERR syntax error\r\n");
}

#[test]
fn requirepass_demands_auth_before_commands() {
    let server = Server::start_with(&["--requirepass", "s3cret"]);
    let mut c = server.client();
    // Lookup and arity come before authentication, as in Redis.
    assert_eq!(
        c.cmd_raw(&["NOSUCH"]),
        b"-ERR unknown command 'NOSUCH', with args beginning with: \r\n"
    );
    assert_eq!(
        c.cmd_raw(&["GET", "k"]),
        b"-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        c.cmd_raw(&["AUTH", "wrong"]),
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(c.cmd_raw(&["AUTH", "s3cret"]), b"+OK\r\n");
    assert_eq!(c.cmd_raw(&["GET", "k"]), b"$-1\r\n");
    let mut d = server.client();
    assert_eq!(c.cmd_raw(&["AUTH", "default", "s3cret"]), b"+OK\r\n");
    assert_eq!(
        d.cmd_raw(&["PING"]),
        b"-NOAUTH Authentication required.\r\n"
    );
}

#[test]
fn auth_without_requirepass_is_an_error() {
    let server = Server::start();
    let mut c = server.client();
    assert_eq!(
        c.cmd_raw(&["AUTH", "x"]),
        b"-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"
    );
}

#[test]
fn hello_3_switches_to_resp3_maps() {
    let server = Server::from_env_or_start();
    let mut c = server.client();
    let reply = c.cmd(&["HELLO", "3"]);
    let RespValue::Map(pairs) = reply else {
        panic!("HELLO 3 must reply with a map, got {reply:?}");
    };
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key.as_str() == Some(k))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get("server"), Some(RespValue::bulk("redis")));
    assert_eq!(get("version"), Some(RespValue::bulk("7.0.15")));
    assert_eq!(get("proto"), Some(RespValue::Integer(3)));
    assert_eq!(c.cmd_raw(&["GET", "nokey"]), b"_\r\n");
    assert_eq!(
        c.cmd_raw(&["HELLO", "4"]),
        b"-NOPROTO unsupported protocol version\r\n"
    );
    // Back to RESP2: the same reply becomes a flat array.
    let raw = c.cmd_raw(&["HELLO", "2"]);
    assert!(raw.starts_with(b"*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n"));
    assert_eq!(c.cmd_raw(&["GET", "nokey"]), b"$-1\r\n");
}

#[test]
fn hello_with_auth_and_setname() {
    let server = Server::start_with(&["--requirepass", "pw"]);
    let mut c = server.client();
    assert!(c.cmd(&["HELLO", "3"]).is_error());
    let reply = c.cmd(&["HELLO", "3", "AUTH", "default", "pw", "SETNAME", "me"]);
    assert!(matches!(reply, RespValue::Map(_)));
    assert_eq!(c.cmd_raw(&["CLIENT", "GETNAME"]), b"$2\r\nme\r\n");
}

#[test]
fn reset_restores_connection_defaults() {
    let server = Server::from_env_or_start();
    let mut c = server.client();
    c.cmd(&["HELLO", "3"]);
    assert_eq!(c.cmd_raw(&["SELECT", "3"]), b"+OK\r\n");
    assert_eq!(c.cmd_raw(&["RESET"]), b"+RESET\r\n");
    assert_eq!(c.cmd_raw(&["GET", "nokey"]), b"$-1\r\n");
}

#[test]
fn command_count_and_info_describe_the_table() {
    let server = Server::from_env_or_start();
    let mut c = server.client();
    let count = c.cmd(&["COMMAND", "COUNT"]).as_int().expect("count");
    assert!(count > 20);
    let info = c.cmd(&["COMMAND", "INFO", "get", "nosuchcmd"]);
    let items = info.as_array().expect("array");
    assert_eq!(items.len(), 2);
    assert!(items[1].is_null());
    let get = items[0].as_array().expect("get info");
    assert_eq!(get[0], RespValue::bulk("get"));
    assert_eq!(get[1], RespValue::Integer(2));
    assert_eq!(
        get[2],
        RespValue::Array(vec![
            RespValue::simple("readonly"),
            RespValue::simple("fast")
        ])
    );
    assert_eq!(
        &get[3..6],
        &[
            RespValue::Integer(1),
            RespValue::Integer(1),
            RespValue::Integer(1)
        ]
    );
    assert_eq!(
        get[6],
        RespValue::Array(vec![
            RespValue::simple("@read"),
            RespValue::simple("@string"),
            RespValue::simple("@fast")
        ])
    );
}

#[test]
fn command_info_describes_get() {
    // Same shape as Redis: ten fields, key specs with begin_search/find_keys.
    let server = Server::from_env_or_start();
    let mut c = server.client();
    let info = c.cmd(&["COMMAND", "INFO", "get"]);
    let get = info.as_array().expect("array")[0]
        .as_array()
        .expect("entry")
        .to_vec();
    assert_eq!(get.len(), 10);
    let specs = get[8].as_array().expect("key specs");
    assert_eq!(specs.len(), 1);
}

#[test]
fn command_getkeys_uses_key_positions() {
    let server = Server::from_env_or_start();
    let mut c = server.client();
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "DEL", "a", "b", "c"]),
        RespValue::bulks(&["a", "b", "c"])
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "SET", "k", "v", "EX", "10"]),
        RespValue::bulks(&["k"])
    );
    assert_eq!(
        c.cmd_raw(&["COMMAND", "GETKEYS", "PING", "x"]),
        b"-ERR The command has no key arguments\r\n"
    );
    assert_eq!(
        c.cmd_raw(&["COMMAND", "GETKEYS", "GET", "a", "b"]),
        b"-ERR Invalid number of arguments specified for command\r\n"
    );
    assert_eq!(
        c.cmd_raw(&["COMMAND", "GETKEYS", "NOPE", "a"]),
        b"-ERR Invalid command specified\r\n"
    );
}

#[test]
fn command_docs_is_a_well_formed_map_for_redis_cli() {
    let server = Server::from_env_or_start();
    let mut c = server.client();
    // RESP2: a flat array of name, doc map (as array) pairs.
    let docs = c.cmd(&["COMMAND", "DOCS", "set"]);
    let items = docs.as_array().expect("array");
    assert_eq!(items[0], RespValue::bulk("set"));
    let doc = items[1].as_array().expect("doc");
    let keys: Vec<&str> = doc.iter().step_by(2).filter_map(|v| v.as_str()).collect();
    for k in ["summary", "since", "group", "complexity", "arguments"] {
        assert!(keys.contains(&k), "missing {k} in {keys:?}");
    }
    // Every command's docs parse as a whole (redis-cli fetches them all).
    c.cmd(&["HELLO", "3"]);
    let all = c.cmd(&["COMMAND", "DOCS"]);
    let RespValue::Map(pairs) = all else {
        panic!("COMMAND DOCS under RESP3 must be a map");
    };
    assert!(pairs.len() > 20);
    assert!(pairs.iter().any(|(k, _)| k.as_str() == Some("client")));
}

#[test]
fn command_list_filters_by_category_and_pattern() {
    let server = Server::from_env_or_start();
    let mut c = server.client();
    let all = c.cmd(&["COMMAND", "LIST"]);
    assert!(all
        .as_array()
        .expect("array")
        .contains(&RespValue::bulk("client|list")));
    let conn = c.cmd(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection"]);
    assert!(conn
        .as_array()
        .expect("array")
        .contains(&RespValue::bulk("ping")));
    let pat = c.cmd(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "getr*"]);
    assert_eq!(pat, RespValue::bulks(&["getrange"]));
}

#[test]
fn debug_is_refused_by_default_and_allowed_when_enabled() {
    let server = Server::start();
    let mut c = server.client();
    let reply = c.cmd_raw(&["DEBUG", "SLEEP", "0"]);
    assert!(reply.starts_with(b"-ERR DEBUG command not allowed."));
    let server = Server::start_with(&["--enable-debug-command", "yes"]);
    let mut c = server.client();
    assert_eq!(c.cmd_raw(&["DEBUG", "SLEEP", "0.01"]), b"+OK\r\n");
}

#[test]
fn monitor_streams_other_clients_commands() {
    let server = Server::start();
    let mut m = server.client();
    assert_eq!(m.cmd_raw(&["MONITOR"]), b"+OK\r\n");
    let mut c = server.client();
    assert_eq!(c.cmd_raw(&["SET", "k", "a b"]), b"+OK\r\n");
    let line = m.read_reply();
    let text = line.as_str().expect("status line").to_string();
    assert!(text.contains(" [0 127.0.0.1:"), "{text}");
    assert!(text.ends_with("\"SET\" \"k\" \"a b\""), "{text}");
}

#[test]
fn slowlog_records_commands_over_the_threshold() {
    let server = Server::start_with(&["--slowlog-log-slower-than", "0"]);
    let mut c = server.client();
    assert_eq!(c.cmd_raw(&["SLOWLOG", "RESET"]), b"+OK\r\n");
    c.cmd(&["SET", "k", "v"]);
    let log = c.cmd(&["SLOWLOG", "GET", "1"]);
    let entry = log.as_array().expect("array")[0]
        .as_array()
        .expect("entry")
        .to_vec();
    assert_eq!(entry.len(), 6);
    assert_eq!(entry[3], RespValue::bulks(&["SET", "k", "v"]));
    assert!(c.cmd(&["SLOWLOG", "LEN"]).as_int().expect("len") >= 1);
    assert_eq!(
        c.cmd_raw(&["SLOWLOG", "FOO"]),
        b"-ERR unknown subcommand 'FOO'. Try SLOWLOG HELP.\r\n"
    );
}

#[test]
fn time_and_lastsave_return_unix_times() {
    let server = Server::from_env_or_start();
    let mut c = server.client();
    let t = c.cmd(&["TIME"]);
    let parts = t.as_array().expect("array");
    assert_eq!(parts.len(), 2);
    let secs = parts[0].as_int().expect("secs");
    assert!(secs > 1_600_000_000);
    assert!(c.cmd(&["LASTSAVE"]).as_int().expect("lastsave") > 1_600_000_000);
}
