//! `ingrid`: every Ingrid operation from the command line, and the sandbox.
//!
//! ```text
//! ingrid [--env production|staging|sandbox|custom] [--api-url URL --token-url URL]
//!        [--contract CODE] <domain> <api> --from YYYY-MM-DD --to YYYY-MM-DD [filters]
//! ingrid sandbox serve [--port 8080] [--faults SPEC]
//! ```
//!
//! The records of every page are printed as one JSON array on stdout. Credentials come from
//! `INGRID_CLIENT_ID` and `INGRID_CLIENT_SECRET` (never from a flag, so the secret stays out
//! of shell history and process lists); `--env sandbox` needs none. An error is one line on
//! stderr, and its category decides the exit code (see [`Failure::exit_code`]).

mod operations;
// Formatted by the generator (prettyplease); rustfmt would fight `--check`.
#[rustfmt::skip]
#[allow(clippy::all)]
mod generated_operations;

use std::io::Write;
use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Command};
use ingrid::{Config, ConfigError, Environment, GasDay, Ingrid, vars};
use ingrid_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_CONTRACT_CODE, Sandbox};

use crate::generated_operations::{OPERATIONS, send};
use crate::operations::{CallError, Operation, ParameterKind, Query};

/// Parameters the CLI sets itself instead of offering them as filters.
const CONTRACT_CODE: &str = "contractCode";
const GAS_DAY_FROM: &str = "gasDayFrom";
const GAS_DAY_TO: &str = "gasDayTo";
const PAGE: &str = "page";

/// Faults the sandbox injects, for `sandbox serve` and for queries with `--env sandbox`.
const SANDBOX_FAULTS: &str = "INGRID_SANDBOX_FAULTS";

/// No result has more pages than this; a server that keeps saying "more" is stopped here.
const MAX_PAGES: u32 = 100_000;

#[tokio::main]
async fn main() -> ExitCode {
    let matches = command().get_matches();
    let serving = matches.subcommand_name() == Some("sandbox");
    // A query prints one error line at most; retries and the like are for INGRID_LOG.
    init_logging(if serving { "info" } else { "error" });

    match run(&matches).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}

