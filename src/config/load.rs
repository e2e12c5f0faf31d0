//! Loading: redis.conf text, `include`, and `redis-server` command lines.
//!
//! Chapter: chapters/05-config-and-info.md
//!
//! A file is read line by line: trim, skip `#` comments and blank lines,
//! split into words, look the first word up in the directive table, hand it
//! the rest. Command-line flags are not a second parser: `--port 7000`
//! is turned into the config line `port "7000"` and appended after the
//! file's text, so flags obey the same rules and override the file simply
//! by coming later.
//!
//! ```text
//!   redis-server my.conf --port 7000 --save ""
//!
//!   line 1..n   <contents of my.conf>
//!   line n+1    port "7000"
//!   line n+2    save ""
//! ```
//!
//! Invariants:
//! 1. An error names the line, counted from 1 in the text being read (an
//!    included file counts its own lines).
//! 2. `include` nests at most `MAX_INCLUDE_DEPTH` deep.
//!
//! Not here: what each directive accepts (directives.rs), CONFIG SET
//! (mod.rs).

use std::path::Path;

use super::directives::LoadState;
use super::parse::{self, repr, split_args};
use super::{lookup, strerror, Config, ConfigError};

/// `include` may nest this deep. Redis has no limit (a file that includes
/// itself recurses until it runs out of file descriptors); a limit turns
/// that into an error message.
const MAX_INCLUDE_DEPTH: usize = 16;

/// What went wrong while applying one directive line.
enum ApplyError {
    /// The reason to print under the offending line.
    Reason(String),
    /// An included file failed; its own error already names its line.
    Nested(ConfigError),
}

/// Directives Redis 7.0 still accepts and ignores, with their argument
/// counts (including the name).
const DEPRECATED: &[(&str, usize)] = &[
    ("list-max-ziplist-entries", 2),
    ("list-max-ziplist-value", 2),
    ("lua-replicate-commands", 2),
];

