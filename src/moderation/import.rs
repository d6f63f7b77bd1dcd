//! `faqbot import`: a JSON-lines file or a CSV (header row) of questions and
//! answers -> one topic file per topic that passes `faqbot check`.
//!
//! Fields (JSON keys or CSV columns): `question` and `answer` required;
//! `id`, `alternatives`, `section`, `topic`, `link`, `tags`, `owner` and
//! `reviewed` (a date, 2026-11-27) optional. In a CSV, `alternatives` and
//! `tags` hold several values separated by `|`.
//!
//! A CSV is read as spreadsheets export it: headers in any case and with
//! spaces around them, columns of other names (or of none) ignored with one
//! warning, CRLF line ends, and lines counted as an editor counts them.
//! Every bad row is reported (file and line); nothing is written unless all
//! rows are good.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::faq::limits;
use crate::faq::parse_file;
use crate::faq::raw::{OutEntry, OutFile, OutTopic};
use crate::faq::slug::{is_slug, slugify};

/// Topic of rows that name none.
pub const DEFAULT_TOPIC: &str = "General";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    JsonLines,
    Csv,
}

impl Format {
    /// `.csv` is CSV; anything else is read as JSON lines.
    pub fn from_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("csv") => Format::Csv,
            _ => Format::JsonLines,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRow {
    id: Option<String>,
    question: Option<String>,
    #[serde(default)]
    alternatives: Vec<String>,
    answer: Option<String>,
    section: Option<String>,
    topic: Option<String>,
    link: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    owner: Option<String>,
    reviewed: Option<String>,
}

/// A CSV row, by its (lowercased) header names; other columns are ignored.
#[derive(Debug, Deserialize)]
struct CsvRow {
    id: Option<String>,
    question: Option<String>,
    alternatives: Option<String>,
    answer: Option<String>,
    section: Option<String>,
    topic: Option<String>,
    link: Option<String>,
    tags: Option<String>,
    owner: Option<String>,
    reviewed: Option<String>,
}

/// The columns a CSV may have.
const CSV_COLUMNS: &[&str] = &[
    "id",
    "question",
    "alternatives",
    "answer",
    "section",
    "topic",
    "link",
    "tags",
    "owner",
    "reviewed",
];

/// A row as read, with the line it came from.
#[derive(Debug)]
struct Row {
    line: usize,
    id: Option<String>,
    question: String,
    alternatives: Vec<String>,
    answer: String,
    section: Option<String>,
    topic: String,
    link: Option<String>,
    tags: Vec<String>,
    owner: Option<String>,
    reviewed: Option<toml::value::Datetime>,
}

/// What an import wrote.
#[derive(Debug, PartialEq, Eq)]
pub struct Imported {
    pub files: Vec<PathBuf>,
    pub entries: usize,
    /// Where the folder that was there before now is (`--force` on a
    /// folder with files): kept whole, nothing deleted.
    pub previous: Option<PathBuf>,
    /// What was read but left out (columns of no known name).
    pub warnings: Vec<String>,
}

/// An input converted: (file name, TOML text, entry count) per topic, and
/// the warnings.
#[derive(Debug)]
pub struct Converted {
    pub files: Vec<(String, String, usize)>,
    pub warnings: Vec<String>,
}

/// Reads `input`, converts it and writes topic files into `out`. Refuses
/// to overwrite `*.toml` files already in `out` unless `force`. Errors are
/// `file:line: error: message` lines, all of them.
pub fn import(
    input: &Path,
    format: Format,
    out: &Path,
    force: bool,
) -> Result<Imported, Vec<String>> {
    let text = std::fs::read_to_string(input)
        .map_err(|e| vec![format!("{}: error: cannot read: {e}", input.display())])?;
    let Converted { files, warnings } = convert(&text, format, &input.display().to_string())?;
    if !force {
        if let Ok(read) = std::fs::read_dir(out) {
            let existing: Vec<String> = read
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .map(|p| p.display().to_string())
                .collect();
            if !existing.is_empty() {
                return Err(vec![format!(
                    "{}: error: already holds FAQ files ({}); choose an empty directory or pass --force to overwrite",
                    out.display(),
                    existing.join(", ")
                )]);
            }
        }
    }
    // All or nothing: every file is written into a new folder beside
    // `out`, which then takes its place; a failure leaves `out` as it was.
    let staging = beside(out, ".", "import");
    let fail = |e: String| {
        let _ = std::fs::remove_dir_all(&staging);
        vec![e]
    };
    std::fs::create_dir_all(&staging).map_err(|e| {
        fail(format!(
            "{}: error: cannot create a folder beside it to write into: {e}",
            out.display()
        ))
    })?;
    let mut names = Vec::new();
    let mut entries = 0;
    for (name, file_text, n) in files {
        let path = staging.join(&name);
        std::fs::write(&path, file_text).map_err(|e| {
            fail(format!(
                "{}: error: cannot write: {e}",
                out.join(&name).display()
            ))
        })?;
        names.push(name);
        entries += n;
    }
    let previous = swap_in(&staging, out).map_err(fail)?;
    Ok(Imported {
        files: names.into_iter().map(|n| out.join(n)).collect(),
        entries,
        previous,
        warnings,
    })
}

/// Adds the topics of `input` to the FAQ in `out` (`import --add`): new
/// files beside its own, after them in the menu and by name. All or
/// nothing: `out` must load without errors, the rows may reuse none of its
/// ids or topic names, and the folder with the new files must load too;
/// else nothing is written.
pub fn import_add(input: &Path, format: Format, out: &Path) -> Result<Imported, Vec<String>> {
    let report = crate::faq::load_dir(out);
    let Some(faq) = &report.faq else {
        return Err(vec![format!(
            "{}: error: the FAQ there has errors, so nothing is added to it; see `faqbot check {}`",
            out.display(),
            out.display()
        )]);
    };
    let text = std::fs::read_to_string(input)
        .map_err(|e| vec![format!("{}: error: cannot read: {e}", input.display())])?;
    let source = input.display().to_string();
    let Converted { files, warnings } = convert_after(&text, format, &source, &Existing::of(faq))?;
    let taken: Vec<String> = files
        .iter()
        .map(|(name, _, _)| name.clone())
        .filter(|name| out.join(name).exists())
        .collect();
    if !taken.is_empty() {
        return Err(vec![format!(
            "{}: error: already has {}; nothing was written",
            out.display(),
            taken.join(", ")
        )]);
    }
    // The new files are written beside the folder first; then the folder as
    // it would be (its files and the new ones) is loaded whole.
    let staging = beside(out, ".", "import");
    let result = stage_and_add(out, &staging, &files);
    let _ = std::fs::remove_dir_all(&staging);
    let names = result.map_err(|e| vec![e])?;
    Ok(Imported {
        files: names.into_iter().map(|n| out.join(n)).collect(),
        entries: files.iter().map(|f| f.2).sum(),
        previous: None,
        warnings,
    })
}

/// Writes `files` into `staging` with copies of `out`'s FAQ files, checks
/// that it loads, then moves the new files into `out` (taking back those
/// already moved if one cannot be).
fn stage_and_add(
    out: &Path,
    staging: &Path,
    files: &[(String, String, usize)],
) -> Result<Vec<String>, String> {
    let failed = |what: &str, e: std::io::Error| format!("{}: error: {what}: {e}", out.display());
    std::fs::create_dir_all(staging)
        .map_err(|e| failed("cannot create a folder beside it to write into", e))?;
    for entry in std::fs::read_dir(out).map_err(|e| failed("cannot read", e))? {
        let path = entry.map_err(|e| failed("cannot read", e))?.path();
        if path.extension().is_some_and(|x| x == "toml") && path.is_file() {
            if let Some(name) = path.file_name() {
                std::fs::copy(&path, staging.join(name)).map_err(|e| failed("cannot copy", e))?;
            }
        }
    }
    for (name, text, _) in files {
        std::fs::write(staging.join(name), text).map_err(|e| failed("cannot write", e))?;
    }
    let combined = crate::faq::load_dir(staging);
    if combined.has_errors() {
        let errors: Vec<String> = combined
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(ToString::to_string)
            .collect();
        return Err(format!(
            "{}: error: with the new files the FAQ would not load, so nothing was written:\n{}",
            out.display(),
            errors.join("\n")
        ));
    }
    let mut moved: Vec<&str> = Vec::new();
    for (name, _, _) in files {
        if let Err(e) = std::fs::rename(staging.join(name), out.join(name)) {
            for done in &moved {
                let _ = std::fs::remove_file(out.join(done));
            }
            return Err(failed(&format!("cannot put {name} in place"), e));
        }
        moved.push(name);
    }
    Ok(files.iter().map(|(name, _, _)| name.clone()).collect())
}

/// A new path beside `path`: `prefix`, its name, `what`, a time stamp and
/// this process's id.
fn beside(path: &Path, prefix: &str, what: &str) -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let name = path
        .file_name()
        .map_or_else(|| "faq".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(
        "{prefix}{name}.{what}-{stamp}-{}",
        std::process::id()
    ))
}