/// Logs go to stderr, filtered by `INGRID_LOG` (for example `ingrid=debug`); by default
/// errors only, and what the sandbox serves when it runs standalone. Colours only on a
/// terminal.
fn init_logging(default: &str) {
    use std::io::IsTerminal;

    let filter = match std::env::var("INGRID_LOG") {
        Ok(directives) => tracing_subscriber::EnvFilter::try_new(&directives).unwrap_or_else(|error| {
            eprintln!("warning: INGRID_LOG `{directives}` is not a log filter ({error}); using `{default}`");
            tracing_subscriber::EnvFilter::new(default)
        }),
        Err(_) => tracing_subscriber::EnvFilter::new(default),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// The command line, built from the generated table so that it always matches the specs.
fn command() -> Command {
    let mut command = Command::new("ingrid")
        .about("Query GRTgaz's Ingrid API, or run its sandbox")
        .version(env!("CARGO_PKG_VERSION"))
        .subcommand_required(true)
        .arg_required_else_help(true)
        .after_help(
            "Credentials come from INGRID_CLIENT_ID and INGRID_CLIENT_SECRET; the environment \
             from --env or INGRID_ENV (production when unset). --env sandbox needs neither.",
        )
        .arg(
            Arg::new("env")
                .long("env")
                .global(true)
                .value_name("ENV")
                .value_parser(["production", "staging", "sandbox", "custom"])
                .help("Where to connect [default: INGRID_ENV, else production]"),
        )
        .arg(
            Arg::new("api-url")
                .long("api-url")
                .global(true)
                .value_name("URL")
                .help("API base URL of a custom environment [default: INGRID_API_URL]"),
        )
        .arg(
            Arg::new("token-url")
                .long("token-url")
                .global(true)
                .value_name("URL")
                .help("Token URL of a custom environment [default: INGRID_TOKEN_URL]"),
        )
        .arg(
            Arg::new("contract")
                .long("contract")
                .global(true)
                .value_name("CODE")
                .help("Contract code [default: INGRID_CONTRACT_CODE; the demo one in sandbox]"),
        );

    let mut domains: Vec<&str> = OPERATIONS
        .iter()
        .map(|operation| operation.domain)
        .collect();
    domains.dedup();
    for domain in domains {
        let mut domain_command = Command::new(domain)
            .about(format!("Operations under /v1/{domain}/"))
            .subcommand_required(true)
            .arg_required_else_help(true);
        for operation in OPERATIONS
            .iter()
            .filter(|operation| operation.domain == domain)
        {
            domain_command = domain_command.subcommand(operation_command(operation));
        }
        command = command.subcommand(domain_command);
    }

    // A bad value is a usage error (exit code 2) naming the bad item, whether it came from the
    // flag (clap checks it) or from the variable (`sandbox_faults` checks it).
    let faults = Arg::new("faults")
        .long("faults")
        .value_name("SPEC")
        .value_parser(|spec: &str| spec.parse::<ingrid_sandbox::Faults>())
        .hide_default_value(true)
        .help(format!(
            "Faults to inject on purpose, as in rate-limit-every=5,unavailable=3/10 \
             [default: {SANDBOX_FAULTS}, else none]"
        ))
        .long_help(format!(
            "Faults to inject on purpose, so that a client's resilience can be tested: \
             comma-separated NAME=VALUE items, driven by request counters. \
             token-lifetime=5s (tokens expire after 5 s), revoke-every=10 (every 10th resource \
             request revokes every token: 401), rate-limit-every=5 (429), retry-after=2 \
             (Retry-After of 429, default 1, and of 503), unavailable=3/10 (of every 10 \
             resource requests the first 3 get 503), slow=500ms and slow-every=3 (delayed \
             answers), truncate-every=7 (every 7th success has half its JSON body), \
             token-outage=2 (the first 2 token requests get 503).\n\n\
             [default: {SANDBOX_FAULTS}, else none]"
        ));

    command.subcommand(
        Command::new("sandbox")
            .about("The embedded Ingrid emulator, on 127.0.0.1")
            .subcommand_required(true)
            .subcommand(
                Command::new("serve")
                    .about("Serve the sandbox until interrupted, for curl or Postman")
                    .arg(
                        Arg::new("port")
                            .long("port")
                            .value_name("PORT")
                            .value_parser(clap::value_parser!(u16))
                            .default_value("8080")
                            .help("Port to listen on, on 127.0.0.1 (0 picks a free one)"),
                    )
                    .arg(faults),
            ),
    )
}

fn operation_command(operation: &Operation) -> Command {
    let mut command = Command::new(operation.api)
        .about(operation.summary)
        .long_about(format!(
            "{}\n\nOperation {} of the spec; prints the records of every page as one JSON array.",
            operation.summary, operation.operation_id
        ));

    for parameter in operation.parameters {
        let (flag, required) = match parameter.name {
            CONTRACT_CODE | PAGE => continue,
            GAS_DAY_FROM => ("from".to_owned(), true),
            GAS_DAY_TO => ("to".to_owned(), true),
            name => (kebab_case(name), parameter.required),
        };
        let mut help = format!("{} ({})", parameter.description, parameter.name);
        if !parameter.values.is_empty() {
            help.push_str(&format!(" [values: {}]", parameter.values.join(", ")));
        }
        let value_name = match (parameter.name, parameter.kind) {
            (GAS_DAY_FROM | GAS_DAY_TO, _) => "YYYY-MM-DD",
            (_, ParameterKind::Integer) => "N",
            (_, ParameterKind::Number) => "X",
            (_, ParameterKind::Boolean) => "true|false",
            (_, ParameterKind::Text) => "VALUE",
        };
        let mut arg = Arg::new(parameter.name)
            .long(flag)
            .value_name(value_name)
            .required(required)
            .action(ArgAction::Set)
            .help_heading(if required { "Gas days" } else { "Filters" })
            .help(help);
        match (parameter.name, parameter.kind) {
            (GAS_DAY_FROM | GAS_DAY_TO, _) => {
                // Checked here, so that a bad date is a usage error that quotes it.
                arg =
                    arg.value_parser(|text: &str| text.parse::<GasDay>().map(|_| text.to_owned()));
            }
            (_, ParameterKind::Boolean) => {
                // `--include-hourly` alone means true.
                arg = arg
                    .num_args(0..=1)
                    .require_equals(true)
                    .default_missing_value("true")
                    .value_parser(["true", "false"]);
            }
            (_, ParameterKind::Integer) => {
                arg = arg.value_parser(|text: &str| {
                    text.parse::<i64>()
                        .map(|_| text.to_owned())
                        .map_err(|_| "not a whole number")
                });
            }
            _ => {}
        }
        command = command.arg(arg);
    }
    command
}

/// A reversed range is the caller's mistake; it is said before anything is sent.
fn check_range(query: &Query) -> Result<(), Failure> {
    let day = |name| {
        query
            .text(name)
            .and_then(|text| text.parse::<GasDay>().ok())
    };
    if let (Some(from), Some(to)) = (day(GAS_DAY_FROM), day(GAS_DAY_TO))
        && to < from
    {
        return Err(Failure::Usage(format!("--to {to} is before --from {from}")));
    }
    Ok(())
}

fn kebab_case(camel: &str) -> String {
    let mut kebab = String::with_capacity(camel.len() + 4);
    for character in camel.chars() {
        if character.is_ascii_uppercase() {
            kebab.push('-');
            kebab.push(character.to_ascii_lowercase());
        } else {
            kebab.push(character);
        }
    }
    kebab
}

async fn run(matches: &ArgMatches) -> Result<(), Failure> {
    let (domain, domain_matches) = matches.subcommand().expect("a subcommand is required");
    let (api, api_matches) = domain_matches
        .subcommand()
        .expect("a subcommand is required");

    if domain == "sandbox" && api == "serve" {
        let port = *api_matches.get_one::<u16>("port").expect("has a default");
        let faults = match api_matches.get_one::<ingrid_sandbox::Faults>("faults") {
            Some(faults) => faults.clone(),
            None => sandbox_faults()?,
        };
        return Sandbox::builder()
            .port(port)
            .faults(faults)
            .build()?
            .serve()
            .await
            .map_err(Failure::from);
    }

    let operation = OPERATIONS
        .iter()
        .find(|operation| operation.domain == domain && operation.api == api)
        .expect("clap only accepts operations of the table");

    let target = Target::from_matches(matches)?;
    let (ingrid, contract_code, _sandbox) = target.connect().await?;

    let mut query = Query::default();
    query.set(CONTRACT_CODE, contract_code);
    for parameter in operation.parameters {
        if let Some(value) = api_matches
            .try_get_one::<String>(parameter.name)
            .ok()
            .flatten()
        {
            query.set(parameter.name, value.clone());
        }
    }

    check_range(&query)?;
    let records = fetch_all_pages(&ingrid, operation, query).await?;
    print_json(&records)
}

/// Calls the operation page after page and gathers the records of every page.
async fn fetch_all_pages(
    ingrid: &Ingrid,
    operation: &Operation,
    mut query: Query,
) -> Result<Vec<serde_json::Value>, Failure> {
    let paged = operation
        .parameters
        .iter()
        .any(|parameter| parameter.name == PAGE);
    let mut records = Vec::new();
    // What the first page says the whole answer holds.
    let mut announced = None;

    for page in 0..MAX_PAGES {
        if paged {
            query.set(PAGE, page.to_string());
        }
        let body = send(ingrid, operation.domain, operation.api, &query).await?;

        let total_pages = body
            .pointer("/page/totalPages")
            .and_then(serde_json::Value::as_u64);
        if page == 0 {
            announced = body
                .pointer("/page/totalElements")
                .and_then(serde_json::Value::as_u64);
        }
        let number = body
            .pointer("/page/number")
            .and_then(serde_json::Value::as_u64);
        if paged && number.is_some_and(|number| number != u64::from(page)) {
            return Err(Failure::Paging(format!(
                "asked for page {page} of {} {}, the server answered page {}",
                operation.domain,
                operation.api,
                number.unwrap_or_default()
            )));
        }
        let data = match body {
            serde_json::Value::Object(mut envelope) => match envelope.remove("data") {
                Some(serde_json::Value::Array(data)) => data,
                _ => vec![serde_json::Value::Object(envelope)],
            },
            serde_json::Value::Array(data) => data,
            other => vec![other],
        };
        let empty = data.is_empty();
        records.extend(data);

        let last = total_pages.is_none_or(|total| u64::from(page) + 1 >= total);
        if !paged || last || empty {
            return check_total(records, announced, operation);
        }
    }
    // Stopping quietly here would lose records.
    Err(Failure::Paging(format!(
        "{} {} has more than {MAX_PAGES} pages; narrow the gas-day range or raise --size",
        operation.domain, operation.api
    )))
}

/// The records, if as many as the first page announced: a page that came back short or
/// overfull (records added or withdrawn between two pages, a server miscounting) would
/// otherwise lose or repeat records without a word.
fn check_total(
    records: Vec<serde_json::Value>,
    announced: Option<u64>,
    operation: &Operation,
) -> Result<Vec<serde_json::Value>, Failure> {
    match announced {
        Some(total) if total != records.len() as u64 => Err(Failure::Paging(format!(
            "{} {} announced {total} records and its pages held {}; run the command again, \
             or narrow the gas-day range",
            operation.domain,
            operation.api,
            records.len()
        ))),
        _ => Ok(records),
    }
}

fn print_json(records: &[serde_json::Value]) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = serde_json::to_writer_pretty(&mut out, records)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(out))
        .and_then(|()| out.flush());
    match written {
        // A reader that stops early (`| head`) is not an error of ours.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|error| Failure::Output(error.to_string())),
    }
}

