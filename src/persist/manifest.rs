//! The AOF manifest: which files make up the append-only file, in order.
//!
//! Chapter: chapters/21-aof.md
//!
//! Redis 7.0 splits the append-only file into parts inside `appenddirname`
//! and lists them in a small text file, `<appendfilename>.manifest`:
//!
//! ```text
//!   appendonlydir/
//!     appendonly.aof.manifest        file appendonly.aof.2.base.rdb seq 2 type b
//!     appendonly.aof.2.base.rdb      file appendonly.aof.5.incr.aof seq 5 type i
//!     appendonly.aof.5.incr.aof      file appendonly.aof.6.incr.aof seq 6 type i
//!     appendonly.aof.6.incr.aof
//! ```
//!
//! The dataset is the base (a snapshot: RDB bytes, or commands) followed
//! by the incremental files in sequence order. A rewrite produces a new
//! base; the incremental files written before it started become history
//! (`type h`) and are deleted. The manifest is replaced atomically
//! (written to a temp file, fsynced, renamed), so at any instant the
//! directory describes a loadable dataset.
//!
//! Invariants:
//! 1. At most one base; incremental files have strictly increasing
//!    sequence numbers.
//! 2. `to_text` and `parse` are inverses for every manifest we write.
//!
//! Not here: writing the files themselves (`aof.rs`).

use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Base,
    Incr,
    History,
}

