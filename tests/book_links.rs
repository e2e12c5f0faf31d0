//! Book links: the chapters and the source files point at each other.
//!
//! Every `src/` file names its chapter in its `//!` header, and every chapter
//! ends with a `## Source files` list. This test walks both trees and fails
//! when they disagree, when an `{{#include}}` names a missing file or anchor,
//! when a relative link is dangling, or when `SUMMARY.md` and `chapters/`
//! drift apart. A rename that would break the book therefore fails
//! `cargo test` instead of surfacing later as a broken page.
//!
//! Each test collects every failure before asserting, so one run lists all
//! the fixes needed rather than the first.
//!
//! Not here: building the book (`mdbook build`, run by `.ci/run`), and the
//! chapter's prose shape (STYLE.md §8), which is left to review.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

/// How far into a source file the `Chapter:` line may sit: the header is
/// the first thing in the file, and a title, blank line and chapter line
/// come well within this.
const HEADER_LINES: usize = 40;

const SOURCE_FILES_HEADING: &str = "## Source files";

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

#[test]
fn every_module_names_one_chapter_that_lists_it_back() {
    let book = Book::load();
    let mut failures = book.load_failures.clone();
    for (src, file) in &book.sources {
        match file.chapters.as_slice() {
            [] => failures.push(format!(
                "{src}: no `//! Chapter: chapters/NN-name.md` line in its first {HEADER_LINES} lines"
            )),
            [chapter] => {
                let Some(ch) = book.chapters.get(chapter) else {
                    failures.push(format!(
                        "{src}: its header names {chapter}, which does not exist"
                    ));
                    continue;
                };
                if !ch.source_files.iter().any(|e| &e.path == src) {
                    failures.push(format!(
                        "{src}: its header names {chapter}, but that chapter's \
                         `{SOURCE_FILES_HEADING}` does not list it; add the line\n    \
                         - [`{src}`]({}) — <one-line description>",
                        relative_link(chapter, src)
                    ));
                }
            }
            many => failures.push(format!(
                "{src}: {} `//! Chapter:` lines ({}); keep exactly one",
                many.len(),
                many.join(", ")
            )),
        }
    }
    report(
        "modules whose header does not name exactly one chapter that lists them back",
        failures,
    );
}

#[test]
fn every_source_file_a_chapter_lists_exists_and_names_a_listing_chapter() {
    let book = Book::load();
    let mut failures = book.load_failures.clone();
    for (chapter, ch) in &book.chapters {
        if ch.has_source_files_section && ch.source_files.is_empty() && ch.malformed.is_empty() {
            failures.push(format!(
                "{chapter}: `{SOURCE_FILES_HEADING}` section lists no files"
            ));
        }
        for bad in &ch.malformed {
            failures.push(format!(
                "{chapter}: malformed `{SOURCE_FILES_HEADING}` entry (expected \
                 - [`src/a/b.rs`](../src/a/b.rs) — description):\n    {bad}"
            ));
        }
        let mut seen = BTreeSet::new();
        for entry in &ch.source_files {
            if !seen.insert(entry.path.clone()) {
                failures.push(format!("{chapter}: lists {} twice", entry.path));
            }
            if !book.root.join(&entry.path).exists() {
                failures.push(format!(
                    "{chapter}: lists {}, which does not exist",
                    entry.path
                ));
                continue;
            }
            // A source file may be listed by several chapters, as long as
            // the one its header names is among them.
            let Some(src) = book.sources.get(&entry.path) else {
                continue; // benches/, tests/, or a non-.rs file: no header rule
            };
            let listers: Vec<&str> = book
                .chapters
                .iter()
                .filter(|(_, c)| c.source_files.iter().any(|e| e.path == entry.path))
                .map(|(name, _)| name.as_str())
                .collect();
            match src.chapters.as_slice() {
                [] => failures.push(format!(
                    "{chapter}: lists {}, whose header names no chapter",
                    entry.path
                )),
                [own] if !listers.contains(&own.as_str()) => failures.push(format!(
                    "{chapter}: lists {}, whose header names {own}, which does not list it",
                    entry.path
                )),
                _ => {}
            }
        }
    }
    report(
        "Source files entries that are missing or not claimed back",
        failures,
    );
}

