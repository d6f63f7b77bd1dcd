//! Where a store is: a SQLite file or a PostgreSQL database. One parser
//! ([`Location::parse`]) reads both the config's `[store]` table and the
//! command line's `--store`, and a database address never shows its
//! password: [`DbUrl`] prints itself [`redacted`](DbUrl::redacted)
//! everywhere (Display, Debug, errors, logs).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The schemes that select PostgreSQL (as tokio-postgres reads them).
const POSTGRES_SCHEMES: [&str; 2] = ["postgres://", "postgresql://"];

/// What stands for a password wherever an address is shown.
const HIDDEN: &str = "***";

/// Where the store's database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file, relative to the working directory.
    Sqlite(PathBuf),
    /// A PostgreSQL database, shared by any number of processes.
    Postgres(DbUrl),
}

/// Why a store address cannot be used. Its message never holds a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    #[error("the store's location is empty (write a file name, or a postgres:// address)")]
    Empty,
    #[error("{shown}: unsupported scheme `{scheme}`: the store is a SQLite file or a postgres:// (postgresql://) address")]
    Scheme { shown: String, scheme: String },
    #[error("{shown}: not a valid PostgreSQL address: {reason}")]
    Invalid { shown: String, reason: String },
}

impl Location {
    /// Reads a store location: `postgres://…` or `postgresql://…` is a
    /// PostgreSQL database (checked here, so that a typo is said at once);
    /// any other text without a scheme is a SQLite file.
    pub fn parse(text: &str) -> Result<Location, LocationError> {
        if text.is_empty() {
            return Err(LocationError::Empty);
        }
        if POSTGRES_SCHEMES.iter().any(|s| text.starts_with(s)) {
            return DbUrl::parse(text).map(Location::Postgres);
        }
        if let Some((scheme, _)) = text.split_once("://") {
            let plausible = !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
            if plausible {
                return Err(LocationError::Scheme {
                    shown: redact(text),
                    scheme: scheme.to_string(),
                });
            }
        }
        Ok(Location::Sqlite(PathBuf::from(text)))
    }

    /// The SQLite file, if it is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Location::Sqlite(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }
}

impl FromStr for Location {
    type Err = LocationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Location::parse(s)
    }
}

impl fmt::Display for Location {
    /// The file's path, or the address without its password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => fmt::Display::fmt(url, f),
        }
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Location {
        Location::Sqlite(path.to_path_buf())
    }
}

impl From<&PathBuf> for Location {
    fn from(path: &PathBuf) -> Location {
        Location::Sqlite(path.clone())
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Location {
        Location::Sqlite(path)
    }
}

impl From<&Location> for Location {
    fn from(location: &Location) -> Location {
        location.clone()
    }
}

/// A PostgreSQL address, checked by tokio-postgres's own parser. Shown
/// (Display and Debug) without its password; only [`DbUrl::expose`]
/// gives the whole text, to connect with.
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl(String);

impl DbUrl {
    /// Checks `text` as a PostgreSQL address.
    pub fn parse(text: &str) -> Result<DbUrl, LocationError> {
        match tokio_postgres::Config::from_str(text) {
            Ok(_) => Ok(DbUrl(text.to_string())),
            // tokio-postgres names the bad option, never its value.
            Err(e) => Err(LocationError::Invalid {
                shown: redact(text),
                reason: e.to_string(),
            }),
        }
    }

    /// The address as written, password included: only for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The address with its password replaced by `***`.
    pub fn redacted(&self) -> String {
        redact(&self.0)
    }

    /// tokio-postgres's config for this address.
    pub(crate) fn config(&self) -> Result<tokio_postgres::Config, tokio_postgres::Error> {
        tokio_postgres::Config::from_str(&self.0)
    }
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbUrl({:?})", self.redacted())
    }
}

