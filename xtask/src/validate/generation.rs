//! The constructs that make progenitor panic, refuse a spec, or silently generate the wrong
//! request (`shared/notes/PROGENITOR.md`, "seen, not guessed").

use std::collections::{BTreeMap, BTreeSet};

use heck::ToUpperCamelCase;
use ingrid_openapi::SpecSet;
use serde_json::Value;

use super::places::OperationNode;
use super::refs::{Node, Resolver};
use super::{Findings, Rule};
use crate::rust_names::{self, Case};

/// Checks every operation of the document `root`.
pub fn check<'a>(set: &SpecSet, resolver: &Resolver<'a>, root: &Node<'a>, findings: &mut Findings) {
    let operations = OperationNode::all_in(root);
    if operations.is_empty() {
        return;
    }

    check_operation_ids(&operations, findings);

    let schema_names = schema_names_of_crate(set, resolver, root);
    for operation in &operations {
        check_responses(resolver, operation, findings);
        check_request_body(resolver, operation, findings);
        for parameter in operation.parameters(resolver) {
            check_parameter(resolver, &parameter, &schema_names, findings);
        }
    }
}

/// operationIds give the method names; two that are equal in snake_case give two methods of
/// one name, which progenitor accepts and rustc does not.
fn check_operation_ids(operations: &[OperationNode<'_>], findings: &mut Findings) {
    let mut by_method: BTreeMap<String, &str> = BTreeMap::new();

    for operation in operations {
        let Some(id) = operation.operation_id() else {
            findings.at(
                &operation.node,
                Rule::MissingOperationId,
                format!(
                    "{} {} has no operationId; progenitor refuses the spec, and the client's \
                     method name comes from it",
                    operation.method.to_uppercase(),
                    operation.path
                ),
            );
            continue;
        };
        let method = rust_names::progenitor(id, Case::Snake);
        match by_method.get(&method) {
            Some(first) => {
                let at = operation
                    .node
                    .child("operationId")
                    .unwrap_or(operation.node.clone());
                findings.at(
                    &at,
                    Rule::OperationIdClash,
                    format!(
                        "operationId `{id}` and `{first}` are both `{method}` in snake_case: the \
                         crate would have two methods of that name and not compile"
                    ),
                );
            }
            None => {
                by_method.insert(method, id);
            }
        }
    }
}

/// What a response decodes into, to tell two bodies apart: the `(file, pointer)` of its schema
/// once references are followed, the schema itself when written inline, or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Body {
    None,
    Schema(String, String),
    Inline(Value),
}

fn body_of<'a>(resolver: &Resolver<'a>, response: &Node<'a>) -> Body {
    let Some(response) = resolver.follow(response.clone()) else {
        return Body::None;
    };
    let schema = response
        .child("content")
        .and_then(|content| content.members().into_iter().next())
        .and_then(|(_, media_type)| media_type.child("schema"));
    let Some(schema) = schema else {
        return Body::None;
    };
    match (schema.reference(), resolver.follow(schema.clone())) {
        (Some(_), Some(target)) => Body::Schema(target.file.to_owned(), target.pointer),
        _ => Body::Inline(schema.value.clone()),
    }
}

fn check_responses<'a>(
    resolver: &Resolver<'a>,
    operation: &OperationNode<'a>,
    findings: &mut Findings,
) {
    let responses = operation.responses();
    let successes: Vec<(&str, Node<'a>, Body)> = responses
        .iter()
        .filter(|(status, _)| status.starts_with('2'))
        .map(|(status, node)| (*status, node.clone(), body_of(resolver, node)))
        .collect();

    if let Some((first_status, _, first_body)) = successes.first() {
        for (status, node, body) in &successes[1..] {
            if body != first_body {
                findings.at(
                    node,
                    Rule::SeveralSuccessBodies,
                    format!(
                        "{} has success responses {first_status} and {status} with different \
                         bodies; progenitor panics on it: keep one success response",
                        operation.label()
                    ),
                );
            }
        }
    }

    let Some((_, default)) = responses.iter().find(|(status, _)| *status == "default") else {
        return;
    };
    let default_body = body_of(resolver, default);
    if let Some((status, _, _)) = successes.iter().find(|(_, _, body)| *body != default_body) {
        findings.at(
            default,
            Rule::SuccessBesideDefault,
            format!(
                "{} has a `default` response whose body differs from its {status} response; \
                 progenitor panics on it: list the error statuses instead of `default`",
                operation.label()
            ),
        );
    }
}

fn check_request_body<'a>(
    resolver: &Resolver<'a>,
    operation: &OperationNode<'a>,
    findings: &mut Findings,
) {
    let Some(body) = operation.node.child("requestBody") else {
        return;
    };
    let Some(content) = resolver.follow(body).and_then(|body| body.child("content")) else {
        return;
    };
    let media_types: Vec<&str> = content
        .members()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    if media_types.len() > 1 {
        findings.at(
            &content,
            Rule::SeveralRequestMediaTypes,
            format!(
                "{}'s request body has {} media types ({}); progenitor panics on more than one",
                operation.label(),
                media_types.len(),
                media_types.join(", ")
            ),
        );
    }
}

