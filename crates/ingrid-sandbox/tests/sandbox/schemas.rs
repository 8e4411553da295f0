//! Every operation of the embedded specs answers with a body its response schema accepts.
//!
//! The schemas are OpenAPI 3.0, so they are turned into JSON Schema 2020-12 first: `nullable:
//! true` becomes a union with `null`, boolean `exclusiveMinimum`/`exclusiveMaximum` become
//! numeric, and `#/components/schemas/...` references resolve inside a root document that
//! carries the bundle's components. Each body is checked twice: against the spec as written,
//! and against the merged spec with every object closed, so that the sandbox cannot invent
//! fields either.

use std::collections::BTreeSet;

use ingrid_openapi::{Operation, merge_all_of, operations};
use ingrid_sandbox::DEMO_CONTRACT_CODE;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::support::{self, client, json_body, start};

/// A range that contains a 25-hour gas day, so hourly records meet both offsets.
const GAS_DAY_FROM: &str = "2024-10-26";
const GAS_DAY_TO: &str = "2024-10-27";

#[tokio::test]
async fn every_embedded_operation_answers_with_a_body_its_schema_accepts() {
    let specs = ingrid_sandbox::embedded_specs().expect("the embedded specs parse");
    let sandbox = start().await;
    let client = client();
    let token = support::token(&client, &sandbox).await;
    let mut served = BTreeSet::new();
    let mut failures = Vec::new();

    for document in specs.domains() {
        let bundle = specs
            .bundle(&document.file)
            .expect("the spec bundles")
            .value;
        let mut merged = bundle.clone();
        merge_all_of(&mut merged);

        for operation in operations(&bundle) {
            let (path, query) = valid_request(&bundle, &operation);
            let response = client
                .get(format!("{}{path}", sandbox.base_url()))
                .bearer_auth(&token)
                .query(&query)
                .send()
                .await
                .expect("answered");
            let body = json_body(response, StatusCode::OK, "application/json").await;

            let schema = success_schema(&bundle, &operation);
            failures.extend(violations(&bundle, schema, &body, false, &operation));
            failures.extend(violations(&merged, schema, &body, true, &operation));
            if let Some(data) = body.get("data").and_then(Value::as_array) {
                assert!(!data.is_empty(), "{operation}: no record to check");
            }
            let api = operation.path.rsplit('/').next().unwrap_or_default();
            served.insert((
                document.domain().to_owned(),
                api.to_owned(),
                operation.path.to_owned(),
            ));
        }
    }

    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(!served.is_empty(), "the embedded specs declare operations");
    let listed: BTreeSet<_> = sandbox.operations().into_iter().collect();
    assert_eq!(
        listed, served,
        "the sandbox lists exactly the specs' operations"
    );
}

/// Path and query of a request the operation must accept: every required parameter, with the
/// demo contract, a DST range, and a value its schema allows for the others.
fn valid_request(bundle: &Value, operation: &Operation<'_>) -> (String, Vec<(String, String)>) {
    let path_item = bundle
        .pointer(&format!(
            "/paths/{}",
            ingrid_openapi::escape_pointer(operation.path)
        ))
        .cloned()
        .unwrap_or(Value::Null);
    let declared = [&path_item, operation.operation]
        .into_iter()
        .filter_map(|owner| owner.get("parameters")?.as_array())
        .flatten()
        .map(|parameter| resolve(bundle, parameter));

    let mut path = operation.path.to_owned();
    let mut query = Vec::new();
    for parameter in declared {
        let name = parameter["name"].as_str().unwrap_or_default();
        let location = parameter["in"].as_str().unwrap_or_default();
        if parameter["required"] != true && location != "path" {
            continue;
        }
        let value = match name {
            "contractCode" => DEMO_CONTRACT_CODE.to_owned(),
            "gasDayFrom" => GAS_DAY_FROM.to_owned(),
            "gasDayTo" => GAS_DAY_TO.to_owned(),
            _ => allowed_value(bundle, &parameter["schema"], parameter.get("example")),
        };
        match location {
            "path" => path = path.replace(&format!("{{{name}}}"), &value),
            "query" => query.push((name.to_owned(), value)),
            _ => {}
        }
    }
    (path, query)
}