impl FileKind {
    fn letter(self) -> char {
        match self {
            FileKind::Base => 'b',
            FileKind::Incr => 'i',
            FileKind::History => 'h',
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AofFile {
    pub name: String,
    pub seq: u64,
    pub kind: FileKind,
}

/// The parsed manifest (invariant 1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<AofFile>,
    pub incrs: Vec<AofFile>,
    pub history: Vec<AofFile>,
    /// Highest sequence numbers handed out so far.
    pub base_seq: u64,
    pub incr_seq: u64,
}

impl Manifest {
    // ANCHOR: names
    /// `appendonly.aof.3.base.rdb` or `.base.aof`.
    pub fn base_name(prefix: &str, seq: u64, rdb: bool) -> String {
        format!("{prefix}.{seq}.base.{}", if rdb { "rdb" } else { "aof" })
    }

    /// `appendonly.aof.7.incr.aof`.
    pub fn incr_name(prefix: &str, seq: u64) -> String {
        format!("{prefix}.{seq}.incr.aof")
    }
    // ANCHOR_END: names

    /// Adds a new incremental file and returns its name.
    pub fn new_incr(&mut self, prefix: &str) -> String {
        self.incr_seq += 1;
        let name = Self::incr_name(prefix, self.incr_seq);
        self.incrs.push(AofFile {
            name: name.clone(),
            seq: self.incr_seq,
            kind: FileKind::Incr,
        });
        name
    }

    /// After a rewrite: `base` replaces the old base, and every incremental
    /// file before the one the parent opened when the rewrite began
    /// (`keep_from_seq`) becomes history.
    pub fn install_base(&mut self, base_name: String, base_seq: u64, keep_from_seq: u64) {
        if let Some(mut old) = self.base.take() {
            old.kind = FileKind::History;
            self.history.push(old);
        }
        let (old, keep): (Vec<AofFile>, Vec<AofFile>) =
            self.incrs.drain(..).partition(|f| f.seq < keep_from_seq);
        self.incrs = keep;
        for mut f in old {
            f.kind = FileKind::History;
            self.history.push(f);
        }
        self.base = Some(AofFile {
            name: base_name,
            seq: base_seq,
            kind: FileKind::Base,
        });
        self.base_seq = self.base_seq.max(base_seq);
    }

    /// Every live file in load order: the base, then incrementals.
    pub fn load_order(&self) -> Vec<&AofFile> {
        self.base.iter().chain(self.incrs.iter()).collect()
    }

    // ANCHOR: text
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in self
            .base
            .iter()
            .chain(self.history.iter())
            .chain(self.incrs.iter())
        {
            let _ = writeln!(
                out,
                "file {} seq {} type {}",
                f.name,
                f.seq,
                f.kind.letter()
            );
        }
        out
    }

    /// Parses a manifest; errors name the line. Lines starting with `#`
    /// and blank lines are skipped, as Redis does.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let mut m = Manifest::default();
        for (no, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad =
                |why: &str| format!("Invalid AOF manifest file format at line {}: {why}", no + 1);
            let parts: Vec<&str> = line.split_ascii_whitespace().collect();
            if !parts.len().is_multiple_of(2) {
                return Err(bad("odd number of tokens"));
            }
            let (mut name, mut seq, mut kind) = (None, None, None);
            for kv in parts.chunks(2) {
                match kv[0] {
                    "file" => name = Some(kv[1].to_string()),
                    "seq" => seq = kv[1].parse::<u64>().ok(),
                    "type" => {
                        kind = match kv[1] {
                            "b" => Some(FileKind::Base),
                            "i" => Some(FileKind::Incr),
                            "h" => Some(FileKind::History),
                            _ => return Err(bad("unknown file type")),
                        }
                    }
                    _ => {} // unknown keys are ignored, for forward compatibility
                }
            }
            let (Some(name), Some(seq), Some(kind)) = (name, seq, kind) else {
                return Err(bad("missing file, seq or type"));
            };
            if name.contains('/') || name.is_empty() {
                return Err(bad(
                    "file name must be a plain name inside the AOF directory",
                ));
            }
            let f = AofFile { name, seq, kind };
            match kind {
                FileKind::Base => {
                    if m.base.is_some() {
                        return Err(bad("more than one base file"));
                    }
                    m.base_seq = m.base_seq.max(seq);
                    m.base = Some(f);
                }
                FileKind::Incr => {
                    if m.incrs.last().is_some_and(|l| l.seq >= seq) {
                        return Err(bad("incremental files out of order"));
                    }
                    m.incr_seq = m.incr_seq.max(seq);
                    m.incrs.push(f);
                }
                FileKind::History => m.history.push(f),
            }
        }
        if m.base.is_none() && m.incrs.is_empty() {
            return Err("Found an empty AOF manifest".to_string());
        }
        Ok(m)
    }
    // ANCHOR_END: text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_round_trips_through_text() {
        let mut m = Manifest::default();
        m.new_incr("appendonly.aof");
        m.install_base(Manifest::base_name("appendonly.aof", 1, true), 1, 2);
        m.new_incr("appendonly.aof");
        let text = m.to_text();
        assert_eq!(
            text,
            "file appendonly.aof.1.base.rdb seq 1 type b\n\
             file appendonly.aof.1.incr.aof seq 1 type h\n\
             file appendonly.aof.2.incr.aof seq 2 type i\n"
        );
        assert_eq!(Manifest::parse(&text), Ok(m));
    }

    #[test]
    fn rewrite_keeps_the_incr_opened_when_it_started() {
        let mut m = Manifest::default();
        m.new_incr("a");
        let keep = {
            m.new_incr("a");
            m.incr_seq
        };
        m.install_base(Manifest::base_name("a", 1, false), 1, keep);
        assert_eq!(m.incrs.len(), 1);
        assert_eq!(m.incrs[0].seq, 2);
        assert_eq!(m.history.len(), 1);
    }

    #[test]
    fn bad_manifests_name_the_line() {
        for bad in [
            "file x seq 1",
            "file x seq 1 type q",
            "file a/b seq 1 type b",
            "file x seq 2 type i\nfile y seq 1 type i",
            "file x seq 1 type b\nfile y seq 2 type b",
            "",
        ] {
            assert!(Manifest::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Manifest::parse("file x seq 1 type b\nfile y seq 1 type zz")
            .unwrap_err()
            .contains("line 2"));
    }
}
