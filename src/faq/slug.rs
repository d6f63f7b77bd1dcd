//! Slugs: the form of entry ids (lowercase ASCII letters, digits, '-' and
//! '_'), the check that an id is one, and the slug made from any text, for
//! suggestions and for ids and file names made by `faqbot import`.

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
}
