//! Request parser: bytes from a client in, one argument vector at a time out.
//!
//! Chapter: chapters/02-resp.md
//!
//! Clients send commands in two shapes. Multibulk is what every client
//! library sends: `*<argc>\r\n` then `$<len>\r\n<bytes>\r\n` per argument.
//! Inline is what a person types into telnet: one line of words. A socket
//! read can stop anywhere, so the parser is incremental: it consumes whole
//! pieces (a header line, a complete argument) and keeps what it learned in
//! `RequestParser`, so a huge request is never rescanned from its start.
//!
//! Invariants:
//! 1. Between commands (`remaining == 0`) the parser holds nothing:
//!    `argv` is empty and `pending_bulk` is `None`.
//! 2. `pending_bulk` is `Some(len)` only inside a multibulk, after its
//!    `$len` header was consumed and before `len + 2` payload bytes arrived.
//! 3. `*pos` only ever moves past complete pieces: a whole header line or a
//!    whole argument with its trailing two bytes. It never stops inside one.
//! 4. No allocation is sized by a length the client declared. An argument
//!    is copied out only once all its bytes are in the buffer, and `argv`
//!    starts at no more than `ARGV_PREALLOC_MAX` slots.
//!
//! Not here: reading sockets and growing the query buffer (server/),
//! executing commands (cmd/), encoding replies (reply.rs).

use std::fmt;

/// `argv` capacity reserved up front, whatever `*<argc>` claimed. Real
/// commands rarely have more arguments; longer ones grow the vector as the
/// arguments actually arrive.
const ARGV_PREALLOC_MAX: usize = 1024;

/// Size limits taken from the server configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted `$<len>` (`proto-max-bulk-len`), default 512 MB.
    pub max_bulk_len: usize,
    /// Largest accepted `*<argc>`, default 1M arguments.
    pub max_multibulk_len: usize,
    /// Longest inline command or header line without its terminator,
    /// default 64 KB (Redis's `PROTO_INLINE_MAX_SIZE`).
    pub max_inline_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_multibulk_len: 1024 * 1024,
            max_inline_len: 64 * 1024,
        }
    }
}

/// A malformed request. The text has no `ERR ` prefix, e.g.
/// `Protocol error: invalid bulk length`; the server replies with it and
/// closes the connection, because it can no longer tell where the next
/// command starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl ProtocolError {
    fn new(what: &str) -> Self {
        ProtocolError(format!("Protocol error: {what}"))
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProtocolError {}

/// One parsed command: its arguments, command name first.
pub type Argv = Vec<Vec<u8>>;

// ---------------------------------------------------------------------------
// Scanning helpers
// ---------------------------------------------------------------------------

/// The unconsumed bytes, or nothing if `pos` is past the end (a caller bug
/// must not become a panic).
fn rest(buf: &[u8], pos: usize) -> &[u8] {
    buf.get(pos..).unwrap_or(&[])
}

/// Index of the first `needle`. `position` over a slice compiles to a tight
/// loop; it is the whole-slice scan that replaces a byte-at-a-time state
/// machine.
#[inline]
fn find(hay: &[u8], needle: u8) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

// ANCHOR: parse_int
/// Parse a decimal integer the strict way Redis does (its `string2ll`):
/// an optional `-`, then `0` alone or digits not starting with `0`, fitting
/// in an i64. No `+`, no spaces, no `-0`, no empty string.
fn parse_strict_i64(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.split_first()? {
        (b'-', rest) => (true, rest),
        _ => (false, text),
    };
    match digits {
        [b'0'] if !negative => return Some(0),
        [b'1'..=b'9', ..] => {}
        _ => return None,
    }
    // Accumulate as a negative number: i64::MIN has no positive twin.
    let mut value: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_sub(i64::from(b - b'0'))?;
    }
    if negative {
        Some(value)
    } else {
        value.checked_neg()
    }
}
// ANCHOR_END: parse_int

/// What `*<argc>` at the front of the buffer turned out to be.
enum Header {
    NeedMore,
    /// `*0` or a negative count: an empty request, skipped like Redis does.
    Empty,
    Started,
}

// ---------------------------------------------------------------------------
// The parser
// ---------------------------------------------------------------------------

