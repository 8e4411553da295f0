//! What the generated data looks like: pages, gas-day calendar, points, determinism, and the
//! shapes a spec can ask for.

use std::collections::BTreeSet;

use chrono::DateTime;
use ingrid_sandbox::{DEMO_CONTRACT_CODE, Sandbox, SpecSet};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{
    self, DAILY_ALLOCATIONS, DEMO_POINT_COUNT, HOURLY_ALLOCATIONS, client, get, json_body,
    range_query, records, start,
};

/// A spec of its own, beside the embedded ones: a daily record with hourly sub-rows, and a
/// record with no point at all.
const TEST_SPEC: &str = r##"
openapi: 3.0.3
info: {title: Test domain, version: '1'}
paths:
  /v1/test/daily-with-hours:
    get:
      operationId: getDailyWithHours
      parameters:
        - {name: contractCode, in: query, required: true, schema: {type: string}}
        - {name: gasDayFrom, in: query, required: true, schema: {type: string, format: date}}
        - {name: gasDayTo, in: query, required: true, schema: {type: string, format: date}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/DailyWithHoursList'}
  /v1/test/indicators:
    get:
      operationId: getIndicators
      parameters:
        - {name: contractCode, in: query, required: true, schema: {type: string}}
        - {name: gasDayFrom, in: query, required: true, schema: {type: string, format: date}}
        - {name: gasDayTo, in: query, required: true, schema: {type: string, format: date}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/IndicatorList'}
components:
  schemas:
    Envelope:
      type: object
      required: [contractCode, gasDayFrom, gasDayTo, page]
      properties:
        contractCode: {type: string}
        gasDayFrom: {type: string, format: date}
        gasDayTo: {type: string, format: date}
        page:
          type: object
          properties:
            number: {type: integer}
            size: {type: integer}
            totalElements: {type: integer}
            totalPages: {type: integer}
    DailyWithHoursList:
      allOf:
        - $ref: '#/components/schemas/Envelope'
        - type: object
          properties:
            data: {type: array, items: {$ref: '#/components/schemas/DailyWithHours'}}
    DailyWithHours:
      type: object
      properties:
        gasDay: {type: string, format: date}
        pointCode: {type: string}
        hourly:
          type: array
          items:
            type: object
            properties:
              hourIndex: {type: integer, minimum: 1, maximum: 25}
              periodStart: {type: string, format: date-time}
              periodEnd: {type: string, format: date-time}
              quantity: {type: integer, format: int64, example: 1000000}
    IndicatorList:
      allOf:
        - $ref: '#/components/schemas/Envelope'
        - type: object
          properties:
            data: {type: array, items: {$ref: '#/components/schemas/Indicator'}}
    Indicator:
      type: object
      properties:
        gasDay: {type: string, format: date}
        linepack: {type: number, example: 1234.5, minimum: 0}
"##;

async fn start_test_spec() -> ingrid_sandbox::RunningSandbox {
    let specs = SpecSet::from_sources([("test.yaml", TEST_SPEC)]).expect("the test spec parses");
    support::start_with(Sandbox::builder().specs(specs)).await
}

/// GETs `path` over a range and returns the JSON body of the 200 answer.
async fn list(
    sandbox: &ingrid_sandbox::RunningSandbox,
    path: &str,
    from: &str,
    to: &str,
    extra: &[(&str, &str)],
) -> Value {
    let client = client();
    let token = support::token(&client, sandbox).await;
    let mut query = range_query(from, to);
    query.extend_from_slice(extra);

    let response = get(&client, sandbox, &token, path, &query).await;
    json_body(response, StatusCode::OK, "application/json").await
}

fn instant(value: &Value) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a date-time string"))
        .expect("an RFC 3339 date-time")
}

#[tokio::test]
async fn the_envelope_repeats_the_request_and_counts_the_records() {
    let sandbox = start().await;

    let body = list(&sandbox, DAILY_ALLOCATIONS, "2025-01-01", "2025-01-05", &[]).await;

    assert_eq!(body["contractCode"], DEMO_CONTRACT_CODE);
    assert_eq!(body["gasDayFrom"], "2025-01-01");
    assert_eq!(body["gasDayTo"], "2025-01-05");
    let expected = 5 * DEMO_POINT_COUNT;
    assert_eq!(records(&body).len(), expected);
    assert_eq!(body["page"]["totalElements"], expected);
    assert_eq!(body["page"]["number"], 0);
    assert_eq!(body["page"]["size"], 500);
    assert_eq!(body["page"]["totalPages"], 1);
    for record in records(&body) {
        let gas_day = record["gasDay"].as_str().unwrap_or_default();
        assert!(
            ("2025-01-01"..="2025-01-05").contains(&gas_day),
            "{gas_day}"
        );
    }
}

#[tokio::test]
async fn pages_split_the_records_without_losing_or_repeating_any() {
    let sandbox = start().await;
    let whole = list(&sandbox, DAILY_ALLOCATIONS, "2025-01-01", "2025-01-05", &[]).await;
    let total = records(&whole).len();
    let size = 4;
    let pages = total.div_ceil(size);

    let mut joined = Vec::new();
    for page in 0..=pages {
        let (page_text, size_text) = (page.to_string(), size.to_string());
        let body = list(
            &sandbox,
            DAILY_ALLOCATIONS,
            "2025-01-01",
            "2025-01-05",
            &[("page", &page_text), ("size", &size_text)],
        )
        .await;

        assert_eq!(body["page"]["number"], page);
        assert_eq!(body["page"]["size"], size);
        assert_eq!(body["page"]["totalElements"], total);
        assert_eq!(body["page"]["totalPages"], pages);
        let expected_length = total.saturating_sub(page * size).min(size);
        assert_eq!(records(&body).len(), expected_length, "page {page}");
        joined.extend(records(&body).iter().cloned());
    }

    assert_eq!(
        &joined,
        records(&whole),
        "the pages put together are the whole result"
    );
}

#[tokio::test]
async fn hourly_rows_follow_the_gas_day_calendar() {
    let sandbox = start().await;
    // Gas day, hours, offset at its start and at its end (INGRID.md §3.1).
    let days = [
        ("2024-10-26", 25, "+02:00", "+01:00"),
        ("2025-03-29", 23, "+01:00", "+02:00"),
        ("2025-01-15", 24, "+01:00", "+01:00"),
    ];

    for (day, hours, start_offset, end_offset) in days {
        let body = list(&sandbox, HOURLY_ALLOCATIONS, day, day, &[]).await;
        let rows = records(&body);
        let points: BTreeSet<&str> = rows
            .iter()
            .filter_map(|row| row["pointCode"].as_str())
            .collect();
        assert_eq!(points.len(), DEMO_POINT_COUNT, "{day}");

        for point in points {
            let point_rows: Vec<&Value> = rows
                .iter()
                .filter(|row| row["pointCode"] == point)
                .collect();
            assert_eq!(point_rows.len(), hours, "{day} at {point}");

            let indexes: Vec<u64> = point_rows
                .iter()
                .filter_map(|row| row["hourIndex"].as_u64())
                .collect();
            assert_eq!(indexes, (1..=hours as u64).collect::<Vec<_>>());
            assert!(point_rows.iter().all(|row| row["gasDay"] == day));

            let first_start = point_rows[0]["periodStart"].as_str().unwrap_or_default();
            let last_end = point_rows[hours - 1]["periodEnd"]
                .as_str()
                .unwrap_or_default();
            assert_eq!(first_start, format!("{day}T06:00:00{start_offset}"));
            assert!(
                last_end.ends_with(&format!("T06:00:00{end_offset}")),
                "{last_end}"
            );

            for row in &point_rows {
                let length = instant(&row["periodEnd"]) - instant(&row["periodStart"]);
                assert_eq!(length.num_minutes(), 60, "{row}");
            }
            for pair in point_rows.windows(2) {
                assert_eq!(pair[0]["periodEnd"], pair[1]["periodStart"], "continuous");
            }
        }
    }
}

#[tokio::test]
async fn the_same_request_gets_the_same_bytes() {
    let sandbox = start().await;
    let client = client();
    let first_token = support::token(&client, &sandbox).await;
    let second_token = support::token(&client, &sandbox).await;
    let query = range_query("2024-10-26", "2024-10-27");
    let other_query = range_query("2024-10-28", "2024-10-29");

    let first = get(&client, &sandbox, &first_token, HOURLY_ALLOCATIONS, &query).await;
    let second = get(&client, &sandbox, &second_token, HOURLY_ALLOCATIONS, &query).await;
    let other = get(
        &client,
        &sandbox,
        &first_token,
        HOURLY_ALLOCATIONS,
        &other_query,
    )
    .await;
    let restarted = start().await;
    let restarted_token = support::token(&client, &restarted).await;
    let third = get(
        &client,
        &restarted,
        &restarted_token,
        HOURLY_ALLOCATIONS,
        &query,
    )
    .await;

    let first = first.bytes().await.expect("a body");
    assert_eq!(first, second.bytes().await.expect("a body"));
    assert_eq!(
        first,
        third.bytes().await.expect("a body"),
        "another sandbox, same bytes"
    );
    assert_ne!(first, other.bytes().await.expect("a body"));
}

#[tokio::test]
async fn quantities_vary_from_row_to_row() {
    let sandbox = start().await;

    let body = list(
        &sandbox,
        HOURLY_ALLOCATIONS,
        "2025-01-15",
        "2025-01-15",
        &[],
    )
    .await;

    let quantities: BTreeSet<i64> = records(&body)
        .iter()
        .filter_map(|row| row["allocatedQuantity"].as_i64())
        .collect();
    assert_eq!(
        records(&body).len(),
        24 * DEMO_POINT_COUNT,
        "every quantity is an integer"
    );
    assert!(quantities.len() > 1, "{quantities:?}");
}

#[tokio::test]
async fn records_follow_the_point_and_status_filters() {
    let sandbox = start().await;
    let filters = [
        ("pointCode", "EG001F"),
        ("direction", "EXIT"),
        ("direction", "ENTRY"),
        ("pointType", "PITS"),
        ("status", "FINAL"),
    ];

    for (name, value) in filters {
        let body = list(
            &sandbox,
            DAILY_ALLOCATIONS,
            "2025-01-15",
            "2025-01-16",
            &[(name, value)],
        )
        .await;

        let rows = records(&body);
        assert!(!rows.is_empty(), "{name}={value}");
        assert!(
            rows.iter().all(|row| row[name] == value),
            "{name}={value}: {body}"
        );
        assert_eq!(body["page"]["totalElements"], rows.len());
    }
}

#[tokio::test]
async fn a_point_filter_that_matches_no_demo_point_gives_an_empty_page() {
    let sandbox = start().await;

    let body = list(
        &sandbox,
        DAILY_ALLOCATIONS,
        "2025-01-15",
        "2025-01-15",
        &[("pointCode", "XX0000")],
    )
    .await;

    assert!(records(&body).is_empty());
    assert_eq!(body["page"]["totalElements"], 0);
    assert_eq!(body["page"]["totalPages"], 0);
}

#[tokio::test]
async fn an_operation_added_to_the_specs_is_served_with_no_new_code() {
    let sandbox = start_test_spec().await;

    let operations = sandbox.operations();

    assert_eq!(
        operations,
        [
            (
                "test".to_owned(),
                "daily-with-hours".to_owned(),
                "/v1/test/daily-with-hours".to_owned()
            ),
            (
                "test".to_owned(),
                "indicators".to_owned(),
                "/v1/test/indicators".to_owned()
            ),
        ]
    );
    let body = list(
        &sandbox,
        "/v1/test/indicators",
        "2025-01-15",
        "2025-01-17",
        &[],
    )
    .await;
    assert_eq!(
        records(&body).len(),
        3,
        "records without a point come once per gas day"
    );
}

#[tokio::test]
async fn hourly_sub_rows_of_a_daily_record_cover_the_hours_of_its_gas_day() {
    let sandbox = start_test_spec().await;

    let body = list(
        &sandbox,
        "/v1/test/daily-with-hours",
        "2024-10-26",
        "2024-10-27",
        &[],
    )
    .await;

    // Gas day, its hours, and the first hour's start.
    let expected = [
        ("2024-10-26", 25, "2024-10-26T06:00:00+02:00"),
        ("2024-10-27", 24, "2024-10-27T06:00:00+01:00"),
    ];
    let rows = records(&body);
    assert_eq!(rows.len(), expected.len() * DEMO_POINT_COUNT);
    for row in rows {
        let hours = row["hourly"].as_array().expect("an hourly array");
        let Some((_, count, first_start)) = expected.iter().find(|(day, ..)| row["gasDay"] == *day)
        else {
            panic!("a gas day outside the range: {row}");
        };

        assert_eq!(hours.len(), *count, "{}", row["gasDay"]);
        assert_eq!(hours[0]["periodStart"], *first_start);
        assert_eq!(hours[0]["hourIndex"], 1);
        for pair in hours.windows(2) {
            assert_eq!(pair[0]["periodEnd"], pair[1]["periodStart"]);
        }
    }
}

#[tokio::test]
async fn records_with_hourly_sub_rows_take_the_hourly_range_limit() {
    let sandbox = start_test_spec().await;
    let client = client();
    let token = support::token(&client, &sandbox).await;

    let response = get(
        &client,
        &sandbox,
        &token,
        "/v1/test/daily-with-hours",
        &range_query("2025-01-01", "2025-02-01"),
    )
    .await;

    support::problem(
        response,
        StatusCode::BAD_REQUEST,
        "/v1/test/daily-with-hours",
    )
    .await;
}

#[tokio::test]
async fn an_include_switch_adds_its_optional_field_only_when_true() {
    let sandbox = support::start().await;
    let path = "/v1/confirmation-notice/confirmation-notice";

    let without = list(&sandbox, path, "2025-01-15", "2025-01-15", &[]).await;
    let with = list(
        &sandbox,
        path,
        "2025-01-15",
        "2025-01-15",
        &[("includeHourly", "true")],
    )
    .await;

    assert!(!records(&without).is_empty());
    assert!(
        records(&without)
            .iter()
            .all(|row| row.get("hourly").is_none()),
        "{without}"
    );
    let hours = records(&with)[0]["hourly"]
        .as_array()
        .expect("hours when asked for");
    assert_eq!(hours.len(), 24);
}