impl Config {
    // ANCHOR: from_args
    /// Build the configuration from the command line, as `redis-server`
    /// does. `args` excludes the program name.
    ///
    /// A first argument not starting with `-` names a config file. The
    /// remaining `--name value...` pairs become config lines appended after
    /// the file's text (`--port 7000` turns into `port "7000"`), so flags
    /// override the file and a later flag overrides an earlier one. A lone
    /// `-` first or last (Redis: "read the config from stdin") is ignored.
    pub fn from_args(args: &[String]) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        let mut text = String::new();
        let mut source = "(command line)".to_string();
        let last = args.len().saturating_sub(1);
        let mut rest: Vec<String> = args
            .iter()
            .enumerate()
            .filter(|&(i, a)| !(a == "-" && (i == 0 || i == last)))
            .map(|(_, a)| a.clone())
            .collect();
        if let Some(first) = args.first().filter(|a| !a.starts_with('-')) {
            let path = Path::new(first);
            text = read_config_file(path)?;
            let absolute = if path.is_absolute() {
                path.to_path_buf()
            } else {
                std::env::current_dir()
                    .map(|d| d.join(path))
                    .unwrap_or_else(|_| path.to_path_buf())
            };
            config.config_file = Some(absolute);
            source = first.clone();
            rest.remove(0);
        }
        text.push('\n');
        text.push_str(&command_line_options(&rest));
        config.load_str(&text, &source)?;
        Ok(config)
    }
    // ANCHOR_END: from_args

    /// Apply redis.conf text on top of the current values. `source` names
    /// the text in errors. On error, directives before the bad line have
    /// been applied; callers exit, as Redis does.
    pub fn load_str(&mut self, text: &str, source: &str) -> Result<(), ConfigError> {
        self.load_text(text, source, &mut LoadState::reading_file())
    }

    // ANCHOR: load_text
    fn load_text(
        &mut self,
        text: &str,
        source: &str,
        state: &mut LoadState,
    ) -> Result<(), ConfigError> {
        for (index, raw) in text.split('\n').enumerate() {
            let line = raw.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |reason: String| ConfigError::BadLine {
                source: source.to_string(),
                line: index + 1,
                text: line.to_string(),
                reason,
            };
            let Some(words) = split_args(line.as_bytes()) else {
                return Err(bad(parse::UNBALANCED_QUOTES.to_string()));
            };
            let argv: Vec<String> = words
                .iter()
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect();
            if argv.is_empty() {
                continue;
            }
            match self.apply_argv(&argv, state) {
                Ok(()) => {}
                Err(ApplyError::Reason(reason)) => return Err(bad(reason)),
                Err(ApplyError::Nested(e)) => return Err(e),
            }
        }
        Ok(())
    }
    // ANCHOR_END: load_text

    /// One directive line, already split: `argv[0]` is the name.
    fn apply_argv(&mut self, argv: &[String], state: &mut LoadState) -> Result<(), ApplyError> {
        let Some((name, args)) = argv.split_first() else {
            return Ok(());
        };
        let name = name.to_ascii_lowercase();
        if let Some((directive, _)) = lookup(&name) {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            return directive
                .apply(self, &refs, state)
                .map_err(ApplyError::Reason);
        }
        if DEPRECATED
            .iter()
            .any(|&(n, argc)| n == name && argc == argv.len())
        {
            return Ok(());
        }
        if name == "include" && args.len() == 1 {
            if state.include_depth >= MAX_INCLUDE_DEPTH {
                return Err(ApplyError::Reason(format!(
                    "include nesting deeper than {MAX_INCLUDE_DEPTH} (does a file include itself?)"
                )));
            }
            let path = &args[0];
            let text = read_config_file(Path::new(path)).map_err(ApplyError::Nested)?;
            state.include_depth += 1;
            let result = self.load_text(&text, path, state);
            state.include_depth -= 1;
            return result.map_err(ApplyError::Nested);
        }
        Err(ApplyError::Reason(
            "Bad directive or wrong number of arguments".to_string(),
        ))
    }

    /// Set one directive as a config file line would (immutable directives
    /// allowed). `name` is case-insensitive and may be an alias. The error
    /// is the bare reason, e.g. "argument must be 'yes' or 'no'".
    pub fn set(&mut self, name: &str, args: &[&str]) -> Result<(), String> {
        let mut argv = vec![name.to_string()];
        argv.extend(args.iter().map(|a| a.to_string()));
        self.apply_argv(&argv, &mut LoadState::reading_file())
            .map_err(|e| match e {
                ApplyError::Reason(r) => r,
                ApplyError::Nested(e) => e.to_string(),
            })
    }
}

fn read_config_file(path: &Path) -> Result<String, ConfigError> {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .map_err(|e| ConfigError::Open {
            path: path.display().to_string(),
            reason: strerror(&e),
        })
}