// ANCHOR: state
/// Parser state carried from one socket read to the next.
#[derive(Debug, Default)]
pub struct RequestParser {
    /// Arguments of the multibulk command being assembled (invariant 1).
    argv: Argv,
    /// Arguments still to come in the current multibulk; 0 between commands.
    remaining: usize,
    /// Declared length of the next argument whose `$len` line was consumed
    /// but whose bytes have not all arrived (invariant 2).
    pending_bulk: Option<usize>,
}
// ANCHOR_END: state

impl RequestParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// True while a multibulk command is partly parsed.
    pub fn in_progress(&self) -> bool {
        self.remaining > 0
    }

    // ANCHOR: next_command
    /// Parse at most one command from `buf[*pos..]`.
    ///
    /// - `Ok(Some(argv))`: a command; `*pos` is just past it.
    /// - `Ok(None)`: more bytes are needed. `*pos` may have moved past the
    ///   pieces already taken into the parser's state; keep `buf[*pos..]`
    ///   and append the next read after it.
    /// - `Err(e)`: the request is malformed; reply with `ERR <e>` and close.
    ///
    /// Empty requests (blank inline lines, `*0`, `*-1`) produce no command;
    /// they are skipped and parsing carries on.
    pub fn next_command(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        limits: &Limits,
    ) -> Result<Option<Argv>, ProtocolError> {
        loop {
            if self.remaining == 0 {
                match rest(buf, *pos).first() {
                    None => return Ok(None),
                    Some(b'*') => match self.start_multibulk(buf, pos, limits)? {
                        Header::NeedMore => return Ok(None),
                        Header::Empty => continue,
                        Header::Started => {}
                    },
                    Some(_) => match parse_inline(buf, pos, limits)? {
                        None => return Ok(None),
                        Some(argv) if argv.is_empty() => continue,
                        Some(argv) => return Ok(Some(argv)),
                    },
                }
            }
            return self.continue_multibulk(buf, pos, limits);
        }
    }
    // ANCHOR_END: next_command

    /// Read `*<argc>\r\n` at `buf[*pos]`, which is known to be `*`.
    ///
    /// Like Redis, a line ends at the first `\r` and the byte after it is
    /// skipped unchecked; it is always `\n` from a well-behaved client.
    fn start_multibulk(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        limits: &Limits,
    ) -> Result<Header, ProtocolError> {
        let line = rest(buf, *pos);
        let Some(cr) = find(line, b'\r') else {
            if line.len() > limits.max_inline_len {
                return Err(ProtocolError::new("too big mbulk count string"));
            }
            return Ok(Header::NeedMore);
        };
        if cr + 2 > line.len() {
            return Ok(Header::NeedMore);
        }
        let count = parse_strict_i64(&line[1..cr])
            .filter(|&n| n <= 0 || n as u64 <= limits.max_multibulk_len as u64)
            .ok_or_else(|| ProtocolError::new("invalid multibulk length"))?;
        *pos += cr + 2;
        if count <= 0 {
            return Ok(Header::Empty);
        }
        // Invariant 4: the count is only a claim until the arguments arrive.
        let count = count as usize;
        self.argv = Vec::with_capacity(count.min(ARGV_PREALLOC_MAX));
        self.remaining = count;
        Ok(Header::Started)
    }

    // ANCHOR: continue_multibulk
    /// Take as many `$<len>\r\n<bytes>\r\n` arguments as the buffer holds.
    fn continue_multibulk(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        limits: &Limits,
    ) -> Result<Option<Argv>, ProtocolError> {
        while self.remaining > 0 {
            let len = match self.pending_bulk {
                Some(len) => len,
                None => {
                    let line = rest(buf, *pos);
                    let Some(cr) = find(line, b'\r') else {
                        if line.len() > limits.max_inline_len {
                            return Err(ProtocolError::new("too big bulk count string"));
                        }
                        return Ok(None);
                    };
                    if cr + 2 > line.len() {
                        return Ok(None);
                    }
                    if line[0] != b'$' {
                        // Latin-1 view of the byte; the reply writer turns
                        // \r and \n into spaces.
                        let got = char::from(line[0]);
                        return Err(ProtocolError(format!(
                            "Protocol error: expected '$', got '{got}'"
                        )));
                    }
                    let len = parse_strict_i64(&line[1..cr])
                        .filter(|&n| n >= 0 && n as u64 <= limits.max_bulk_len as u64)
                        .ok_or_else(|| ProtocolError::new("invalid bulk length"))?;
                    *pos += cr + 2;
                    // Remember the length, not a buffer of that size (invariant 4).
                    self.pending_bulk = Some(len as usize);
                    len as usize
                }
            };
            // The payload plus its two terminator bytes must all be here.
            let body = rest(buf, *pos);
            let Some(arg) = body.get(..len) else {
                return Ok(None);
            };
            if body.len() - len < 2 {
                return Ok(None);
            }
            self.argv.push(arg.to_vec());
            *pos += len + 2;
            self.pending_bulk = None;
            self.remaining -= 1;
        }
        Ok(Some(std::mem::take(&mut self.argv)))
    }
    // ANCHOR_END: continue_multibulk

    /// Bytes of heap the parser is holding: argv slots plus copied arguments.
    #[cfg(test)]
    fn held_bytes(&self) -> usize {
        self.argv.capacity() * std::mem::size_of::<Vec<u8>>()
            + self.argv.iter().map(Vec::capacity).sum::<usize>()
    }

    #[cfg(test)]
    fn check_invariants(&self) {
        if self.remaining == 0 {
            assert!(
                self.argv.is_empty(),
                "invariant 1: argv empty between commands"
            );
            assert!(
                self.pending_bulk.is_none(),
                "invariant 1/2: no pending bulk"
            );
        }
        assert!(
            self.argv.capacity() <= ARGV_PREALLOC_MAX.max(2 * self.argv.len()),
            "invariant 4: argv only grows past the cap as arguments arrive"
        );
    }
}