/// The faults of `INGRID_SANDBOX_FAULTS`, none when it is unset or empty.
fn sandbox_faults() -> Result<ingrid_sandbox::Faults, Failure> {
    match std::env::var(SANDBOX_FAULTS) {
        Ok(spec) if !spec.trim().is_empty() => spec
            .parse()
            .map_err(|error| Failure::Usage(format!("{SANDBOX_FAULTS}: {error}"))),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(ingrid_sandbox::Faults::none()),
        Err(std::env::VarError::NotUnicode(_)) => Err(Failure::Usage(format!(
            "{SANDBOX_FAULTS} is not valid UTF-8"
        ))),
    }
}

/// Where the command connects, from the flags and the variables.
enum Target {
    /// The embedded sandbox, started for this command.
    Sandbox { contract_code: Option<String> },
    /// A real or custom environment (boxed: a configuration is large beside an option).
    Remote(Box<Config>),
}

impl Target {
    fn from_matches(matches: &ArgMatches) -> Result<Self, Failure> {
        let flag = |name: &str| matches.get_one::<String>(name).cloned();
        let env_var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());

        let chosen = flag("env")
            .or_else(|| env_var(vars::ENV))
            .map(|name| name.trim().to_ascii_lowercase());
        let api_url = flag("api-url").or_else(|| env_var(vars::API_URL));
        let token_url = flag("token-url").or_else(|| env_var(vars::TOKEN_URL));

