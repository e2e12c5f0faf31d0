//! COMMAND: the server describes its own command table — COUNT, LIST,
//! INFO, DOCS, GETKEYS — so clients such as `redis-cli` can build hints
//! and cluster clients can find keys.
//!
//! Chapter: chapters/04-commands.md
//!
//! Argument documentation is written once per command as a one-line
//! syntax string in the notation of Redis's own docs and turned into
//! COMMAND DOCS's nested argument maps by a small recursive-descent parser:
//!
//! ```text
//!   "key value [NX|XX] [GET] [EX seconds:integer|PX milliseconds:integer]"
//!     key        → {name: key, type: key}
//!     [NX|XX]    → {name: nx-xx?, type: oneof, flags: [optional],
//!                   arguments: [{nx pure-token NX}, {xx pure-token XX}]}
//!     EX seconds:integer → {name: seconds, type: integer, token: EX}
//! ```
//! Grammar: `alts := seq ('|' seq)*`, `seq := unit+`, `unit := atom '...'?`,
//! `atom := WORD | name[:type] | '[' alts ']' | '(' alts ')'`. A WORD in
//! capitals is a literal token. A sequence that is a token followed by one
//! argument becomes that argument with the token attached.
//!
//! Invariants:
//! 1. The DOCS reply is always well formed: a syntax string that does not
//!    parse yields an empty argument list, never a malformed reply
//!    (a unit test parses every command's syntax).
//!
//! Not here: the table itself (`cmd/mod.rs`).

use super::flag::*;
use super::{acl, eq_ic, Command, Resolved};
use crate::resp::Reply;
use crate::server::Ctx;

