//! What an error quotes of a server's answer: a short excerpt on one line, never a secret.
//!
//! A misbehaving server may echo the request, so anything quoted is first cleaned of the
//! client secret and of the tokens the call used, in every spelling JSON gives them.

use serde_json::Value;

use ingrid_types::Problem;

/// The longest piece of a response body an error quotes.
const EXCERPT_BYTES: usize = 300;

/// The most of an error body that is read; the rest is not waited for. A problem or an RFC 6749
/// error is a few hundred bytes; a gateway that answers with a whole file must not make the
/// client read it. One byte more is read, to know whether there was more.
pub(crate) const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// How far into a body secrets are looked for before an excerpt is cut from it: far enough
/// that whitespace folded away by [`one_line`] still leaves a full excerpt.
const EXCERPT_WINDOW: usize = 16 * 1024;

/// The shortest secret looked for in text. A real client secret or token is far longer; a
/// shorter one would be found inside ordinary words, garbling the message and, by where the
/// markers fall, telling the reader what the secret is.
const SHORTEST_REDACTED: usize = 8;

/// What replaces a secret.
const MARKER: &str = "[redacted]";

/// The secrets of a call, in every spelling a server's answer may hold them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Secrets {
    /// Longest first, so that where two start at the same place the longer one is found.
    spellings: Vec<String>,
}

impl Secrets {
    /// `secrets` as they are, as JSON escapes them, and with `/` escaped as JSON may (`\/`).
    /// Secrets shorter than [`SHORTEST_REDACTED`] bytes are not looked for.
    pub(crate) fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut spellings: Vec<String> = secrets
            .into_iter()
            .filter(|secret| secret.len() >= SHORTEST_REDACTED)
            .flat_map(|secret| {
                let json = serde_json::to_string(secret).unwrap_or_default();
                let json = json.trim_matches('"').to_owned();
                let slashed = json.replace('/', "\\/");
                [secret.to_owned(), json, slashed]
            })
            .collect();
        spellings.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        spellings.dedup();
        Self { spellings }
    }

    /// `text` with every secret replaced by a marker. Where two secrets overlap, the marker
    /// covers both; a marker is never searched again.
    pub(crate) fn redact(&self, text: String) -> String {
        let mut found: Vec<(usize, usize)> = self
            .spellings
            .iter()
            .flat_map(|spelling| {
                text.match_indices(spelling.as_str())
                    .map(|(start, matched)| (start, start + matched.len()))
            })
            .collect();
        if found.is_empty() {
            return text;
        }
        found.sort_unstable();

        let mut cleaned = String::with_capacity(text.len());
        let mut shown_up_to = 0;
        let mut spans = found.into_iter().peekable();
        while let Some((start, mut end)) = spans.next() {
            while let Some(&(next_start, next_end)) = spans.peek() {
                if next_start > end {
                    break;
                }
                end = end.max(next_end);
                spans.next();
            }
            if start >= shown_up_to {
                cleaned.push_str(&text[shown_up_to..start]);
                cleaned.push_str(MARKER);
            }
            shown_up_to = shown_up_to.max(end);
        }
        cleaned.push_str(&text[shown_up_to..]);
        cleaned
    }

    /// `problem` with every secret replaced, in each of its strings and in its unknown members
    /// (keys, strings, and numbers that spell one).
    pub(crate) fn redact_problem(&self, problem: Problem) -> Problem {
        let clean = |text: Option<String>| text.map(|text| self.redact(text));
        Problem {
            detail: clean(problem.detail),
            instance: clean(problem.instance),
            status: problem.status,
            title: clean(problem.title),
            type_: clean(problem.type_),
            extra: problem
                .extra
                .into_iter()
                .map(|(key, value)| (self.redact(key), self.redact_value(value)))
                .collect(),
        }
    }

    fn redact_value(&self, value: Value) -> Value {
        match value {
            Value::String(text) => Value::String(self.redact(text)),
            Value::Number(number) => {
                let text = number.to_string();
                let cleaned = self.redact(text.clone());
                if cleaned == text {
                    Value::Number(number)
                } else {
                    Value::String(cleaned)
                }
            }
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|item| self.redact_value(item))
                    .collect(),
            ),
            Value::Object(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(key, value)| (self.redact(key), self.redact_value(value)))
                    .collect(),
            ),
            other => other,
        }
    }

    /// The start of a body as text on one line, without any secret, cut on a character
    /// boundary, with its size when it was cut.
    ///
    /// Secrets are replaced before the text is cut, so that a cut never leaves the first half
    /// of one. Only the first [`EXCERPT_WINDOW`] bytes are looked at: a large body costs no
    /// more than a small one. A body read up to [`ERROR_BODY_LIMIT`] and one byte more is
    /// said to be longer.
    pub(crate) fn excerpt(&self, body: &[u8]) -> String {
        let cut_short = body.len() > EXCERPT_WINDOW;
        let mut window = &body[..body.len().min(EXCERPT_WINDOW)];
        if cut_short {
            // A character the window cuts in two would come out as U+FFFD, hiding what
            // precedes it from the search below: leave it out.
            if let Err(error) = std::str::from_utf8(window)
                && error.error_len().is_none()
            {
                window = &window[..error.valid_up_to()];
            }
        }
        let mut text = self.redact(String::from_utf8_lossy(window).into_owned());
        if cut_short {
            self.drop_started_secret(&mut text);
        }

        let mut text = one_line(&text);
        if !truncate(&mut text, EXCERPT_BYTES) && !cut_short {
            return text;
        }
        if body.len() > ERROR_BODY_LIMIT {
            format!("{text}... (more than {ERROR_BODY_LIMIT} bytes)")
        } else {
            format!("{text}... ({} bytes in all)", body.len())
        }
    }

    /// Removes from the end of `text` the start of a secret that the window cut off.
    fn drop_started_secret(&self, text: &mut String) {
        let started = self
            .spellings
            .iter()
            .flat_map(|spelling| {
                (1..spelling.len())
                    .filter(|&length| spelling.is_char_boundary(length))
                    .filter(|&length| text.ends_with(&spelling[..length]))
            })
            .max();
        if let Some(length) = started {
            text.truncate(text.len() - length);
        }
    }
}

