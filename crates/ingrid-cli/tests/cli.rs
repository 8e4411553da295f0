//! The `ingrid` binary end to end: flags, variables, the sandbox, pages, errors, exit codes.

use std::collections::BTreeMap;
use std::process::{Command, Output};

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

/// Runs `ingrid` with exactly these variables (nothing inherited) and arguments.
fn ingrid_with(vars: &[(&str, String)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ingrid"))
        .env_clear()
        .envs(vars.iter().map(|(name, value)| (name, value)))
        .args(args)
        .output()
        .expect("the ingrid binary runs")
}

/// Runs `ingrid` with no variables at all.
fn ingrid(args: &[&str]) -> Output {
    ingrid_with(&[], args)
}

fn records(output: &Output) -> Vec<Value> {
    assert!(
        output.status.success(),
        "ingrid failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON array")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Rows by point code, in the order printed.
fn by_point(rows: &[Value]) -> BTreeMap<String, Vec<&Value>> {
    let mut points: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for row in rows {
        let point = row["pointCode"]
            .as_str()
            .expect("every row has a point")
            .to_owned();
        points.entry(point).or_default().push(row);
    }
    points
}

fn instant(row: &Value, field: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(row[field].as_str().expect("an RFC 3339 string")).unwrap()
}

fn hourly_allocations(gas_day: &str) -> Vec<Value> {
    let output = ingrid(&[
        "--env",
        "sandbox",
        "allocations",
        "hourly-allocations",
        "--from",
        gas_day,
        "--to",
        gas_day,
    ]);
    records(&output)
}

fn assert_hours_of_gas_day(gas_day: &str, hours: usize, first_start: &str, last_end: &str) {
    let rows = hourly_allocations(gas_day);

    let points = by_point(&rows);
    assert!(!points.is_empty());
    for (point, rows) in points {
        assert_eq!(rows.len(), hours, "{gas_day} at {point}");
        assert_eq!(rows[0]["periodStart"], first_start, "{point}");
        assert_eq!(rows[hours - 1]["periodEnd"], last_end, "{point}");
        for (position, pair) in rows.windows(2).enumerate() {
            assert_eq!(
                instant(pair[0], "periodEnd"),
                instant(pair[1], "periodStart"),
                "{point}"
            );
            assert_eq!(pair[0]["hourIndex"], position + 1, "{point}");
            assert_eq!(pair[0]["gasDay"], gas_day);
        }
    }
}

#[test]
fn hourly_allocations_of_the_october_clock_change_have_25_continuous_hours_per_point() {
    assert_hours_of_gas_day(
        "2024-10-26",
        25,
        "2024-10-26T06:00:00+02:00",
        "2024-10-27T06:00:00+01:00",
    );
}

#[test]
fn hourly_allocations_of_the_march_clock_change_have_23_continuous_hours_per_point() {
    assert_hours_of_gas_day(
        "2025-03-29",
        23,
        "2025-03-29T06:00:00+01:00",
        "2025-03-30T06:00:00+02:00",
    );
}

#[test]
fn every_page_is_printed_as_one_array() {
    let all = hourly_allocations("2024-10-26");

    let paged = records(&ingrid(&[
        "--env",
        "sandbox",
        "allocations",
        "hourly-allocations",
        "--from",
        "2024-10-26",
        "--to",
        "2024-10-26",
        "--size",
        "7",
    ]));

    assert!(all.len() > 7, "the sandbox serves more than one page of 7");
    assert_eq!(paged, all);
}

#[test]
fn filters_reach_the_api() {
    let rows = records(&ingrid(&[
        "--env",
        "sandbox",
        "allocations",
        "daily-allocations",
        "--from",
        "2025-01-01",
        "--to",
        "2025-01-03",
        "--direction",
        "EXIT",
    ]));

    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|row| row["direction"] == "EXIT"),
        "{rows:?}"
    );
    let days: Vec<&str> = rows
        .iter()
        .filter_map(|row| row["gasDay"].as_str())
        .collect();
    assert!(
        days.contains(&"2025-01-01") && days.contains(&"2025-01-03"),
        "{days:?}"
    );
}

