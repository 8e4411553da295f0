//! Faults the sandbox injects on purpose, so that a client's retries, token refresh and error
//! handling can be tested against answers Ingrid gives only on a bad day: [`Faults`], its text
//! form, and the counters that decide which request meets which fault.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};

use crate::error::SandboxError;
use crate::responses::{self, Body};

/// `Retry-After` seconds of a 429 answer when [`Faults::retry_after`] is not set.
const DEFAULT_RATE_LIMIT_RETRY_AFTER: u32 = 1;

/// The fault names of the text form, in the order [`Faults`]'s `Display` writes them.
const NAMES: [&str; 9] = [
    TOKEN_LIFETIME,
    REVOKE_EVERY,
    RATE_LIMIT_EVERY,
    RETRY_AFTER,
    UNAVAILABLE,
    SLOW,
    SLOW_EVERY,
    TRUNCATE_EVERY,
    TOKEN_OUTAGE,
];
const TOKEN_LIFETIME: &str = "token-lifetime";
const REVOKE_EVERY: &str = "revoke-every";
const RATE_LIMIT_EVERY: &str = "rate-limit-every";
const RETRY_AFTER: &str = "retry-after";
const UNAVAILABLE: &str = "unavailable";
const SLOW: &str = "slow";
const SLOW_EVERY: &str = "slow-every";
const TRUNCATE_EVERY: &str = "truncate-every";
const TOKEN_OUTAGE: &str = "token-outage";

/// The faults a sandbox injects, chosen per run with
/// [`SandboxBuilder::faults`](crate::SandboxBuilder::faults); by default
/// (`Faults::default()`, or [`Faults::none`]) there are none.
///
/// Each setter turns one fault mode on; where it takes a count or a delay, 0 turns the mode back
/// off. Modes combine, and on the same resource request apply in this order: a slow answer
/// waits first, then a revocation revokes the tokens, then a 503 burst answers, else a 429
/// answers, else the request is checked and answered as usual (401, 400, 403 or success), and a
/// success answer may then be truncated.
///
/// # Which request meets which fault
///
/// Every fault is deterministic, driven by counters rather than chance, so that a test knows
/// which request meets which fault. Each counter counts from 1 when the sandbox starts, in the
/// order requests arrive (concurrent clients share them):
/// - **resource requests**, every request routed to an operation of the specs whatever its
///   answer (404 and 405 answers are not counted), drive revocation, 429, 503 and slow answers;
/// - **success answers** to resource requests drive truncation, so that the N-th good answer is
///   cut whatever failed in between;
/// - **token requests**, every `POST /oauth2/token`, drive the token outage.
///
/// # Text form
///
/// `ingrid sandbox serve --faults` and `INGRID_SANDBOX_FAULTS` take the same faults as
/// comma-separated `name=value` items, in any order, parsed by [`FromStr`] and written back by
/// [`Display`](fmt::Display); an empty text or `none` means no faults. Durations are a whole
/// number with a unit: `ms`, `s`, `m` or `h` (`500ms`, `5s`, `2m`).
///
/// | item | effect |
/// |---|---|
/// | `token-lifetime=5s` | tokens expire after 5 s (whole seconds), overriding the builder |
/// | `revoke-every=10` | every 10th resource request first revokes every issued token |
/// | `rate-limit-every=5` | every 5th resource request gets 429 with `Retry-After` |
/// | `retry-after=2` | `Retry-After` of 429 answers (default 1), also sent with 503 answers |
/// | `unavailable=3/10` | of every 10 resource requests, the first 3 get 503 |
/// | `slow=500ms` | resource answers are delayed this long |
/// | `slow-every=3` | only every 3rd resource answer is delayed (needs `slow`; default 1) |
/// | `truncate-every=7` | every 7th success answer has its JSON body cut in half |
/// | `token-outage=2` | the first 2 token requests get 503 `temporarily_unavailable` |
///
/// # Example
///
/// ```
/// use std::time::Duration;
///
/// use ingrid_sandbox::{Faults, Sandbox};
///
/// let faults = Faults::none().rate_limit_every(5).retry_after(2).unavailable(3, 10);
/// assert_eq!(faults.to_string(), "rate-limit-every=5,retry-after=2,unavailable=3/10");
///
/// let parsed: Faults = "slow=500ms,truncate-every=7".parse()?;
/// assert_eq!(parsed, Faults::none().slow(Duration::from_millis(500), 1).truncate_every(7));
///
/// let sandbox = Sandbox::builder().faults(parsed).build()?;
/// # let _ = sandbox;
/// # Ok::<(), ingrid_sandbox::SandboxError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Faults {
    token_lifetime: Option<Duration>,
    revoke_every: Option<NonZeroU32>,
    rate_limit_every: Option<NonZeroU32>,
    retry_after: Option<u32>,
    unavailable: Option<Burst>,
    slow: Option<Slow>,
    truncate_every: Option<NonZeroU32>,
    token_outage: Option<NonZeroU32>,
}