/// Puts the folder `staging` at `out`. An empty `out` is replaced; one with
/// files is moved aside whole (returned), so that none of its files stays
/// among the new ones and none is lost.
fn swap_in(staging: &Path, out: &Path) -> Result<Option<PathBuf>, String> {
    let empty = std::fs::read_dir(out).map(|mut read| read.next().is_none());
    let previous = match empty {
        Err(_) => None,
        Ok(true) => {
            std::fs::remove_dir(out).map_err(|e| {
                format!(
                    "{}: error: cannot replace the empty folder: {e}",
                    out.display()
                )
            })?;
            None
        }
        Ok(false) => {
            let aside = beside(out, "", "before-import");
            std::fs::rename(out, &aside).map_err(|e| {
                format!(
                    "{}: error: cannot move the old folder aside: {e}",
                    out.display()
                )
            })?;
            Some(aside)
        }
    };
    if let Err(e) = std::fs::rename(staging, out) {
        // Put the old folder back: the import changes nothing.
        if let Some(aside) = &previous {
            let _ = std::fs::rename(aside, out);
        }
        return Err(format!(
            "{}: error: cannot put the new files in place: {e}",
            out.display()
        ));
    }
    Ok(previous)
}

/// The conversion itself, without files: input text -> (file name, TOML
/// text, entry count) per topic. `source` names the input in errors.
pub fn convert(text: &str, format: Format, source: &str) -> Result<Converted, Vec<String>> {
    convert_after(text, format, source, &Existing::default())
}

