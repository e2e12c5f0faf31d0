//! Reading the append-only file back: replaying its commands through the
//! normal command path, and checking files for damage.
//!
//! Chapter: chapters/21-aof.md
//!
//! Loading runs each command of each file, in manifest order, as a client
//! with no connection would, so the file means exactly what the commands
//! mean. A file can end badly in two ways, handled differently:
//!
//! ```text
//!   ... *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n *3\r\n$3\r\nSE     <- EOF
//!                                     ok_up_to ^         truncated: the last
//!   write was cut short by a crash. With aof-load-truncated yes (the default)
//!   the file is cut back to ok_up_to and loading goes on, with a warning.
//!
//!   ... *3\r\n$3\r\nSET\r\n#garbage...                               <- corrupt:
//!   refuse to start, naming the file and offset; redis-check-aof --fix (or
//!   oxidis-server --check-aof FILE --fix) cuts it back.
//! ```
//!
//! A MULTI whose EXEC never made it to the file is a truncation too: the
//! file is cut back to before the MULTI, so a transaction applies whole or
//! not at all.
//!
//! Invariants:
//! 1. Nothing is read beyond what a command declares, and nothing is
//!    allocated by a declared length: arguments are sliced out of bytes
//!    already read.
//! 2. Only the last file of the set may be truncated; damage anywhere else
//!    stops the load.
//! 3. While loading, `srv.loading` is set, so replayed writes are not fed
//!    back into the AOF.
//!
//! Not here: the RDB preamble's format (`rdb`).

use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::aof::aof_dir;
use super::manifest::Manifest;
use crate::event::EventLoop;
use crate::server::{dispatch, Client, Server};

/// Largest argument count and bulk length accepted in a file, as
/// Redis's limits for clients (1M arguments, proto-max-bulk-len).
const MAX_ARGS: usize = 1024 * 1024;

/// How a command was read from a buffer.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    /// A command and the offset just past it.
    Command(Vec<Vec<u8>>, usize),
    /// The buffer ends inside a command.
    Incomplete,
    /// Not a well-formed multibulk at this offset.
    Bad(&'static str),
}

fn read_line(buf: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let rest = buf.get(pos..)?;
    let nl = rest.windows(2).position(|w| w == b"\r\n")?;
    Some((&rest[..nl], pos + nl + 2))
}

fn parse_len(line: &[u8], max: u64) -> Option<u64> {
    if line.is_empty() || line.len() > 19 || !line.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: u64 = std::str::from_utf8(line).ok()?.parse().ok()?;
    (n <= max).then_some(n)
}

// ANCHOR: parse_command
/// Reads one `*N\r\n($len\r\n bytes\r\n)*N` command at `pos` (invariant 1).
pub fn parse_command(buf: &[u8], pos: usize, max_bulk: u64) -> Parsed {
    if pos >= buf.len() {
        return Parsed::Incomplete;
    }
    if buf[pos] != b'*' {
        return Parsed::Bad("expected '*' (a multibulk command)");
    }
    let Some((line, mut at)) = read_line(buf, pos + 1) else {
        return if buf.len() - pos > 32 {
            Parsed::Bad("invalid multibulk length")
        } else {
            Parsed::Incomplete
        };
    };
    let Some(n) = parse_len(line, MAX_ARGS as u64) else {
        return Parsed::Bad("invalid multibulk length");
    };
    if n == 0 {
        return Parsed::Bad("empty command");
    }
    let mut argv = Vec::with_capacity((n as usize).min(64));
    for _ in 0..n {
        if at >= buf.len() {
            return Parsed::Incomplete;
        }
        if buf[at] != b'$' {
            return Parsed::Bad("expected '$' (a bulk string)");
        }
        let Some((line, data)) = read_line(buf, at + 1) else {
            return if buf.len() - at > 32 {
                Parsed::Bad("invalid bulk length")
            } else {
                Parsed::Incomplete
            };
        };
        let Some(len) = parse_len(line, max_bulk) else {
            return Parsed::Bad("invalid bulk length");
        };
        let end = data + len as usize;
        if end + 2 > buf.len() {
            return Parsed::Incomplete;
        }
        if &buf[end..end + 2] != b"\r\n" {
            return Parsed::Bad("bulk string not followed by CRLF");
        }
        argv.push(buf[data..end].to_vec());
        at = end + 2;
    }
    Parsed::Command(argv, at)
}
// ANCHOR_END: parse_command

