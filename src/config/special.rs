//! Directives with their own rules: save, bind, client output buffer
//! limits, keyspace notification letters, and the clamped numbers.
//!
//! Chapter: chapters/05-config-and-info.md
//!
//! Most directives are one value of one kind and come from the macros in
//! directives.rs. These are the exceptions: several arguments that build a
//! list (`save 900 1 300 10`), classes that update only the part named
//! (`client-output-buffer-limit pubsub ...`), letters that stand for bits
//! (`notify-keyspace-events KEA`), values Redis quietly clamps (`hz`,
//! `repl-backlog-size`), and paths with extra checks.
//!
//! Invariants:
//! 1. As for every directive, a setter validates all arguments before it
//!    changes any field, and accepts whatever its getter prints.
//!
//! Not here: the table that names these functions (directives.rs).

use super::directives::{int_arg, memory_arg, one, LoadState, INT_MAX, LLONG_MAX};
use super::parse::{format_memory, parse_c_long, parse_memory, repr, NOT_OCTAL};
use super::{notify, strerror, ClientClass, Config, OutputBufferLimit, SaveRule};

/// Redis clamps `hz` into this range and reports the clamped value.
const MIN_HZ: u32 = 1;
const MAX_HZ: u32 = 500; // Redis's CONFIG_MIN_HZ and CONFIG_MAX_HZ

pub(super) fn set_hz(c: &mut Config, a: &[&str], _: &mut LoadState) -> Result<(), String> {
    let v: u32 = int_arg(a, 0, INT_MAX)?;
    c.hz = v.clamp(MIN_HZ, MAX_HZ);
    Ok(())
}

/// The replication backlog never shrinks below 16 KiB; Redis raises smaller
/// settings and reports the raised value.
const MIN_BACKLOG: u64 = 16 * 1024;

pub(super) fn set_backlog(c: &mut Config, a: &[&str], _: &mut LoadState) -> Result<(), String> {
    let v: u64 = memory_arg(a, 1, LLONG_MAX)?;
    c.repl_backlog_size = v.max(MIN_BACKLOG);
    Ok(())
}

/// File permissions are written and read in octal: `unixsocketperm 700`.
pub(super) fn get_perm(c: &Config) -> String {
    format!("{:o}", c.unixsocketperm)
}

pub(super) fn set_perm(c: &mut Config, a: &[&str], _: &mut LoadState) -> Result<(), String> {
    let v = parse_c_long(one(a)?, 8).ok_or(NOT_OCTAL)?;
    if !(0..=0o777).contains(&v) {
        return Err("argument must be between 0 and 777 inclusive".to_string());
    }
    c.unixsocketperm = v as u32; // in 0..=0o777, so the cast is exact
    Ok(())
}

/// At most this many `bind` addresses, as in Redis.
const MAX_BIND: usize = 16;

pub(super) fn get_bind(c: &Config) -> String {
    c.bind.join(" ")
}

pub(super) fn set_bind(c: &mut Config, a: &[&str], _: &mut LoadState) -> Result<(), String> {
    // `bind ""` (one empty argument) means "no TCP addresses".
    let a = if a == [""] { &[][..] } else { a };
    if a.len() > MAX_BIND {
        return Err("Too many bind addresses specified.".to_string());
    }
    c.bind = a.iter().map(|s| s.to_string()).collect();
    Ok(())
}

pub(super) fn rewrite_bind(c: &Config, d: &Config) -> Vec<(String, bool)> {
    let line = if c.bind.is_empty() {
        "bind \"\"".to_string()
    } else {
        format!("bind {}", c.bind.join(" "))
    };
    vec![(line, c.bind != d.bind)]
}

pub(super) fn get_save(c: &Config) -> String {
    let parts: Vec<String> = c
        .save
        .iter()
        .map(|r| format!("{} {}", r.seconds, r.changes))
        .collect();
    parts.join(" ")
}

const INVALID_SAVE: &str = "Invalid save parameters";