#[test]
fn every_include_names_an_existing_file_and_anchor() {
    let book = Book::load();
    let mut failures = book.load_failures.clone();
    for (chapter, ch) in &book.chapters {
        for inc in includes(&ch.text) {
            let (file, selector) = split_include(&inc);
            let Some(target) = resolve(chapter, file) else {
                failures.push(format!("{chapter}: include {inc:?} escapes the repository"));
                continue;
            };
            let abs = book.root.join(&target);
            if !abs.is_file() {
                failures.push(format!(
                    "{chapter}: {{{{#include {inc}}}}} names {target}, which does not exist"
                ));
                continue;
            }
            let Some(sel) = selector else { continue };
            if is_line_range(sel) {
                failures.push(format!(
                    "{chapter}: {{{{#include {inc}}}}} selects lines by number, which go \
                     stale on the next edit; mark the region with `// ANCHOR: name` and \
                     `// ANCHOR_END: name` in {target} and include `{file}:name`"
                ));
                continue;
            }
            let source = match fs::read_to_string(&abs) {
                Ok(s) => s,
                Err(e) => {
                    failures.push(format!("{chapter}: cannot read {target}: {e}"));
                    continue;
                }
            };
            let start = find_marker(&source, "ANCHOR:", sel);
            let end = find_marker(&source, "ANCHOR_END:", sel);
            match (start, end) {
                (Some(s), Some(e)) if s < e => {}
                (Some(_), Some(_)) => failures.push(format!(
                    "{chapter}: in {target}, `ANCHOR_END: {sel}` comes before `ANCHOR: {sel}`"
                )),
                (None, _) => failures.push(format!(
                    "{chapter}: {{{{#include {inc}}}}}: {target} has no `ANCHOR: {sel}`"
                )),
                (_, None) => failures.push(format!(
                    "{chapter}: {{{{#include {inc}}}}}: {target} has no `ANCHOR_END: {sel}`"
                )),
            }
        }
    }
    report("includes with a missing file or anchor", failures);
}

#[test]
fn every_relative_link_in_a_chapter_points_at_an_existing_file() {
    let book = Book::load();
    let mut failures = book.load_failures.clone();
    for (chapter, ch) in &book.chapters {
        for (line_no, link) in relative_links(&ch.text) {
            let path = link.split('#').next().unwrap_or("");
            if path.is_empty() {
                continue; // a draft chapter `[Title]()` in SUMMARY.md
            }
            match resolve(chapter, path) {
                Some(target) if book.root.join(&target).exists() => {}
                Some(target) => failures.push(format!(
                    "{chapter}:{line_no}: link ({link}) points at {target}, which does not exist"
                )),
                None => failures.push(format!(
                    "{chapter}:{line_no}: link ({link}) escapes the repository"
                )),
            }
        }
    }
    report("dangling relative links", failures);
}

#[test]
fn summary_lists_every_chapter_and_nothing_that_does_not_exist() {
    let book = Book::load();
    let mut failures = book.load_failures.clone();
    let summary_name = "chapters/SUMMARY.md";
    let Some(summary) = book.chapters.get(summary_name) else {
        failures.push(format!("{summary_name} does not exist"));
        report("SUMMARY.md problems", failures);
        return;
    };
    let mut listed = BTreeSet::new();
    for (line_no, link) in relative_links(&summary.text) {
        let path = link.split('#').next().unwrap_or("");
        if path.is_empty() {
            continue; // a draft chapter
        }
        match resolve(summary_name, path) {
            Some(target) => {
                if !book.root.join(&target).is_file() {
                    failures.push(format!(
                        "{summary_name}:{line_no}: entry ({link}) does not exist \
                         (book.toml has create-missing = false, so mdbook would fail)"
                    ));
                }
                listed.insert(target);
            }
            None => failures.push(format!(
                "{summary_name}:{line_no}: entry ({link}) escapes the repository"
            )),
        }
    }
    for chapter in book.chapters.keys() {
        if chapter != summary_name && !listed.contains(chapter) {
            failures.push(format!(
                "{chapter} is not listed in {summary_name}, so the book never shows it"
            ));
        }
    }
    report("SUMMARY.md problems", failures);
}

// ---------------------------------------------------------------------------
// The model: every src/ file's header and every chapter's Source files list
// ---------------------------------------------------------------------------