/// Of every `period` resource requests, the first `length` get 503.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Burst {
    length: NonZeroU32,
    /// May be smaller than `length` when set through the API; [`Faults::check`] refuses it.
    period: u32,
}

/// Every `every`-th resource answer waits `delay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slow {
    delay: Duration,
    every: NonZeroU32,
}

impl Faults {
    /// No faults: the sandbox behaves like a healthy Ingrid. The same as `Faults::default()`.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether no fault mode is on.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Issued tokens expire after `lifetime`, and the token response's `expires_in` says so; this
    /// replaces [`SandboxBuilder::token_lifetime`](crate::SandboxBuilder::token_lifetime), so
    /// that a run can shorten it from the text form. `lifetime` must be whole seconds, at least
    /// one, since `expires_in` cannot tell a client less. Off by default.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = Some(lifetime);
        self
    }

    /// Every `every`-th resource request first revokes every token issued so far, so that this
    /// request, and later ones with an old token, get 401 with `WWW-Authenticate: Bearer
    /// error="invalid_token"` until the client fetches a new token. 0 turns it off, the default.
    pub fn revoke_every(mut self, every: u32) -> Self {
        self.revoke_every = NonZeroU32::new(every);
        self
    }

    /// Every `every`-th resource request gets 429 Too Many Requests, a problem+json body and
    /// `Retry-After` ([`retry_after`](Self::retry_after) seconds, 1 by default). 0 turns it off,
    /// the default.
    pub fn rate_limit_every(mut self, every: u32) -> Self {
        self.rate_limit_every = NonZeroU32::new(every);
        self
    }

    /// The `Retry-After` seconds of injected answers: 429 answers send it (1 when not set), and
    /// 503 answers, of resources and of the token endpoint, send it only when it is set. Not set
    /// by default; [`build`](crate::SandboxBuilder::build) refuses it without a fault that
    /// answers 429 or 503.
    pub fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Bursts of 503 Service Unavailable with a problem+json body: of every `period` resource
    /// requests, the first `length` get 503 (requests 1 to `length`, then `period + 1` to
    /// `period + length`, ...). A `length` of 0 turns it off, the default;
    /// [`build`](crate::SandboxBuilder::build) refuses a `period` shorter than `length`.
    pub fn unavailable(mut self, length: u32, period: u32) -> Self {
        self.unavailable = NonZeroU32::new(length).map(|length| Burst { length, period });
        self
    }

    /// Every `every`-th resource answer (every answer for 1) is sent `delay` late, waited with
    /// tokio's clock so that tests on paused time do not really wait. A zero `delay` or `every`
    /// turns it off, the default; `delay` must be whole milliseconds.
    pub fn slow(mut self, delay: Duration, every: u32) -> Self {
        self.slow = NonZeroU32::new(every)
            .filter(|_| !delay.is_zero())
            .map(|every| Slow { delay, every });
        self
    }

    /// Every `every`-th success answer to a resource request has its JSON body cut in half,
    /// with a `Content-Length` that matches the cut body, so the client gets invalid JSON rather
    /// than a broken connection. Only success answers are counted. 0 turns it off, the default.
    pub fn truncate_every(mut self, every: u32) -> Self {
        self.truncate_every = NonZeroU32::new(every);
        self
    }

    /// The token endpoint's first `requests` requests get 503 with the RFC 6749 error
    /// `temporarily_unavailable`, as while an authorization server restarts; later ones are
    /// answered as usual. 0 turns it off, the default.
    pub fn token_outage(mut self, requests: u32) -> Self {
        self.token_outage = NonZeroU32::new(requests);
        self
    }

    /// The token lifetime this spec sets, if any.
    pub(crate) fn lifetime(&self) -> Option<Duration> {
        self.token_lifetime
    }

    /// Refuses faults that cannot work as documented, naming the item in its text form.
    pub(crate) fn check(&self) -> Result<(), SandboxError> {
        let refuse = |item: String, reason: &str| {
            Err(SandboxError::Fault {
                item,
                reason: reason.to_owned(),
            })
        };

        if let Some(lifetime) = self.token_lifetime
            && (lifetime < Duration::from_secs(1) || lifetime.subsec_nanos() > 0)
        {
            return refuse(
                format!("{TOKEN_LIFETIME}={}", DurationText(lifetime)),
                "the lifetime must be whole seconds, at least 1s, as `expires_in` tells it",
            );
        }
        if let Some(burst) = self.unavailable
            && burst.period < burst.length.get()
        {
            return refuse(
                format!("{UNAVAILABLE}={}/{}", burst.length, burst.period),
                "the burst cannot be longer than its period; write LENGTH/PERIOD, as in 3/10",
            );
        }
        if let Some(slow) = self.slow
            && !slow.delay.subsec_nanos().is_multiple_of(1_000_000)
        {
            return refuse(
                format!("{SLOW}={}", DurationText(slow.delay)),
                "the delay must be whole milliseconds",
            );
        }
        let answers_429_or_503 = self.rate_limit_every.is_some()
            || self.unavailable.is_some()
            || self.token_outage.is_some();
        if let Some(seconds) = self.retry_after
            && !answers_429_or_503
        {
            return refuse(
                format!("{RETRY_AFTER}={seconds}"),
                "it needs rate-limit-every, unavailable or token-outage, whose answers carry it",
            );
        }
        Ok(())
    }
}

