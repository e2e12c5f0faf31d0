//! `oxidis-server --check-rdb FILE`: a report in the style of redis-check-rdb.
//!
//! Chapter: chapters/20-rdb.md
//!
//! The check is a real load into throwaway databases, so it validates
//! exactly what start-up would: every blob deeply, the checksum, the
//! duplicate rules. An observer prints each AUX field and SELECTDB with
//! the offset just past it, as redis-check-rdb does:
//!
//! ```text
//!   [offset 0] Checking RDB file dump.rdb
//!   [offset 27] AUX FIELD redis-ver = '7.0.15'
//!   [offset 82] Selecting DB ID 0
//!   [offset 139] Checksum OK
//!   [offset 139] \o/ RDB looks OK! \o/
//!   [info] 3 keys read
//! ```
//!
//! Not here: the loader itself (load.rs).

use super::{load_file, LoadObserver, LoadOptions};
use crate::db::Db;
use std::io::Write;
use std::path::Path;

/// redis-check-rdb loads with the default 16 databases.
const CHECK_DATABASES: usize = 16;

struct Printer<'a> {
    out: &'a mut dyn Write,
}

impl LoadObserver for Printer<'_> {
    fn aux(&mut self, offset: u64, key: &[u8], value: &[u8]) {
        let _ = writeln!(
            self.out,
            "[offset {offset}] AUX FIELD {} = '{}'",
            String::from_utf8_lossy(key),
            String::from_utf8_lossy(value)
        );
    }

    fn select_db(&mut self, offset: u64, db: u64) {
        let _ = writeln!(self.out, "[offset {offset}] Selecting DB ID {db}");
    }
}

/// Checks the file at `path`, printing the report to `out`. True when the
/// file loads cleanly (exit code 0).
pub fn check_file(path: &Path, out: &mut dyn Write) -> bool {
    let _ = writeln!(out, "[offset 0] Checking RDB file {}", path.display());
    let mut dbs: Vec<Db> = (0..CHECK_DATABASES).map(Db::new).collect();
    // Expired keys are counted and skipped, as start-up would skip them.
    let opts = LoadOptions {
        verify_checksum: true,
        ..LoadOptions::default()
    };
    let result = load_file(path, &mut dbs, &opts, &mut Printer { out });
    match result {
        Ok(stats) => {
            match stats.checksum {
                Some(_) => {
                    let _ = writeln!(out, "[offset {}] Checksum OK", stats.bytes);
                }
                None => {
                    let _ = writeln!(
                        out,
                        "[offset {}] RDB file was saved with checksum disabled: no check performed.",
                        stats.bytes
                    );
                }
            }
            let _ = writeln!(out, "[offset {}] \\o/ RDB looks OK! \\o/", stats.bytes);
            let _ = writeln!(
                out,
                "[info] {} keys read",
                stats.keys_loaded + stats.keys_expired
            );
            let _ = writeln!(out, "[info] {} expires", stats.expires + stats.keys_expired);
            let _ = writeln!(out, "[info] {} already expired", stats.keys_expired);
            true
        }
        Err(e) => {
            let _ = writeln!(out, "--- RDB ERROR DETECTED ---");
            let _ = writeln!(out, "[offset {}] {}", e.offset, e.reason);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_is_reported_ok_and_a_truncated_one_is_not() {
        let dir = std::env::temp_dir().join(format!("oxidis-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("d.rdb");
        let mut db = Db::new(0);
        db.set(b"k", crate::db::object::string_object(b"v", 0), false);
        super::super::save_to_file(&path, &[db], &Default::default()).unwrap();
        let mut out = Vec::new();
        assert!(check_file(&path, &mut out));
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("AUX FIELD redis-ver = '7.0.15'"), "{text}");
        assert!(text.contains("Selecting DB ID 0"), "{text}");
        assert!(text.contains("RDB looks OK"), "{text}");
        assert!(text.contains("[info] 1 keys read"), "{text}");

        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 12]).unwrap();
        let mut out = Vec::new();
        assert!(!check_file(&path, &mut out));
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("RDB ERROR DETECTED"), "{text}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