/// `text` on one line, without control characters (a server's text may carry terminal
/// escapes or line breaks).
pub(crate) fn one_line(text: &str) -> String {
    let printable: String = text
        .chars()
        .map(|character| {
            if character.is_control() {
                ' '
            } else {
                character
            }
        })
        .collect();
    printable.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` cut to at most `limit` bytes on a character boundary, with `...` when it was cut.
pub(crate) fn cut(mut text: String, limit: usize) -> String {
    if truncate(&mut text, limit) {
        text.push_str("...");
    }
    text
}

/// Cuts `text` to at most `limit` bytes on a character boundary; whether it was longer.
fn truncate(text: &mut String, limit: usize) -> bool {
    if text.len() <= limit {
        return false;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_capped_on_a_character_boundary() {
        let body = "é".repeat(400);

        let cut = Secrets::default().excerpt(body.as_bytes());

        assert!(cut.len() < 400, "{}", cut.len());
        assert!(cut.ends_with("(800 bytes in all)"), "{cut}");
    }

    #[test]
    fn excerpts_are_one_line() {
        assert_eq!(
            Secrets::default().excerpt(b"<html>\n  <h1>Bad Gateway</h1>\n</html>\n"),
            "<html> <h1>Bad Gateway</h1> </html>"
        );
    }

    #[test]
    fn a_secret_across_the_cut_is_redacted_whole() {
        let secrets = Secrets::new(["s3cr3t-token-valué"]);
        for padding in [
            EXCERPT_BYTES - 5,
            EXCERPT_WINDOW - 5,
            EXCERPT_WINDOW - 18,
            EXCERPT_WINDOW + 5,
        ] {
            let body = format!("{}s3cr3t-token-valué tail", " ".repeat(padding));

            let cut = secrets.excerpt(body.as_bytes());

            assert!(!cut.contains("s3c"), "padding {padding}: {cut}");
        }
    }

    #[test]
    fn redaction_keeps_words_and_codes_whole_around_secrets() {
        let text = "invalid_client: Unknown client id or wrong client secret".to_owned();

        // Too short to be looked for: the message stays readable and betrays nothing.
        assert_eq!(Secrets::new(["e", "wrong"]).redact(text.clone()), text);
        assert_eq!(
            Secrets::new(["s3cr3t-value", "s3cr3t-value-x"])
                .redact("a s3cr3t-value-x and s3cr3t-value".to_owned()),
            "a [redacted] and [redacted]"
        );
        assert_eq!(
            Secrets::new(["redacted"]).redact("[redacted]".to_owned()),
            "[[redacted]]"
        );
    }

    #[test]
    fn overlapping_secrets_are_covered_by_one_marker() {
        let secrets = Secrets::new(["aaaaBBBB", "BBBBcccc"]);

        assert_eq!(
            secrets.redact("x aaaaBBBBcccc y".to_owned()),
            "x [redacted] y"
        );
    }

    #[test]
    fn json_spellings_of_a_secret_are_redacted_too() {
        let secrets = Secrets::new(["p+ss/w=rd\"x"]);

        for echoed in [r#"p+ss/w=rd"x"#, r#"p+ss/w=rd\"x"#, r#"p+ss\/w=rd\"x"#] {
            assert_eq!(secrets.redact(format!("got {echoed}.")), "got [redacted].");
        }
    }

    #[test]
    fn a_problem_is_redacted_member_by_member_whatever_the_types() {
        let secrets = Secrets::new(["123456789012", "tok\\en\"abcdef"]);
        let problem: Problem = serde_json::from_value(serde_json::json!({
            "title": "Forbidden",
            "detail": "token tok\\en\"abcdef lacks the contract",
            "token": 123456789012_u64,
            "seen": {"123456789012": ["tok\\en\"abcdef"]},
        }))
        .unwrap();

        let cleaned = serde_json::to_string(&secrets.redact_problem(problem)).unwrap();

        assert!(!cleaned.contains("123456789012"), "{cleaned}");
        assert!(!cleaned.contains("abcdef"), "{cleaned}");
        assert!(cleaned.contains("Forbidden"), "{cleaned}");
    }
}