/// What an FAQ folder already holds, for adding to it (`import --add`):
/// the new topics come after its topics, in the menu and by file name, and
/// may reuse none of its ids or topic names.
#[derive(Debug, Default)]
pub struct Existing {
    /// Its ids, each with the file that has it.
    pub ids: HashMap<String, PathBuf>,
    /// Its topic names (lowercased), each with its file.
    pub topics: HashMap<String, PathBuf>,
    /// The highest `order` of its topics (0: none).
    pub last_order: i64,
    /// The highest `NN-` number of its file names (0: none).
    pub last_number: usize,
}

impl Existing {
    /// What a valid FAQ holds, with its files' names.
    pub fn of(faq: &crate::faq::Faq) -> Existing {
        let mut existing = Existing::default();
        for topic in &faq.topics {
            existing
                .topics
                .insert(topic.name.to_lowercase(), topic.file.clone());
            if topic.order != i64::MAX {
                existing.last_order = existing.last_order.max(topic.order);
            }
            let number = topic
                .file
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.split('-').next())
                .and_then(|n| n.parse::<usize>().ok());
            existing.last_number = existing.last_number.max(number.unwrap_or(0));
            for &e in &topic.entries {
                existing
                    .ids
                    .insert(faq.entries[e].id.clone(), topic.file.clone());
            }
        }
        existing.last_order = existing.last_order.max(faq.topics.len() as i64);
        existing
    }
}