/// The schema names the crate of `root` sees once bundled: its own and the shared ones it uses.
fn schema_names_of_crate(
    set: &SpecSet,
    resolver: &Resolver<'_>,
    root: &Node<'_>,
) -> BTreeSet<String> {
    if let Ok(bundle) = set.bundle(root.file) {
        return object_keys(bundle.value.pointer("/components/schemas"));
    }
    // A reference does not resolve (reported apart): the file's own names and the shared ones.
    let mut names = object_keys(root.value.pointer("/components/schemas"));
    if let Some(common) = resolver.root(ingrid_openapi::COMMON_FILE) {
        names.extend(object_keys(common.value.pointer("/components/schemas")));
    }
    names
}

fn object_keys(value: Option<&Value>) -> BTreeSet<String> {
    value
        .and_then(Value::as_object)
        .map(|map| map.keys().cloned().collect())
        .unwrap_or_default()
}

fn check_parameter<'a>(
    resolver: &Resolver<'a>,
    parameter: &Node<'a>,
    schema_names: &BTreeSet<String>,
    findings: &mut Findings,
) {
    let name = parameter
        .value
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let location = parameter.value.get("in").and_then(Value::as_str);

    if let Some(explode) = parameter.child("explode")
        && explode.value == &Value::Bool(false)
    {
        findings.at(
            &explode,
            Rule::ExplodeFalse,
            format!(
                "parameter `{name}` has `explode: false`, which progenitor ignores: it sends \
                 the exploded form anyway"
            ),
        );
    }
    if let Some(style) = parameter.child("style")
        && style.value.as_str() == Some("deepObject")
    {
        findings.at(
            &style,
            Rule::DeepObjectParameter,
            format!("parameter `{name}` has `style: deepObject`, which progenitor refuses"),
        );
    }
    if matches!(location, Some("path" | "header"))
        && let Some(schema) = parameter.child("schema").and_then(|s| resolver.follow(s))
        && schema.value.get("format").and_then(Value::as_str) == Some("date-time")
    {
        findings.at(
            &schema,
            Rule::DateTimeOutsideQuery,
            format!(
                "{} parameter `{name}` is a date-time: progenitor sends it in chrono's Display \
                 form (`2025-01-15 06:00:00 +01:00`), not RFC 3339; make it a query parameter \
                 or a string",
                location.unwrap_or_default()
            ),
        );
    }
    if location != Some("query") {
        return;
    }

    let Some(schema) = parameter.child("schema") else {
        return;
    };
    // A schema whose reference does not resolve has its own finding.
    let Some(resolved) = resolver.follow(schema.clone()) else {
        return;
    };
    let is_object = resolved.value.get("type").and_then(Value::as_str) == Some("object")
        || resolved.value.get("properties").is_some();
    if is_object {
        findings.at(
            &schema,
            Rule::ObjectQueryParameter,
            format!(
                "query parameter `{name}` is an object; progenitor panics on optional object \
                 query parameters: use one scalar parameter per member"
            ),
        );
    }

    // progenitor names a parameter's type after the parameter: `page` becomes `Page`, and a
    // schema of that name would be taken for it.
    let type_name = name.to_upper_camel_case();
    let references_it = schema
        .reference()
        .is_some_and(|reference| reference.ends_with(&format!("#/components/schemas/{type_name}")));
    if schema_names.contains(&type_name) && !references_it {
        let at = parameter.child("name").unwrap_or(parameter.clone());
        findings.at(
            &at,
            Rule::ParameterTypeName,
            format!(
                "query parameter `{name}` would get the Rust type name `{type_name}`, which is a \
                 schema it does not use: progenitor would type the parameter as that schema; \
                 rename the schema"
            ),
        );
    }
}