#[test]
fn every_operation_of_the_specs_runs_against_the_sandbox() {
    let spec_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec");
    let specs = ingrid_openapi::SpecSet::load_dir(&spec_dir).unwrap();

    let mut operations = 0;
    for document in specs.domains() {
        for operation in ingrid_openapi::operations(&document.value) {
            let api = operation.path.rsplit('/').next().unwrap();
            let args = [
                "--env",
                "sandbox",
                document.domain(),
                api,
                "--from",
                "2025-01-15",
                "--to",
                "2025-01-15",
            ];

            let rows = records(&ingrid(&args));

            assert!(!rows.is_empty(), "{operation} printed no record");
            operations += 1;
        }
    }
    assert_eq!(operations, 20);
}

#[test]
fn without_credentials_nothing_falls_back_to_the_sandbox() {
    let output = ingrid(&[
        "allocations",
        "daily-allocations",
        "--from",
        "2025-01-15",
        "--to",
        "2025-01-15",
    ]);

    assert_eq!(output.status.code(), Some(3));
    assert!(output.stdout.is_empty());
    let message = stderr(&output);
    assert!(message.contains("INGRID_CLIENT_ID"), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
}

#[test]
fn a_custom_environment_needs_both_urls() {
    let output = ingrid_with(
        &[
            ("INGRID_CLIENT_ID", "id".to_owned()),
            ("INGRID_CLIENT_SECRET", "secret".to_owned()),
        ],
        &[
            "--api-url",
            "http://127.0.0.1:9",
            "measures",
            "daily-measures",
            "--from",
            "2025-01-15",
            "--to",
            "2025-01-15",
        ],
    );

    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("--token-url"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_api_error_is_one_line_with_the_status_and_the_servers_detail() {
    let output = ingrid(&[
        "--env",
        "sandbox",
        "--contract",
        "GFOTHER1",
        "measures",
        "daily-measures",
        "--from",
        "2025-01-15",
        "--to",
        "2025-01-15",
    ]);

    assert_eq!(output.status.code(), Some(5));
    let message = stderr(&output);
    assert!(message.contains("HTTP 403"), "{message}");
    assert!(
        message.contains("GFOTHER1"),
        "the detail names the contract: {message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
}

#[test]
fn a_bad_gas_day_is_refused_before_anything_is_sent() {
    let output = ingrid(&[
        "--env",
        "sandbox",
        "measures",
        "daily-measures",
        "--from",
        "15/01/2025",
        "--to",
        "2025-01-15",
    ]);

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("15/01/2025"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn a_custom_environment_from_variables_goes_through_the_token_exchange() {
    let sandbox = ingrid_sandbox::Sandbox::builder()
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let vars = [
        ("INGRID_API_URL", sandbox.base_url()),
        ("INGRID_TOKEN_URL", sandbox.token_url()),
        (
            "INGRID_CLIENT_ID",
            ingrid_sandbox::DEMO_CLIENT_ID.to_owned(),
        ),
        (
            "INGRID_CLIENT_SECRET",
            ingrid_sandbox::DEMO_CLIENT_SECRET.to_owned(),
        ),
        (
            "INGRID_CONTRACT_CODE",
            ingrid_sandbox::DEMO_CONTRACT_CODE.to_owned(),
        ),
    ];
    let args = [
        "balancing",
        "common-indicators",
        "--from",
        "2025-01-15",
        "--to",
        "2025-01-16",
    ];

    let mut wrong = vars.clone();
    wrong[3].1 = "not-the-secret".to_owned();

    let good = tokio::task::spawn_blocking(move || ingrid_with(&vars, &args))
        .await
        .unwrap();
    let refused = tokio::task::spawn_blocking(move || ingrid_with(&wrong, &args))
        .await
        .unwrap();

    assert_eq!(records(&good).len(), 2, "one row per gas day");
    assert_eq!(refused.status.code(), Some(4));
    let message = stderr(&refused);
    assert!(message.contains("invalid_client"), "{message}");
    assert!(!message.contains("not-the-secret"), "{message}");
}

#[tokio::test]
async fn sandbox_serve_answers_a_client_until_it_is_stopped() {
    // A free port: bind to port 0, note the port, release it for the child.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ingrid"))
        .env_clear()
        .args(["sandbox", "serve", "--port", &port.to_string()])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let address = format!("127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..100 {
        if std::net::TcpStream::connect(&address).is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let result = if ready {
        let environment = ingrid::Environment::custom(
            &format!("http://{address}"),
            &format!("http://{address}/oauth2/token"),
        )
        .unwrap();
        let config = ingrid::Config::new(
            environment,
            ingrid_sandbox::DEMO_CLIENT_ID,
            ingrid_sandbox::DEMO_CLIENT_SECRET,
        );
        ingrid::Ingrid::new(config)
            .unwrap()
            .portfolio()
            .get_services()
            .contract_code(ingrid_sandbox::DEMO_CONTRACT_CODE)
            .gas_day_from("2025-01-15")
            .gas_day_to("2025-01-15")
            .send()
            .await
            .map(|response| response.into_inner().data.len())
            .map_err(|error| format!("{error}"))
    } else {
        Err("the sandbox never listened".to_owned())
    };
    child.kill().unwrap();
    child.wait().unwrap();

    assert!(result.unwrap() > 0);
}

/// Runs `ingrid sandbox serve` on a free port with these variables and extra arguments, and
/// stops it once it has listened and logged what it serves, or after ten seconds; returns its
/// output and whether it listened.
fn sandbox_serve_with(vars: &[(&str, &str)], extra_args: &[&str]) -> (Output, bool) {
    use std::io::BufRead;

    // A free port: bind to port 0, note the port, release it for the child.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ingrid"))
        .env_clear()
        .envs(vars.iter().copied())
        .args(["sandbox", "serve", "--port", &port])
        .args(extra_args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();

    // The log is read as it comes: the sandbox logs its faults after it starts listening, so
    // a connection alone does not say the log is complete.
    let (lines, logged) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines.send(line);
        }
    });
    let address = format!("127.0.0.1:{port}");
    let mut log = String::new();
    let mut listened = false;
    for _ in 0..200 {
        while let Ok(line) = logged.try_recv() {
            log.push_str(&line);
            log.push('\n');
        }
        listened = listened || std::net::TcpStream::connect(&address).is_ok();
        let serving = log.lines().any(|line| line.contains(" serving "));
        if (listened && serving) || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    if child.try_wait().unwrap().is_none() {
        child.kill().unwrap();
    }
    let mut output = child.wait_with_output().unwrap();
    reader.join().unwrap();
    log.extend(logged.try_iter().map(|line| line + "\n"));
    output.stderr = log.into_bytes();
    (output, listened)
}

#[test]
fn a_bad_faults_spec_is_a_usage_error_naming_the_bad_item() {
    let from_flag = sandbox_serve_with(&[], &["--faults", "slow=1s,revoke-every=0"]);
    let from_variable = sandbox_serve_with(&[("INGRID_SANDBOX_FAULTS", "bogus=1")], &[]);
    let query = ingrid_with(
        &[("INGRID_SANDBOX_FAULTS", "bogus=1".to_owned())],
        &[
            "--env",
            "sandbox",
            "measures",
            "daily-measures",
            "--from",
            "2025-01-15",
            "--to",
            "2025-01-15",
        ],
    );

    let cases = [
        (from_flag, "revoke-every=0", "--faults"),
        (from_variable, "bogus=1", "INGRID_SANDBOX_FAULTS"),
        ((query, false), "bogus=1", "INGRID_SANDBOX_FAULTS"),
    ];
    for ((output, listened), item, source) in cases {
        let message = stderr(&output);
        assert!(!listened, "the sandbox served: {message}");
        assert_eq!(output.status.code(), Some(2), "{message}");
        let errors: Vec<&str> = message
            .lines()
            .filter(|line| line.starts_with("error:"))
            .collect();
        assert_eq!(errors.len(), 1, "{message}");
        assert!(errors[0].contains(&format!("`{item}`")), "{message}");
        assert!(errors[0].contains(source), "{message}");
    }
}

#[test]
fn sandbox_serve_logs_the_faults_it_injects() {
    let (output, listened) = sandbox_serve_with(
        &[("INGRID_SANDBOX_FAULTS", "bogus=1")],
        &["--faults", "unavailable=3/10,rate-limit-every=5"],
    );

    let logs = stderr(&output);
    assert!(listened, "the sandbox never listened: {logs}");
    assert!(
        logs.contains("rate-limit-every=5,unavailable=3/10"),
        "the flag, not the variable, sets the faults: {logs}"
    );
}

#[test]
fn a_query_on_the_sandbox_rides_out_the_faults_of_the_variable() {
    let faults = (
        "INGRID_SANDBOX_FAULTS",
        "unavailable=1/5,revoke-every=7".to_owned(),
    );
    let args = [
        "--env",
        "sandbox",
        "allocations",
        "hourly-allocations",
        "--from",
        "2024-10-26",
        "--to",
        "2024-10-26",
        "--size",
        "10",
    ];

    let rows = records(&ingrid_with(&[faults], &args));

    assert_eq!(
        rows.len(),
        75,
        "every page arrives despite a 503 in every five requests and revoked tokens"
    );
}

#[test]
fn a_reversed_range_is_a_usage_error() {
    let output = ingrid(&[
        "--env",
        "sandbox",
        "measures",
        "daily-measures",
        "--from",
        "2025-01-16",
        "--to",
        "2025-01-15",
    ]);

    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output).trim(),
        "error: --to 2025-01-15 is before --from 2025-01-16"
    );
}

#[test]
fn a_boolean_filter_alone_means_true() {
    let args = [
        "--env",
        "sandbox",
        "confirmation-notice",
        "confirmation-notice",
        "--from",
        "2025-01-15",
        "--to",
        "2025-01-15",
    ];
    let with_switch = [&args[..], &["--include-hourly"]].concat();

    let plain = records(&ingrid(&args));
    let hourly = records(&ingrid(&with_switch));

    assert!(plain.iter().all(|row| row.get("hourly").is_none()));
    assert!(hourly.iter().all(|row| {
        row["hourly"]
            .as_array()
            .is_some_and(|hours| hours.len() == 24)
    }));
}

/// A server whose first page announces six records in six pages and whose second page is
/// empty: the records of the announced pages never come.
#[tokio::test(flavor = "multi_thread")]
async fn pages_that_do_not_add_up_are_an_error_not_a_short_answer() {
    use httpmock::prelude::*;

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            then.status(200)
                .json_body(serde_json::json!({"access_token": "t0ken", "expires_in": 3600}));
        })
        .await;
    let allocation = serde_json::json!({
        "gasDay": "2025-01-15", "pointCode": "EG001F", "pointType": "PEG",
        "direction": "ENTRY", "allocatedQuantity": 1200, "unit": "kWh", "status": "FINAL"
    });
    for (page, data) in [("0", vec![allocation]), ("1", vec![])] {
        let body = serde_json::json!({
            "contractCode": "GFXY1201", "gasDayFrom": "2025-01-15", "gasDayTo": "2025-01-15",
            "data": data,
            "page": {"number": page.parse::<u32>().unwrap(), "size": 1, "totalElements": 6,
                     "totalPages": 6}
        });
        server
            .mock_async(|when, then| {
                when.path("/v1/allocations/daily-allocations")
                    .query_param("page", page);
                then.status(200).json_body(body);
            })
            .await;
    }
    let vars = [
        ("INGRID_API_URL", server.base_url()),
        ("INGRID_TOKEN_URL", server.url("/oauth2/token")),
        ("INGRID_CLIENT_ID", "shipper-app".to_owned()),
        ("INGRID_CLIENT_SECRET", "secret".to_owned()),
        ("INGRID_CONTRACT_CODE", "GFXY1201".to_owned()),
    ];
    let args = [
        "allocations",
        "daily-allocations",
        "--from",
        "2025-01-15",
        "--to",
        "2025-01-15",
    ];

    let output = tokio::task::spawn_blocking(move || ingrid_with(&vars, &args))
        .await
        .unwrap();

    assert_eq!(output.status.code(), Some(7), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("announced 6 records and its pages held 1"),
        "{message}"
    );
    assert!(
        output.stdout.is_empty(),
        "nothing is printed of a partial answer"
    );
}
