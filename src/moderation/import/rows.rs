//! Reading the rows of an import: JSON lines or a CSV with a header row
//! -> checked [`Row`]s, or every bad row's error (file and line).
//!
//! A CSV is read as spreadsheets export it: headers in any case and with
//! spaces around them, columns of other names (or of none) ignored with one
//! warning, CRLF line ends, and lines counted as an editor counts them.

use serde::Deserialize;

use super::{at_line, truncate_chars, Format, DEFAULT_TOPIC};
use crate::faq::limits;
use crate::faq::slug::{is_slug, slugify};
use crate::faq::{Diagnostic, Severity};

/// A row's fields as written: a JSON row exactly, and a CSV row once its
/// lists are split ([`CsvRow::fields`]). (Its name shows in serde's
/// messages, "expected struct JsonRow", so it stays.)
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

impl CsvRow {
    /// Its fields, with `alternatives` and `tags` split at each `|`.
    fn fields(self) -> JsonRow {
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
        JsonRow {
            id: self.id,
            question: self.question,
            alternatives: split(self.alternatives),
            answer: self.answer,
            section: self.section,
            topic: self.topic,
            link: self.link,
            tags: split(self.tags),
            owner: self.owner,
            reviewed: self.reviewed,
        }
    }
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
pub(super) struct Row {
    pub(super) line: usize,
    pub(super) id: Option<String>,
    pub(super) question: String,
    pub(super) alternatives: Vec<String>,
    pub(super) answer: String,
    pub(super) section: Option<String>,
    pub(super) topic: String,
    pub(super) link: Option<String>,
    pub(super) tags: Vec<String>,
    pub(super) owner: Option<String>,
    pub(super) reviewed: Option<toml::value::Datetime>,
}

/// Every good row of `text`, read as `format`; each bad row's error goes
/// to `errors`, and what is read but left out to `warnings`.
pub(super) fn read(
    text: &str,
    format: Format,
    source: &str,
    errors: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> Vec<Row> {
    match format {
        Format::JsonLines => read_jsonl(text, source, errors),
        Format::Csv => read_csv(text, source, errors, warnings),
    }
}

fn read_jsonl(text: &str, source: &str, errors: &mut Vec<Diagnostic>) -> Vec<Row> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<JsonRow>(line) {
            Ok(r) => {
                if let Some(row) = finish(i + 1, source, errors, r) {
                    rows.push(row);
                }
            }
            Err(e) => errors.push(at_line(
                source,
                i + 1,
                Severity::Error,
                format!("not a valid JSON row: {e}"),
            )),
        }
    }
    rows
}

fn read_csv(
    text: &str,
    source: &str,
    errors: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
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
            errors.push(at_line(
                source,
                1,
                Severity::Error,
                format!("bad CSV header: {e}"),
            ));
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
        warnings.push(at_line(
            source,
            1,
            Severity::Warning,
            format!(
                "ignoring {} of no known name: {}; the columns read are {}",
                if ignored.len() == 1 {
                    "a column"
                } else {
                    "columns"
                },
                ignored.join(", "),
                CSV_COLUMNS.join(", ")
            ),
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
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = line_of(e.position());
                errors.push(at_line(
                    source,
                    line,
                    Severity::Error,
                    format!("bad CSV row: {e}"),
                ));
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue; // an empty row, as spreadsheets leave at the end
        }
        let line = line_of(record.position());
        match record.deserialize::<CsvRow>(Some(&headers)) {
            Ok(r) => {
                if let Some(row) = finish(line, source, errors, r.fields()) {
                    rows.push(row);
                }
            }
            Err(e) => errors.push(at_line(
                source,
                line,
                Severity::Error,
                format!("bad CSV row: {e}"),
            )),
        }
    }
    rows
}

/// Checks a row's fields (read from `line`; 0: no line).
fn finish(line: usize, source: &str, errors: &mut Vec<Diagnostic>, row: JsonRow) -> Option<Row> {
    let JsonRow {
        id,
        question,
        alternatives,
        answer,
        section,
        topic,
        link,
        tags,
        owner,
        reviewed,
    } = row;
    let clean = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let [id, question, answer, section, topic, link, owner, reviewed] =
        [id, question, answer, section, topic, link, owner, reviewed].map(clean);
    let before = errors.len();
    let mut error = |message: String| errors.push(at_line(source, line, Severity::Error, message));
    if question.is_none() {
        error("missing `question`".into());
    }
    if answer.is_none() {
        error("missing `answer`".into());
    }
    if let Some(a) = &answer {
        let n = a.chars().count();
        if n > limits::ANSWER_CHARS {
            error(format!(
                "answer is {n} characters; Discord allows {}",
                limits::ANSWER_CHARS
            ));
        }
    }
    if let Some(id) = &id {
        if !is_slug(id) || id.chars().count() > limits::ID_CHARS {
            error(format!(
                "id `{id}` is not a slug of at most {} characters (lowercase letters, digits, '-', '_'), e.g. `{}`",
                limits::ID_CHARS,
                truncate_chars(&slugify(id), limits::ID_CHARS)
            ));
        }
    }
    // A date as TOML writes it (the day only), or an error.
    let reviewed = reviewed.and_then(|r| match r.parse::<toml::value::Datetime>() {
        Ok(d) if d.date.is_some() && d.time.is_none() => Some(d),
        _ => {
            error(format!(
                "reviewed `{r}` is not a date; write it as 2026-11-27"
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

#[cfg(test)]
mod tests {
    use super::super::{convert, Format};

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let input = "{\"question\": \"q\"}\nnot json\n{\"id\": \"Bad Id\", \"question\": \"q\", \"answer\": \"a\"}\n";
        let errors = super::super::shown(
            &convert(input, Format::JsonLines, "in.jsonl").expect_err("bad rows"),
        );
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
        let errors = super::super::shown(
            &convert(input, Format::Csv, "in.csv").expect_err("missing answer"),
        );
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
            super::super::shown(&done.warnings),
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
        let errors =
            super::super::shown(&convert(bad, Format::Csv, "in.csv").expect_err("bad rows"));
        assert_eq!(
            errors,
            [
                "in.csv:4: error: missing `answer`",
                "in.csv:7: error: missing `question`"
            ]
        );
        let bad_date = "question,answer,reviewed\nq,a,27/11/2026\n";
        let errors =
            super::super::shown(&convert(bad_date, Format::Csv, "in.csv").expect_err("bad date"));
        assert_eq!(
            errors,
            ["in.csv:2: error: reviewed `27/11/2026` is not a date; write it as 2026-11-27"]
        );
    }
}