fn allowed_value(bundle: &Value, schema: &Value, example: Option<&Value>) -> String {
    let schema = resolve(bundle, schema);
    let text = |value: &Value| match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };

    if let Some(example) = example.or(schema.get("example")) {
        return text(example);
    }
    if let Some(first) = schema.get("enum").and_then(|options| options.get(0)) {
        return text(first);
    }
    match (schema["type"].as_str(), schema["format"].as_str()) {
        (_, Some("date")) => GAS_DAY_FROM.to_owned(),
        (Some("integer" | "number"), _) => text(schema.get("minimum").unwrap_or(&json!(1))),
        (Some("boolean"), _) => "true".to_owned(),
        _ => "SANDBOX".to_owned(),
    }
}

fn success_schema<'a>(bundle: &'a Value, operation: &Operation<'a>) -> &'a Value {
    let responses = &operation.operation["responses"];
    let response = resolve(bundle, &responses["200"]);
    &response["content"]["application/json"]["schema"]
}

fn resolve<'a>(bundle: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => bundle
            .pointer(reference.trim_start_matches('#'))
            .map_or(value, |target| resolve(bundle, target)),
        None => value,
    }
}

/// What `schema` (with the bundle's components) finds wrong in `body`.
fn violations(
    bundle: &Value,
    schema: &Value,
    body: &Value,
    closed: bool,
    operation: &Operation<'_>,
) -> Vec<String> {
    let components: Map<String, Value> = bundle
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, schema)| (name.clone(), json_schema(schema, closed)))
        .collect();
    let root = json!({
        "allOf": [json_schema(schema, closed)],
        "components": {"schemas": components},
    });

    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|error| panic!("{operation}: the converted schema is refused: {error}"));
    let mode = if closed { "closed" } else { "as written" };
    validator
        .iter_errors(body)
        .map(|error| format!("{operation} ({mode}) at {}: {error}", error.instance_path()))
        .collect()
}

/// An OpenAPI 3.0 schema as JSON Schema 2020-12; `closed` forbids undeclared properties on
/// plain object schemas.
fn json_schema(schema: &Value, closed: bool) -> Value {
    let Value::Object(keywords) = schema else {
        return schema.clone();
    };

    let mut converted = Map::new();
    for (keyword, value) in keywords {
        let value = match keyword.as_str() {
            "properties" => Value::Object(
                value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, property)| (name.clone(), json_schema(property, closed)))
                    .collect(),
            ),
            "items" | "additionalProperties" | "not" => json_schema(value, closed),
            // Members of a composition are not closed: each sees only part of the object.
            "allOf" | "anyOf" | "oneOf" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|member| json_schema(member, false))
                    .collect(),
            ),
            "nullable" | "example" | "discriminator" | "xml" | "externalDocs" => continue,
            _ => value.clone(),
        };
        converted.insert(keyword.clone(), value);
    }

    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        match converted.remove(flag) {
            Some(Value::Bool(true)) => {
                if let Some(bound) = converted.remove(bound) {
                    converted.insert(flag.to_owned(), bound);
                }
            }
            Some(Value::Bool(false)) | None => {}
            Some(numeric) => {
                converted.insert(flag.to_owned(), numeric);
            }
        }
    }

    let composed = ["allOf", "anyOf", "oneOf"]
        .iter()
        .any(|keyword| converted.contains_key(*keyword));
    if closed
        && converted.get("type") == Some(&json!("object"))
        && converted.contains_key("properties")
        && !converted.contains_key("additionalProperties")
        && !composed
    {
        converted.insert("additionalProperties".to_owned(), Value::Bool(false));
    }

    let converted = Value::Object(converted);
    if schema.get("nullable") == Some(&Value::Bool(true)) {
        json!({"anyOf": [converted, {"type": "null"}]})
    } else {
        converted
    }
}

#[test]
fn the_conversion_catches_what_the_spec_forbids() {
    let schema = json!({
        "type": "object",
        "required": ["day"],
        "properties": {
            "day": {"type": "string", "format": "date"},
            "eic": {"type": "string", "nullable": true},
        },
    });
    let validator = |closed| {
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&json_schema(&schema, closed))
            .expect("a valid schema")
    };

    assert!(validator(false).is_valid(&json!({"day": "2025-01-15", "eic": null})));
    assert!(!validator(false).is_valid(&json!({"day": "2025-13-15"})));
    assert!(!validator(false).is_valid(&json!({"eic": "x"})));
    assert!(validator(false).is_valid(&json!({"day": "2025-01-15", "extra": 1})));
    assert!(!validator(true).is_valid(&json!({"day": "2025-01-15", "extra": 1})));
}