// ---------------------------------------------------------------------------
// Inline commands
// ---------------------------------------------------------------------------

/// Parse one inline line at `buf[*pos..]`. A line ends at `\n`; a `\r` just
/// before it is dropped. Returns the (possibly empty) argument list.
fn parse_inline(
    buf: &[u8],
    pos: &mut usize,
    limits: &Limits,
) -> Result<Option<Argv>, ProtocolError> {
    let text = rest(buf, *pos);
    let Some(nl) = find(text, b'\n') else {
        if text.len() > limits.max_inline_len {
            return Err(ProtocolError::new("too big inline request"));
        }
        return Ok(None);
    };
    let line = match &text[..nl] {
        [head @ .., b'\r'] => head,
        line => line,
    };
    let argv = split_args(line)?;
    *pos += nl + 1;
    Ok(Some(argv))
}

/// C's `isspace` in the "C" locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The byte of a `\xHH` escape starting at `line[i]`, if two hex digits follow.
fn hex_escape(line: &[u8], i: usize) -> Option<u8> {
    match line.get(i..i + 4)? {
        [b'\\', b'x', hi, lo] => Some(hex_value(*hi)? << 4 | hex_value(*lo)?),
        _ => None,
    }
}

fn unbalanced() -> ProtocolError {
    ProtocolError::new("unbalanced quotes in request")
}

// ANCHOR: split_args
/// Split an inline line into arguments, with the quoting rules of
/// redis-cli and Redis's inline protocol:
///
/// ```text
///   SET k "a b\x41\n"   ->  SET | k | a bA<LF>
///   SET k 'it\'s'       ->  SET | k | it's
///   SET k "a"b          ->  error: a closing quote must be followed by
///                           a space or the end of the line
/// ```
///
/// A word is unquoted bytes up to a space, tab, `\r` or `\n`; a quote
/// inside it starts a quoted part that ends the word. Leading whitespace
/// also skips `\v` and `\f`, yet those two do not end an unquoted word:
/// that asymmetry is Redis's, kept so both parse the same arguments.
fn split_args(line: &[u8]) -> Result<Argv, ProtocolError> {
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while line.get(i).copied().is_some_and(is_space) {
            i += 1;
        }
        if i >= line.len() {
            return Ok(args);
        }
        let mut word = Vec::new();
        // Unquoted part, copied a run at a time.
        let run = line[i..]
            .iter()
            .position(|&b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'\''))
            .unwrap_or(line.len() - i);
        word.extend_from_slice(&line[i..i + run]);
        i += run;
        match line.get(i) {
            Some(b'"') => i = double_quoted(line, i + 1, &mut word)?,
            Some(b'\'') => i = single_quoted(line, i + 1, &mut word)?,
            _ => {}
        }
        args.push(word);
    }
}
// ANCHOR_END: split_args

/// After a closing quote at `line[i]`: the next byte must be a space or
/// nothing. Returns the index after the quote.
fn close_quote(line: &[u8], i: usize) -> Result<usize, ProtocolError> {
    match line.get(i + 1) {
        Some(&b) if !is_space(b) => Err(unbalanced()),
        _ => Ok(i + 1),
    }
}