/// [`convert`], for adding to an FAQ that holds `existing`.
pub fn convert_after(
    text: &str,
    format: Format,
    source: &str,
    existing: &Existing,
) -> Result<Converted, Vec<String>> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let rows = match format {
        Format::JsonLines => read_jsonl(text, source, &mut errors),
        Format::Csv => read_csv(text, source, &mut errors, &mut warnings),
    };
    if rows.is_empty() && errors.is_empty() {
        errors.push(format!("{source}: error: no rows to import"));
    }

    // Ids: given ones must be unique; missing ones come from the question.
    let mut used: HashSet<String> = rows.iter().filter_map(|r| r.id.clone()).collect();
    used.extend(existing.ids.keys().cloned());
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let mut topics: Vec<(String, Vec<OutEntry>)> = Vec::new();
    for row in rows {
        if let Some(file) = existing.topics.get(&row.topic.to_lowercase()) {
            errors.push(format!(
                "{source}:{}: error: topic `{}` is already in {}; add these rows to that file by hand, or name another topic",
                row.line,
                row.topic,
                file.display()
            ));
            continue;
        }
        let id = match &row.id {
            Some(id) => {
                if let Some(file) = existing.ids.get(id) {
                    errors.push(format!(
                        "{source}:{}: error: id `{id}` is already used in {}; give the row another id, or none",
                        row.line,
                        file.display()
                    ));
                    continue;
                }
                if let Some(first) = first_line.insert(id.clone(), row.line) {
                    errors.push(format!(
                        "{source}:{}: error: duplicate id `{id}` (first on line {first})",
                        row.line
                    ));
                    continue;
                }
                id.clone()
            }
            None => unique_id(&row.question, &mut used),
        };
        let section = row.section.unwrap_or_else(|| row.topic.clone());
        let entry = OutEntry {
            id,
            question: row.question,
            alternatives: row.alternatives,
            answer: row.answer,
            section,
            link: row.link,
            tags: row.tags,
            owner: row.owner,
            reviewed: row.reviewed,
        };
        match topics.iter_mut().find(|(name, _)| *name == row.topic) {
            Some((_, list)) => list.push(entry),
            None => topics.push((row.topic, vec![entry])),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Topics in the order the input names them; the one made up for rows
    // that name none comes after them all.
    topics.sort_by_key(|(name, _)| name == DEFAULT_TOPIC);

    let mut files = Vec::new();
    let mut names = HashSet::new();
    for (i, (topic, entries)) in topics.into_iter().enumerate() {
        let number = existing.last_number + i + 1;
        let mut name = format!("{number:02}-{}.toml", truncate_chars(&slugify(&topic), 40));
        if !names.insert(name.clone()) {
            name = format!("{number:02}-topic.toml");
        }
        let n = entries.len();
        let file = OutFile {
            topic: OutTopic {
                description: truncate_chars(
                    &format!("Questions about {topic}"),
                    limits::MENU_TEXT_CHARS,
                ),
                name: truncate_chars(&topic, limits::MENU_TEXT_CHARS),
                emoji: None,
                order: Some(existing.last_order + i as i64 + 1),
            },
            entry: entries,
        };
        let body = toml::to_string(&file)
            .map_err(|e| vec![format!("{source}: error: cannot write TOML: {e}")])?;
        let text = format!("# Imported from {source} by `faqbot import`.\n\n{body}");
        // What we write must pass `faqbot check`; say so if it would not.
        let (_, diags) = parse_file(&text, Path::new(&name));
        let problems: Vec<String> = diags
            .iter()
            .filter(|d| d.is_error())
            .map(ToString::to_string)
            .collect();
        if !problems.is_empty() {
            return Err(problems);
        }
        files.push((name, text, n));
    }
    Ok(Converted { files, warnings })
}

fn read_jsonl(text: &str, source: &str, errors: &mut Vec<String>) -> Vec<Row> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<JsonRow>(line) {
            Ok(r) => {
                if let Some(row) = finish(
                    i + 1,
                    source,
                    errors,
                    [
                        r.id, r.question, r.answer, r.section, r.topic, r.link, r.owner, r.reviewed,
                    ],
                    r.alternatives,
                    r.tags,
                ) {
                    rows.push(row);
                }
            }
            Err(e) => errors.push(format!(
                "{source}:{}: error: not a valid JSON row: {e}",
                i + 1
            )),
        }
    }
    rows
}