/// What reading a file found.
#[derive(Debug, PartialEq)]
pub enum FileEnd {
    /// Every byte is part of a complete command.
    Clean,
    /// Ends inside a command, or inside MULTI without EXEC: the valid
    /// part ends at `ok_up_to`.
    Truncated { ok_up_to: u64 },
    /// Malformed at `offset`.
    Corrupt { offset: u64, reason: &'static str },
}

/// Walks the commands of a file in chunks, calling `each(argv)`; returns
/// how the file ended and how many commands were read.
fn walk_file(
    path: &Path,
    start: u64,
    max_bulk: u64,
    mut each: impl FnMut(Vec<Vec<u8>>) -> Result<(), String>,
) -> Result<(FileEnd, u64), String> {
    use std::io::{Seek, SeekFrom};
    let mut f = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    f.seek(SeekFrom::Start(start))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut buf: Vec<u8> = Vec::new();
    let mut base: u64 = start; // file offset of buf[0]
    let mut pos = 0;
    let mut chunk = vec![0u8; 1 << 16];
    let mut eof = false;
    let mut commands = 0u64;
    // Offset of the MULTI of an open transaction.
    let mut multi_at: Option<u64> = None;
    loop {
        match parse_command(&buf, pos, max_bulk) {
            Parsed::Command(argv, next) => {
                let start = base + pos as u64;
                if argv[0].eq_ignore_ascii_case(b"multi") {
                    multi_at = Some(start);
                } else if argv[0].eq_ignore_ascii_case(b"exec") {
                    multi_at = None;
                }
                each(argv)?;
                commands += 1;
                pos = next;
            }
            Parsed::Bad(reason) if !(eof && pos >= buf.len()) => {
                return Ok((
                    FileEnd::Corrupt {
                        offset: base + pos as u64,
                        reason,
                    },
                    commands,
                ));
            }
            _ => {
                if eof {
                    let end = base + pos as u64;
                    let done = if let Some(m) = multi_at {
                        FileEnd::Truncated { ok_up_to: m }
                    } else if pos < buf.len() {
                        FileEnd::Truncated { ok_up_to: end }
                    } else {
                        FileEnd::Clean
                    };
                    return Ok((done, commands));
                }
                // Need more bytes: keep the unread tail, read a chunk.
                buf.drain(..pos);
                base += pos as u64;
                pos = 0;
                let n = f
                    .read(&mut chunk)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                if n == 0 {
                    eof = true;
                } else {
                    buf.extend_from_slice(&chunk[..n]);
                }
            }
        }
    }
}

fn is_rdb(path: &Path) -> bool {
    let mut sig = [0u8; 5];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut sig))
        .is_ok()
        && &sig == b"REDIS"
}

