//! Every `example` and `examples` value must be valid against its schema: the sandbox serves
//! them and the documentation shows them, so a wrong one teaches users the wrong payload.
//!
//! The check uses the `jsonschema` crate. OpenAPI 3.0 schemas are not quite JSON Schema, so
//! the specs are first rewritten into one JSON Schema 2020-12 document that holds every file
//! under its name (`{"common.yaml": {...}, "allocations.yaml": {...}}`):
//! - `nullable: true` becomes a type union with `null` (and `null` joins an `enum`);
//! - the boolean `exclusiveMinimum`/`exclusiveMaximum` of 3.0 become the numeric ones;
//! - a `$ref` loses its siblings, which 3.0 ignores, and points into the combined document
//!   (`common.yaml#/components/schemas/GasDay` becomes `#/common.yaml/components/schemas/GasDay`).
//!
//! Formats are asserted, so `'2025-02-30'` fails a `format: date`.
//!
//! TODO(#3): the numeric formats of OpenAPI (`int32`, `int64`, `float`, `double`) are unknown
//! to JSON Schema and ignored, so an `int32` example beyond 2^31 passes; the crate's custom
//! formats only see strings, so this needs a keyword of our own.

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Registry, Validator};
use serde_json::{Map, Value, json};

use super::places::{Places, walk_in_place};
use super::refs::{Node, Resolver};
use super::{Findings, Rule};

/// The base URI of the combined document inside the validator's registry.
const COMBINED_URI: &str = "urn:ingrid-rs:specs";

/// How many errors of one example are worth reading.
const MAX_ERRORS: usize = 3;

/// Checks every example of every file against its schema.
pub fn check(resolver: &Resolver<'_>, findings: &mut Findings) {
    let combined = combined_document(resolver);
    let registry = match Registry::new()
        .add(COMBINED_URI, &combined)
        .and_then(|registry| registry.prepare())
    {
        Ok(registry) => registry,
        Err(error) => {
            // Only a schema the JSON Schema crate cannot index gets here; say so once.
            let file = resolver.files().next().unwrap_or_default();
            findings.at_pointer(
                file,
                "",
                Rule::InvalidExample,
                format!("the examples could not be checked: the schemas do not load: {error}"),
            );
            return;
        }
    };

    for file in resolver.files() {
        let Some(root) = resolver.root(file) else {
            continue;
        };
        for example in examples_of(resolver, &root) {
            check_example(&registry, &example, findings);
        }
    }
}

/// An example value and the schema it must satisfy.
#[derive(Debug)]
struct Example<'a> {
    value: Node<'a>,
    /// `(file, pointer)` of the schema.
    schema: (&'a str, String),
}

fn examples_of<'a>(resolver: &Resolver<'a>, root: &Node<'a>) -> Vec<Example<'a>> {
    let places = Places::of(root);
    let mut found = Vec::new();

    for schema in &places.schemas {
        walk_in_place(schema, &mut |schema| {
            if let Some(value) = schema.child("example") {
                found.push(Example {
                    value,
                    schema: (schema.file, schema.pointer.clone()),
                });
            }
        });
    }

    let owners = places
        .parameters
        .iter()
        .chain(&places.media_types)
        .chain(&places.headers);
    for owner in owners {
        let Some(schema) = owner.child("schema") else {
            continue;
        };
        let schema = (schema.file, schema.pointer);
        if let Some(value) = owner.child("example") {
            found.push(Example {
                value,
                schema: schema.clone(),
            });
        }
        let named = owner
            .child("examples")
            .map(|n| n.members())
            .unwrap_or_default();
        for (_, example) in named {
            if let Some(value) = resolver.follow(example).and_then(|e| e.child("value")) {
                found.push(Example {
                    value,
                    schema: schema.clone(),
                });
            }
        }
    }
    found
}

fn check_example(registry: &Registry<'_>, example: &Example<'_>, findings: &mut Findings) {
    let (file, pointer) = &example.schema;
    let reference = format!(
        "{COMBINED_URI}#/{}{}",
        encode_fragment(&ingrid_openapi::escape_pointer(file)),
        encode_fragment(pointer)
    );
    let validator = match build(registry, &reference) {
        Ok(validator) => validator,
        // A reference that does not resolve has its own finding.
        Err(error) if matches!(error.kind(), ValidationErrorKind::Referencing(_)) => return,
        Err(error) => {
            findings.at(
                &example.value,
                Rule::InvalidExample,
                format!("the example's schema at {pointer} is not valid JSON Schema: {error}"),
            );
            return;
        }
    };

    for error in validator.iter_errors(example.value.value).take(MAX_ERRORS) {
        let inside = error.instance_path().as_str();
        let at = Node {
            file: example.value.file,
            pointer: format!("{}{inside}", example.value.pointer),
            value: example.value.value,
        };
        findings.at(
            &at,
            Rule::InvalidExample,
            format!("the example does not match its schema at {pointer}: {error}"),
        );
    }
}