/// `"..."` with `\n \r \t \b \a \xHH` escapes; any other escaped byte
/// stands for itself (`\"`, `\\`, and `\z` is `z`). Starts just after the
/// opening quote; returns the index after the closing one.
fn double_quoted(line: &[u8], mut i: usize, word: &mut Vec<u8>) -> Result<usize, ProtocolError> {
    loop {
        match line.get(i) {
            None => return Err(unbalanced()),
            Some(b'"') => return close_quote(line, i),
            Some(b'\\') => {
                let Some(&escaped) = line.get(i + 1) else {
                    return Err(unbalanced());
                };
                if let Some(byte) = hex_escape(line, i) {
                    word.push(byte);
                    i += 4;
                } else {
                    word.push(match escaped {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                    i += 2;
                }
            }
            Some(&b) => {
                word.push(b);
                i += 1;
            }
        }
    }
}

/// `'...'` where only `\'` is an escape; everything else is literal.
fn single_quoted(line: &[u8], mut i: usize, word: &mut Vec<u8>) -> Result<usize, ProtocolError> {
    loop {
        match line.get(i) {
            None => return Err(unbalanced()),
            Some(b'\\') if line.get(i + 1) == Some(&b'\'') => {
                word.push(b'\'');
                i += 2;
            }
            Some(b'\'') => return close_quote(line, i),
            Some(&b) => {
                word.push(b);
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Argv {
        list.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    /// Parse every command in `buf` in one go, as the server loop would.
    fn parse_all(buf: &[u8]) -> Result<(Vec<Argv>, usize), ProtocolError> {
        let mut parser = RequestParser::new();
        let mut pos = 0;
        let mut out = Vec::new();
        while let Some(argv) = parser.next_command(buf, &mut pos, &Limits::default())? {
            parser.check_invariants();
            out.push(argv);
        }
        parser.check_invariants();
        Ok((out, pos))
    }

    fn one(buf: &[u8]) -> Argv {
        match parse_all(buf) {
            Ok((mut cmds, _)) if cmds.len() == 1 => cmds.remove(0),
            other => panic!("expected one command from {buf:?}, got {other:?}"),
        }
    }

    fn error_of(buf: &[u8]) -> String {
        match parse_all(buf) {
            Err(ProtocolError(text)) => text,
            other => panic!("expected an error from {buf:?}, got {other:?}"),
        }
    }

    /// Feed `chunks` as successive socket reads into a growing buffer that
    /// the caller compacts after each call, as the server does.
    fn feed(chunks: &[&[u8]], limits: &Limits) -> Result<Vec<Argv>, ProtocolError> {
        let mut parser = RequestParser::new();
        let mut query = Vec::new();
        let mut out = Vec::new();
        for chunk in chunks {
            query.extend_from_slice(chunk);
            let mut pos = 0;
            while let Some(argv) = parser.next_command(&query, &mut pos, limits)? {
                parser.check_invariants();
                out.push(argv);
            }
            parser.check_invariants();
            assert!(pos <= query.len());
            query.drain(..pos);
        }
        Ok(out)
    }

    #[test]
    fn multibulk_set_parses_into_three_arguments() {
        assert_eq!(
            one(b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"),
            args(&["SET", "key", "value"])
        );
    }

    #[test]
    fn bulk_arguments_are_binary_safe() {
        assert_eq!(
            one(b"*2\r\n$4\r\nECHO\r\n$4\r\na\r\n\0\r\n"),
            vec![b"ECHO".to_vec(), b"a\r\n\0".to_vec()]
        );
        assert_eq!(one(b"*1\r\n$0\r\n\r\n"), vec![Vec::<u8>::new()]);
    }

    #[test]
    fn pipelined_commands_come_out_one_per_call_in_order() {
        let buf = b"*1\r\n$4\r\nPING\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        let (cmds, pos) = parse_all(buf).unwrap_or_default();
        assert_eq!(
            cmds,
            vec![args(&["PING"]), args(&["PING"]), args(&["GET", "k"])]
        );
        assert_eq!(pos, buf.len());
    }

    #[test]
    fn every_split_point_of_a_pipeline_gives_the_same_commands() {
        let buf: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n0123456789\r\n\
                           PING\r\n*0\r\n\r\n*-1\r\n\
                           ECHO \"a b\" 'c'\n\
                           *2\r\n$3\r\nGET\r\n$0\r\n\r\n";
        let want = vec![
            args(&["SET", "k", "0123456789"]),
            args(&["PING"]),
            args(&["ECHO", "a b", "c"]),
            args(&["GET", ""]),
        ];
        let limits = Limits::default();
        assert_eq!(feed(&[buf], &limits), Ok(want.clone()));
        for a in 0..=buf.len() {
            assert_eq!(
                feed(&[&buf[..a], &buf[a..]], &limits),
                Ok(want.clone()),
                "split {a}"
            );
            for b in a..=buf.len() {
                let chunks = [&buf[..a], &buf[a..b], &buf[b..]];
                assert_eq!(feed(&chunks, &limits), Ok(want.clone()), "split {a},{b}");
            }
        }
        // One byte per read.
        let bytes: Vec<&[u8]> = buf.chunks(1).collect();
        assert_eq!(feed(&bytes, &limits), Ok(want));
    }

    #[test]
    fn pos_advances_past_complete_arguments_while_waiting_for_the_rest() {
        let mut parser = RequestParser::new();
        let buf = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n";
        let mut pos = 0;
        assert_eq!(
            parser.next_command(buf, &mut pos, &Limits::default()),
            Ok(None)
        );
        assert_eq!(pos, buf.len(), "both complete arguments were consumed");
        assert!(parser.in_progress());
        parser.check_invariants();
        let mut pos = 0;
        let tail = b"$1\r\nv\r\n";
        assert_eq!(
            parser.next_command(tail, &mut pos, &Limits::default()),
            Ok(Some(args(&["SET", "k", "v"])))
        );
        assert!(!parser.in_progress());
        parser.check_invariants();
    }

    #[test]
    fn multibulk_missing_its_last_argument_waits_for_more() {
        let mut parser = RequestParser::new();
        let mut pos = 0;
        let buf = b"*3\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        assert_eq!(
            parser.next_command(buf, &mut pos, &Limits::default()),
            Ok(None)
        );
        assert!(parser.in_progress());
    }

    #[test]
    fn argument_without_its_terminator_bytes_is_not_taken_yet() {
        let mut parser = RequestParser::new();
        let mut pos = 0;
        let buf = b"*1\r\n$4\r\nPING\r";
        assert_eq!(
            parser.next_command(buf, &mut pos, &Limits::default()),
            Ok(None)
        );
        assert_eq!(pos, 8, "header consumed, payload left in the buffer");
        parser.check_invariants();
    }

    /// What if a client declares a 2 GB argument and sends ten bytes? The
    /// parser must wait without reserving anything near the declared size.
    #[test]
    fn huge_declared_bulk_with_ten_bytes_waits_without_allocating() {
        let limits = Limits {
            max_bulk_len: usize::MAX,
            ..Limits::default()
        };
        let mut parser = RequestParser::new();
        let mut pos = 0;
        let buf = b"*1\r\n$2147483647\r\n0123456789";
        assert_eq!(parser.next_command(buf, &mut pos, &limits), Ok(None));
        assert!(parser.held_bytes() < 4096, "held {}", parser.held_bytes());
        parser.check_invariants();
        // The largest length the default limit allows behaves the same.
        let mut parser = RequestParser::new();
        let mut pos = 0;
        let buf = b"*1\r\n$536870912\r\n0123456789";
        assert_eq!(
            parser.next_command(buf, &mut pos, &Limits::default()),
            Ok(None)
        );
        assert!(parser.held_bytes() < 4096);
    }

    #[test]
    fn huge_declared_argument_count_reserves_only_a_small_argv() {
        let mut parser = RequestParser::new();
        let mut pos = 0;
        let buf = b"*1000000\r\n$1\r\na\r\n";
        assert_eq!(
            parser.next_command(buf, &mut pos, &Limits::default()),
            Ok(None)
        );
        assert!(parser.held_bytes() <= ARGV_PREALLOC_MAX * 24 + 64);
        parser.check_invariants();
    }

    #[test]
    fn commands_longer_than_the_preallocated_argv_still_parse() {
        let n = ARGV_PREALLOC_MAX + 5;
        let mut buf = format!("*{n}\r\n").into_bytes();
        for i in 0..n {
            let arg = i.to_string();
            buf.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
        }
        let argv = one(&buf);
        assert_eq!(argv.len(), n);
        assert_eq!(argv[n - 1], (n - 1).to_string().into_bytes());
    }

    #[test]
    fn empty_requests_are_skipped() {
        let buf = b"\r\n\n  \r\n*0\r\n*-1\r\n*-5\r\nPING\r\n";
        let (cmds, pos) = parse_all(buf).unwrap_or_default();
        assert_eq!(cmds, vec![args(&["PING"])]);
        assert_eq!(pos, buf.len());
    }

    #[test]
    fn inline_line_may_end_in_bare_newline_and_splits_on_whitespace() {
        assert_eq!(one(b"PING\n"), args(&["PING"]));
        assert_eq!(one(b"  SET\tk   v  \r\n"), args(&["SET", "k", "v"]));
        // \r in the middle of a line separates words; \v and \f only lead.
        assert_eq!(one(b"ECHO a\rb\r\n"), args(&["ECHO", "a", "b"]));
        assert_eq!(one(b"ECHO \x0b\x0c a\x0bb\r\n"), args(&["ECHO", "a\x0bb"]));
    }

    #[test]
    fn inline_without_newline_waits() {
        let mut parser = RequestParser::new();
        let mut pos = 0;
        assert_eq!(
            parser.next_command(b"PING", &mut pos, &Limits::default()),
            Ok(None)
        );
        assert_eq!(pos, 0);
    }

    #[test]
    fn inline_double_quotes_understand_escapes() {
        assert_eq!(
            one(b"ECHO \"a\\\"b\\\\c\\td\\be\\af\\rg\\zh\\ni\"\r\n"),
            vec![b"ECHO".to_vec(), b"a\"b\\c\td\x08e\x07f\rgzh\ni".to_vec()]
        );
        assert_eq!(one(b"ECHO \"\\x4a\\x4A\\x00\"\r\n")[1], b"JJ\0");
        // Not two hex digits: the backslash just escapes the 'x'.
        assert_eq!(one(b"ECHO \"\\x4\"\r\n")[1], b"x4");
        assert_eq!(one(b"ECHO \"\\xg1\"\r\n")[1], b"xg1");
        assert_eq!(one(b"ECHO \"\"\r\n")[1], b"");
        assert_eq!(one(b"ECHO \"a b\"\t\r\n")[1], b"a b");
    }

    #[test]
    fn inline_single_quotes_only_escape_the_quote() {
        assert_eq!(one(b"ECHO 'it\\'s'\r\n")[1], b"it's");
        assert_eq!(one(b"ECHO 'a\\\\b\\nc'\r\n")[1], b"a\\\\b\\nc");
        assert_eq!(one(b"ECHO ''\r\n")[1], b"");
    }

    #[test]
    fn a_quote_inside_a_word_starts_a_quoted_part_that_ends_it() {
        assert_eq!(one(b"ECHO a\"b c\" d\r\n"), args(&["ECHO", "ab c", "d"]));
        assert_eq!(one(b"ECHO a'b' c\r\n"), args(&["ECHO", "ab", "c"]));
    }

    #[test]
    fn unbalanced_or_glued_quotes_are_protocol_errors() {
        let want = "Protocol error: unbalanced quotes in request";
        for bad in [
            &b"ECHO \"a\"b\r\n"[..],
            b"ECHO 'a\r\n",
            b"ECHO \"a\r\n",
            b"ECHO a\"b\"c\r\n",
            b"ECHO \"a\"'b'\r\n",
            b"ECHO 'a'b\r\n",
            b"ECHO \"a\\\r\n",
        ] {
            assert_eq!(error_of(bad), want, "{bad:?}");
        }
    }

    #[test]
    fn malformed_multibulk_counts_are_invalid_multibulk_length() {
        let want = "Protocol error: invalid multibulk length";
        for bad in [
            &b"*abc\r\n"[..],
            b"*\r\n",
            b"*+1\r\n",
            b"*01\r\n",
            b"*1 \r\n",
            b"*-0\r\n",
            b"*1\n$4\r\nPING\r\n",
            b"*99999999999999999999\r\n",
            b"*1048577\r\n",
        ] {
            assert_eq!(error_of(bad), want, "{bad:?}");
        }
        assert!(
            parse_all(b"*1048576\r\n").is_ok(),
            "the limit itself is allowed"
        );
    }

    #[test]
    fn malformed_or_oversized_bulk_lengths_are_invalid_bulk_length() {
        let want = "Protocol error: invalid bulk length";
        for bad in [
            &b"*1\r\n$abc\r\n"[..],
            b"*1\r\n$-1\r\n",
            b"*1\r\n$-0\r\n",
            b"*1\r\n$+4\r\nPING\r\n",
            b"*1\r\n$04\r\nPING\r\n",
            b"*1\r\n$\r\n\r\n",
            b"*1\r\n$4\nPING\r\n",
            b"*1\r\n$536870913\r\n",
        ] {
            assert_eq!(error_of(bad), want, "{bad:?}");
        }
    }

    #[test]
    fn argument_not_starting_with_dollar_names_the_byte_it_got() {
        assert_eq!(
            error_of(b"*1\r\n+foo\r\n"),
            "Protocol error: expected '$', got '+'"
        );
        assert_eq!(
            error_of(b"*1\r\n\r\n\r\n"),
            "Protocol error: expected '$', got '\r'"
        );
    }

    #[test]
    fn header_lines_without_cr_past_the_inline_limit_are_too_big() {
        let mut buf = b"*".to_vec();
        buf.extend(std::iter::repeat_n(b'1', 70_000));
        assert_eq!(error_of(&buf), "Protocol error: too big mbulk count string");
        let mut buf = b"*1\r\n$".to_vec();
        buf.extend(std::iter::repeat_n(b'1', 70_000));
        assert_eq!(error_of(&buf), "Protocol error: too big bulk count string");
        let buf = vec![b'P'; 70_000];
        assert_eq!(error_of(&buf), "Protocol error: too big inline request");
    }

    #[test]
    fn long_inline_line_is_fine_once_its_newline_arrived() {
        let mut buf = b"ECHO ".to_vec();
        buf.extend(std::iter::repeat_n(b'a', 70_000));
        buf.extend_from_slice(b"\r\n");
        assert_eq!(one(&buf)[1].len(), 70_000);
    }

    #[test]
    fn bytes_after_a_payload_are_skipped_unchecked_like_redis() {
        // Redis replies +PONG to both: it skips two bytes without looking.
        assert_eq!(one(b"*1\r\n$4\r\nPINGxx"), args(&["PING"]));
        assert_eq!(one(b"*1\rX$4\r\nPING\r\n"), args(&["PING"]));
    }

    #[test]
    fn strict_integers_reject_what_string2ll_rejects() {
        assert_eq!(parse_strict_i64(b"0"), Some(0));
        assert_eq!(parse_strict_i64(b"-1"), Some(-1));
        assert_eq!(parse_strict_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_strict_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"00",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"9223372036854775808",
            b"1a",
        ] {
            assert_eq!(parse_strict_i64(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn pos_past_the_end_of_the_buffer_is_treated_as_empty() {
        let mut parser = RequestParser::new();
        let mut pos = 10;
        assert_eq!(
            parser.next_command(b"PING\r\n", &mut pos, &Limits::default()),
            Ok(None)
        );
    }

    /// Does any byte soup make the parser panic, loop forever, or move
    /// `pos` outside the buffer? Bytes are drawn mostly from protocol
    /// characters so that deep states are reached often.
    #[test]
    fn random_bytes_never_panic() {
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        const ALPHABET: &[u8] = b"*$\r\n0123456789-+ \"'\\xaZ\t";
        let limits = Limits {
            max_bulk_len: 64,
            max_multibulk_len: 16,
            max_inline_len: 32,
        };
        for _ in 0..100_000 {
            let len = (next() % 48) as usize;
            let buf: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if r % 8 == 0 {
                        (r >> 8) as u8
                    } else {
                        ALPHABET[(r >> 8) as usize % ALPHABET.len()]
                    }
                })
                .collect();
            let split = (next() as usize) % (buf.len() + 1);
            let mut parser = RequestParser::new();
            let mut query = Vec::new();
            'reads: for chunk in [&buf[..split], &buf[split..]] {
                query.extend_from_slice(chunk);
                let mut pos = 0;
                loop {
                    let before = pos;
                    match parser.next_command(&query, &mut pos, &limits) {
                        Ok(Some(argv)) => {
                            assert!(pos > before, "a command consumes bytes");
                            assert!(!argv.is_empty());
                        }
                        Ok(None) => break,
                        Err(_) => break 'reads,
                    }
                    assert!(pos <= query.len());
                }
                assert!(pos <= query.len());
                parser.check_invariants();
                query.drain(..pos);
            }
        }
    }
}
