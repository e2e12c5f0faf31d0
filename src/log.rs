//! Logging in Redis's line format.
//!
//! Chapter: chapters/05-config-and-info.md
//!
//! Every line looks like Redis's, so tools and people that read Redis logs
//! read ours:
//!
//! ```text
//! 4242:M 30 Nov 2026 18:07:28.123 * Ready to accept connections tcp
//! ^pid ^role  ^local time, ms      ^level mark ('.' debug, '-' verbose,
//!                                   '*' notice, '#' warning)
//! ```
//!
//! Invariants:
//! 1. A line below the configured level is never formatted (the check comes
//!    first, so debug logging costs one atomic load when it is off).
//! 2. Each line is written with a single `write` call, so lines from a forked
//!    child and its parent never interleave mid-line.
//!
//! Not here: the `loglevel`/`logfile` directives themselves (config/), syslog.

use std::fmt::Arguments;
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Debug = 0,
    Verbose = 1,
    Notice = 2,
    Warning = 3,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s.to_ascii_lowercase().as_str() {
            "debug" => Some(Level::Debug),
            "verbose" => Some(Level::Verbose),
            "notice" => Some(Level::Notice),
            "warning" => Some(Level::Warning),
            _ => None,
        }
    }

    fn mark(self) -> char {
        match self {
            Level::Debug => '.',
            Level::Verbose => '-',
            Level::Notice => '*',
            Level::Warning => '#',
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Notice as u8);
/// 'M' for the server, 'C' for a forked child (persistence chapters), later
/// 'S' for a replica and 'X' for a sentinel.
static ROLE: AtomicU8 = AtomicU8::new(b'M');
/// `None` writes to standard output (Redis's `logfile ""`).
static FILE: Mutex<Option<std::fs::File>> = Mutex::new(None);

pub fn set_level(level: Level) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

pub fn set_role(role: u8) {
    ROLE.store(role, Ordering::Relaxed);
}

/// Directs the log to `path` (appending), or to stdout for an empty path.
pub fn set_file(path: &str) -> std::io::Result<()> {
    let file = if path.is_empty() {
        None
    } else {
        Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?,
        )
    };
    if let Ok(mut slot) = FILE.lock() {
        *slot = file;
    }
    Ok(())
}

pub fn enabled(level: Level) -> bool {
    level as u8 >= LEVEL.load(Ordering::Relaxed)
}

// ANCHOR: write
pub fn write(level: Level, args: Arguments) {
    if !enabled(level) {
        return; // invariant 1
    }
    let mut line = Vec::with_capacity(128);
    let _ = write!(
        line,
        "{}:{} {} {} ",
        std::process::id(),
        ROLE.load(Ordering::Relaxed) as char,
        timestamp(),
        level.mark()
    );
    let _ = line.write_fmt(args);
    line.push(b'\n');
    // Invariant 2: one write per line. A failed log write has nowhere to be
    // reported, so it is dropped.
    match FILE.lock() {
        Ok(mut guard) => match guard.as_mut() {
            Some(f) => {
                let _ = f.write_all(&line);
            }
            None => {
                let _ = std::io::stdout().lock().write_all(&line);
            }
        },
        Err(_) => {
            let _ = std::io::stderr().write_all(&line);
        }
    }
}
// ANCHOR_END: write

/// "30 Nov 2026 18:07:28.123" in local time, as Redis prints it.
fn timestamp() -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    // SAFETY: `tm` is plain data that localtime_r fills in; both pointers
    // are valid for the duration of the call.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&secs, &mut tm);
        tm
    };
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        tm.tm_mday,
        MONTHS[tm.tm_mon.clamp(0, 11) as usize],
        tm.tm_year + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        now.subsec_millis()
    )
}

/// `log!(Notice, "Ready to accept connections {}", kind)`
#[macro_export]
macro_rules! log {
    ($level:ident, $($arg:tt)*) => {
        if $crate::log::enabled($crate::log::Level::$level) {
            $crate::log::write($crate::log::Level::$level, format_args!($($arg)*))
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_parse_accepts_redis_names_in_any_case() {
        assert_eq!(Level::parse("NOTICE"), Some(Level::Notice));
        assert_eq!(Level::parse("warning"), Some(Level::Warning));
        assert_eq!(Level::parse("loud"), None);
    }

    #[test]
    fn timestamp_has_redis_shape() {
        let t = timestamp();
        // "30 Nov 2026 18:07:28.123"
        assert_eq!(t.len(), 24, "{t}");
        assert_eq!(&t[20..21], ".");
    }
}
