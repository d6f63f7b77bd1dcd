//! Reading FAQ files: a directory of `*.toml` topic files -> a [`Faq`], or
//! every problem found, each with file, line and column.
//!
//! Reading a file (bytes, UTF-8) is kept apart from parsing its text
//! ([`parse_file`] takes `(&str, path)`), so tests feed text directly.
//!
//! A file's text is read in two steps: its shape, key by key
//! ([`super::raw`]), then its content (the validator here). Neither stops
//! at the first problem, so a mistake in one entry, or in one key, does not
//! hide the others: a moderator sees every problem in one run. (A TOML
//! *syntax* error still stops the reading of that file: nothing after it
//! can be trusted.) Then the files are assembled ([`assemble`]): ids are
//! compared across files, broken entries included, and topics ordered.
//!
//! Files are read and parsed on one thread per core (they are independent,
//! and parsing is most of the loading time); the results are then taken in
//! file-name order, so diagnostics and entries come out as if read one by
//! one.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use toml::Spanned;

use super::diagnostic::{Diagnostic, LineIndex, Position};
use super::limits;
use super::raw::{self, RawEntry, RawTopic};
use super::{Entry, Faq, Topic};

/// What loading a directory found: the FAQ when there were no errors, and
/// every diagnostic (errors and warnings) in file order.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub faq: Option<Faq>,
    pub diagnostics: Vec<Diagnostic>,
    /// How many `*.toml` files were read.
    pub files: usize,
    /// How many `[topic]` and `[[entry]]` tables the files have, valid or
    /// not (so that a summary counts what is there, errors or none).
    pub topics: usize,
    pub entries: usize,
    /// Where each entry was defined, parallel to `faq.entries` (for
    /// warnings that name two entries).
    pub origins: Vec<Origin>,
}

/// Where an entry is written.
#[derive(Debug, Clone)]
pub struct Origin {
    /// Its file (one shared path per file, not one copy per entry).
    pub file: Arc<Path>,
    /// Its `[[entry]]` table.
    pub at: Position,
    /// Its `reviewed` date, when it has one.
    pub reviewed: Option<Position>,
}

impl LoadReport {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// One file's valid content, before ids are checked across files.
#[derive(Debug)]
pub struct FileDraft {
    pub topic: Topic,
    /// Entries with the byte offset of their `[[entry]]` table.
    pub entries: Vec<(Entry, usize)>,
}

/// Loads every `*.toml` file of `dir` (sorted by name; other files, and
/// the regression questions in `tests.toml`, are ignored).
pub fn load_dir(dir: &Path) -> LoadReport {
    let mut report = LoadReport::default();
    let paths = match std::fs::read_dir(dir) {
        Ok(read) => {
            let mut named: Vec<PathBuf> = read
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension().is_some_and(|x| x == "toml")
                        && p.file_name().is_some_and(|n| n != super::TESTS_FILE)
                })
                .collect();
            named.sort();
            // A `*.toml` the bot cannot read as a file is an error at its
            // path, not a topic that silently vanishes.
            named.retain(|p| match not_a_file(p) {
                Some(problem) => {
                    report.diagnostics.push(Diagnostic::file_error(p, problem));
                    false
                }
                None => true,
            });
            named
        }
        Err(e) => {
            report.diagnostics.push(Diagnostic::file_error(
                dir,
                format!("cannot read the FAQ directory: {e}; pass the right one with --faq DIR"),
            ));
            return report;
        }
    };
    if paths.is_empty() {
        report.diagnostics.push(Diagnostic::file_error(
            dir,
            "no FAQ files (*.toml) in this directory; add one file per topic (see the README)",
        ));
        return report;
    }

    let mut drafts = Vec::new();
    for (path, read) in paths.iter().zip(read_and_parse_all(&paths)) {
        report.files += 1;
        match read {
            Err(d) => report.diagnostics.push(d),
            Ok((located, mut diags)) => {
                report.diagnostics.append(&mut diags);
                drafts.push((path.clone(), located));
            }
        }
    }
    assemble(&mut report, drafts);
    report
}