pub(super) fn set_save(c: &mut Config, a: &[&str], state: &mut LoadState) -> Result<(), String> {
    let clear = a == [""];
    let a = if clear { &[][..] } else { a };
    if !a.len().is_multiple_of(2) {
        return Err(INVALID_SAVE.to_string());
    }
    let mut rules = Vec::with_capacity(a.len() / 2);
    for pair in a.chunks(2) {
        let seconds = parse_c_long(pair[0], 10).filter(|&s| s >= 1);
        let changes = parse_c_long(pair[1], 10).filter(|&n| n >= 0);
        match (seconds, changes) {
            // Both are non-negative here, so the casts are exact.
            (Some(s), Some(n)) => rules.push(SaveRule {
                seconds: s as u64,
                changes: n as u64,
            }),
            _ => return Err(INVALID_SAVE.to_string()),
        }
    }
    // In a file, the first `save` line replaces the defaults and later ones
    // add to it; `save ""` and CONFIG SET always start over.
    if clear || !state.reading_file || !state.save_seen {
        c.save.clear();
    }
    state.save_seen = true;
    c.save.extend(rules);
    Ok(())
}

/// `save` is always written, even when it equals the default, so that a
/// rewritten file states the snapshot policy explicitly.
pub(super) fn rewrite_save(c: &Config, _: &Config) -> Vec<(String, bool)> {
    if c.save.is_empty() {
        return vec![("save \"\"".to_string(), true)];
    }
    c.save
        .iter()
        .map(|r| (format!("save {} {}", r.seconds, r.changes), true))
        .collect()
}

/// `dir` is always written too: a file whose relative paths only work from
/// one directory should say which.
pub(super) fn rewrite_dir(c: &Config, _: &Config) -> Vec<(String, bool)> {
    vec![(format!("dir {}", repr(c.dir.as_bytes())), true)]
}

/// Validate without changing the process's directory; the server does the
/// chdir after a successful set. The reasons are the ones chdir would give.
pub(super) fn set_dir(c: &mut Config, a: &[&str], _: &mut LoadState) -> Result<(), String> {
    let v = one(a)?;
    match std::fs::metadata(v) {
        Ok(m) if m.is_dir() => {
            c.dir = v.to_string();
            Ok(())
        }
        Ok(_) => Err("Not a directory".to_string()),
        Err(e) => Err(strerror(&e)),
    }
}

fn is_base_name(s: &str) -> bool {
    !s.contains('/') && !s.contains('\\')
}

pub(super) fn check_dbfilename(s: &str) -> Result<(), String> {
    if is_base_name(s) {
        Ok(())
    } else {
        Err("dbfilename can't be a path, just a filename".to_string())
    }
}

pub(super) fn check_appendfilename(s: &str) -> Result<(), String> {
    if s.is_empty() {
        Err("appendfilename can't be empty".to_string())
    } else if !is_base_name(s) {
        Err("appendfilename can't be a path, just a filename".to_string())
    } else {
        Ok(())
    }
}

pub(super) fn check_appenddirname(s: &str) -> Result<(), String> {
    if s.is_empty() {
        Err("appenddirname can't be empty".to_string())
    } else if !is_base_name(s) {
        Err("appenddirname can't be a path, just a dirname".to_string())
    } else {
        Ok(())
    }
}

/// Class names as `client-output-buffer-limit` accepts them; `slave` is how
/// CONFIG GET still prints the replica class.
fn client_class(name: &str) -> Option<ClientClass> {
    match name.to_ascii_lowercase().as_str() {
        "normal" => Some(ClientClass::Normal),
        "replica" | "slave" => Some(ClientClass::Replica),
        "pubsub" => Some(ClientClass::PubSub),
        _ => None,
    }
}

const CLASSES: [(ClientClass, &str, &str); 3] = [
    // (class, CONFIG GET name, CONFIG REWRITE name)
    (ClientClass::Normal, "normal", "normal"),
    (ClientClass::Replica, "slave", "replica"),
    (ClientClass::PubSub, "pubsub", "pubsub"),
];

pub(super) fn get_cobl(c: &Config) -> String {
    let parts: Vec<String> = CLASSES
        .iter()
        .map(|&(class, name, _)| {
            let l = c.client_output_buffer_limit[class as usize];
            format!("{name} {} {} {}", l.hard, l.soft, l.soft_seconds)
        })
        .collect();
    parts.join(" ")
}

pub(super) fn set_cobl(c: &mut Config, a: &[&str], _: &mut LoadState) -> Result<(), String> {
    if !a.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".to_string());
    }
    // Classes not named keep their limits; nothing is stored unless every
    // group parsed (invariant 2).
    let mut limits = c.client_output_buffer_limit;
    for group in a.chunks(4) {
        let class = client_class(group[0]).ok_or_else(|| {
            "Invalid client class specified in buffer limit configuration.".to_string()
        })?;
        let hard = parse_memory(group[1]);
        let soft = parse_memory(group[2]);
        let seconds = parse_c_long(group[3], 10).filter(|&s| s >= 0);
        match (hard, soft, seconds) {
            (Some(hard), Some(soft), Some(s)) => {
                limits[class as usize] = OutputBufferLimit {
                    hard,
                    soft,
                    soft_seconds: s as u64,
                };
            }
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit \
                            configuration."
                        .to_string(),
                )
            }
        }
    }
    c.client_output_buffer_limit = limits;
    Ok(())
}

