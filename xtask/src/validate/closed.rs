//! Forward compatibility of what a client decodes: GRTgaz adds fields and enum values without
//! notice (INGRID.md, decision 6), and one unknown value must not fail a whole response. What
//! decodes but loses data is checked here too: a `oneOf`, and a null the generated type cannot
//! hold.
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

/// typify makes a `oneOf` an untagged enum and never reads `discriminator` (progenitor drops
/// it on the way). It tags an enum only when every variant is an inline object with a
/// required one-value `enum` property, which is a closed enum: it would fail on the first
/// kind GRTgaz adds. One object with a kind property is what decodes everything.
fn check_one_of(schema: &Node<'_>, findings: &mut Findings) {
    if let Some(one_of) = schema.child("oneOf") {
        findings.at(
            &one_of,
            Rule::OneOfInResponse,
            "`oneOf` in a response: the generated client decodes it as an untagged enum, takes \
             the first variant that matches and silently drops the fields of the others; a \
             `discriminator` does not change that (the generator ignores it). Use one object \
             schema with the properties of every variant, optional, and a property whose named \
             string enum tells the kinds apart",
        );
    }
}

/// Checks every named schema of every file for a `nullable` the generation drops.
///
/// A named string schema becomes a Rust type of its own making (an open enum, `String`,
/// `GasDay`), chosen by name: typify puts that type where the schema is used and does not look
/// at `nullable`, so a null fails the whole response. This is reported rather than rewritten
/// by the generation: the spec already has a plain way to say it, an optional property (left
/// out of `required`), whose `Option` field decodes a null as `None` as well as an absence.
pub fn check_nullable_named_schemas(resolver: &Resolver<'_>, findings: &mut Findings) {
    for file in resolver.files() {
        let schemas = resolver
            .root(file)
            .and_then(|root| root.child("components"))
            .and_then(|components| components.child("schemas"))
            .map(|schemas| schemas.members())
            .unwrap_or_default();
        for (name, schema) in schemas {
            let is_string = schema.value.get("type").and_then(Value::as_str) == Some("string");
            if let Some(nullable) = schema.child("nullable")
                && nullable.value == &Value::Bool(true)
                && is_string
            {
                findings.at(
                    &nullable,
                    Rule::NullableNamedSchema,
                    format!(
                        "`nullable: true` on the named schema `{name}` is dropped by the \
                         generation: wherever it is used, the Rust type cannot hold null and a \
                         null fails the whole response; remove it here and leave the properties \
                         that may be null out of `required` (an optional field decodes null)"
                    ),
                );
            }
        }
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