impl fmt::Display for Faults {
    /// The text form, items in a fixed order; `none` when there are no faults.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut items: Vec<String> = Vec::new();
        if let Some(lifetime) = self.token_lifetime {
            items.push(format!("{TOKEN_LIFETIME}={}", DurationText(lifetime)));
        }
        if let Some(every) = self.revoke_every {
            items.push(format!("{REVOKE_EVERY}={every}"));
        }
        if let Some(every) = self.rate_limit_every {
            items.push(format!("{RATE_LIMIT_EVERY}={every}"));
        }
        if let Some(seconds) = self.retry_after {
            items.push(format!("{RETRY_AFTER}={seconds}"));
        }
        if let Some(burst) = self.unavailable {
            items.push(format!("{UNAVAILABLE}={}/{}", burst.length, burst.period));
        }
        if let Some(slow) = self.slow {
            items.push(format!("{SLOW}={}", DurationText(slow.delay)));
            if slow.every.get() != 1 {
                items.push(format!("{SLOW_EVERY}={}", slow.every));
            }
        }
        if let Some(every) = self.truncate_every {
            items.push(format!("{TRUNCATE_EVERY}={every}"));
        }
        if let Some(requests) = self.token_outage {
            items.push(format!("{TOKEN_OUTAGE}={requests}"));
        }