/// Turn `--name value...` arguments into config text, one line per option,
/// with values quoted by [`repr`] so blanks and quotes survive.
///
/// Redis's rules, kept here:
/// - `--name` followed directly by another `--x` takes `--x` as its value
///   (so `--requirepass --weird` works), except that `--save` followed by
///   an option, or last, means `save ""`;
/// - an argument holding both, like `"--port 7000"`, is name and value;
/// - a value before any option name becomes a line of its own and fails as
///   a bad directive.
fn command_line_options(args: &[String]) -> String {
    let mut out = String::new();
    // Does the option being built already have a value? Only then does a
    // `--x` argument start a new option.
    let mut last_has_value = true;
    for (j, arg) in args.iter().enumerate() {
        if last_has_value && arg.starts_with("--") {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&arg[2..]);
            out.push(' ');
            let words = split_args(arg.as_bytes()).map_or(0, |w| w.len());
            last_has_value = words != 1;
            if words == 1 && arg.eq_ignore_ascii_case("--save") {
                let next_is_option = args.get(j + 1).is_some_and(|n| n.starts_with("--"));
                if next_is_option || j + 1 == args.len() {
                    out.push_str("\"\"");
                    last_has_value = true;
                }
            }
        } else {
            out.push_str(&repr(arg.as_bytes()));
            out.push(' ');
            last_has_value = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{notify, LogLevel};
    use std::path::PathBuf;

    fn temp_file(tag: &str, text: &str) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("oxidis-config-{tag}-{}.conf", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    fn load_err(text: &str) -> ConfigError {
        Config::default().load_str(text, "test").unwrap_err()
    }

    fn reason(text: &str) -> String {
        match load_err(text) {
            ConfigError::BadLine { reason, .. } => reason,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn sample_redis_conf_with_comments_quotes_and_units_loads() {
        let text = "# A sample file\n\
                    \n\
                    port 7001\n\
                    \t bind 127.0.0.1 ::1   \r\n\
                    maxmemory 100mb\n\
                    proto-max-bulk-len 2GB\n\
                    requirepass \"p@ss word\\n\"\n\
                    masteruser 'o\\'neil'\n\
                    LogLevel WARNING\n\
                    protected-mode NO\n\
                    save 900 1\n\
                    save 300 10\n\
                    hash-max-ziplist-entries 100\n\
                    notify-keyspace-events Ex\n\
                    client-output-buffer-limit pubsub 64mb 16mb 90\n";
        let mut c = Config::default();
        c.load_str(text, "sample").unwrap();
        assert_eq!(c.port, 7001);
        assert_eq!(c.bind, ["127.0.0.1", "::1"]);
        assert_eq!(c.maxmemory, 100 * 1024 * 1024);
        assert_eq!(c.proto_max_bulk_len, 2 * 1024 * 1024 * 1024);
        assert_eq!(c.requirepass, "p@ss word\n");
        assert_eq!(c.masteruser, "o'neil");
        assert_eq!(c.loglevel, LogLevel::Warning);
        assert!(!c.protected_mode);
        assert_eq!(c.get("save").unwrap(), "900 1 300 10");
        assert_eq!(c.hash_max_listpack_entries, 100);
        assert_eq!(c.notify_keyspace_events, notify::EXPIRED | notify::KEYEVENT);
        assert_eq!(
            c.get("client-output-buffer-limit").unwrap(),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 16777216 90"
        );
    }

    #[test]
    fn include_loads_another_file_at_that_point() {
        let inner = temp_file("inner", "hz 42\nport 7100\n");
        let text = format!("port 7000\ninclude {}\ntimeout 5\n", inner.display());
        let mut c = Config::default();
        c.load_str(&text, "outer").unwrap();
        assert_eq!((c.hz, c.port, c.timeout), (42, 7100, 5));
        std::fs::remove_file(inner).unwrap();
    }

    #[test]
    fn error_in_an_included_file_names_its_own_line() {
        let inner = temp_file("badinner", "# ok\nhz fast\n");
        let err = load_err(&format!("port 1\n\ninclude {}\n", inner.display()));
        match err {
            ConfigError::BadLine {
                line, text, reason, ..
            } => {
                assert_eq!((line, text.as_str()), (2, "hz fast"));
                assert_eq!(reason, "argument couldn't be parsed into an integer");
            }
            other => panic!("unexpected {other:?}"),
        }
        std::fs::remove_file(inner).unwrap();
    }

    #[test]
    fn a_file_that_includes_itself_fails_instead_of_recursing_forever() {
        let path =
            std::env::temp_dir().join(format!("oxidis-config-self-{}.conf", std::process::id()));
        std::fs::write(&path, format!("include {}\n", path.display())).unwrap();
        let err = load_err(&format!("include {}\n", path.display()));
        assert!(
            err.to_string().contains("include nesting deeper than"),
            "{err}"
        );
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn missing_include_reports_the_open_error() {
        let err = load_err("include /nonexistent/oxidis.conf\n");
        assert_eq!(
            err.to_string(),
            "Fatal error, can't open config file '/nonexistent/oxidis.conf': No such file or directory"
        );
    }

    #[test]
    fn fatal_error_text_matches_redis() {
        let err = load_err("# c\nfoo bar\n");
        assert_eq!(
            err.to_string(),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n\
             Reading the configuration file, at line 2\n\
             >>> 'foo bar'\n\
             Bad directive or wrong number of arguments"
        );
    }

    #[test]
    fn each_error_reason_matches_redis() {
        let cases = [
            ("foo bar", "Bad directive or wrong number of arguments"),
            ("include", "Bad directive or wrong number of arguments"),
            ("hz", "wrong number of arguments"),
            ("port 1 2", "wrong number of arguments"),
            ("port \"abc", "Unbalanced quotes in configuration line"),
            ("port \"abc\"x", "Unbalanced quotes in configuration line"),
            ("port abc", "argument couldn't be parsed into an integer"),
            ("port 05", "argument couldn't be parsed into an integer"),
            ("port 99999", "argument must be between 0 and 65535 inclusive"),
            ("databases 0", "argument must be between 1 and 2147483647 inclusive"),
            ("maxclients 0", "argument must be between 1 and 4294967295 inclusive"),
            ("slowlog-log-slower-than -2", "argument must be between -1 and 9223372036854775807 inclusive"),
            ("proto-max-bulk-len 1000", "argument must be between 1048576 and 9223372036854775807 inclusive"),
            ("repl-backlog-size 18446744073709551616", "argument must be between 1 and 9223372036854775807 inclusive"),
            ("active-expire-effort 11", "argument must be between 1 and 10 inclusive"),
            ("io-threads 129", "argument must be between 1 and 128 inclusive"),
            ("protected-mode maybe", "argument must be 'yes' or 'no'"),
            ("maxmemory 10x", "argument must be a memory value"),
            ("maxmemory -1", "argument must be a memory value"),
            ("loglevel loud", "argument(s) must be one of the following: debug, verbose, notice, warning"),
            ("supervised x", "argument(s) must be one of the following: upstart, systemd, auto, no"),
            ("appendfsync x", "argument(s) must be one of the following: everysec, always, no"),
            ("enable-debug-command maybe", "argument(s) must be one of the following: no, yes, local"),
            (
                "maxmemory-policy foo",
                "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, \
                 volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
            ),
            ("unixsocketperm 999", "argument couldn't be parsed as an octal number"),
            ("unixsocketperm 1777", "argument must be between 0 and 777 inclusive"),
            ("save abc", "Invalid save parameters"),
            ("save 0 1", "Invalid save parameters"),
            ("save 900 1 x", "Invalid save parameters"),
            ("client-output-buffer-limit normal 1 2", "Wrong number of arguments in buffer limit configuration."),
            ("client-output-buffer-limit master 1 2 3", "Invalid client class specified in buffer limit configuration."),
            (
                "client-output-buffer-limit normal 1x 2 3",
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
            ),
            ("notify-keyspace-events Q", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
            ("dir /nonexistent/oxidis", "No such file or directory"),
            ("dbfilename a/b", "dbfilename can't be a path, just a filename"),
            ("appendfilename \"\"", "appendfilename can't be empty"),
            ("appendfilename a/b", "appendfilename can't be a path, just a filename"),
            ("appenddirname \"\"", "appenddirname can't be empty"),
            ("appenddirname a/b", "appenddirname can't be a path, just a dirname"),
            ("event-backend poll", "argument(s) must be one of the following: auto, epoll, kqueue, select"),
        ];
        for (line, want) in cases {
            assert_eq!(reason(line), want, "{line}");
        }
    }

    #[test]
    fn trailing_comment_on_a_directive_line_is_an_argument_as_in_redis() {
        assert_eq!(reason("port 6379 # default"), "wrong number of arguments");
    }

    #[test]
    fn deprecated_directives_are_accepted_and_ignored() {
        let mut c = Config::default();
        c.load_str(
            "list-max-ziplist-entries 512\nlua-replicate-commands yes\n",
            "t",
        )
        .unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn save_lines_accumulate_in_a_file_but_replace_on_set() {
        let mut c = Config::default();
        c.load_str("save 900 1\nsave 300 10\n", "t").unwrap();
        assert_eq!(c.get("save").unwrap(), "900 1 300 10");
        c.load_str("save \"\"\n", "t").unwrap();
        assert_eq!(c.get("save").unwrap(), "");
        c.set("save", &["60 5"]).unwrap();
        c.set("save", &["30 2"]).unwrap();
        assert_eq!(c.get("save").unwrap(), "30 2");
        c.load_str("save \"900 1 300 10\"\n", "t").unwrap();
        assert_eq!(c.save.len(), 2);
        // A file splits one quoted word like a line, so runs of blanks are
        // fine here; CONFIG SET splits on single spaces and would refuse it.
        c.load_str("save \"100  5\"\n", "t").unwrap();
        assert_eq!(c.get("save").unwrap(), "100 5");
    }

    #[test]
    fn flags_override_the_file_and_later_flags_win() {
        let file = temp_file("flags", "port 7001\nhz 20\n");
        let args = strings(&[
            file.to_str().unwrap(),
            "--port",
            "7002",
            "--hz",
            "30",
            "--port",
            "7003",
        ]);
        let c = Config::from_args(&args).unwrap();
        assert_eq!((c.port, c.hz), (7003, 30));
        assert_eq!(c.config_file.as_deref(), Some(file.as_path()));
        std::fs::remove_file(file).unwrap();
    }

    #[test]
    fn flag_values_may_hold_blanks_quotes_and_several_words() {
        let args = strings(&[
            "--requirepass",
            "a \"b\" c",
            "--save",
            "900",
            "1",
            "300",
            "10",
            "--bind",
            "127.0.0.1 ::1",
        ]);
        let c = Config::from_args(&args).unwrap();
        assert_eq!(c.requirepass, "a \"b\" c");
        assert_eq!(c.get("save").unwrap(), "900 1 300 10");
        assert_eq!(c.bind, ["127.0.0.1", "::1"]);
        // One quoted word is split again; several quoted words are not.
        let c = Config::from_args(&strings(&["--save", "900 1"])).unwrap();
        assert_eq!(c.get("save").unwrap(), "900 1");
        let err = Config::from_args(&strings(&["--save", "900 1", "300 10"])).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("'save \"900 1\" \"300 10\"'\nInvalid save parameters"),
            "{err}"
        );
        let c = Config::from_args(&strings(&["--port 7010", "--hz 12"])).unwrap();
        assert_eq!((c.port, c.hz), (7010, 12));
    }

    #[test]
    fn option_without_value_takes_the_next_dashed_word_except_save() {
        let c = Config::from_args(&strings(&["--requirepass", "--weird", "--port", "1"])).unwrap();
        assert_eq!((c.requirepass.as_str(), c.port), ("--weird", 1));
        let c = Config::from_args(&strings(&["--save", "--port", "2"])).unwrap();
        assert_eq!((c.save.len(), c.port), (0, 2));
        let c = Config::from_args(&strings(&["--port", "3", "--save"])).unwrap();
        assert_eq!((c.save.len(), c.port), (0, 3));
        let c = Config::from_args(&strings(&["-", "--port", "4", "-"])).unwrap();
        assert_eq!(c.port, 4);
    }

    #[test]
    fn flag_errors_are_reported_like_redis() {
        let err = Config::from_args(&strings(&["--port", "abc"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n\
             Reading the configuration file, at line 2\n\
             >>> 'port \"abc\"'\n\
             argument couldn't be parsed into an integer"
        );
        let err = Config::from_args(&strings(&["--hz"])).unwrap_err();
        assert!(
            err.to_string()
                .ends_with(">>> 'hz'\nwrong number of arguments"),
            "{err}"
        );
        // After a file, flag lines are numbered after the file's lines.
        let file = temp_file("flagline", "port 7001\n");
        let err = Config::from_args(&strings(&[file.to_str().unwrap(), "--hz", "x"])).unwrap_err();
        assert!(
            err.to_string().contains("at line 3\n>>> 'hz \"x\"'"),
            "{err}"
        );
        std::fs::remove_file(file).unwrap();
        let err = Config::from_args(&strings(&["/nonexistent/oxidis.conf"])).unwrap_err();
        assert!(matches!(err, ConfigError::Open { .. }));
    }
}
