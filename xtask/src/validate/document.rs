//! Rules on a document as a whole: its OpenAPI version and its references.

use super::refs::{Node, Resolver, Unresolved};
use super::{Findings, Rule};

/// Checks the version and every `$ref` of the document `root`.
pub fn check<'a>(resolver: &Resolver<'a>, root: &Node<'a>, findings: &mut Findings) {
    check_version(root, findings);

    for (node, reference) in references_in(root) {
        match resolver.target(root.file, reference) {
            Ok(_) | Err(Unresolved::UnreadableFile) => {}
            Err(Unresolved::Problem(message)) => {
                let at = node.child("$ref").unwrap_or(node);
                findings.at(&at, Rule::UnresolvedReference, message);
            }
        }
    }
}

fn check_version(root: &Node<'_>, findings: &mut Findings) {
    let Some(version) = root.child("openapi") else {
        let message = match root.value.get("swagger") {
            Some(_) => "a Swagger 2.0 document; progenitor reads OpenAPI 3.0.x only",
            None => "no `openapi` version; progenitor reads OpenAPI 3.0.x only",
        };
        findings.at(root, Rule::OpenApiVersion, message);
        return;
    };

    // YAML reads an unquoted `3.0` as a number; say what was written either way.
    let written = match version.value.as_str() {
        Some(text) => text.to_owned(),
        None => version.value.to_string(),
    };
    let is_3_0 = written
        .strip_prefix("3.0.")
        .is_some_and(|patch| !patch.is_empty() && patch.chars().all(|c| c.is_ascii_digit()));
    if !is_3_0 || !version.value.is_string() {
        findings.at(
            &version,
            Rule::OpenApiVersion,
            format!(
                "`openapi: {written}` is not a quoted-or-plain OpenAPI 3.0.x version string \
                 (for example 3.0.3); progenitor refuses other versions"
            ),
        );
    }
}

/// Every object under `node` that has a `$ref`, with the reference, skipping values that are
/// data rather than spec: `example`, `default`, `enum`, an Example object's `value`, and `x-`
/// extensions.
pub fn references_in<'a>(node: &Node<'a>) -> Vec<(Node<'a>, &'a str)> {
    let mut found = Vec::new();
    collect(node, Context::Spec, &mut found);
    found
}

/// What the members of the node being read are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    /// Keywords of the spec.
    Spec,
    /// Names chosen by the author (`properties`, `schemas`, `content`, ...), whose values are
    /// spec again: a property may be called `example`.
    Names,
    /// The names of an `examples` map, whose values are Example objects.
    ExampleNames,
    /// The keywords of an Example object.
    Example,
}

fn collect<'a>(node: &Node<'a>, context: Context, found: &mut Vec<(Node<'a>, &'a str)>) {
    if context != Context::Names
        && let Some(reference) = node.reference()
    {
        found.push((node.clone(), reference));
    }

    for (key, child) in node.members() {
        let child_context = match context {
            Context::Names => Context::Spec,
            Context::ExampleNames => Context::Example,
            Context::Example if matches!(key, "value" | "externalValue") => continue,
            Context::Spec | Context::Example => match key {
                "$ref" | "example" | "default" | "enum" => continue,
                _ if key.starts_with("x-") => continue,
                "examples" => Context::ExampleNames,
                "properties" | "schemas" | "parameters" | "responses" | "headers"
                | "securitySchemes" | "requestBodies" | "links" | "callbacks" | "paths"
                | "content" => Context::Names,
                _ => Context::Spec,
            },
        };
        collect(&child, child_context, found);
    }
    for item in node.items() {
        collect(&item, Context::Spec, found);
    }
}
