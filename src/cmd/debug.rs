//! DEBUG: developer commands, gated by `enable-debug-command`.
//!
//! Chapter: chapters/04-commands.md
//!
//! `enable-debug-command no` (the default, as in Redis 7.0) refuses DEBUG
//! entirely; `local` allows it from loopback and unix-socket connections;
//! `yes` allows it from anywhere.
//!
//! Not here: the features DEBUG pokes at; later chapters add subcommands
//! (RELOAD, JMAP, ...) next to the structures they inspect.

use super::flag::*;
use super::{eq_ic, Command, ERR_SYNTAX};
use crate::config::ProtectedAccess;
use crate::resp::Reply;
use crate::server::client::flags;
use crate::server::Ctx;

pub static COMMANDS: &[Command] =
    &[
        Command::new("debug", debug, -2, ADMIN | NOSCRIPT | LOADING | STALE)
            .doc(
                "server",
                "1.0.0",
                "Depends on subcommand.",
                "A container for debugging commands",
            )
            .syntax("subcommand:string [arg:string...]"),
    ];

/// Is DEBUG allowed for this client under `enable-debug-command`?
fn allowed(ctx: &Ctx) -> bool {
    match ctx.srv.config.enable_debug_command {
        ProtectedAccess::Yes => true,
        ProtectedAccess::Local => {
            ctx.client.has(flags::UNIX_SOCKET)
                || ctx.client.addr.starts_with("127.")
                || ctx.client.addr.starts_with("[::1]")
        }
        ProtectedAccess::No => false,
    }
}

fn debug(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    if !allowed(ctx) {
        return Reply::error("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.");
    }
    let sub = &argv[1];
    if eq_ic(sub, "help") {
        return super::help_reply(
            "DEBUG",
            &[
                "SLEEP <seconds>",
                "    Stop the server for <seconds>. Decimals allowed.",
                "OBJECT <key>",
                "    Show low level info about the key and associated value.",
                "RELOAD [option ...]",
                "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
                "    * MERGE: conflicting keys will be loaded from RDB.",
                "    * NOFLUSH: the existing database will not be removed before load, but",
                "      conflicting keys will generate an exception and kill the server.",
                "    * NOSAVE: the database will be loaded from an existing RDB file.",
                "    Examples:",
                "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
                "      the database.",
                "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
                "      existing RDB file.",
                "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
                "      file to the database.",
                "SET-ACTIVE-EXPIRE <0|1>",
                "    Setting it to 0 disables expiring keys in background when they are not",
                "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
                "    default.",
            ],
        );
    }
    if eq_ic(sub, "sleep") && argv.len() == 3 {
        let secs: f64 = match std::str::from_utf8(&argv[2])
            .ok()
            .and_then(|s| s.parse().ok())
        {
            Some(s) if s >= 0.0 && f64::is_finite(s) => s,
            _ => return Reply::error("ERR value is not a valid float"),
        };
        std::thread::sleep(std::time::Duration::from_secs_f64(secs));
        return Reply::ok();
    }
    if eq_ic(sub, "object") && argv.len() == 3 {
        let now = ctx.srv.now_ms;
        let clock = crate::db::object::lru_clock(now);
        return match ctx.db().peek(&argv[2], now) {
            Some(o) => Reply::simple(format!(
                "Value at:0x0 refcount:1 encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
                o.encoding_name(),
                o.string_len().unwrap_or(0),
                o.lru(),
                clock.wrapping_sub(o.lru()) & crate::db::object::LRU_CLOCK_MAX
            )),
            None => Reply::error("ERR no such key"),
        };
    }
    if eq_ic(sub, "reload") {
        let (mut save, mut flush, mut merge) = (true, true, false);
        for a in &argv[2..] {
            if eq_ic(a, "merge") {
                merge = true;
            } else if eq_ic(a, "noflush") {
                flush = false;
            } else if eq_ic(a, "nosave") {
                save = false;
            } else {
                return Reply::error(
                    "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
                );
            }
        }
        return match crate::server::rdb::debug_reload(ctx.srv, save, flush, merge) {
            Ok(()) => Reply::ok(),
            Err(e) => Reply::error(e),
        };
    }
    if eq_ic(sub, "set-active-expire") && argv.len() == 3 {
        return match argv[2].as_slice() {
            b"0" => {
                ctx.srv.active_expire_enabled = false;
                Reply::ok()
            }
            b"1" => {
                ctx.srv.active_expire_enabled = true;
                Reply::ok()
            }
            _ => Reply::error(ERR_SYNTAX),
        };
    }
    Reply::error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
        String::from_utf8_lossy(sub)
    ))
}