fn read_csv(
    text: &str,
    source: &str,
    errors: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        // `Question`, ` Answer `: matched by name, whatever the case.
        Ok(h) => h
            .iter()
            .map(str::to_lowercase)
            .collect::<csv::StringRecord>(),
        Err(e) => {
            errors.push(format!("{source}:1: error: bad CSV header: {e}"));
            return rows;
        }
    };
    let ignored: Vec<String> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !CSV_COLUMNS.contains(h))
        .map(|(i, h)| {
            if h.is_empty() {
                format!("column {} (no name)", i + 1)
            } else {
                format!("`{h}`")
            }
        })
        .collect();
    if !ignored.is_empty() {
        warnings.push(format!(
            "{source}:1: warning: ignoring {} of no known name: {}; the columns read are {}",
            if ignored.len() == 1 {
                "a column"
            } else {
                "columns"
            },
            ignored.join(", "),
            CSV_COLUMNS.join(", ")
        ));
    }
    // csv counts a CRLF as two line ends: lines are counted here as an
    // editor counts them, from the byte where each record starts (csv puts
    // that before the `\n` of a CRLF that ended the record before).
    let lines = crate::faq::diagnostic::LineIndex::new(text);
    let line_of = |pos: Option<&csv::Position>| {
        pos.map_or(0, |p| {
            let mut offset = usize::try_from(p.byte())
                .unwrap_or(usize::MAX)
                .min(text.len());
            while text
                .as_bytes()
                .get(offset)
                .is_some_and(|b| matches!(b, b'\r' | b'\n'))
            {
                offset += 1;
            }
            lines.position(text, offset).line
        })
    };
    let split = |s: Option<String>| -> Vec<String> {
        s.map(|s| {
            s.split('|')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
    };
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = line_of(e.position());
                errors.push(format!("{source}:{line}: error: bad CSV row: {e}"));
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue; // an empty row, as spreadsheets leave at the end
        }
        let line = line_of(record.position());
        match record.deserialize::<CsvRow>(Some(&headers)) {
            Ok(r) => {
                let fields = [
                    r.id, r.question, r.answer, r.section, r.topic, r.link, r.owner, r.reviewed,
                ];
                if let Some(row) = finish(
                    line,
                    source,
                    errors,
                    fields,
                    split(r.alternatives),
                    split(r.tags),
                ) {
                    rows.push(row);
                }
            }
            Err(e) => errors.push(format!("{source}:{line}: error: bad CSV row: {e}")),
        }
    }
    rows
}

