//! Problems found in FAQ files, each with its file, line and column and a
//! message written for the moderator who has to fix it.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A 1-based line and column (the column counts characters, not bytes;
/// 0: the whole line, as for a row of a CSV or JSON-lines file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub line: usize,
    pub col: usize,
}

impl Position {
    pub const START: Position = Position { line: 1, col: 1 };

    /// The whole of `line`; `None` for line 0 (no line known).
    pub fn line(line: usize) -> Option<Position> {
        (line > 0).then_some(Position { line, col: 0 })
    }

    /// The position of byte `offset` in `text` (clamped to the text and
    /// moved back to a character boundary).
    pub fn of_offset(text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        Position { line, col }
    }
}

/// Where each line of a text starts, for turning many byte offsets into
/// positions without rescanning the text each time (a 10,000-entry file
/// would otherwise take quadratic time).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The same as [`Position::of_offset`], in logarithmic time plus the
    /// length of one line.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        Position {
            line,
            col: text[start..offset].chars().count() + 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// `None` for a problem with the file or directory as a whole.
    pub pos: Option<Position>,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    pub fn error(file: &Path, pos: Position, message: impl Into<String>) -> Self {
        Self::new(file, Some(pos), Severity::Error, message)
    }

    pub fn warning(file: &Path, pos: Position, message: impl Into<String>) -> Self {
        Self::new(file, Some(pos), Severity::Warning, message)
    }

    /// A problem with a whole file or directory (no line to point at).
    pub fn file_error(file: &Path, message: impl Into<String>) -> Self {
        Self::new(file, None, Severity::Error, message)
    }

    pub fn new(
        file: &Path,
        pos: Option<Position>,
        severity: Severity,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            pos,
            severity,
            message: message.into(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.file.display())?;
        match self.pos {
            Some(Position { line, col: 0 }) => write!(f, "{line}:")?,
            Some(Position { line, col }) => write!(f, "{line}:{col}:")?,
            None => {}
        }
        write!(f, " {}: {}", self.severity, self.message)
    }
}

/// Counts of errors and warnings, for the summary line.
pub fn summary(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    (errors, diagnostics.len() - errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_character_columns() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(Position::of_offset(text, 0), Position { line: 1, col: 1 });
        assert_eq!(Position::of_offset(text, 6), Position { line: 2, col: 1 });
        // 'é' is two bytes; the '=' after "bé " is the 4th character.
        assert_eq!(Position::of_offset(text, 10), Position { line: 2, col: 4 });
        // Inside a multi-byte character: moved back to its start.
        assert_eq!(Position::of_offset(text, 8), Position { line: 2, col: 2 });
        assert_eq!(Position::of_offset(text, 999).line, 3);
        let lines = LineIndex::new(text);
        for offset in 0..=text.len() + 3 {
            assert_eq!(
                lines.position(text, offset),
                Position::of_offset(text, offset),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn display_is_file_line_col_severity_message() {
        let d = Diagnostic::error(Path::new("faq/a.toml"), Position { line: 3, col: 7 }, "bad");
        assert_eq!(d.to_string(), "faq/a.toml:3:7: error: bad");
        let d = Diagnostic::file_error(Path::new("faq"), "empty");
        assert_eq!(d.to_string(), "faq: error: empty");
    }
}
