//! Where log lines go and what they must never hold: the `tracing`
//! subscriber the binary installs (stderr, the level from `RUST_LOG` or the
//! command line), and the redaction of credentials in every line written.
//!
//! At debug level serenity and its HTTP client log request URLs, headers and
//! gateway payloads. An interaction's token is in its callback and webhook
//! URLs and in the gateway payload, and it lets anyone answer or edit the
//! reply for 15 minutes; the bot token is in IDENTIFY and the
//! `Authorization` header. [`redact`] replaces each with `[redacted]`
//! before the line reaches the terminal or a log collector.

use std::io::{self, IsTerminal, Write};
use std::sync::LazyLock;

use regex::Regex;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// What replaces a credential.
pub const REDACTED: &str = "[redacted]";

/// Credentials in the shapes Discord's API and serenity's logs carry them.
static CREDENTIALS: LazyLock<[(Regex, &'static str); 4]> = LazyLock::new(|| {
    let re = |pattern: &str| Regex::new(pattern).expect("static regex");
    [
        // /interactions/{id}/{token}/callback and /webhooks/{app id}/{token}
        (
            re(r"(/(?:interactions|webhooks)/\d+/)[A-Za-z0-9_.\-]+"),
            "${1}[redacted]",
        ),
        // "token": "…" in JSON payloads (interactions, IDENTIFY, RESUME),
        // also as serenity's Debug output prints it (token: "…").
        (re(r#"("?token"?\s*[:=]\s*)"[^"]*""#), "${1}\"[redacted]\""),
        // Authorization headers: "Bot …", "Bearer …".
        (
            re(r#"(?i)((?:authorization|auth)"?\s*[:=]\s*"?(?:Bot|Bearer)\s+)[^"\s,}]+"#),
            "${1}[redacted]",
        ),
        // A bare bot token: three base64url parts, as Discord issues them.
        (
            re(r"\b[A-Za-z0-9_\-]{23,28}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,}"),
            "[redacted]",
        ),
    ]
});

/// `line` with every credential it holds replaced by [`REDACTED`].
pub fn redact(line: &str) -> std::borrow::Cow<'_, str> {
    let mut out = std::borrow::Cow::Borrowed(line);
    for (pattern, replacement) in CREDENTIALS.iter() {
        if pattern.is_match(&out) {
            out = std::borrow::Cow::Owned(pattern.replace_all(&out, *replacement).into_owned());
        }
    }
    out
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One readable line per event (coloured on a terminal).
    Text,
    /// One JSON object per line: timestamp, level, target, fields.
    Json,
}

/// Installs the subscriber: `RUST_LOG` if set, else `default_level`; lines
/// go to stderr, redacted, as `format` says.
pub fn init(default_level: &str, format: Format) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Redacting(io::stderr));
    match format {
        Format::Text => builder.with_ansi(io::stderr().is_terminal()).init(),
        Format::Json => builder.json().with_ansi(false).init(),
    }
}

/// A [`MakeWriter`] whose writers redact what they are given.
#[derive(Clone, Copy)]
pub struct Redacting<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            inner: self.0.make_writer(),
            buf: Vec::new(),
        }
    }
}

/// Collects one event's text and writes it, redacted, when dropped (the
/// formatter makes one writer per event).
pub struct RedactingWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let text = String::from_utf8_lossy(&self.buf);
            self.inner.write_all(redact(&text).as_bytes())?;
            self.buf.clear();
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        // Nowhere to report a failed log write.
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interaction_tokens_in_urls_are_redacted() {
        let line = "POST https://discord.com/api/v10/interactions/1234567890/aW50ZXJhY3Rpb246MTIz.abc-_/callback";
        assert_eq!(
            redact(line),
            "POST https://discord.com/api/v10/interactions/1234567890/[redacted]/callback"
        );
        let line = "PATCH /api/v10/webhooks/1100000000000000001/fake-token-77/messages/@original";
        assert_eq!(
            redact(line),
            "PATCH /api/v10/webhooks/1100000000000000001/[redacted]/messages/@original"
        );
    }

    #[test]
    fn tokens_in_payloads_and_headers_are_redacted() {
        let line = r#"{"id":"9","token":"fake-token-9","type":2}"#;
        assert_eq!(redact(line), r#"{"id":"9","token":"[redacted]","type":2}"#);
        let line = r#"Interaction { id: 9, token: "fake-token-9", kind: Command }"#;
        assert_eq!(
            redact(line),
            r#"Interaction { id: 9, token: "[redacted]", kind: Command }"#
        );
        let line = r#"headers: {"authorization": "Bot abc.def.ghi"}"#;
        assert_eq!(
            redact(line),
            r#"headers: {"authorization": "Bot [redacted]"}"#
        );
        let bare = "MTEwMDAwMDAwMDAwMDAwMDAx.Gx7Yzq.s3cr3t-t0ken-that-must-never-be-logged";
        assert_eq!(redact(&format!("token is {bare}!")), "token is [redacted]!");
    }

    #[test]
    fn ordinary_lines_are_left_alone() {
        for line in [
            "question handled trigger=\"slash\" outcome=\"answer\" latency_us=783",
            "shard 0 connected, session token bucket refilled",
            "the FAQ in faq has 49 entries",
        ] {
            assert_eq!(redact(line), line);
        }
    }

    #[test]
    fn the_writer_redacts_what_the_formatter_writes() {
        #[derive(Clone, Default)]
        struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Sink {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0
                    .lock()
                    .map_err(|_| io::ErrorKind::Other)?
                    .extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let sink = Sink::default();
        let make = Redacting({
            let sink = sink.clone();
            move || sink.clone()
        });
        let subscriber = tracing_subscriber::fmt()
            .with_writer(make)
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(url = "/interactions/5/fake-token-5/callback", "request");
        });
        let written = String::from_utf8(sink.0.lock().expect("sink").clone()).expect("utf-8");
        assert!(
            written.contains("/interactions/5/[redacted]/callback"),
            "{written}"
        );
        assert!(!written.contains("fake-token-5"), "{written}");
    }
}
