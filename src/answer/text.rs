//! Small text helpers for every audience: plural endings, text cut to a
//! length, and lines fitted into a message of limited size. One home for
//! each, so that the CLI, reload reports and the bot count alike.

/// "s" unless `n` is one: `format!("{n} file{}", plural(n))`.
pub fn plural<N: PartialEq + From<u8>>(n: N) -> &'static str {
    if n == N::from(1) {
        ""
    } else {
        "s"
    }
}

/// How many characters (not bytes) `s` has.
pub fn chars(s: &str) -> usize {
    s.chars().count()
}

/// `text` cut to at most `max` characters on a character boundary, with an
/// ellipsis when something was cut.
pub fn cut(text: &str, max: usize) -> String {
    if chars(text) <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A line of [`with_lines`] longer than this is cut, so that one long line
/// (a reload error, say) cannot crowd out the others.
pub const LINE_CHARS: usize = 300;

/// `head`, then `lines` in a code block, in at most `limit` characters:
/// the lines that do not fit are counted in a last "… and N more" line.
/// Also how `/faq-stats` fits its report in one message.
pub fn with_lines(head: &str, lines: &[String], limit: usize) -> String {
    const OPEN: &str = "\n```\n";
    const CLOSE: &str = "\n```";
    let head = cut(head, limit);
    if lines.is_empty() {
        return head;
    }
    let budget = limit.saturating_sub(chars(&head) + chars(OPEN) + chars(CLOSE));
    let body = fit_lines(lines, budget);
    if body.is_empty() {
        return head;
    }
    format!("{head}{OPEN}{body}{CLOSE}")
}

/// As many of `lines` as fit in `budget` characters (joined by newlines),
/// then "… and N more" for the rest. Each line is cut to [`LINE_CHARS`],
/// and a code fence in a line cannot close the block.
pub fn fit_lines(lines: &[String], budget: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for (i, line) in lines.iter().enumerate() {
        let line = cut(&line.replace("```", "'''"), LINE_CHARS);
        let sep = usize::from(i > 0);
        let left_after = lines.len() - i - 1;
        let reserve = if left_after > 0 {
            chars(&more(left_after)) + 1
        } else {
            0
        };
        if used + sep + chars(&line) + reserve > budget {
            let tail = more(lines.len() - i);
            if used + sep + chars(&tail) <= budget {
                if sep == 1 {
                    out.push('\n');
                }
                out.push_str(&tail);
            }
            return out;
        }
        if sep == 1 {
            out.push('\n');
        }
        out.push_str(&line);
        used += sep + chars(&line);
    }
    out
}

fn more(n: usize) -> String {
    format!("… and {n} more")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("faq/a.toml:{i}:1: error: bad"))
            .collect()
    }

    #[test]
    fn plural_endings_and_cuts_count_characters() {
        assert_eq!(plural(1usize), "");
        assert_eq!(plural(2u64), "s");
        assert_eq!(plural(0i64), "s");
        assert_eq!(cut("café au lait", 4), "caf…");
        assert_eq!(cut("café", 4), "café");
        assert_eq!(chars("é…"), 2);
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("ééééé", 3), "éé…");
        assert_eq!(cut("🛡️🛡️🛡️", 2).chars().count(), 2);
    }

    #[test]
    fn lines_fit_exactly_at_every_budget() {
        for n in 0..6 {
            let all = lines(n);
            for budget in 0..200 {
                let body = fit_lines(&all, budget);
                assert!(chars(&body) <= budget, "n {n} budget {budget}: {body:?}");
                let shown = body.lines().filter(|l| l.starts_with("faq/")).count();
                if shown < n && !body.is_empty() {
                    assert!(body.ends_with(&more(n - shown)), "{body:?}");
                }
                if chars(&all.join("\n")) <= budget {
                    assert_eq!(body, all.join("\n"));
                }
            }
        }
    }

    #[test]
    fn long_lines_and_fences_cannot_break_the_block() {
        let text = with_lines("head", &["x".repeat(5000), "a ``` b".into()], 2000);
        assert!(text.chars().count() <= 2000);
        assert_eq!(text.matches("```").count(), 2, "{text}");
        assert!(text.contains("a ''' b"));
    }
}