/// `text` with the password of an address (`scheme://user:PASSWORD@host`,
/// and any `password=` parameter) replaced by `***`. When in doubt it
/// hides more: the credentials end at the last `@` before the query, so
/// a password holding `@` or `/` is hidden whole.
fn redact(text: &str) -> String {
    let Some(scheme_end) = text.find("://").map(|i| i + 3) else {
        return text.to_string();
    };
    let (scheme, rest) = text.split_at(scheme_end);
    let (before_query, query) = match rest.find('?') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let mut out = String::from(scheme);
    match before_query.rfind('@') {
        Some(at) => {
            let (credentials, host) = before_query.split_at(at);
            match credentials.split_once(':') {
                Some((user, _password)) => {
                    out.push_str(user);
                    out.push(':');
                    out.push_str(HIDDEN);
                }
                None => out.push_str(credentials),
            }
            out.push_str(host);
        }
        None => out.push_str(before_query),
    }
    if let Some(params) = query.strip_prefix('?') {
        out.push('?');
        let shown: Vec<String> = params
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                    format!("{key}={HIDDEN}")
                }
                _ => param.to_string(),
            })
            .collect();
        out.push_str(&shown.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_never_shown() {
        let cases = [
            (
                "postgres://faqbot:s3cret@db.internal:5432/faqbot",
                "postgres://faqbot:***@db.internal:5432/faqbot",
            ),
            (
                "postgresql://u:p%40ss@h/db?sslmode=disable",
                "postgresql://u:***@h/db?sslmode=disable",
            ),
            // An unencoded @ or / in the password: hidden whole.
            ("postgres://u:p@ss/w@h/db", "postgres://u:***@h/db"),
            (
                "postgres://h/db?user=u&password=s3cret&application_name=x",
                "postgres://h/db?user=u&password=***&application_name=x",
            ),
            // No password: nothing to hide.
            ("postgres://u@h/db", "postgres://u@h/db"),
            (
                "postgres://h:5432,h2:5433/db",
                "postgres://h:5432,h2:5433/db",
            ),
            ("faqbot.db", "faqbot.db"),
        ];
        for (text, shown) in cases {
            assert_eq!(redact(text), shown, "{text}");
        }
        let url = DbUrl::parse("postgres://faqbot:s3cret@localhost/faqbot").expect("valid");
        for printed in [
            url.to_string(),
            format!("{url:?}"),
            format!("{:?}", Location::Postgres(url.clone())),
            Location::Postgres(url.clone()).to_string(),
        ] {
            assert!(!printed.contains("s3cret"), "{printed}");
            assert!(printed.contains("faqbot:***@localhost"), "{printed}");
        }
        assert_eq!(url.expose(), "postgres://faqbot:s3cret@localhost/faqbot");
    }

    #[test]
    fn a_location_is_a_file_or_a_postgres_address() {
        assert_eq!(
            Location::parse("faqbot.db"),
            Ok(Location::Sqlite("faqbot.db".into()))
        );
        assert_eq!(
            Location::parse("/var/lib/faqbot/q.db"),
            Ok(Location::Sqlite("/var/lib/faqbot/q.db".into()))
        );
        for url in ["postgres://u:pw@h:5432/db", "postgresql://h/db"] {
            let Ok(Location::Postgres(parsed)) = Location::parse(url) else {
                panic!("{url} is a postgres address")
            };
            assert_eq!(parsed.expose(), url);
        }
        assert_eq!(Location::parse(""), Err(LocationError::Empty));
        let e = Location::parse("mysql://u:pw@h/db").expect_err("not supported");
        assert!(e.to_string().contains("unsupported scheme `mysql`"), "{e}");
        assert!(!e.to_string().contains("pw"), "{e}");
        let e = Location::parse("postgres://u:s3cret@h:port/db").expect_err("bad port");
        let message = e.to_string();
        assert!(
            message.contains("not a valid PostgreSQL address"),
            "{message}"
        );
        assert!(message.contains("port"), "{message}");
        assert!(!message.contains("s3cret"), "{message}");
    }
}