/// Why `path` (named like an FAQ file) cannot be read as one, if it cannot:
/// a symbolic link that leads nowhere or loops, a directory, or a FIFO,
/// socket or device (never opened: reading a FIFO would wait forever).
pub(crate) fn not_a_file(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => None,
        Ok(m) if m.is_dir() => {
            Some("a directory named like a TOML file; FAQ files must be plain files".into())
        }
        Ok(_) => Some(
            "not a plain file (a FIFO, socket or device); FAQ files must be plain files".into(),
        ),
        Err(e) => {
            let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            Some(if link {
                format!("a symbolic link that leads nowhere or loops ({e}); point it at a file or remove it")
            } else {
                format!("cannot read: {e}")
            })
        }
    }
}

/// A file's valid content with each entry's position (its text is no
/// longer needed).
type Located = Partial<Position>;

/// One file read and parsed: its valid content and its problems, or the
/// one problem that stopped its reading.
type FileResult = Result<(Located, Vec<Diagnostic>), Diagnostic>;

/// Reads and parses every file, on as many threads as there are cores (the
/// files are independent; parsing is most of the loading time). Results
/// come back in the order of `paths`, whatever thread did the work.
fn read_and_parse_all(paths: &[PathBuf]) -> Vec<FileResult> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(paths.len());
    let next = AtomicUsize::new(0);
    // Each worker takes the next file not yet taken, so one big file does
    // not leave the other threads idle.
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(path) = paths.get(i) else {
                return done;
            };
            done.push((i, read_and_parse(path)));
        }
    };
    let mut done = std::thread::scope(|s| {
        // If a thread cannot be started, the others (and this one) do its
        // share.
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(s, work).ok())
            .collect();
        let mut done = work();
        for helper in helpers {
            match helper.join() {
                Ok(mut d) => done.append(&mut d),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        done
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, result)| result).collect()
}

fn read_and_parse(path: &Path) -> FileResult {
    let bytes = std::fs::read(path)
        .map_err(|e| Diagnostic::file_error(path, format!("cannot read the file: {e}")))?;
    let text = decode(bytes, path)?;
    let (partial, diags) = parse_partial(&text, path);
    let lines = LineIndex::new(&text);
    let located = Partial {
        topic: partial.topic,
        has_topic: partial.has_topic,
        entries: partial
            .entries
            .into_iter()
            .map(|d| d.locate(|offset| lines.position(&text, offset)))
            .collect(),
    };
    Ok((located, diags))
}

/// File bytes -> text, or an error at the first byte that is not UTF-8.
fn decode(mut bytes: Vec<u8>, path: &Path) -> Result<String, Diagnostic> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let valid_up_to = e.utf8_error().valid_up_to();
        // The prefix is valid UTF-8 by definition of valid_up_to.
        let prefix = String::from_utf8_lossy(&bytes[..valid_up_to]);
        let pos = Position::of_offset(&prefix, prefix.len());
        Diagnostic::error(
            path,
            pos,
            format!(
                "the file is not valid UTF-8 (byte 0x{:02X}); save it as UTF-8",
                bytes[valid_up_to]
            ),
        )
    })
}