// ANCHOR: replay
/// Replays one file into `srv` through a connectionless client.
fn replay(
    srv: &mut Server,
    path: &Path,
    last: bool,
    mut el: Option<&mut EventLoop>,
) -> Result<u64, String> {
    // A base written with aof-use-rdb-preamble (or an old single-file AOF
    // with a preamble) starts with an RDB image; commands may follow it.
    let mut start = 0;
    if is_rdb(path) {
        crate::log!(Notice, "Reading RDB base file on AOF loading...");
        let opts = crate::server::rdb::load_options(srv);
        let f = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let total = f.metadata().map(|m| m.len()).ok();
        let stats = crate::persist::rdb::load_reader(
            std::io::BufReader::new(f),
            total,
            &mut srv.dbs,
            &opts,
            &mut crate::persist::rdb::Quiet,
        )
        .map_err(|e| {
            format!(
                "Bad RDB preamble in {} at offset {}: {}",
                path.display(),
                e.offset,
                e.reason
            )
        })?;
        start = stats.bytes;
    }
    let mut client = Client::new(u64::MAX, None, String::new(), String::new(), srv.now_ms);
    let mut replayed = 0u64;
    let mut last_serve = std::time::Instant::now();
    client.authenticated = true;
    let max_bulk = srv.config.proto_max_bulk_len;
    let (end, commands) = walk_file(path, start, max_bulk, |argv| {
        if srv.commands.get(&argv[0]).is_none() {
            return Err(format!(
                "Unknown command '{}' reading the append only file {}",
                String::from_utf8_lossy(&argv[0]),
                path.display()
            ));
        }
        dispatch::execute(srv, &mut client, argv);
        client.out.clear();
        // Every 1024 commands, let clients in (they get -LOADING).
        replayed += 1;
        if replayed.is_multiple_of(1024) {
            if let Some(el) = el.as_deref_mut() {
                if last_serve.elapsed().as_millis() >= 100 {
                    last_serve = std::time::Instant::now();
                    el.poll_immediately();
                    el.run_once(srv);
                }
            }
        }
        Ok(())
    })?;
    match end {
        FileEnd::Clean => Ok(commands),
        FileEnd::Truncated { ok_up_to } if last && srv.config.aof_load_truncated => {
            if client.mstate.is_some() {
                dispatch::execute(srv, &mut client, vec![b"DISCARD".to_vec()]);
            }
            crate::log!(Warning, "!!! Warning: short read while loading the AOF file {}!!!", path.display());
            crate::log!(Warning, "!!! Truncating the AOF {} at offset {} !!!", path.display(), ok_up_to);
            OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|f| f.set_len(ok_up_to))
                .map_err(|e| format!("Error truncating the AOF file {}: {e}", path.display()))?;
            crate::log!(Warning, "AOF {} loaded anyway because aof-load-truncated is enabled", path.display());
            Ok(commands)
        }
        FileEnd::Truncated { ok_up_to } => Err(format!(
            "Unexpected end of file reading the append only file {} (valid up to offset {ok_up_to}). You can: 1) Make a backup of your AOF file, then use ./oxidis-server --check-aof {} --fix. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.",
            path.display(),
            path.display()
        )),
        FileEnd::Corrupt { offset, reason } => Err(format!(
            "Bad file format reading the append only file {} at offset {offset} ({reason}): make a backup of your AOF file, then use ./oxidis-server --check-aof {} --fix <filename>",
            path.display(),
            path.display()
        )),
    }
}
// ANCHOR_END: replay