        if chosen.as_deref() == Some("sandbox") {
            if api_url.is_some() || token_url.is_some() {
                return Err(Failure::Config(
                    "the sandbox has its own URLs; drop --api-url/--token-url (and \
                     INGRID_API_URL/INGRID_TOKEN_URL) or choose --env custom"
                        .to_owned(),
                ));
            }
            return Ok(Self::Sandbox {
                contract_code: flag("contract"),
            });
        }

        let lookup = |name: &str| match name {
            vars::ENV => chosen.clone(),
            vars::API_URL => api_url.clone(),
            vars::TOKEN_URL => token_url.clone(),
            vars::CONTRACT_CODE => flag("contract").or_else(|| env_var(vars::CONTRACT_CODE)),
            other => env_var(other),
        };
        let config = Config::from_lookup(lookup).map_err(|error| Failure::Config(hint(&error)))?;
        Ok(Self::Remote(Box::new(config)))
    }

    /// The client, the contract code, and the sandbox to keep alive while it is used.
    async fn connect(
        self,
    ) -> Result<(Ingrid, String, Option<ingrid_sandbox::RunningSandbox>), Failure> {
        match self {
            Self::Sandbox { contract_code } => {
                let faults = sandbox_faults()?;
                let sandbox = Sandbox::builder().faults(faults).build()?.start().await?;
                let environment = Environment::custom(&sandbox.base_url(), &sandbox.token_url())
                    .map_err(|error| Failure::Config(error.to_string()))?;
                let config = Config::new(environment, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET);
                let ingrid = Ingrid::new(config).map_err(call_failure)?;
                let contract_code = contract_code.unwrap_or_else(|| DEMO_CONTRACT_CODE.to_owned());
                Ok((ingrid, contract_code, Some(sandbox)))
            }
            Self::Remote(config) => {
                let contract_code = config.contract_code().map(str::to_owned).ok_or_else(|| {
                    Failure::Config(format!(
                        "no contract code: pass --contract CODE or set {}",
                        vars::CONTRACT_CODE
                    ))
                })?;
                let ingrid = Ingrid::new(*config).map_err(call_failure)?;
                Ok((ingrid, contract_code, None))
            }
        }
    }
}