/// Cross-file checks (duplicate ids and topic names, menu sizes), then the
/// final [`Faq`] in menu order if nothing is wrong.
fn assemble(report: &mut LoadReport, drafts: Vec<(PathBuf, Located)>) {
    // Ids are compared in file-name order, whether or not the file or the
    // entry is valid: a broken entry's id still clashes. One shared path
    // per file: at 100k entries a path per id would be 100k allocations
    // made only to be freed again.
    let mut seen_ids: HashMap<String, (Arc<Path>, Position)> = HashMap::new();
    // (topic, its valid entries with their positions, entry tables declared)
    type FileEntries = (Topic, Vec<(Entry, Origin)>, usize);
    let mut files: Vec<FileEntries> = Vec::new();
    for (file, partial) in drafts {
        report.topics += usize::from(partial.has_topic);
        report.entries += partial.entries.len();
        let shared: Arc<Path> = Arc::from(file.as_path());
        let declared = partial.entries.len();
        let mut kept = Vec::with_capacity(declared);
        for drafted in partial.entries {
            if let Some(id) = drafted.id() {
                if let Some((first_file, first_pos)) = seen_ids.get(id) {
                    report.diagnostics.push(Diagnostic::error(
                        &file,
                        drafted.at,
                        format!(
                            "duplicate id `{id}`: already used at {}:{}:{}; ids must be unique across all files, rename one",
                            first_file.display(),
                            first_pos.line,
                            first_pos.col
                        ),
                    ));
                    continue;
                }
                seen_ids.insert(id.to_string(), (Arc::clone(&shared), drafted.at));
            }
            if let Ok(entry) = drafted.read {
                let origin = Origin {
                    file: Arc::clone(&shared),
                    at: drafted.at,
                    reviewed: drafted.reviewed_at,
                };
                kept.push((entry, origin));
            }
        }
        if let Some(topic) = partial.topic {
            files.push((topic, kept, declared));
        }
    }
    files.sort_by(|a, b| (a.0.order, &a.0.file).cmp(&(b.0.order, &b.0.file)));
    let mut seen_topics: HashMap<String, PathBuf> = HashMap::new();
    drop(seen_ids);
    let mut faq = Faq::default();
    let total: usize = files.iter().map(|f| f.1.len()).sum();
    faq.entries.reserve_exact(total);
    let mut origins = Vec::with_capacity(total);
    for (mut topic, entries, declared) in files {
        let file = topic.file.clone();
        let key = topic.name.to_lowercase();
        if let Some(first) = seen_topics.get(&key) {
            report.diagnostics.push(Diagnostic::error(
                &file,
                Position::START,
                format!(
                    "topic `{}` is also declared in {}; give each topic file its own name, or merge the two files",
                    topic.name,
                    first.display()
                ),
            ));
        } else {
            seen_topics.insert(key, file.clone());
        }
        if entries.is_empty() {
            if declared > 0 {
                // Its entries are all invalid and already reported.
                continue;
            }
            report.diagnostics.push(Diagnostic::warning(
                &file,
                Position::START,
                format!(
                    "topic `{}` has no entries, so it is left out of the topic menu; add [[entry]] tables",
                    topic.name
                ),
            ));
            continue;
        }
        if entries.len() > limits::MENU_OPTIONS {
            report.diagnostics.push(Diagnostic::warning(
                &file,
                Position::START,
                format!(
                    "topic `{}` has {} entries; a Discord select menu shows {}, so its question menu will need pages (consider splitting the topic)",
                    topic.name,
                    entries.len(),
                    limits::MENU_OPTIONS
                ),
            ));
        }
        let topic_idx = faq.topics.len();
        for (mut entry, origin) in entries {
            entry.topic = topic_idx;
            topic.entries.push(faq.entries.len());
            faq.entries.push(entry);
            origins.push(origin);
        }
        faq.topics.push(topic);
    }
    if faq.topics.len() > limits::MENU_OPTIONS {
        let file = faq.topics[limits::MENU_OPTIONS].file.clone();
        report.diagnostics.push(Diagnostic::warning(
            &file,
            Position::START,
            format!(
                "{} topics; Discord's topic menu shows {} at a time, so the menu will need pages (consider merging topics)",
                faq.topics.len(),
                limits::MENU_OPTIONS
            ),
        ));
    }
    if !report.has_errors() {
        report.faq = Some(faq);
        report.origins = origins;
    }
}

/// Parses and validates one topic file's text. Returns the valid content
/// (if the file has no errors) and every problem found.
pub fn parse_file(text: &str, path: &Path) -> (Option<FileDraft>, Vec<Diagnostic>) {
    let (partial, diags) = parse_partial(text, path);
    let draft = match partial.topic {
        Some(topic) if !diags.iter().any(Diagnostic::is_error) => Some(FileDraft {
            topic,
            entries: partial
                .entries
                .into_iter()
                .filter_map(|d| d.read.ok().map(|e| (e, d.at)))
                .collect(),
        }),
        _ => None,
    };
    (draft, diags)
}

/// Whatever was valid in a file, even if other parts were not: the topic
/// (if its table is valid) and every entry table, valid or not. Cross-file
/// checks (ids) run on these, so a broken entry still has its id compared.
///
/// `At` is a place in the file: a byte offset, turned into a [`Position`]
/// before the file's text is dropped.
#[derive(Debug, Default)]
struct Partial<At = usize> {
    topic: Option<Topic>,
    /// Whether the file has a `[topic]` table (valid or not), for counts.
    has_topic: bool,
    entries: Vec<Drafted<At>>,
}

