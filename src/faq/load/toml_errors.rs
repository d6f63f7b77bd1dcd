//! The wording of TOML syntax errors: toml's error -> the byte offset it
//! points at and a message that says what to do. (toml 0.9 says only
//! "duplicate key"; the key and its table are named here, as 0.8 did.)

use std::ops::Range;

/// Where `e` (from parsing `text`) points, as a byte offset, and what to
/// tell the moderator about it.
pub(super) fn explain(text: &str, e: &toml::de::Error) -> (usize, String) {
    let offset = e.span().map_or(0, |s| s.start);
    let message = match e.span() {
        Some(span) if e.message() == "duplicate key" => name_duplicate_key(text, span),
        _ => e.message().to_string(),
    };
    (offset, explain_toml_error(&message))
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

#[cfg(test)]
mod tests {
    use super::super::parse::parse_shown as parse;

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
}