fn build(
    registry: &Registry<'_>,
    reference: &str,
) -> Result<Validator, jsonschema::ValidationError<'static>> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .with_registry(registry)
        .build(&json!({ "$ref": reference }))
}

/// Every file under its name, each schema rewritten as the module documentation says.
fn combined_document(resolver: &Resolver<'_>) -> Value {
    let mut combined = Map::new();
    for file in resolver.files() {
        let Some(root) = resolver.root(file) else {
            continue;
        };
        let mut schema_pointers = Vec::new();
        for schema in Places::of(&root).schemas {
            walk_in_place(&schema, &mut |schema| {
                schema_pointers.push(schema.pointer.clone())
            });
        }

        let mut document = root.value.clone();
        // Inner schemas first: rewriting an outer one may wrap it, moving what is inside.
        for pointer in schema_pointers.iter().rev() {
            if let Some(schema) = document.pointer_mut(pointer) {
                to_json_schema(schema, file);
            }
        }
        combined.insert(file.to_owned(), document);
    }
    Value::Object(combined)
}

/// Rewrites one OpenAPI 3.0 schema object (not what is inside it) into JSON Schema 2020-12.
fn to_json_schema(schema: &mut Value, file: &str) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };

    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        let combined = combined_reference(reference, file);
        map.clear();
        map.insert("$ref".into(), Value::String(combined));
        return;
    }

    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(Value::Bool(is_exclusive)) = map.get(exclusive).cloned() {
            map.remove(exclusive);
            if is_exclusive && let Some(limit) = map.remove(bound) {
                map.insert(exclusive.into(), limit);
            }
        }
    }

    if map.remove("nullable") != Some(Value::Bool(true)) {
        return;
    }
    if let Some(Value::Array(values)) = map.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    match map.get("type").cloned() {
        Some(Value::String(kind)) => {
            map.insert("type".into(), json!([kind, "null"]));
        }
        _ => {
            let inner = Value::Object(std::mem::take(map));
            map.insert("anyOf".into(), json!([{ "type": "null" }, inner]));
        }
    }
}

/// Where `reference`, written in `file`, points inside the combined document.
fn combined_reference(reference: &str, file: &str) -> String {
    let (target, fragment) = reference.split_once('#').unwrap_or((reference, ""));
    let target = match target.trim_start_matches("./") {
        "" => file,
        other => other,
    };
    format!(
        "#/{}{}",
        encode_fragment(&ingrid_openapi::escape_pointer(target)),
        fragment
    )
}

/// Percent-encodes what a URI fragment cannot hold as is (`{` of a path template, spaces).
fn encode_fragment(pointer: &str) -> String {
    let mut encoded = String::with_capacity(pointer.len());
    for byte in pointer.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte);
        if keep {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_becomes_a_union_with_null() {
        let mut schema = json!({"type": "integer", "nullable": true, "enum": [1, 2]});

        to_json_schema(&mut schema, "a.yaml");

        assert_eq!(
            schema,
            json!({"type": ["integer", "null"], "enum": [1, 2, null]})
        );
    }

    #[test]
    fn nullable_without_type_wraps_the_schema() {
        let mut schema = json!({"allOf": [{"type": "string"}], "nullable": true});

        to_json_schema(&mut schema, "a.yaml");

        assert_eq!(
            schema,
            json!({"anyOf": [{"type": "null"}, {"allOf": [{"type": "string"}]}]})
        );
    }

    #[test]
    fn boolean_exclusive_bounds_become_numeric() {
        let mut schema = json!({
            "type": "number",
            "minimum": 0, "exclusiveMinimum": true,
            "maximum": 9, "exclusiveMaximum": false
        });

        to_json_schema(&mut schema, "a.yaml");

        assert_eq!(
            schema,
            json!({"type": "number", "exclusiveMinimum": 0, "maximum": 9})
        );
    }

    #[test]
    fn references_point_into_the_combined_document_and_lose_their_siblings() {
        let mut local = json!({"$ref": "#/components/schemas/Row", "description": "ignored"});
        let mut shared = json!({"$ref": "common.yaml#/components/schemas/GasDay"});

        to_json_schema(&mut local, "allocations.yaml");
        to_json_schema(&mut shared, "allocations.yaml");

        assert_eq!(
            local,
            json!({"$ref": "#/allocations.yaml/components/schemas/Row"})
        );
        assert_eq!(
            shared,
            json!({"$ref": "#/common.yaml/components/schemas/GasDay"})
        );
    }

    #[test]
    fn a_path_template_is_percent_encoded_in_a_fragment() {
        assert_eq!(
            encode_fragment("/paths/~1v1~1x~1{id}/get"),
            "/paths/~1v1~1x~1%7Bid%7D/get"
        );
    }
}