        if items.is_empty() {
            formatter.write_str("none")
        } else {
            formatter.write_str(&items.join(","))
        }
    }
}

impl FromStr for Faults {
    type Err = SandboxError;

    /// Parses the text form described on [`Faults`].
    ///
    /// # Errors
    ///
    /// [`SandboxError::Fault`], naming the item as written, for an unknown name, an item given
    /// twice, a value that does not parse or is out of range, or an item that needs another
    /// (`slow-every` without `slow`, `retry-after` without a fault that answers 429 or 503).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.is_empty() || text == "none" {
            return Ok(Self::none());
        }

        let mut faults = Self::none();
        let mut seen: Vec<&str> = Vec::new();
        let mut slow_delay = None;
        let mut slow_every = None;
        for item in text.split(',').map(str::trim) {
            let refuse = |reason: String| SandboxError::Fault {
                item: item.to_owned(),
                reason,
            };
            if item.is_empty() {
                // An empty item cannot be shown; the whole text can.
                return Err(SandboxError::Fault {
                    item: text.to_owned(),
                    reason: "it has an empty item; separate faults with single commas".to_owned(),
                });
            }
            let Some((name, value)) = item.split_once('=') else {
                return Err(refuse(format!("write it as NAME=VALUE; {}", known_names())));
            };
            let (name, value) = (name.trim(), value.trim());
            if seen.contains(&name) {
                return Err(refuse(format!("`{name}` is given more than once")));
            }

            match name {
                TOKEN_LIFETIME => {
                    faults = faults.token_lifetime(duration(value).map_err(refuse)?);
                }
                REVOKE_EVERY => faults = faults.revoke_every(count(value).map_err(refuse)?),
                RATE_LIMIT_EVERY => {
                    faults = faults.rate_limit_every(count(value).map_err(refuse)?);
                }
                RETRY_AFTER => faults = faults.retry_after(seconds(value).map_err(refuse)?),
                UNAVAILABLE => {
                    let (length, period) = value
                        .split_once('/')
                        .ok_or_else(|| refuse("expected LENGTH/PERIOD, as in 3/10".to_owned()))?;
                    let length = count(length.trim()).map_err(refuse)?;
                    let period = count(period.trim()).map_err(refuse)?;
                    faults = faults.unavailable(length, period);
                }
                SLOW => slow_delay = Some(duration(value).map_err(refuse)?),
                SLOW_EVERY => slow_every = Some((count(value).map_err(refuse)?, item)),
                TRUNCATE_EVERY => faults = faults.truncate_every(count(value).map_err(refuse)?),
                TOKEN_OUTAGE => faults = faults.token_outage(count(value).map_err(refuse)?),
                _ => return Err(refuse(format!("unknown fault `{name}`; {}", known_names()))),
            }
            seen.push(name);
        }

        match (slow_delay, slow_every) {
            (Some(delay), every) => {
                faults = faults.slow(delay, every.map_or(1, |(every, _)| every))
            }
            (None, Some((_, item))) => {
                return Err(SandboxError::Fault {
                    item: item.to_owned(),
                    reason: "it needs `slow=DURATION`, the delay to apply".to_owned(),
                });
            }
            (None, None) => {}
        }
        faults.check()?;
        Ok(faults)
    }
}

fn known_names() -> String {
    format!("the faults are {}", NAMES.join(", "))
}

/// A whole number of at least 1.
fn count(text: &str) -> Result<u32, String> {
    match digits(text)? {
        0 => Err(format!(
            "`{text}` must be at least 1; leave the item out to turn it off"
        )),
        value => u32::try_from(value).map_err(|_| format!("`{text}` is too large")),
    }
}

/// Whole seconds, as in a `Retry-After` header.
fn seconds(text: &str) -> Result<u32, String> {
    let value = digits(text).map_err(|_| {
        format!("`{text}` is not whole seconds; write the number alone, as in retry-after=2")
    })?;
    u32::try_from(value).map_err(|_| format!("`{text}` is too large"))
}