/// One `[[entry]]` table, read.
#[derive(Debug)]
struct Drafted<At> {
    /// The entry when it is valid; else its id, when that is a valid slug.
    read: Result<Entry, Option<String>>,
    /// Where its table starts.
    at: At,
    /// Where its `reviewed` date is written.
    reviewed_at: Option<At>,
}

impl<At> Drafted<At> {
    fn id(&self) -> Option<&str> {
        match &self.read {
            Ok(entry) => Some(&entry.id),
            Err(id) => id.as_deref(),
        }
    }

    fn locate<B>(self, f: impl Fn(At) -> B) -> Drafted<B> {
        Drafted {
            read: self.read,
            at: f(self.at),
            reviewed_at: self.reviewed_at.map(f),
        }
    }
}

fn parse_partial(text: &str, path: &Path) -> (Partial, Vec<Diagnostic>) {
    let mut v = Validator {
        text,
        lines: LineIndex::new(text),
        path,
        diags: Vec::new(),
    };
    let raw = match raw::read(text) {
        Ok((raw, problems)) => {
            for p in problems {
                let message = p.message;
                v.error(p.offset, message);
            }
            raw
        }
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            let message = match e.span() {
                Some(span) if e.message() == "duplicate key" => name_duplicate_key(text, span),
                _ => e.message().to_string(),
            };
            v.error(offset, explain_toml_error(&message));
            return (Partial::default(), v.diags);
        }
    };
    let partial = Partial {
        has_topic: raw.topic.is_some(),
        topic: raw.topic.as_ref().and_then(|t| v.topic(t)),
        entries: raw.entries.iter().map(|e| v.entry(e)).collect(),
    };
    // Shape problems come first from the reader; content problems follow
    // table by table. A moderator reads them in the file's order.
    v.diags.sort_by_key(|d| d.pos);
    (partial, v.diags)
}

/// Checks the content of a file's tables: what the shape reader
/// ([`raw::read`]) cannot know, such as empty text, Discord's limits,
/// slugs, repeated phrasings and dates.
struct Validator<'a> {
    text: &'a str,
    lines: LineIndex,
    path: &'a Path,
    diags: Vec<Diagnostic>,
}