/// A configuration error, saying which flag can stand for the variable.
fn hint(error: &ConfigError) -> String {
    match error {
        ConfigError::Missing(vars::API_URL) => format!("{error}: pass --api-url URL or set it"),
        ConfigError::Missing(vars::TOKEN_URL) => format!("{error}: pass --token-url URL or set it"),
        ConfigError::Missing(variable @ (vars::CLIENT_ID | vars::CLIENT_SECRET)) => format!(
            "{error}: export {variable} (credentials are never flags), or use --env sandbox"
        ),
        ConfigError::InvalidValue {
            what: vars::ENV, ..
        } => {
            format!("{error} (the CLI also takes sandbox)")
        }
        other => other.to_string(),
    }
}

fn call_failure(error: ingrid::Error) -> Failure {
    Failure::Call(CallError::Ingrid(error))
}

/// Why the command failed; each category has its own exit code.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("{0}")]
    Usage(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("sandbox: {0}")]
    Sandbox(#[from] ingrid_sandbox::SandboxError),
    #[error("{0}")]
    Call(#[from] CallError),
    #[error("cannot write the output: {0}")]
    Output(String),
    #[error("paging: {0}")]
    Paging(String),
}

impl Failure {
    /// 2 bad usage or parameter value, 3 configuration, 4 authentication, 5 error status from
    /// the API, 6 timeout or transport, 7 an answer that does not match the spec (or pages
    /// that do not add up), 8 sandbox, 1 anything else.
    fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            Self::Config(_) => 3,
            Self::Sandbox(_) => 8,
            Self::Output(_) | Self::Call(CallError::Output(_)) => 1,
            Self::Paging(_) => 7,
            Self::Call(CallError::UnknownOperation { .. } | CallError::InvalidValue { .. }) => 2,
            Self::Call(CallError::Ingrid(error)) => match error {
                ingrid::Error::InvalidRequest(_) => 2,
                ingrid::Error::Config(_) => 3,
                ingrid::Error::Auth(_) => 4,
                ingrid::Error::Api(_) => 5,
                ingrid::Error::Timeout(_) | ingrid::Error::Transport(_) => 6,
                ingrid::Error::Decode(_) => 7,
                _ => 1,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn filters_are_kebab_case() {
        assert_eq!(kebab_case("pointCode"), "point-code");
        assert_eq!(kebab_case("cycle"), "cycle");
    }
}