/// One line per class; a class is written only if it differs from the
/// default or an old line for this directive is there to reuse.
pub(super) fn rewrite_cobl(c: &Config, d: &Config) -> Vec<(String, bool)> {
    CLASSES
        .iter()
        .map(|&(class, _, name)| {
            let l = c.client_output_buffer_limit[class as usize];
            let line = format!(
                "client-output-buffer-limit {name} {} {} {}",
                format_memory(l.hard),
                format_memory(l.soft),
                l.soft_seconds
            );
            (line, l != d.client_output_buffer_limit[class as usize])
        })
        .collect()
}

/// Letters of `notify-keyspace-events` and their bits. `A` is handled
/// apart, since it stands for a set.
const NOTIFY_LETTERS: [(char, u32); 14] = [
    ('g', notify::GENERIC),
    ('$', notify::STRING),
    ('l', notify::LIST),
    ('s', notify::SET),
    ('h', notify::HASH),
    ('z', notify::ZSET),
    ('x', notify::EXPIRED),
    ('e', notify::EVICTED),
    ('t', notify::STREAM),
    ('d', notify::MODULE),
    ('n', notify::NEW),
    ('K', notify::KEYSPACE),
    ('E', notify::KEYEVENT),
    ('m', notify::KEY_MISS),
];

/// Parse notification letters into bits.
pub fn parse_notify_flags(s: &str) -> Result<u32, String> {
    let mut flags = 0;
    for ch in s.chars() {
        flags |= match ch {
            'A' => notify::ALL,
            _ => NOTIFY_LETTERS
                .iter()
                .find(|&&(l, _)| l == ch)
                .map(|&(_, bit)| bit)
                .ok_or_else(|| {
                    "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_string()
                })?,
        };
    }
    Ok(flags)
}

/// Print bits as Redis does: `A` when every class in it is on, otherwise
/// the class letters in a fixed order; then `K`, `E`, `m`. Note that `n`
/// is not printed next to `A`, although the bit stays set.
pub fn format_notify_flags(flags: u32) -> String {
    let mut out = String::new();
    let classes = &NOTIFY_LETTERS[..11];
    if flags & notify::ALL == notify::ALL {
        out.push('A');
    } else {
        out.extend(
            classes
                .iter()
                .filter(|&&(_, bit)| flags & bit != 0)
                .map(|&(l, _)| l),
        );
    }
    out.extend(
        NOTIFY_LETTERS[11..]
            .iter()
            .filter(|&&(_, bit)| flags & bit != 0)
            .map(|&(l, _)| l),
    );
    out
}

pub(super) fn get_notify(c: &Config) -> String {
    format_notify_flags(c.notify_keyspace_events)
}

pub(super) fn set_notify(c: &mut Config, a: &[&str], _: &mut LoadState) -> Result<(), String> {
    c.notify_keyspace_events = parse_notify_flags(one(a)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_flags_print_in_redis_order_and_hide_n_next_to_a() {
        let cases = [
            ("KEA", "AKE"),
            ("Ex", "xE"),
            ("Eg", "gE"),
            ("K$lshzxetmdn", "$lshzxetdnKm"),
            ("Am", "Am"),
            ("AKEmn", "AKEm"),
            ("g$lshzxetd", "A"),
            ("", ""),
        ];
        for (input, shown) in cases {
            let flags = parse_notify_flags(input).unwrap();
            assert_eq!(format_notify_flags(flags), shown, "{input}");
        }
        assert_ne!(parse_notify_flags("nA").unwrap() & notify::NEW, 0);
        assert!(parse_notify_flags("Q").is_err());
        assert!(parse_notify_flags("KEA ").is_err());
    }

    #[test]
    fn hz_and_backlog_are_clamped_like_redis() {
        let mut c = Config::default();
        c.set("hz", &["1000"]).unwrap();
        assert_eq!(c.get("hz").unwrap(), "500");
        c.set("hz", &["0"]).unwrap();
        assert_eq!(c.get("hz").unwrap(), "1");
        c.set("repl-backlog-size", &["1k"]).unwrap();
        assert_eq!(c.get("repl-backlog-size").unwrap(), "16384");
    }
}