impl Validator<'_> {
    fn pos(&self, offset: usize) -> Position {
        self.lines.position(self.text, offset)
    }

    fn error(&mut self, offset: usize, message: String) {
        let pos = self.pos(offset);
        self.diags.push(Diagnostic::error(self.path, pos, message));
    }

    fn warning(&mut self, offset: usize, message: String) {
        let pos = self.pos(offset);
        self.diags
            .push(Diagnostic::warning(self.path, pos, message));
    }

    /// Checks a non-empty string field; returns it trimmed. A field that is
    /// absent (or had a shape problem, already reported) gives `None`.
    fn required(
        &mut self,
        field: Option<&Spanned<String>>,
        what: impl std::fmt::Display,
    ) -> Option<String> {
        let field = field?;
        let value = field.get_ref().trim();
        if value.is_empty() {
            self.error(
                field.span().start,
                format!("{what} is empty; write something or remove the key if it is optional"),
            );
            return None;
        }
        Some(value.to_string())
    }

    fn max_chars(
        &mut self,
        field: Option<&Spanned<String>>,
        what: impl std::fmt::Display,
        max: usize,
    ) {
        let Some(field) = field else { return };
        let n = field.get_ref().trim().chars().count();
        if n > max {
            self.error(
                field.span().start,
                format!(
                    "{what} is {n} characters; Discord allows {max}, so shorten it by {}",
                    n - max
                ),
            );
        }
    }

    fn topic(&mut self, raw: &RawTopic) -> Option<Topic> {
        let name = self.required(raw.name.as_ref(), "topic name");
        self.max_chars(raw.name.as_ref(), "topic name", limits::MENU_TEXT_CHARS);
        let description = self.required(raw.description.as_ref(), "topic description");
        self.max_chars(
            raw.description.as_ref(),
            "topic description (a select-menu option description)",
            limits::MENU_TEXT_CHARS,
        );
        if let Some(d) = &raw.description {
            if d.get_ref().trim().contains('\n') {
                self.error(
                    d.span().start,
                    "topic description spans several lines; it must be one line".to_string(),
                );
            }
        }
        let emoji = match &raw.emoji {
            Some(e) => Some(self.required(Some(e), "topic emoji")?),
            None => None,
        };
        if raw.misshapen {
            return None;
        }
        Some(Topic {
            name: name?,
            description: description?,
            emoji,
            order: raw.order.as_ref().map_or(i64::MAX, |o| *o.get_ref()),
            file: self.path.to_path_buf(),
            entries: Vec::new(),
        })
    }

    fn entry(&mut self, raw: &RawEntry) -> Drafted<usize> {
        let errors_before = self.diags.iter().filter(|d| d.is_error()).count();
        let id = self.required(raw.id.as_ref(), "id");
        let mut valid_id = id.clone();
        if let (Some(id), Some(field)) = (&id, &raw.id) {
            if !is_slug(id) {
                valid_id = None;
                self.error(
                    field.span().start,
                    format!(
                        "id `{id}` is not a slug; use lowercase letters, digits, '-' and '_', e.g. `{}`",
                        slugify(id)
                    ),
                );
            } else if id.chars().count() > limits::ID_CHARS {
                valid_id = None;
                self.error(
                    field.span().start,
                    format!(
                        "id `{id}` is longer than {} characters; shorten it",
                        limits::ID_CHARS
                    ),
                );
            }
        }
        let label = id.as_deref().unwrap_or("?");
        let question = self.required(
            raw.question.as_ref(),
            format_args!("entry `{label}`: question"),
        );
        if let Some(q) = &raw.question {
            if q.get_ref().trim().chars().count() > limits::MENU_TEXT_CHARS {
                self.warning(
                    q.span().start,
                    format!(
                        "entry `{label}`: question is over {} characters and will be cut in Discord menus; a shorter question reads better",
                        limits::MENU_TEXT_CHARS
                    ),
                );
            }
        }
        let asked = raw.question.as_ref().map_or("", |q| q.get_ref().trim());
        let mut alternatives = Vec::new();
        let mut seen = HashMap::new();
        for alt in &raw.alternatives {
            let Some(text) =
                self.required(Some(alt), format_args!("entry `{label}`: an alternative"))
            else {
                continue;
            };
            let key = text.to_lowercase();
            if seen.insert(key, ()).is_some() || text.eq_ignore_ascii_case(asked) {
                self.warning(
                    alt.span().start,
                    format!("entry `{label}`: alternative `{text}` repeats another phrasing of this entry; remove it"),
                );
                continue;
            }
            alternatives.push(text);
        }
        let answer = self.required(raw.answer.as_ref(), format_args!("entry `{label}`: answer"));
        self.max_chars(
            raw.answer.as_ref(),
            format_args!("entry `{label}`: answer (an embed description)"),
            limits::ANSWER_CHARS,
        );
        let section = self.required(
            raw.section.as_ref(),
            format_args!("entry `{label}`: section"),
        );
        let link = match &raw.link {
            Some(l) => {
                let link = self.required(Some(l), format_args!("entry `{label}`: link"));
                if let Some(link) = &link {
                    if !(link.starts_with("https://") || link.starts_with("http://")) {
                        self.error(
                            l.span().start,
                            format!("entry `{label}`: link `{link}` is not a web address; start it with https://"),
                        );
                    }
                }
                link
            }
            None => None,
        };
        let tags = raw
            .tags
            .iter()
            .filter_map(|t| self.required(Some(t), format_args!("entry `{label}`: a tag")))
            .collect();
        let owner = self.required(raw.owner.as_ref(), format_args!("entry `{label}`: owner"));
        let reviewed = raw.reviewed.as_ref().and_then(|r| {
            let date = match (r.get_ref().date, r.get_ref().time) {
                (Some(d), None) => {
                    jiff::civil::Date::new(d.year as i16, d.month as i8, d.day as i8).ok()
                }
                _ => None,
            };
            if date.is_none() {
                self.error(
                    r.span().start,
                    format!(
                        "entry `{label}`: reviewed `{}` is not a date; write it as reviewed = 2026-11-27 (no quotes, no time)",
                        r.get_ref()
                    ),
                );
            }
            date
        });
        let errors_after = self.diags.iter().filter(|d| d.is_error()).count();
        let valid = || -> Option<Entry> {
            if raw.misshapen || errors_after > errors_before {
                return None;
            }
            Some(Entry {
                id: id?,
                question: question?,
                alternatives,
                answer: answer?,
                section: section?,
                link,
                tags,
                owner,
                reviewed,
                topic: 0,
            })
        };
        Drafted {
            read: valid().ok_or(valid_id),
            at: raw.at,
            reviewed_at: raw.reviewed.as_ref().map(|r| r.span().start),
        }
    }
}