// ANCHOR: load
/// Start-up with `appendonly yes`: loads the manifest's files, or a legacy
/// single file (upgrading it to the multi-part layout), or nothing.
/// Returns whether anything was loaded.
pub fn load(srv: &mut Server, mut el: Option<&mut EventLoop>) -> Result<bool, String> {
    let dir = aof_dir(srv);
    let manifest_path = dir.join(format!("{}.manifest", srv.config.appendfilename));
    let legacy = Path::new(&srv.config.dir).join(&srv.config.appendfilename);
    let manifest = if manifest_path.exists() {
        let text = fs::read_to_string(&manifest_path)
            .map_err(|e| format!("{}: {e}", manifest_path.display()))?;
        Manifest::parse(&text)?
    } else if legacy.is_file() {
        upgrade_legacy(srv, &legacy)?
    } else {
        return Ok(false);
    };
    let files: Vec<PathBuf> = manifest
        .load_order()
        .iter()
        .map(|f| dir.join(&f.name))
        .collect();
    for p in &files {
        if !p.exists() {
            return Err(format!("The AOF file {} doesn't exist", p.display()));
        }
    }
    srv.loading = true;
    let start = std::time::Instant::now();
    let mut result = Ok(());
    for (i, p) in files.iter().enumerate() {
        match replay(srv, p, i + 1 == files.len(), el.as_deref_mut()) {
            Ok(n) => {
                let kind = if i == 0 && manifest.base.is_some() {
                    "base"
                } else {
                    "incr"
                };
                crate::log!(
                    Notice,
                    "DB loaded from {} file {}: {} commands",
                    kind,
                    p.display(),
                    n
                );
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    srv.loading = false;
    srv.pending.ops.clear();
    result?;
    crate::log!(
        Notice,
        "DB loaded from append only file: {:.3} seconds",
        start.elapsed().as_secs_f64()
    );
    srv.aof.manifest = manifest;
    Ok(true)
}
// ANCHOR_END: load

/// Moves a Redis 6-style `appendonly.aof` into the AOF directory as the
/// base of a new manifest, as Redis 7.0 does on its first start.
fn upgrade_legacy(srv: &mut Server, legacy: &Path) -> Result<Manifest, String> {
    let dir = aof_dir(srv);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let name = srv.config.appendfilename.clone();
    fs::rename(legacy, dir.join(&name)).map_err(|e| format!("{}: {e}", legacy.display()))?;
    let mut m = Manifest::default();
    m.install_base(name, 1, 0);
    srv.aof.manifest = m.clone();
    super::aof::persist_manifest(srv).map_err(|e| e.to_string())?;
    crate::log!(
        Notice,
        "Successfully migrated an old-style AOF into the AOF directory"
    );
    Ok(m)
}

// ANCHOR: check
/// `oxidis-server --check-aof FILE [--fix]`: reports whether the file (or
/// every file of a manifest) is made of complete commands; with --fix,
/// cuts a truncated or corrupt last file back to its valid part.
pub fn check_main(path: &str, fix: bool) -> i32 {
    let p = Path::new(path);
    let files: Vec<PathBuf> = if path.ends_with(".manifest") {
        let text = match fs::read_to_string(p) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("Cannot read {path}: {e}");
                return 1;
            }
        };
        match Manifest::parse(&text) {
            Ok(m) => {
                let dir = p.parent().unwrap_or(Path::new("."));
                m.load_order().iter().map(|f| dir.join(&f.name)).collect()
            }
            Err(e) => {
                eprintln!("{e}");
                return 1;
            }
        }
    } else {
        vec![p.to_path_buf()]
    };
    let mut status = 0;
    for (i, f) in files.iter().enumerate() {
        let mut start = 0;
        if is_rdb(f) {
            // One pass over the preamble both checks it and finds where
            // the commands after it begin.
            match rdb_preamble_len(f) {
                Ok(len) => {
                    start = len;
                    println!("RDB preamble of {} is valid ({start} bytes)", f.display());
                }
                Err(e) => {
                    println!("RDB preamble of {} is not valid: {e}", f.display());
                    status = 1;
                    continue;
                }
            }
        }
        let size = fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        match walk_file(f, start, u64::MAX, |_| Ok(())) {
            Err(e) => {
                eprintln!("{e}");
                status = 1;
            }
            Ok((FileEnd::Clean, n)) => {
                println!("AOF analyzed: filename={}, size={size}, ok_up_to={size}, diff=0 ({n} commands)", f.display());
                println!("AOF {} is valid", f.display());
            }
            Ok((bad, n)) => {
                let (ok, why) = match bad {
                    FileEnd::Truncated { ok_up_to } => (ok_up_to, "truncated".to_string()),
                    FileEnd::Corrupt { offset, reason } => {
                        (offset, format!("bad format: {reason}"))
                    }
                    FileEnd::Clean => (size, String::new()),
                };
                println!("AOF analyzed: filename={}, size={size}, ok_up_to={ok}, diff={} ({n} commands, {why})", f.display(), size - ok);
                let last = i + 1 == files.len();
                if fix && last {
                    match OpenOptions::new()
                        .write(true)
                        .open(f)
                        .and_then(|h| h.set_len(ok))
                    {
                        Ok(()) => println!("Successfully truncated AOF {}", f.display()),
                        Err(e) => {
                            eprintln!("Failed to truncate AOF {}: {e}", f.display());
                            status = 1;
                        }
                    }
                } else {
                    println!(
                        "AOF {} is not valid. Use the --fix option to try fixing it.",
                        f.display()
                    );
                    status = 1;
                }
            }
        }
    }
    status
}

/// Bytes of the RDB image at the start of `path`, or why it is not one.
fn rdb_preamble_len(path: &Path) -> Result<u64, String> {
    let f = File::open(path).map_err(|e| e.to_string())?;
    let total = f.metadata().map(|m| m.len()).ok();
    let mut dbs: Vec<crate::db::Db> = (0..16).map(crate::db::Db::new).collect();
    let opts = crate::persist::rdb::LoadOptions::from_config(&crate::config::Config::default(), 0);
    crate::persist::rdb::load_reader(
        std::io::BufReader::new(f),
        total,
        &mut dbs,
        &opts,
        &mut crate::persist::rdb::Quiet,
    )
    .map(|s| s.bytes)
    .map_err(|e| format!("offset {}: {}", e.offset, e.reason))
}
// ANCHOR_END: check

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(parts: &[&str]) -> Vec<u8> {
        let argv: Vec<Vec<u8>> = parts.iter().map(|p| p.as_bytes().to_vec()).collect();
        let mut out = Vec::new();
        super::super::aof::write_command(&mut out, &argv);
        out
    }

    #[test]
    fn commands_parse_and_every_prefix_is_incomplete() {
        let bytes = cmd(&["SET", "key", "value"]);
        match parse_command(&bytes, 0, 1 << 20) {
            Parsed::Command(argv, end) => {
                assert_eq!(
                    argv,
                    vec![b"SET".to_vec(), b"key".to_vec(), b"value".to_vec()]
                );
                assert_eq!(end, bytes.len());
            }
            other => panic!("{other:?}"),
        }
        for cut in 0..bytes.len() {
            assert_eq!(
                parse_command(&bytes[..cut], 0, 1 << 20),
                Parsed::Incomplete,
                "cut {cut}"
            );
        }
    }

    #[test]
    fn garbage_is_corrupt_not_incomplete() {
        for bad in [
            &b"SET k v\r\n"[..],
            b"*x\r\n",
            b"*1\r\n+OK\r\n",
            b"*1\r\n$3\r\nabcXY",
        ] {
            assert!(
                matches!(parse_command(bad, 0, 1 << 20), Parsed::Bad(_)),
                "{bad:?}"
            );
        }
        // A declared length larger than the limit is refused before any
        // allocation.
        assert!(matches!(
            parse_command(b"*1\r\n$99999999999\r\n", 0, 1 << 20),
            Parsed::Bad(_)
        ));
    }

    #[test]
    fn walk_reports_truncation_and_open_multi() {
        let dir = std::env::temp_dir().join(format!("oxidis-aofload-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.aof");
        let mut bytes = cmd(&["SET", "a", "1"]);
        let good = bytes.len() as u64;
        bytes.extend(cmd(&["MULTI"]));
        bytes.extend(cmd(&["SET", "b", "2"]));
        fs::write(&p, &bytes).unwrap();
        let (end, n) = walk_file(&p, 0, 1 << 20, |_| Ok(())).unwrap();
        assert_eq!(end, FileEnd::Truncated { ok_up_to: good });
        assert_eq!(n, 3);
        bytes.extend(b"*2\r\n$3\r\nDEL");
        fs::write(&p, &bytes).unwrap();
        let (end, _) = walk_file(&p, 0, 1 << 20, |_| Ok(())).unwrap();
        assert_eq!(end, FileEnd::Truncated { ok_up_to: good });
        let _ = fs::remove_dir_all(dir);
    }
}