struct Book {
    root: PathBuf,
    /// "src/a/b.rs" -> its header.
    sources: BTreeMap<String, SourceFile>,
    /// "chapters/NN-name.md" -> its text and Source files list.
    chapters: BTreeMap<String, Chapter>,
    /// Files that could not be read; every test reports these.
    load_failures: Vec<String>,
}

struct SourceFile {
    /// The `//! Chapter:` targets found in the header, as written
    /// ("chapters/NN-name.md"). Exactly one is correct.
    chapters: Vec<String>,
}

struct Chapter {
    text: String,
    has_source_files_section: bool,
    source_files: Vec<SourceEntry>,
    /// Lines in the Source files section that aren't of the expected form.
    malformed: Vec<String>,
}

struct SourceEntry {
    /// Repository-relative, e.g. "src/resp/parser.rs".
    path: String,
}

impl Book {
    fn load() -> Book {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut load_failures = Vec::new();

        let mut sources = BTreeMap::new();
        for path in walk(&root, "src", "rs", &mut load_failures) {
            match fs::read_to_string(root.join(&path)) {
                Ok(text) => {
                    let chapters = header_chapters(&text);
                    sources.insert(path, SourceFile { chapters });
                }
                Err(e) => load_failures.push(format!("{path}: cannot read: {e}")),
            }
        }

        let mut chapters = BTreeMap::new();
        for path in walk(&root, "chapters", "md", &mut load_failures) {
            match fs::read_to_string(root.join(&path)) {
                Ok(text) => {
                    let ch = parse_chapter(&path, text);
                    chapters.insert(path, ch);
                }
                Err(e) => load_failures.push(format!("{path}: cannot read: {e}")),
            }
        }

        Book {
            root,
            sources,
            chapters,
            load_failures,
        }
    }
}

/// Repository-relative paths ("src/a/b.rs", forward slashes) of every file
/// under `root/dir` whose extension is `ext`, in sorted order.
fn walk(root: &Path, dir: &str, ext: &str, failures: &mut Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_string()];
    while let Some(rel) = stack.pop() {
        let entries = match fs::read_dir(root.join(&rel)) {
            Ok(e) => e,
            Err(e) => {
                failures.push(format!("{rel}/: cannot list: {e}"));
                continue;
            }
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = format!("{rel}/{name}");
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(child);
            } else if Path::new(&name).extension().is_some_and(|e| e == ext) {
                out.push(child);
            }
        }
    }
    out.sort();
    out
}

/// The targets of `//! Chapter: ...` lines in the first `HEADER_LINES` lines.
fn header_chapters(text: &str) -> Vec<String> {
    text.lines()
        .take(HEADER_LINES)
        .filter_map(|line| line.trim().strip_prefix("//!"))
        .filter_map(|rest| rest.trim().strip_prefix("Chapter:"))
        .map(|target| target.trim().to_string())
        .collect()
}

fn parse_chapter(name: &str, text: String) -> Chapter {
    let mut has_section = false;
    let mut in_section = false;
    let mut in_fence = false;
    let mut source_files = Vec::new();
    let mut malformed = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if is_fence(trimmed) {
            in_fence = !in_fence;
        }
        if in_fence {
            continue;
        }
        if trimmed.starts_with('#') {
            in_section = trimmed == SOURCE_FILES_HEADING;
            has_section |= in_section;
            continue;
        }
        // Only list items are entries; a sentence of prose or a wrapped
        // description line in the section is left alone.
        let is_item = trimmed.starts_with("- ") || trimmed.starts_with("* ");
        if !in_section || !is_item {
            continue;
        }
        match parse_source_entry(name, trimmed) {
            Some(path) => source_files.push(SourceEntry { path }),
            None => malformed.push(trimmed.to_string()),
        }
    }
    Chapter {
        text,
        has_source_files_section: has_section,
        source_files,
        malformed,
    }
}

/// `- [`src/a/b.rs`](../src/a/b.rs) — description` -> "src/a/b.rs", if the
/// link text and the link target name the same file.
fn parse_source_entry(chapter: &str, line: &str) -> Option<String> {
    let rest = line
        .strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))?
        .trim_start();
    let rest = rest.strip_prefix("[`")?;
    let (shown, rest) = rest.split_once("`](")?;
    let (target, _description) = rest.split_once(')')?;
    let resolved = resolve(chapter, target)?;
    (resolved == shown).then(|| shown.to_string())
}