/// Checks a row's fields; `fields` = [id, question, answer, section, topic,
/// link, owner, reviewed].
fn finish(
    line: usize,
    source: &str,
    errors: &mut Vec<String>,
    fields: [Option<String>; 8],
    alternatives: Vec<String>,
    tags: Vec<String>,
) -> Option<Row> {
    let clean = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let [id, question, answer, section, topic, link, owner, reviewed] = fields.map(clean);
    let before = errors.len();
    let at = |line: usize| {
        if line == 0 {
            String::new()
        } else {
            format!(":{line}")
        }
    };
    if question.is_none() {
        errors.push(format!("{source}{}: error: missing `question`", at(line)));
    }
    if answer.is_none() {
        errors.push(format!("{source}{}: error: missing `answer`", at(line)));
    }
    if let Some(a) = &answer {
        let n = a.chars().count();
        if n > limits::ANSWER_CHARS {
            errors.push(format!(
                "{source}{}: error: answer is {n} characters; Discord allows {}",
                at(line),
                limits::ANSWER_CHARS
            ));
        }
    }
    if let Some(id) = &id {
        if !is_slug(id) || id.chars().count() > limits::ID_CHARS {
            errors.push(format!(
                "{source}{}: error: id `{id}` is not a slug of at most {} characters (lowercase letters, digits, '-', '_'), e.g. `{}`",
                at(line),
                limits::ID_CHARS,
                truncate_chars(&slugify(id), limits::ID_CHARS)
            ));
        }
    }
    // A date as TOML writes it (the day only), or an error.
    let reviewed = reviewed.and_then(|r| match r.parse::<toml::value::Datetime>() {
        Ok(d) if d.date.is_some() && d.time.is_none() => Some(d),
        _ => {
            errors.push(format!(
                "{source}{}: error: reviewed `{r}` is not a date; write it as 2026-11-27",
                at(line)
            ));
            None
        }
    });
    if errors.len() > before {
        return None;
    }
    let question = question?;
    let alternatives = alternatives
        .into_iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty() && !a.eq_ignore_ascii_case(&question))
        .fold(Vec::<String>::new(), |mut acc, a| {
            if !acc.iter().any(|x| x.eq_ignore_ascii_case(&a)) {
                acc.push(a);
            }
            acc
        });
    Some(Row {
        line,
        id,
        question,
        alternatives,
        answer: answer?,
        section,
        topic: topic.unwrap_or_else(|| DEFAULT_TOPIC.to_string()),
        link,
        tags: tags.into_iter().filter(|t| !t.trim().is_empty()).collect(),
        owner,
        reviewed,
    })
}

