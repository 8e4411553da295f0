//! Forward compatibility of what a client decodes: GRTgaz adds fields and enum values without
//! notice (INGRID.md, decision 6), and one unknown value must not fail a whole response. A
//! `oneOf` without a discriminator is checked here too: it decodes, but loses data.
//!
//! The generation keeps unknown fields (`transform.rs` adds `additionalProperties: {}`) unless
//! a schema closes itself with `additionalProperties: false`, and it keeps unknown enum values
//! for the named string enums of `components.schemas` only (`open_enum.rs`): an enum written
//! inline, or of another type, becomes a closed Rust enum.

use std::collections::HashSet;

use serde_json::Value;

use super::places::{OperationNode, walk_following};
use super::refs::{Node, Resolver};
use super::{Findings, Rule};

/// Checks every schema reachable from the responses and parameters of every operation.
pub fn check(resolver: &Resolver<'_>, findings: &mut Findings) {
    let mut seen_in_responses = HashSet::new();
    let mut seen_in_parameters = HashSet::new();

    for file in resolver.files() {
        let Some(root) = resolver.root(file) else {
            continue;
        };
        for operation in OperationNode::all_in(&root) {
            for (_, response) in operation.responses() {
                for schema in response_schemas(resolver, &response) {
                    walk_following(resolver, &schema, &mut seen_in_responses, &mut |schema| {
                        check_closed_object(schema, findings);
                        check_one_of(schema, findings);
                        check_enum(schema, "a response", findings);
                    });
                }
            }
            for parameter in operation.parameters(resolver) {
                if let Some(schema) = parameter.child("schema") {
                    walk_following(resolver, &schema, &mut seen_in_parameters, &mut |schema| {
                        check_enum(schema, "a parameter", findings);
                    });
                }
            }
        }
    }
}

fn response_schemas<'a>(resolver: &Resolver<'a>, response: &Node<'a>) -> Vec<Node<'a>> {
    resolver
        .follow(response.clone())
        .and_then(|response| response.child("content"))
        .map(|content| content.members())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(_, media_type)| media_type.child("schema"))
        .collect()
}

fn check_closed_object(schema: &Node<'_>, findings: &mut Findings) {
    if let Some(additional) = schema.child("additionalProperties")
        && additional.value == &Value::Bool(false)
    {
        findings.at(
            &additional,
            Rule::ClosedObject,
            "`additionalProperties: false` in a response: the client would reject the whole \
             response as soon as GRTgaz adds a field; remove it",
        );
    }
}

fn check_one_of(schema: &Node<'_>, findings: &mut Findings) {
    if let Some(one_of) = schema.child("oneOf")
        && schema.value.get("discriminator").is_none()
    {
        findings.at(
            &one_of,
            Rule::OneOfWithoutDiscriminator,
            "`oneOf` without a `discriminator` in a response: the generated client takes the \
             first variant that matches and silently drops the fields of the others; add a \
             discriminator property",
        );
    }
}

fn check_enum(schema: &Node<'_>, used_in: &str, findings: &mut Findings) {
    let Some(values) = schema.child("enum") else {
        return;
    };
    let is_named = schema
        .pointer
        .strip_prefix("/components/schemas/")
        .is_some_and(|name| !name.contains('/'));
    let is_string = schema.value.get("type").and_then(Value::as_str) == Some("string");

    let message = match (is_named, is_string) {
        (true, true) => return,
        (_, false) => format!(
            "an enum of type {} in {used_in}: only string enums become open enums that keep \
             unknown values; use a string enum in `components.schemas`",
            schema
                .value
                .get("type")
                .map_or("(none)".to_owned(), Value::to_string)
        ),
        (false, true) => format!(
            "an enum written inline in {used_in}: the generated enum would be closed and fail \
             on any value GRTgaz adds; move it to a named schema in `components.schemas` and \
             reference it"
        ),
    };
    findings.at(&values, Rule::ClosedEnum, message);
}