fn is_fence(trimmed: &str) -> bool {
    trimmed.starts_with("```") || trimmed.starts_with("~~~")
}

// ---------------------------------------------------------------------------
// Includes and links
// ---------------------------------------------------------------------------

/// The arguments of every `{{#include ...}}` / `{{#rustdoc_include ...}}`
/// in `text`, skipping escaped ones (`\{{#include ...}}`), which mdBook
/// prints literally.
fn includes(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("{{#") {
        let escaped = rest[..at].ends_with('\\');
        let after = &rest[at + 3..];
        let Some(close) = after.find("}}") else { break };
        let body = after[..close].trim();
        rest = &after[close + 2..];
        if escaped {
            continue;
        }
        for directive in ["include ", "rustdoc_include "] {
            if let Some(arg) = body.strip_prefix(directive) {
                out.push(arg.trim().to_string());
            }
        }
    }
    out
}

/// "../src/a.rs:name" -> ("../src/a.rs", Some("name")); "../src/a.rs:3:9"
/// -> ("../src/a.rs", Some("3:9")).
fn split_include(arg: &str) -> (&str, Option<&str>) {
    match arg.split_once(':') {
        Some((file, sel)) => (file, Some(sel)),
        None => (arg, None),
    }
}

/// mdBook's line selectors: `N`, `N:M`, `N:`, `:M`.
fn is_line_range(sel: &str) -> bool {
    !sel.is_empty() && sel.chars().all(|c| c.is_ascii_digit() || c == ':')
}

/// Line index of the first `marker name` (as mdBook matches it: optional
/// spaces after the colon, then the name made of word characters and `-`).
fn find_marker(source: &str, marker: &str, name: &str) -> Option<usize> {
    source.lines().position(|line| {
        let mut rest = line;
        while let Some(at) = rest.find(marker) {
            let after = rest[at + marker.len()..].trim_start();
            let word: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            if word == name {
                return true;
            }
            rest = &rest[at + marker.len()..];
        }
        false
    })
}

/// Every relative link target in `text`, with its 1-based line number:
/// inline `](target)` links and images, and reference definitions
/// `[id]: target`. Skips fenced code blocks and inline code, and links
/// starting with a scheme, `#` or `mailto:`.
fn relative_links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if is_fence(trimmed) {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let line = strip_inline_code(line);
        let mut targets = Vec::new();
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(close) = after.find(')') else { break };
            targets.push(link_target(&after[..close]));
            rest = &after[close + 1..];
        }
        // Reference definition: `[id]: target "title"`.
        let t = line.trim_start();
        if let Some(def) = t.strip_prefix('[') {
            if let Some((_, after)) = def.split_once("]:") {
                targets.push(link_target(after));
            }
        }
        for target in targets {
            if is_relative(&target) {
                out.push((i + 1, target));
            }
        }
    }
    out
}

/// `<a b.md> "title"` or `a.md "title"` -> the path alone.
fn link_target(raw: &str) -> String {
    let raw = raw.trim();
    if let Some(inner) = raw.strip_prefix('<') {
        return inner.split('>').next().unwrap_or("").to_string();
    }
    raw.split_whitespace().next().unwrap_or("").to_string()
}

fn is_relative(target: &str) -> bool {
    !(target.starts_with('#')
        || target.starts_with("mailto:")
        || target.starts_with('/')
        || target.contains("://"))
}

/// Remove `code spans`, so text like `v[i](x)` inside backticks is not
/// mistaken for a link.
fn strip_inline_code(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_code = false;
    for c in line.chars() {
        if c == '`' {
            in_code = !in_code;
        } else if !in_code {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------

/// Resolve `link` relative to the directory of `from` (both repository
/// relative) into a normalized repository-relative path with forward
/// slashes. `None` if it climbs out of the repository.
fn resolve(from: &str, link: &str) -> Option<String> {
    let base = Path::new(from).parent().unwrap_or(Path::new(""));
    let mut parts: Vec<String> = Vec::new();
    for comp in base.join(link).components() {
        match comp {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.join("/"))
}

/// The link a chapter should use to reach `target` ("../src/a.rs").
fn relative_link(chapter: &str, target: &str) -> String {
    let depth = chapter.matches('/').count();
    format!("{}{target}", "../".repeat(depth))
}

fn report(what: &str, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} {what}:\n\n{}\n",
        failures.len(),
        failures.join("\n")
    );
}