/// A slug id from a question, unique among `used`.
fn unique_id(question: &str, used: &mut HashSet<String>) -> String {
    let mut base = truncate_chars(&slugify(question), 56)
        .trim_end_matches('-')
        .to_string();
    if base.is_empty() {
        base = "entry".to_string();
    }
    let mut id = base.clone();
    let mut n = 2;
    while used.contains(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    used.insert(id.clone());
    id
}

fn truncate_chars(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_rows_become_topic_files_that_parse() {
        let input = r#"{"question": "Q two?", "answer": "A two.", "section": "S"}
{"id": "a", "question": "Q one?", "alternatives": ["q1 alt"], "answer": "A one.", "topic": "T1"}
{"question": "Q three?", "answer": "A three.", "topic": "T1"}
"#;
        let files = convert(input, Format::JsonLines, "in.jsonl")
            .expect("converts")
            .files;
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].0, "01-t1.toml");
        assert_eq!(files[0].2, 2);
        // Made up for the rows without a topic: after the named ones, even
        // where such a row comes first.
        assert_eq!(files[1].0, "02-general.toml");
        assert!(files[1].1.contains("id = \"q-two\""), "{}", files[1].1);
        assert!(files[0].1.contains("section = \"T1\""), "{}", files[0].1);
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let input = "{\"question\": \"q\"}\nnot json\n{\"id\": \"Bad Id\", \"question\": \"q\", \"answer\": \"a\"}\n";
        let errors = convert(input, Format::JsonLines, "in.jsonl").expect_err("bad rows");
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("in.jsonl:1: error: missing `answer`"));
        assert!(errors[1].starts_with("in.jsonl:2: error: not a valid JSON row"));
        assert!(errors[2].starts_with("in.jsonl:3: error: id `Bad Id`"));
    }

    #[test]
    fn csv_with_header_and_pipe_separated_alternatives() {
        let input = "question,answer,alternatives,topic\n\"Hi, what?\",Yes.,a one | a two,Misc\nQ2,\"multi\nline\",,Misc\n";
        let files = convert(input, Format::Csv, "in.csv")
            .expect("converts")
            .files;
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].2, 2);
        assert!(files[0].1.contains("\"a one\""), "{}", files[0].1);
    }

    #[test]
    fn csv_errors_name_the_line() {
        let input = "question,answer\nq1,a1\nq2,\n";
        let errors = convert(input, Format::Csv, "in.csv").expect_err("missing answer");
        assert_eq!(errors, ["in.csv:3: error: missing `answer`"]);
    }

    /// A spreadsheet's export: headers in another case with spaces, an
    /// extra and an unnamed column, owner and reviewed, CRLF line ends, a
    /// quoted answer over two lines, and an empty row at the end.
    #[test]
    fn a_spreadsheet_export_is_read_as_people_make_it() {
        let input = " Question ,Answer,Alternatives,Notes,,Owner,Reviewed\r\nWhen open?,\"Weekdays,\r\nnine to five.\",opening hours,internal,,ana,2026-11-27\r\nWhere to park?,Behind.,,,,,\r\n,,,,,,\r\n";
        let done = convert(input, Format::Csv, "in.csv").expect("converts");
        assert_eq!(
            done.warnings,
            ["in.csv:1: warning: ignoring columns of no known name: `notes`, column 5 (no name); the columns read are id, question, alternatives, answer, section, topic, link, tags, owner, reviewed"]
        );
        assert_eq!(done.files.len(), 1);
        let text = &done.files[0].1;
        assert_eq!(done.files[0].2, 2, "{text}");
        assert!(text.contains("owner = \"ana\""), "{text}");
        assert!(text.contains("reviewed = 2026-11-27\n"), "{text}");
        assert!(text.contains("opening hours"), "{text}");
        // The lines of errors are the editor's, CRLF or not.
        let bad = "question,answer\r\nq1,\"two\r\nlines\"\r\nq2,\r\nq3,a,extra\r\nq4,a4\r\n,x\r\n";
        let errors = convert(bad, Format::Csv, "in.csv").expect_err("bad rows");
        assert_eq!(
            errors,
            [
                "in.csv:4: error: missing `answer`",
                "in.csv:7: error: missing `question`"
            ]
        );
        let bad_date = "question,answer,reviewed\nq,a,27/11/2026\n";
        let errors = convert(bad_date, Format::Csv, "in.csv").expect_err("bad date");
        assert_eq!(
            errors,
            ["in.csv:2: error: reviewed `27/11/2026` is not a date; write it as 2026-11-27"]
        );
    }

    #[test]
    fn added_topics_come_after_the_existing_ones_and_reuse_none_of_their_names() {
        let mut existing = Existing {
            last_order: 7,
            last_number: 7,
            ..Existing::default()
        };
        existing
            .ids
            .insert("when-open".into(), PathBuf::from("faq/02-visits.toml"));
        existing
            .topics
            .insert("visits".into(), PathBuf::from("faq/02-visits.toml"));
        let input = "question,answer,topic\nWhen open?,Weekdays.,Hours\nNew one?,Yes.,Hours\n";
        let done = convert_after(input, Format::Csv, "in.csv", &existing).expect("converts");
        assert_eq!(done.files.len(), 1);
        assert_eq!(done.files[0].0, "08-hours.toml");
        let text = &done.files[0].1;
        assert!(text.contains("order = 8"), "{text}");
        // The id made from the question does not clash with theirs.
        assert!(text.contains("id = \"when-open-2\""), "{text}");
        let clash = "id,question,answer,topic\nwhen-open,Q?,A.,Hours\nx,Q2?,A.,visits\n";
        let errors = convert_after(clash, Format::Csv, "in.csv", &existing).expect_err("clashes");
        assert_eq!(
            errors,
            [
                "in.csv:2: error: id `when-open` is already used in faq/02-visits.toml; give the row another id, or none",
                "in.csv:3: error: topic `visits` is already in faq/02-visits.toml; add these rows to that file by hand, or name another topic",
            ]
        );
    }

    #[test]
    fn duplicate_ids_are_errors() {
        let input = "{\"id\":\"x\",\"question\":\"q\",\"answer\":\"a\"}\n{\"id\":\"x\",\"question\":\"q2\",\"answer\":\"a\"}\n";
        let errors = convert(input, Format::JsonLines, "in").expect_err("dup");
        assert_eq!(errors, ["in:2: error: duplicate id `x` (first on line 1)"]);
    }
}