/// A whole number and a unit, `ms`, `s`, `m` or `h`, more than zero.
fn duration(text: &str) -> Result<Duration, String> {
    let unit_start = text
        .find(|character: char| !character.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(unit_start);
    let expected = || format!("`{text}` is not a duration; write a number and ms, s, m or h");
    let too_large = || format!("`{text}` is too large");
    if number.is_empty() {
        return Err(expected());
    }
    // Only digits are left, so the number can only be too large.
    let number = digits(number).map_err(|_| too_large())?;

    let duration = match unit {
        "ms" => Duration::from_millis(number),
        "s" => Duration::from_secs(number),
        "m" => Duration::from_secs(number.checked_mul(60).ok_or_else(too_large)?),
        "h" => Duration::from_secs(number.checked_mul(3600).ok_or_else(too_large)?),
        _ => return Err(expected()),
    };
    if duration.is_zero() {
        return Err(format!(
            "`{text}` must be more than zero; leave the item out to turn it off"
        ));
    }
    Ok(duration)
}

/// ASCII digits only: `u64::from_str` would also take a sign.
fn digits(text: &str) -> Result<u64, String> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(format!("`{text}` is not a whole number"));
    }
    text.parse().map_err(|_| format!("`{text}` is too large"))
}

/// A duration in the largest unit of the text form that writes it exactly.
struct DurationText(Duration);

impl fmt::Display for DurationText {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        if !self.0.subsec_nanos().is_multiple_of(1_000_000) {
            // Not expressible; only reachable for faults that `check` refuses.
            write!(formatter, "{}ns", self.0.as_nanos())
        } else if millis.is_multiple_of(3_600_000) && millis > 0 {
            write!(formatter, "{}h", millis / 3_600_000)
        } else if millis.is_multiple_of(60_000) && millis > 0 {
            write!(formatter, "{}m", millis / 60_000)
        } else if millis.is_multiple_of(1000) {
            write!(formatter, "{}s", millis / 1000)
        } else {
            write!(formatter, "{millis}ms")
        }
    }
}

/// The faults of a running sandbox and the counters that drive them.
#[derive(Debug)]
pub(crate) struct FaultInjector {
    faults: Faults,
    resource_requests: AtomicU64,
    successes: AtomicU64,
    token_requests: AtomicU64,
}

/// What the faults do to one resource request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ResourceFaults {
    /// Wait this long before answering.
    pub(crate) delay: Option<Duration>,
    /// Revoke every issued token before checking this request's.
    pub(crate) revoke: bool,
    /// Answer with this instead of checking the request.
    pub(crate) refusal: Option<InjectedRefusal>,
}

/// An answer a fault gives instead of the operation's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InjectedRefusal {
    /// 503, from [`Faults::unavailable`].
    Unavailable,
    /// 429, from [`Faults::rate_limit_every`].
    RateLimited,
}

impl ResourceFaults {
    /// The names of the faults applied, for the request's log line (`slow+revoke`).
    pub(crate) fn names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.delay.is_some() {
            names.push(SLOW);
        }
        if self.revoke {
            names.push("revoke");
        }
        match self.refusal {
            Some(InjectedRefusal::Unavailable) => names.push(UNAVAILABLE),
            Some(InjectedRefusal::RateLimited) => names.push("rate-limit"),
            None => {}
        }
        names
    }
}

impl FaultInjector {
    /// Injects `faults`, which [`Faults::check`] accepted, with every counter at zero.
    pub(crate) fn new(faults: Faults) -> Self {
        Self {
            faults,
            resource_requests: AtomicU64::new(0),
            successes: AtomicU64::new(0),
            token_requests: AtomicU64::new(0),
        }
    }

