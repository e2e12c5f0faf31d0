//! CONFIG GET/SET/RESETSTAT/REWRITE.
//!
//! Chapter: chapters/05-config-and-info.md
//!
//! The directive table and its parsing live in `config/`; this file only
//! turns CONFIG's arguments into calls on it and applies the side effects
//! a new value has on the running server (log level, hz, ...).
//!
//! Invariants:
//! 1. CONFIG SET with several pairs changes all of them or none.
//!
//! Not here: parsing and validating values (`config/`).

use super::flag::*;
use super::{Command, ERR_SYNTAX};
use crate::resp::Reply;
use crate::server::Ctx;

const SUBS: &[Command] = &[
    Command::new("get", get, -3, ADMIN | NOSCRIPT | LOADING | STALE)
        .doc(
            "server",
            "2.0.0",
            "O(N) when N is the number of configuration parameters provided",
            "Get the values of configuration parameters",
        )
        .syntax("parameter:string..."),
    Command::new("set", set, -4, ADMIN | NOSCRIPT | LOADING | STALE)
        .doc(
            "server",
            "2.0.0",
            "O(N) when N is the number of configuration parameters provided",
            "Set configuration parameters to the given values",
        )
        .syntax("(parameter:string value:string)..."),
    Command::new(
        "resetstat",
        resetstat,
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
    )
    .doc(
        "server",
        "2.0.0",
        "O(1)",
        "Reset the stats returned by INFO",
    ),
    Command::new("rewrite", rewrite, 2, ADMIN | NOSCRIPT | LOADING | STALE).doc(
        "server",
        "2.8.0",
        "O(1)",
        "Rewrite the configuration file with the in memory configuration",
    ),
    Command::new("help", help, 2, LOADING | STALE).doc(
        "server",
        "5.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
];

pub static COMMANDS: &[Command] = &[Command::new("config", super::command::container, -2, 0)
    .doc(
        "server",
        "2.0.0",
        "Depends on subcommand.",
        "A container for server configuration commands",
    )
    .subs(SUBS)];

fn get(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let mut pairs: Vec<(&'static str, String)> = Vec::new();
    for pattern in &argv[2..] {
        for (name, value) in ctx.srv.config.get_matching(pattern) {
            // Several patterns may match one directive: list it once.
            if !pairs.iter().any(|(n, _)| *n == name) {
                pairs.push((name, value));
            }
        }
    }
    Reply::Map(
        pairs
            .into_iter()
            .map(|(n, v)| (Reply::bulk(n), Reply::bulk(v)))
            .collect(),
    )
}

// ANCHOR: set
fn set(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    if !argv.len().is_multiple_of(2) {
        return Reply::error("ERR wrong number of arguments for 'config|set' command");
    }
    let pairs: Vec<(&[u8], &[u8])> = argv[2..]
        .chunks(2)
        .map(|p| (p[0].as_slice(), p[1].as_slice()))
        .collect();
    // All-or-nothing (invariant 1): the config module validates every
    // pair first; a side effect that fails (binding a port) restores the
    // old configuration too.
    let before = ctx.srv.config.clone();
    match ctx.srv.config.set_from_client(&pairs) {
        Ok(changed) => {
            for (i, &name) in changed.iter().enumerate() {
                if let Err(why) = crate::server::apply_config_change(ctx.srv, name) {
                    ctx.srv.config = before;
                    // A listener change applied before the failing one
                    // must follow the configuration back.
                    if changed[..i].iter().any(|n| *n == "port" || *n == "bind") {
                        let _ = crate::server::listen::rebind_tcp(ctx.srv);
                    }
                    return Reply::error(format!(
                        "ERR CONFIG SET failed (possibly related to argument '{}') - {}",
                        name, why
                    ));
                }
            }
            Reply::ok()
        }
        Err(msg) => Reply::error(msg),
    }
}
// ANCHOR_END: set

fn resetstat(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    ctx.srv.stats.reset();
    ctx.srv.latency.events.clear();
    Reply::ok()
}

fn rewrite(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    let Some(path) = ctx.srv.config.config_file.clone() else {
        return Reply::error("ERR The server is running without a config file");
    };
    match ctx.srv.config.rewrite(&path) {
        Ok(()) => {
            crate::log!(Notice, "CONFIG REWRITE executed with success.");
            Reply::ok()
        }
        Err(e) => {
            crate::log!(Warning, "CONFIG REWRITE failed: {}", e);
            Reply::error(format!("ERR Rewriting config file: {}", e))
        }
    }
}

fn help(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    if argv.len() != 2 {
        return Reply::error(ERR_SYNTAX);
    }
    super::help_reply(
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    )
}
