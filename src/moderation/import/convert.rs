//! Converting rows to topic files: ids given or made from the question,
//! clashes with each other and with the FAQ added to, one file per topic,
//! each rendered as TOML and parsed back to be sure it passes
//! `faqbot check`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::rows;
use super::{at_line, errors_only, truncate_chars, Format, DEFAULT_TOPIC};
use crate::faq::limits;
use crate::faq::parse_file;
use crate::faq::raw::{OutEntry, OutFile, OutTopic};
use crate::faq::slug::slugify;
use crate::faq::{Diagnostic, Severity};

/// An input converted: (file name, TOML text, entry count) per topic, and
/// the warnings.
#[derive(Debug)]
pub struct Converted {
    pub files: Vec<(String, String, usize)>,
    pub warnings: Vec<Diagnostic>,
}

/// The conversion itself, without files: input text -> (file name, TOML
/// text, entry count) per topic. `source` names the input in errors.
pub fn convert(text: &str, format: Format, source: &str) -> Result<Converted, Vec<Diagnostic>> {
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
) -> Result<Converted, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let rows = rows::read(text, format, source, &mut errors, &mut warnings);
    if rows.is_empty() && errors.is_empty() {
        errors.push(at_line(
            source,
            0,
            Severity::Error,
            "no rows to import".into(),
        ));
    }

    // Ids: given ones must be unique; missing ones come from the question.
    let mut used: HashSet<String> = rows.iter().filter_map(|r| r.id.clone()).collect();
    used.extend(existing.ids.keys().cloned());
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let mut topics: Vec<(String, Vec<OutEntry>)> = Vec::new();
    for row in rows {
        if let Some(file) = existing.topics.get(&row.topic.to_lowercase()) {
            errors.push(at_line(source, row.line, Severity::Error, format!(
                "topic `{}` is already in {}; add these rows to that file by hand, or name another topic",
                row.topic,
                file.display()
            )));
            continue;
        }
        let id = match &row.id {
            Some(id) => {
                if let Some(file) = existing.ids.get(id) {
                    errors.push(at_line(
                        source,
                        row.line,
                        Severity::Error,
                        format!(
                            "id `{id}` is already used in {}; give the row another id, or none",
                            file.display()
                        ),
                    ));
                    continue;
                }
                if let Some(first) = first_line.insert(id.clone(), row.line) {
                    errors.push(at_line(
                        source,
                        row.line,
                        Severity::Error,
                        format!("duplicate id `{id}` (first on line {first})"),
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
        let body = toml::to_string(&file).map_err(|e| {
            vec![at_line(
                source,
                0,
                Severity::Error,
                format!("cannot write TOML: {e}"),
            )]
        })?;
        let text = format!("# Imported from {source} by `faqbot import`.\n\n{body}");
        // What we write must pass `faqbot check`; say so if it would not.
        let (_, diags) = parse_file(&text, Path::new(&name));
        let problems = errors_only(diags);
        if !problems.is_empty() {
            return Err(problems);
        }
        files.push((name, text, n));
    }
    Ok(Converted { files, warnings })
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
        let errors = super::super::shown(
            &convert_after(clash, Format::Csv, "in.csv", &existing).expect_err("clashes"),
        );
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
        let errors =
            super::super::shown(&convert(input, Format::JsonLines, "in").expect_err("dup"));
        assert_eq!(errors, ["in:2: error: duplicate id `x` (first on line 1)"]);
    }
}
