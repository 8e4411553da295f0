//! Rewrites a bundled domain spec into the form progenitor generates correct code from.
//!
//! The specs stay plain, reviewable OpenAPI; what follows is the price of code generation and
//! is applied to an in-memory copy only:
//! - `allOf` envelopes are merged into one object, since typify's `allOf` types are awkward;
//! - every response object gets `additionalProperties: {}` so that typify adds a flattened
//!   `extra` map, which keeps the fields GRTgaz adds without notice instead of dropping them;
//! - `pattern`s are dropped: they document a format, and a client that enforced them would
//!   fail a whole response over one unexpected string (and typify would need `regress`);
//! - `application/problem+json` error bodies are declared as `application/json`, the only
//!   media type progenitor decodes, so that error responses arrive as typed [`Problem`]s
//!   (the generated code does not look at the response's content type).
//!
//! [`Problem`]: ../../ingrid-types/struct.Problem.html

use serde_json::{Map, Value};

/// Applies every rewrite of the module documentation to a bundled spec.
pub fn for_generation(spec: &mut Value) {
    ingrid_openapi::merge_all_of(spec);

    if let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for schema in schemas.values_mut() {
            relax(schema);
        }
    }

    if let Some(parameters) = spec
        .pointer_mut("/components/parameters")
        .and_then(Value::as_object_mut)
    {
        for parameter in parameters.values_mut() {
            parameter.get_mut("schema").into_iter().for_each(relax);
        }
    }

    if let Some(responses) = spec
        .pointer_mut("/components/responses")
        .and_then(Value::as_object_mut)
    {
        for response in responses.values_mut() {
            declare_problem_as_json(response);
        }
    }
    let operation_pointers: Vec<String> = ingrid_openapi::operations(spec)
        .into_iter()
        .map(|operation| operation.pointer)
        .collect();
    for pointer in operation_pointers {
        let responses = spec
            .pointer_mut(&format!("{pointer}/responses"))
            .and_then(Value::as_object_mut);
        for response in responses
            .into_iter()
            .flat_map(|responses| responses.values_mut())
        {
            declare_problem_as_json(response);
        }
    }
}

/// Adds `additionalProperties: {}` to every object schema with properties and drops every
/// `pattern`, recursively.
fn relax(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };

    map.remove("pattern");
    let is_object = map.get("type").and_then(Value::as_str) == Some("object");
    if is_object && map.contains_key("properties") && !map.contains_key("additionalProperties") {
        map.insert("additionalProperties".into(), Value::Object(Map::new()));
    }
    for (key, child) in map.iter_mut() {
        match key.as_str() {
            "properties" => {
                child
                    .as_object_mut()
                    .into_iter()
                    .flatten()
                    .for_each(|(_, property)| {
                        relax(property);
                    })
            }
            "items" => relax(child),
            _ => {}
        }
    }
}

fn declare_problem_as_json(response: &mut Value) {
    let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(problem) = content.remove("application/problem+json") {
        content.entry("application/json").or_insert(problem);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_keep_unknown_fields_and_problems_become_json() {
        let mut spec = json!({
            "paths": {"/v1/x/y": {"get": {"responses": {
                "400": {"content": {"application/problem+json": {"schema": {}}}}
            }}}},
            "components": {"schemas": {"Row": {
                "type": "object",
                "properties": {
                    "nested": {"type": "object", "properties": {"a": {}}},
                    "month": {"type": "string", "pattern": "^[0-9]{4}$"}
                }
            }}}
        });

        for_generation(&mut spec);

        let row = &spec["components"]["schemas"]["Row"];
        assert_eq!(row["additionalProperties"], json!({}));
        assert_eq!(
            row["properties"]["nested"]["additionalProperties"],
            json!({})
        );
        assert!(row["properties"]["month"].get("pattern").is_none());
        let content = &spec["paths"]["/v1/x/y"]["get"]["responses"]["400"]["content"];
        assert!(content.get("application/json").is_some());
        assert!(content.get("application/problem+json").is_none());
    }
}