/// The byte offsets of the `[` of every table header (`[table]` and
/// `[[table]]`) of a file that parses as TOML, in order. toml's parser
/// tells headers apart from brackets inside strings and arrays.
fn header_starts(text: &str) -> Vec<usize> {
    use toml_parser::parser::{Event, EventKind};
    let tokens = toml_parser::Source::new(text).lex().into_vec();
    let mut starts = Vec::new();
    let mut on_event = |event: Event| {
        if matches!(
            event.kind(),
            EventKind::StdTableOpen | EventKind::ArrayTableOpen
        ) {
            starts.push(event.span().start());
        }
    };
    toml_parser::parser::parse_document(&tokens, &mut on_event, &mut ());
    starts
}

/// toml 0.9 says only "duplicate key" (0.8 said which key, and where):
/// names the key written at `span` and the table it is in, as 0.8 did.
fn name_duplicate_key(text: &str, span: Range<usize>) -> String {
    let Some(key) = text.get(span.clone()) else {
        return "duplicate key".to_string();
    };
    let key = key.trim().trim_matches(|c| c == '"' || c == '\'');
    let header = header_starts(text)
        .into_iter()
        .take_while(|&h| h < span.start)
        .last()
        .and_then(|h| text[h..].split(']').next())
        .map(|h| h.trim_start_matches('[').trim());
    match header {
        Some(table) => format!("duplicate key `{key}` in table `{table}`"),
        None => format!("duplicate key `{key}` in document root"),
    }
}

/// toml's messages, with what to do about the common ones.
fn explain_toml_error(message: &str) -> String {
    let message = message.trim().trim_end_matches('.');
    if message.starts_with("unknown field") {
        format!("{message}; check the spelling of the key (see the README for the format)")
    } else if message.starts_with("missing field") {
        format!("{message}; add it to this table")
    } else if message.starts_with("duplicate key") {
        format!("{message}; each key may appear once per table")
    } else {
        format!("invalid TOML: {message}")
    }
}