    /// The faults injected.
    pub(crate) fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Counts a resource request and tells what the faults do to it.
    pub(crate) fn resource_request(&self) -> ResourceFaults {
        let number = next(&self.resource_requests);
        let faults = &self.faults;

        let refusal = if faults
            .unavailable
            .is_some_and(|burst| in_burst(number, burst))
        {
            Some(InjectedRefusal::Unavailable)
        } else if faults
            .rate_limit_every
            .is_some_and(|every| is_multiple(number, every))
        {
            Some(InjectedRefusal::RateLimited)
        } else {
            None
        };
        ResourceFaults {
            delay: faults
                .slow
                .filter(|slow| is_multiple(number, slow.every))
                .map(|slow| slow.delay),
            revoke: faults
                .revoke_every
                .is_some_and(|every| is_multiple(number, every)),
            refusal,
        }
    }

    /// Counts a success answer to a resource request; whether its body is to be truncated.
    pub(crate) fn truncates_success(&self) -> bool {
        match self.faults.truncate_every {
            Some(every) => is_multiple(next(&self.successes), every),
            None => false,
        }
    }

    /// Counts a token request; whether the token endpoint is out of service for it.
    pub(crate) fn token_outage(&self) -> bool {
        match self.faults.token_outage {
            Some(requests) => next(&self.token_requests) <= u64::from(requests.get()),
            None => false,
        }
    }

    /// The answer of an injected refusal to a request for `instance`.
    pub(crate) fn refusal(&self, refusal: InjectedRefusal, instance: &str) -> Response<Body> {
        match refusal {
            InjectedRefusal::Unavailable => {
                let response = responses::problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The service is temporarily unavailable (sandbox fault `unavailable`)",
                    instance,
                );
                with_retry_after(response, self.faults.retry_after)
            }
            InjectedRefusal::RateLimited => {
                let seconds = self
                    .faults
                    .retry_after
                    .unwrap_or(DEFAULT_RATE_LIMIT_RETRY_AFTER);
                let detail = format!(
                    "Too many requests; retry after {seconds} s (sandbox fault `rate-limit-every`)"
                );
                let response = responses::problem(StatusCode::TOO_MANY_REQUESTS, &detail, instance);
                with_retry_after(response, Some(seconds))
            }
        }
    }

    /// The token endpoint's answer during an outage.
    pub(crate) fn token_unavailable(&self) -> Response<Body> {
        let response = responses::token_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "The authorization server is temporarily unavailable (sandbox fault `token-outage`)",
        );
        with_retry_after(response, self.faults.retry_after)
    }
}