const SUBS: &[Command] = &[
    Command::new("count", count, 2, LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc(
            "server",
            "2.8.13",
            "O(1)",
            "Get total number of Redis commands",
        ),
    Command::new("list", list, -2, LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc(
            "server",
            "7.0.0",
            "O(N) where N is the total number of Redis commands",
            "Get an array of Redis command names",
        )
        .syntax(
            "[FILTERBY (MODULE module-name:string|ACLCAT category:string|PATTERN pattern:pattern)]",
        ),
    Command::new("info", info, -2, LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc(
            "server",
            "2.8.13",
            "O(N) where N is the number of commands to look up",
            "Get array of specific Redis command details, or all when no argument is given.",
        )
        .syntax("[command-name:string...]"),
    Command::new("docs", docs, -2, LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc(
            "server",
            "7.0.0",
            "O(N) where N is the number of commands to look up",
            "Get array of specific Redis command documentation",
        )
        .syntax("[command-name:string...]"),
    Command::new("getkeys", getkeys, -3, LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc(
            "server",
            "2.8.13",
            "O(N) where N is the number of arguments to the command",
            "Extract keys given a full Redis command",
        )
        .syntax("command:string [arg:string...]"),
    Command::new("getkeysandflags", getkeysandflags, -3, LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc(
            "server",
            "7.0.0",
            "O(N) where N is the number of arguments to the command",
            "Extract keys and access flags given a full Redis command",
        )
        .syntax("command:string [arg:string...]"),
    Command::new("help", help, 2, LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc(
            "server",
            "5.0.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
];

pub static COMMANDS: &[Command] = &[Command::new("command", command, -1, LOADING | STALE)
    .acl(acl::CONNECTION)
    .doc(
        "server",
        "2.8.13",
        "O(N) where N is the total number of Redis commands",
        "Get array of Redis command details",
    )
    .subs(SUBS)];

/// The handler of container commands (CONFIG, CLIENT, ...): reached only
/// when a subcommand is missing, which arity already rejects, so this
/// answers as Redis does for an unknown subcommand.
pub fn container(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    super::unknown_subcommand(argv)
}

/// COMMAND with no arguments: INFO for every command.
fn command(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    if argv.len() > 1 {
        return super::unknown_subcommand(argv);
    }
    let table = &ctx.srv.commands;
    Reply::Array(table.top_level().map(|r| command_info(table, r)).collect())
}

fn count(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    Reply::Integer(ctx.srv.commands.top_level().count() as i64)
}

fn list(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let table = &ctx.srv.commands;
    let filter: Box<dyn Fn(&Resolved) -> bool> = match argv.len() {
        2 => Box::new(|_| true),
        5 if eq_ic(&argv[2], "filterby") => {
            let value = argv[4].clone();
            if eq_ic(&argv[3], "aclcat") {
                let cat = super::acl::NAMES
                    .iter()
                    .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(&value))
                    .map(|(bit, _)| *bit);
                match cat {
                    Some(bit) => Box::new(move |r: &Resolved| r.cmd.acl_categories() & bit != 0),
                    None => Box::new(|_| false),
                }
            } else if eq_ic(&argv[3], "pattern") {
                Box::new(move |r: &Resolved| {
                    crate::ds::glob::glob_match(&value, r.full_name().as_bytes(), true)
                })
            } else if eq_ic(&argv[3], "module") {
                Box::new(|_| false) // no modules
            } else {
                return Reply::error(super::ERR_SYNTAX);
            }
        }
        _ => return Reply::error(super::ERR_SYNTAX),
    };
    let names = table
        .all
        .iter()
        .filter(|r| filter(r))
        .map(|r| Reply::bulk(r.full_name()))
        .collect();
    Reply::Array(names)
}

fn info(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let table = &ctx.srv.commands;
    if argv.len() == 2 {
        return Reply::Array(table.top_level().map(|r| command_info(table, r)).collect());
    }
    Reply::Array(
        argv[2..]
            .iter()
            .map(|name| match table.get_full(name) {
                Some(r) => command_info(table, &r),
                None => Reply::NullArray,
            })
            .collect(),
    )
}

// ANCHOR: command_info
/// One COMMAND INFO entry: name, arity, flags, first key, last key, step,
/// ACL categories, tips, key specs, subcommands.
fn command_info(table: &super::CommandTable, r: &Resolved) -> Reply {
    let c = r.cmd;
    let flags = super::flag::NAMES
        .iter()
        .filter(|(bit, _)| c.flags & bit != 0)
        .map(|(_, n)| Reply::simple(*n))
        .collect();
    let cats = c.acl_categories();
    let acl = super::acl::NAMES
        .iter()
        .filter(|(bit, _)| cats & bit != 0)
        .map(|(_, n)| Reply::simple(format!("@{}", n)))
        .collect();
    let subs = c
        .subcommands
        .iter()
        .filter_map(|s| table.get_full(format!("{}|{}", c.name, s.name).as_bytes()))
        .map(|s| command_info(table, &s))
        .collect();
    Reply::Array(vec![
        Reply::bulk(r.full_name()),
        Reply::Integer(c.arity as i64),
        Reply::Set(flags),
        Reply::Integer(c.first_key as i64),
        Reply::Integer(c.last_key as i64),
        Reply::Integer(c.step as i64),
        Reply::Set(acl),
        Reply::Array(vec![]),
        key_specs(c),
        Reply::Array(subs),
    ])
}
// ANCHOR_END: command_info

/// Key specs derived from the (first, last, step) triple: one "index"
/// begin-search and one "range" find-keys spec.
fn key_specs(c: &Command) -> Reply {
    if c.first_key <= 0 {
        return Reply::Array(vec![]);
    }
    let lastkey = if c.last_key < 0 {
        c.last_key as i64
    } else {
        (c.last_key - c.first_key) as i64
    };
    let access = if c.has(WRITE) {
        vec![Reply::simple("RW"), Reply::simple("update")]
    } else {
        vec![Reply::simple("RO"), Reply::simple("access")]
    };
    Reply::Array(vec![Reply::Map(vec![
        (Reply::bulk("flags"), Reply::Set(access)),
        (
            Reply::bulk("begin_search"),
            Reply::Map(vec![
                (Reply::bulk("type"), Reply::bulk("index")),
                (
                    Reply::bulk("spec"),
                    Reply::Map(vec![(
                        Reply::bulk("index"),
                        Reply::Integer(c.first_key as i64),
                    )]),
                ),
            ]),
        ),
        (
            Reply::bulk("find_keys"),
            Reply::Map(vec![
                (Reply::bulk("type"), Reply::bulk("range")),
                (
                    Reply::bulk("spec"),
                    Reply::Map(vec![
                        (Reply::bulk("lastkey"), Reply::Integer(lastkey)),
                        (Reply::bulk("keystep"), Reply::Integer(c.step as i64)),
                        (Reply::bulk("limit"), Reply::Integer(0)),
                    ]),
                ),
            ]),
        ),
    ])])
}

fn docs(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let table = &ctx.srv.commands;
    let mut out = Vec::new();
    if argv.len() == 2 {
        for r in table.top_level() {
            out.push((Reply::bulk(r.full_name()), command_doc(table, r)));
        }
    } else {
        for name in &argv[2..] {
            if let Some(r) = table.get_full(name) {
                out.push((Reply::bulk(r.full_name()), command_doc(table, &r)));
            }
        }
    }
    Reply::Map(out)
}

fn command_doc(table: &super::CommandTable, r: &Resolved) -> Reply {
    let c = r.cmd;
    let mut fields = vec![
        (Reply::bulk("summary"), Reply::bulk(c.summary)),
        (Reply::bulk("since"), Reply::bulk(c.since)),
        (Reply::bulk("group"), Reply::bulk(c.group)),
        (Reply::bulk("complexity"), Reply::bulk(c.complexity)),
    ];
    let args = parse_syntax(c.syntax).unwrap_or_default();
    if !args.is_empty() {
        fields.push((
            Reply::bulk("arguments"),
            Reply::Array(args.iter().map(ArgDoc::to_reply).collect()),
        ));
    }
    if !c.subcommands.is_empty() {
        let subs = c
            .subcommands
            .iter()
            .filter_map(|s| table.get_full(format!("{}|{}", c.name, s.name).as_bytes()))
            .map(|s| (Reply::bulk(s.full_name()), command_doc(table, &s)))
            .collect();
        fields.push((Reply::bulk("subcommands"), Reply::Map(subs)));
    }
    Reply::Map(fields)
}

/// COMMAND GETKEYS: the keys of a full command line, by key positions.
fn keys_of<'a>(ctx: &Ctx, args: &'a [Vec<u8>]) -> Result<Vec<&'a [u8]>, Reply> {
    let table = &ctx.srv.commands;
    let Some(mut r) = table.get(&args[0]) else {
        return Err(Reply::error("ERR Invalid command specified"));
    };
    if !r.cmd.subcommands.is_empty() && args.len() > 1 {
        if let Some(s) = table.get_sub(&r, &args[1]) {
            r = s;
        }
    }
    if !r.cmd.arity_ok(args.len()) {
        return Err(Reply::error(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let c = r.cmd;
    if c.first_key <= 0 {
        return Err(Reply::error("ERR The command has no key arguments"));
    }
    let last = if c.last_key < 0 {
        args.len() as i32 + c.last_key
    } else {
        c.last_key.min(args.len() as i32 - 1)
    };
    let mut keys = Vec::new();
    let mut i = c.first_key;
    while i <= last {
        if let Some(k) = args.get(i as usize) {
            keys.push(k.as_slice());
        }
        i += c.step.max(1);
    }
    Ok(keys)
}

fn getkeys(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    match keys_of(ctx, &argv[2..]) {
        Ok(keys) => Reply::Array(keys.into_iter().map(|k| Reply::Bulk(k.to_vec())).collect()),
        Err(e) => e,
    }
}

fn getkeysandflags(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Reply {
    let write = ctx
        .srv
        .commands
        .get(&argv[2])
        .is_some_and(|r| r.cmd.has(WRITE));
    match keys_of(ctx, &argv[2..]) {
        Ok(keys) => Reply::Array(
            keys.into_iter()
                .map(|k| {
                    let flags = if write {
                        vec![Reply::simple("RW"), Reply::simple("update")]
                    } else {
                        vec![Reply::simple("RO"), Reply::simple("access")]
                    };
                    Reply::Array(vec![Reply::Bulk(k.to_vec()), Reply::Set(flags)])
                })
                .collect(),
        ),
        Err(e) => e,
    }
}

fn help(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> Reply {
    super::help_reply(
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    )
}

// ---------------------------------------------------------------------------
// The syntax-string parser behind COMMAND DOCS
// ---------------------------------------------------------------------------

/// One documented argument, as COMMAND DOCS describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgDoc {
    pub name: String,
    /// key, string, integer, double, pattern, unix-time, pure-token,
    /// oneof or block.
    pub kind: String,
    pub token: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    pub children: Vec<ArgDoc>,
}

impl ArgDoc {
    fn leaf(name: &str, kind: &str) -> ArgDoc {
        ArgDoc {
            name: name.to_string(),
            kind: kind.to_string(),
            token: None,
            optional: false,
            multiple: false,
            children: vec![],
        }
    }

    fn to_reply(&self) -> Reply {
        let mut m = vec![
            (Reply::bulk("name"), Reply::bulk(self.name.clone())),
            (Reply::bulk("type"), Reply::bulk(self.kind.clone())),
        ];
        if self.kind == "key" {
            m.push((Reply::bulk("key_spec_index"), Reply::Integer(0)));
        }
        if let Some(t) = &self.token {
            m.push((Reply::bulk("token"), Reply::bulk(t.clone())));
        }
        let mut flags = Vec::new();
        if self.optional {
            flags.push(Reply::simple("optional"));
        }
        if self.multiple {
            flags.push(Reply::simple("multiple"));
        }
        if !flags.is_empty() {
            m.push((Reply::bulk("flags"), Reply::Set(flags)));
        }
        if !self.children.is_empty() {
            m.push((
                Reply::bulk("arguments"),
                Reply::Array(self.children.iter().map(ArgDoc::to_reply).collect()),
            ));
        }
        Reply::Map(m)
    }
}

/// Splits a syntax string into tokens: brackets, bars, ellipses, words.
fn tokenize(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut chars = s.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '[' | ']' | '(' | ')' | '|' | ' ' => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                if ch != ' ' {
                    out.push(ch.to_string());
                }
            }
            '.' if chars.peek() == Some(&'.') => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                while chars.peek() == Some(&'.') {
                    chars.next();
                }
                out.push("...".to_string());
            }
            _ => word.push(ch),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

// ANCHOR: parse_syntax
/// Parses a syntax string into documented arguments; `None` if malformed.
pub fn parse_syntax(s: &str) -> Option<Vec<ArgDoc>> {
    let toks = tokenize(s);
    if toks.is_empty() {
        return Some(vec![]);
    }
    let mut pos = 0;
    let alts = parse_alts(&toks, &mut pos)?;
    if pos != toks.len() {
        return None;
    }
    Some(match alts.len() {
        1 => alts.into_iter().next().unwrap_or_default(),
        _ => vec![oneof(alts)],
    })
}

/// `seq ('|' seq)*`: each alternative is a sequence of arguments.
fn parse_alts(toks: &[String], pos: &mut usize) -> Option<Vec<Vec<ArgDoc>>> {
    let mut alts = vec![parse_seq(toks, pos)?];
    while toks.get(*pos).map(String::as_str) == Some("|") {
        *pos += 1;
        alts.push(parse_seq(toks, pos)?);
    }
    Some(alts)
}

fn parse_seq(toks: &[String], pos: &mut usize) -> Option<Vec<ArgDoc>> {
    let mut seq = Vec::new();
    while let Some(t) = toks.get(*pos) {
        if t == "|" || t == "]" || t == ")" {
            break;
        }
        let mut unit = parse_atom(toks, pos)?;
        if toks.get(*pos).map(String::as_str) == Some("...") {
            *pos += 1;
            unit.multiple = true;
        }
        seq.push(unit);
    }
    if seq.is_empty() {
        None
    } else {
        Some(seq)
    }
}

fn parse_atom(toks: &[String], pos: &mut usize) -> Option<ArgDoc> {
    let t = toks.get(*pos)?.clone();
    *pos += 1;
    match t.as_str() {
        "[" | "(" => {
            let close = if t == "[" { "]" } else { ")" };
            let alts = parse_alts(toks, pos)?;
            if toks.get(*pos).map(String::as_str) != Some(close) {
                return None;
            }
            *pos += 1;
            let mut arg = if alts.len() == 1 {
                seq_to_arg(alts.into_iter().next()?)
            } else {
                oneof(alts)
            };
            arg.optional |= t == "[";
            Some(arg)
        }
        "]" | ")" | "|" | "..." => None,
        word => Some(word_to_arg(word)),
    }
}

/// `NX` → pure token; `key` → key; `count:integer` → integer named count.
fn word_to_arg(word: &str) -> ArgDoc {
    let is_token = word.chars().any(|c| c.is_ascii_uppercase())
        && !word.chars().any(|c| c.is_ascii_lowercase() || c == ':');
    if is_token {
        let mut a = ArgDoc::leaf(&word.to_lowercase(), "pure-token");
        a.token = Some(word.to_string());
        return a;
    }
    match word.split_once(':') {
        Some((name, kind)) => ArgDoc::leaf(name, kind),
        None if word == "key" || word.ends_with("key") => ArgDoc::leaf(word, "key"),
        None => ArgDoc::leaf(word, "string"),
    }
}

/// A sequence of one argument is that argument; TOKEN + argument is the
/// argument with its token; anything longer is a block.
fn seq_to_arg(mut seq: Vec<ArgDoc>) -> ArgDoc {
    if seq.len() == 1 {
        return seq.remove(0);
    }
    if seq.len() == 2 && seq[0].kind == "pure-token" && seq[1].token.is_none() {
        let token = seq[0].token.clone();
        let mut arg = seq.remove(1);
        arg.token = token;
        return arg;
    }
    let name = seq
        .iter()
        .find(|a| a.kind != "pure-token")
        .unwrap_or(&seq[0])
        .name
        .clone();
    let mut block = ArgDoc::leaf(&name, "block");
    if seq[0].kind == "pure-token" {
        block.token = seq[0].token.clone();
        seq.remove(0);
    }
    block.children = seq;
    block
}

fn oneof(alts: Vec<Vec<ArgDoc>>) -> ArgDoc {
    let children: Vec<ArgDoc> = alts.into_iter().map(seq_to_arg).collect();
    let name = children
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join("-");
    let mut a = ArgDoc::leaf(&name, "oneof");
    a.children = children;
    a
}
// ANCHOR_END: parse_syntax

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_syntax_string_parses() {
        let t = super::super::CommandTable::new();
        for r in &t.all {
            assert!(
                parse_syntax(r.cmd.syntax).is_some(),
                "syntax of {} does not parse: {:?}",
                r.full_name(),
                r.cmd.syntax
            );
        }
    }

    #[test]
    fn token_followed_by_argument_becomes_a_tokened_argument() {
        let args =
            parse_syntax("key [EX seconds:integer|PX milliseconds:integer]").expect("parses");
        assert_eq!(args.len(), 2);
        assert_eq!(args[0].kind, "key");
        let expiry = &args[1];
        assert_eq!(expiry.kind, "oneof");
        assert!(expiry.optional);
        assert_eq!(expiry.children[0].name, "seconds");
        assert_eq!(expiry.children[0].token.as_deref(), Some("EX"));
        assert_eq!(expiry.children[1].kind, "integer");
    }

    #[test]
    fn alternatives_of_tokens_are_a_oneof_of_pure_tokens() {
        let args = parse_syntax("[NX|XX] [GET]").expect("parses");
        assert_eq!(args[0].kind, "oneof");
        assert_eq!(args[0].children[0].kind, "pure-token");
        assert_eq!(args[1].token.as_deref(), Some("GET"));
    }

    #[test]
    fn ellipsis_marks_multiple_and_malformed_syntax_is_rejected() {
        let args = parse_syntax("key...").expect("parses");
        assert!(args[0].multiple);
        assert!(parse_syntax("[unclosed").is_none());
        assert!(parse_syntax("a ]").is_none());
    }
}