/// Ids are slugs: lowercase ASCII letters, digits, '-' and '_', starting
/// and ending with a letter or digit (they travel in Discord custom ids).
pub fn is_slug(s: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    edge(s.chars().next())
        && edge(s.chars().last())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A slug made from any text: lowercase ASCII letters and digits joined by
/// '-' (used for suggestions and by `faqbot import`).
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[topic]
name = "Basics"
description = "The basics"
order = 1

[[entry]]
id = "what-is-it"
question = "What is it?"
alternatives = ["whats this", "explain it"]
answer = "It is a thing."
section = "Intro"
"#;

    fn parse(text: &str) -> (Option<FileDraft>, Vec<String>) {
        let (d, diags) = parse_file(text, Path::new("t.toml"));
        (d, diags.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn a_valid_file_parses_without_diagnostics() {
        let (draft, diags) = parse(GOOD);
        assert!(diags.is_empty(), "{diags:?}");
        let draft = draft.expect("valid");
        assert_eq!(draft.topic.name, "Basics");
        assert_eq!(draft.entries.len(), 1);
        assert_eq!(
            draft.entries[0].0.alternatives,
            ["whats this", "explain it"]
        );
    }

    #[test]
    fn every_broken_entry_is_reported_not_just_the_first() {
        let text = format!(
            "{GOOD}\n[[entry]]\nid = \"b\"\nquestion = \"Q\"\nanwser = \"typo\"\nsection = \"S\"\n\n[[entry]]\nid = \"c\"\nquestion = \"Q2\"\nsection = \"S\"\n"
        );
        let (draft, diags) = parse(&text);
        assert!(draft.is_none());
        assert_eq!(diags.len(), 2, "{diags:?}");
        assert!(
            diags[0].starts_with(
                "t.toml:17:1: error: entry `b`: unknown field `anwser`; did you mean `answer`?"
            ),
            "{diags:?}"
        );
        assert!(diags[1].contains("missing field `answer`"), "{diags:?}");
        assert!(diags[1].starts_with("t.toml:20:1:"), "{diags:?}");
    }

    #[test]
    fn one_entry_with_many_mistakes_shows_them_all_in_one_pass() {
        // Five mistakes in one entry: a misspelt key, an unknown key, a
        // quoted date, a number where text belongs, an empty section. And a
        // bad link, which is content, not shape.
        let text = "[topic]\nname = \"A\"\ndescription = \"b\"\n\n[[entry]]\nid = \"x\"\nquestion = \"q\"\nalternative = [\"qq\"]\nanswer = 42\nsection = \"\"\ncolour = \"red\"\nreviewed = \"2026-11-27\"\nlink = \"example.com\"\n";
        let (draft, diags) = parse(text);
        assert!(draft.is_none());
        assert_eq!(
            diags,
            [
                "t.toml:8:1: error: entry `x`: unknown field `alternative`; did you mean `alternatives`?",
                "t.toml:9:10: error: entry `x`: `answer` is a number; it must be a string in quotes",
                "t.toml:10:11: error: entry `x`: section is empty; write something or remove the key if it is optional",
                "t.toml:11:1: error: entry `x`: unknown field `colour`; the keys are `id`, `question`, `alternatives`, `answer`, `section`, `link`, `tags`, `owner`, `reviewed`",
                "t.toml:12:12: error: entry `x`: `reviewed` is a date in quotes; write it without quotes: reviewed = 2026-11-27",
                "t.toml:13:8: error: entry `x`: link `example.com` is not a web address; start it with https://",
            ]
        );
    }

    #[test]
    fn types_lists_and_table_kinds_are_checked_key_by_key() {
        let text = "[topic]\nname = \"A\"\ndescription = \"b\"\norder = \"1\"\n\n[[entry]]\nid = \"x\"\nquestion = \"q\"\nalternatives = [\"ok\", 3]\ntags = \"one\"\nanswer = \"a\"\nsection = \"s\"\n\n[[entries]]\nid = \"y\"\n";
        let (_, diags) = parse(text);
        assert_eq!(
            diags,
            [
                "t.toml:4:9: error: topic: `order` is a string; it must be a whole number, without quotes",
                "t.toml:9:23: error: entry `x`: an item of `alternatives` is a number; it must be a string in quotes",
                "t.toml:10:8: error: entry `x`: `tags` is a string; it must be a list of strings, like [\"one\", \"two\"]",
                "t.toml:14:3: error: unknown top-level key `entries`; did you mean `[[entry]]`? a topic file has one [topic] table and [[entry]] tables",
            ]
        );
    }

    #[test]
    fn did_you_mean_finds_case_typos_and_plurals_only() {
        let keys = || super::raw::ENTRY_KEYS.iter().copied();
        assert_eq!(raw::did_you_mean("Question", keys()), Some("question"));
        assert_eq!(raw::did_you_mean("anwser", keys()), Some("answer"));
        assert_eq!(raw::did_you_mean("tag", keys()), Some("tags"));
        assert_eq!(
            raw::did_you_mean("entries", ["topic", "entry"]),
            Some("entry")
        );
        assert_eq!(raw::did_you_mean("colour", keys()), None);
        assert_eq!(raw::did_you_mean("x", keys()), None);
    }

    #[test]
    fn empty_fields_and_limits_are_errors_with_lines() {
        let long = "x".repeat(4100);
        let text = format!(
            "[topic]\nname = \"\"\ndescription = \"{}\"\n\n[[entry]]\nid = \"Bad Id\"\nquestion = \"Q\"\nanswer = \"{long}\"\nsection = \" \"\n",
            "d".repeat(101)
        );
        let (_, diags) = parse(&text);
        let joined = diags.join("\n");
        assert!(
            joined.contains("t.toml:2:8: error: topic name is empty"),
            "{joined}"
        );
        assert!(joined.contains("t.toml:3:15: error: topic description (a select-menu option description) is 101 characters"), "{joined}");
        assert!(
            joined.contains("t.toml:6:6: error: id `Bad Id` is not a slug"),
            "{joined}"
        );
        assert!(joined.contains("`bad-id`"), "{joined}");
        assert!(
            joined.contains(
                "t.toml:8:10: error: entry `Bad Id`: answer (an embed description) is 4100 characters"
            ),
            "{joined}"
        );
        assert!(
            joined.contains("t.toml:9:11: error: entry `Bad Id`: section is empty"),
            "{joined}"
        );
    }

    #[test]
    fn syntax_errors_point_at_the_line() {
        let (_, diags) = parse("[topic]\nname = \"x\ndescription = \"y\"\n");
        assert_eq!(diags.len(), 1);
        assert!(diags[0].starts_with("t.toml:2:"), "{diags:?}");
        assert!(diags[0].contains("invalid TOML"), "{diags:?}");
    }

    #[test]
    fn duplicate_keys_name_the_key_and_its_table() {
        let (_, diags) = parse("[topic]\nname = \"x\"\nname = \"y\"\ndescription = \"d\"\n");
        assert_eq!(diags, ["t.toml:3:1: error: duplicate key `name` in table `topic`; each key may appear once per table"]);
        let (_, diags) = parse("x = 1\n\"x\" = 2\n");
        assert_eq!(diags, ["t.toml:2:1: error: duplicate key `x` in document root; each key may appear once per table"]);
    }

    #[test]
    fn unknown_top_level_keys_and_missing_topic() {
        let (_, diags) = parse("title = \"x\"\n\n[[entry]]\nid = \"a\"\nquestion = \"q\"\nanswer = \"a\"\nsection = \"s\"\n");
        let joined = diags.join("\n");
        assert!(
            joined.contains("t.toml:1:1: error: unknown top-level key `title`"),
            "{joined}"
        );
        assert!(joined.contains("missing [topic] table"), "{joined}");
    }

    #[test]
    fn inline_entry_tables_are_checked_too() {
        let text = "entry = [{ id = \"a\", question = \"q\", answer = \"a\", sektion = \"s\" }]\n[topic]\nname = \"n\"\ndescription = \"d\"\n";
        let (_, diags) = parse(text);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(diags[0].starts_with("t.toml:1:"), "{diags:?}");
        assert!(diags[0].contains("sektion"), "{diags:?}");
    }

    #[test]
    fn non_utf8_is_reported_at_the_bad_byte() {
        let d = decode(
            b"[topic]\nname = \"caf\xE9\"\n".to_vec(),
            Path::new("t.toml"),
        )
        .expect_err("not utf-8");
        assert_eq!(
            d.to_string(),
            "t.toml:2:12: error: the file is not valid UTF-8 (byte 0xE9); save it as UTF-8"
        );
    }

    #[test]
    fn slugs() {
        assert!(is_slug("a-b-1"));
        assert!(is_slug("meaning_of_life"));
        assert!(!is_slug("_a"));
        assert!(is_slug("meaning_of_life"));
        assert!(!is_slug("_a"));
        assert!(!is_slug("A b"));
        assert!(!is_slug("-a"));
        assert_eq!(slugify("What's the UN's role?"), "what-s-the-un-s-role");
    }

    #[test]
    fn owner_and_review_date_are_read_and_a_time_is_not_a_date() {
        let text = "[topic]\nname = \"A\"\ndescription = \"b\"\n\n[[entry]]\nid = \"x\"\nquestion = \"q\"\nanswer = \"a\"\nsection = \"s\"\nowner = \"ana\"\nreviewed = 2026-11-27\n\n[[entry]]\nid = \"y\"\nquestion = \"q2\"\nanswer = \"a\"\nsection = \"s\"\nreviewed = 2026-11-27T10:00:00\n";
        let (partial, diags) = parse_partial(text, Path::new("t.toml"));
        let shown: Vec<String> = diags.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert!(
            shown[0].starts_with(
                "t.toml:18:12: error: entry `y`: reviewed `2026-11-27T10:00:00` is not a date"
            ),
            "{shown:?}"
        );
        let x = partial.entries[0].read.as_ref().expect("valid");
        assert_eq!(x.owner.as_deref(), Some("ana"));
        assert_eq!(x.reviewed, Some(jiff::civil::date(2026, 11, 27)));
    }
}