fn with_retry_after(mut response: Response<Body>, seconds: Option<u32>) -> Response<Body> {
    if let Some(seconds) = seconds {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// Adds one to `counter` and returns the new count: 1 for the first call.
fn next(counter: &AtomicU64) -> u64 {
    counter.fetch_add(1, Ordering::Relaxed).wrapping_add(1)
}

fn is_multiple(number: u64, every: NonZeroU32) -> bool {
    number.is_multiple_of(u64::from(every.get()))
}

/// Whether request `number` (from 1) is among the first `length` of its period.
fn in_burst(number: u64, burst: Burst) -> bool {
    // `check` guarantees `period >= length >= 1`; `max` keeps a refused setting from dividing
    // by zero all the same.
    let period = u64::from(burst.period.max(1));
    (number.saturating_sub(1)) % period < u64::from(burst.length.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text form's example, with every mode on.
    const EVERY_MODE: &str = "token-lifetime=5s,revoke-every=10,rate-limit-every=5,retry-after=2,\
                              unavailable=3/10,slow=500ms,slow-every=4,truncate-every=7,\
                              token-outage=2";

    fn every_mode() -> Faults {
        Faults::none()
            .token_lifetime(Duration::from_secs(5))
            .revoke_every(10)
            .rate_limit_every(5)
            .retry_after(2)
            .unavailable(3, 10)
            .slow(Duration::from_millis(500), 4)
            .truncate_every(7)
            .token_outage(2)
    }

    fn error(text: &str) -> (String, String) {
        match text.parse::<Faults>() {
            Ok(faults) => panic!("{text:?} was accepted as {faults:?}"),
            Err(SandboxError::Fault { item, reason }) => (item, reason),
            Err(other) => panic!("{text:?}: not a fault error: {other:?}"),
        }
    }

    #[test]
    fn no_fault_is_on_by_default() {
        let faults = Faults::default();

        assert!(faults.is_empty());
        assert_eq!(faults, Faults::none());
        assert_eq!(faults.to_string(), "none");
        assert_eq!(faults.check().ok(), Some(()));
    }

    #[test]
    fn the_text_form_sets_every_mode_and_display_writes_it_back() {
        let parsed: Faults = EVERY_MODE.parse().expect("parses");

        assert_eq!(parsed, every_mode());
        assert!(!parsed.is_empty());
        assert_eq!(parsed.to_string(), EVERY_MODE);
    }

    #[test]
    fn display_output_parses_back_to_the_same_faults() {
        let samples = [
            Faults::none(),
            every_mode(),
            Faults::none().token_lifetime(Duration::from_secs(7200)),
            Faults::none().slow(Duration::from_millis(1500), 1),
            Faults::none().slow(Duration::from_secs(90), 2),
            Faults::none().unavailable(10, 10).retry_after(0),
            Faults::none().token_outage(1).retry_after(30),
        ];

        for faults in samples {
            let text = faults.to_string();
            let parsed: Faults = text.parse().expect("Display output parses");

            assert_eq!(parsed, faults, "{text}");
        }
    }

    #[test]
    fn items_may_come_in_any_order_with_spaces() {
        let parsed: Faults = " slow-every=4 , slow=500ms,token-outage=2 "
            .parse()
            .expect("parses");

        assert_eq!(
            parsed,
            Faults::none()
                .slow(Duration::from_millis(500), 4)
                .token_outage(2)
        );
    }

    #[test]
    fn an_empty_text_or_none_is_no_faults() {
        for text in ["", "  ", "none"] {
            let parsed: Faults = text.parse().expect("parses");

            assert!(parsed.is_empty(), "{text:?}");
        }
    }

    #[test]
    fn durations_take_ms_s_m_and_h_and_are_written_in_the_largest_exact_unit() {
        let cases = [
            ("slow=250ms", "slow=250ms"),
            ("slow=1000ms", "slow=1s"),
            ("slow=120s", "slow=2m"),
            ("slow=90s", "slow=90s"),
            ("slow=60m", "slow=1h"),
            ("slow=2h", "slow=2h"),
        ];

        for (text, written) in cases {
            let parsed: Faults = text.parse().expect("parses");

            assert_eq!(parsed.to_string(), written, "{text}");
        }
    }

    #[test]
    fn a_bad_item_is_named_with_the_reason() {
        let cases = [
            ("bogus=1", "bogus=1", "unknown fault"),
            ("slow=1s,bogus=1", "bogus=1", "token-lifetime, revoke-every"),
            ("slow", "slow", "NAME=VALUE"),
            (
                "slow=1s,,revoke-every=2",
                "slow=1s,,revoke-every=2",
                "empty item",
            ),
            ("slow=1s,", "slow=1s,", "empty item"),
            ("slow=fast", "slow=fast", "not a duration"),
            ("slow=500", "slow=500", "ms, s, m or h"),
            ("slow=5d", "slow=5d", "ms, s, m or h"),
            ("slow=0ms", "slow=0ms", "more than zero"),
            ("slow=-1s", "slow=-1s", "not a duration"),
            (
                "slow=99999999999999999999h",
                "slow=99999999999999999999h",
                "too large",
            ),
            (
                "slow=9999999999999999999h",
                "slow=9999999999999999999h",
                "too large",
            ),
            ("revoke-every=0", "revoke-every=0", "at least 1"),
            ("revoke-every=+3", "revoke-every=+3", "not a whole number"),
            ("revoke-every=ten", "revoke-every=ten", "not a whole number"),
            (
                "revoke-every=4294967296",
                "revoke-every=4294967296",
                "too large",
            ),
            (
                "rate-limit-every=",
                "rate-limit-every=",
                "not a whole number",
            ),
            (
                "rate-limit-every=5,retry-after=2s",
                "retry-after=2s",
                "whole seconds",
            ),
            ("retry-after=2", "retry-after=2", "needs rate-limit-every"),
            ("unavailable=3", "unavailable=3", "LENGTH/PERIOD"),
            (
                "unavailable=11/10",
                "unavailable=11/10",
                "longer than its period",
            ),
            ("unavailable=0/10", "unavailable=0/10", "at least 1"),
            (
                "token-lifetime=1500ms",
                "token-lifetime=1500ms",
                "whole seconds",
            ),
            (
                "token-lifetime=500ms",
                "token-lifetime=500ms",
                "at least 1s",
            ),
            ("slow-every=2", "slow-every=2", "needs `slow=DURATION`"),
            ("slow=1s,slow=2s", "slow=2s", "more than once"),
            (
                "truncate-every=1,token-outage=x",
                "token-outage=x",
                "not a whole number",
            ),
        ];

        for (text, item, reason) in cases {
            let (named, why) = error(text);

            assert_eq!(named, item, "{text:?}");
            assert!(why.contains(reason), "{text:?}: {why:?} lacks {reason:?}");
        }
    }

    #[test]
    fn the_error_message_names_the_item_and_the_reason() {
        let error = "slow=1s,revoke-every=0"
            .parse::<Faults>()
            .expect_err("refused");

        let message = error.to_string();

        assert!(message.contains("`revoke-every=0`"), "{message}");
        assert!(message.contains("at least 1"), "{message}");
    }

    #[test]
    fn settings_the_text_form_cannot_write_are_refused() {
        let cases = [
            Faults::none().unavailable(3, 0),
            Faults::none().slow(Duration::from_micros(1500), 1),
            Faults::none().token_lifetime(Duration::ZERO),
        ];

        for faults in cases {
            assert!(
                matches!(faults.check(), Err(SandboxError::Fault { .. })),
                "{faults:?}"
            );
        }
    }

    #[test]
    fn zero_counts_and_delays_turn_a_mode_off() {
        let faults = every_mode()
            .revoke_every(0)
            .rate_limit_every(0)
            .unavailable(0, 10)
            .slow(Duration::ZERO, 3)
            .truncate_every(0)
            .token_outage(0);

        assert_eq!(
            faults,
            Faults::none()
                .token_lifetime(Duration::from_secs(5))
                .retry_after(2)
        );
    }

    #[test]
    fn counters_drive_each_mode_from_the_first_request() {
        let injector = FaultInjector::new(
            Faults::none()
                .revoke_every(3)
                .rate_limit_every(4)
                .unavailable(1, 5)
                .slow(Duration::from_secs(1), 2),
        );

        let plans: Vec<ResourceFaults> = (0..6).map(|_| injector.resource_request()).collect();

        let names: Vec<String> = plans.iter().map(|plan| plan.names().join("+")).collect();
        assert_eq!(
            names,
            [
                "unavailable",
                "slow",
                "revoke",
                "slow+rate-limit",
                "",
                "slow+revoke+unavailable"
            ]
        );
    }

    #[test]
    fn truncation_and_the_token_outage_count_their_own_requests() {
        let injector = FaultInjector::new(Faults::none().truncate_every(2).token_outage(2));

        let truncated: Vec<bool> = (0..4).map(|_| injector.truncates_success()).collect();
        let outage: Vec<bool> = (0..4).map(|_| injector.token_outage()).collect();

        assert_eq!(truncated, [false, true, false, true]);
        assert_eq!(outage, [true, true, false, false]);
        assert_eq!(injector.resource_request(), ResourceFaults::default());
    }
}
