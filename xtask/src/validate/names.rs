//! Names of a spec that become the same Rust name, or a name the generated code already has:
//! the spec validates and generates, and then the crate does not compile (two fields
//! `point_name`, a method `Client::new` beside the constructor), or the CLI cannot reach an
//! operation. Names are converted by `crate::rust_names`, exactly as the generator does.

use std::collections::BTreeMap;

use ingrid_openapi::SpecSet;
use serde_json::Value;

use super::places::{OperationNode, Places, walk_in_place};
use super::refs::{Node, Resolver};
use super::{Findings, Rule};
use crate::rust_names::{self, BUILDER_METHODS, BUILDER_MODULE_NAMES, CLIENT_METHODS, Case};

/// Checks the operations and the schemas of the document `root`.
pub fn check<'a>(set: &SpecSet, resolver: &Resolver<'a>, root: &Node<'a>, findings: &mut Findings) {
    let operations = OperationNode::all_in(root);
    for operation in &operations {
        check_operation(resolver, operation, findings);
    }
    check_cli_commands(&operations, findings);
    check_type_names(set, resolver, root, findings);

    for schema in Places::of(root).schemas {
        walk_in_place(&schema, &mut |schema| {
            check_fields(resolver, schema, findings);
        });
    }
    for (_, schema) in root
        .child("components")
        .and_then(|components| components.child("schemas"))
        .map(|schemas| schemas.members())
        .unwrap_or_default()
    {
        check_variants(&schema, findings);
    }
}

/// The method, the builder and the setters that progenitor makes of one operation.
fn check_operation<'a>(
    resolver: &Resolver<'a>,
    operation: &OperationNode<'a>,
    findings: &mut Findings,
) {
    if let Some(id) = operation.operation_id() {
        let at = operation
            .node
            .child("operationId")
            .unwrap_or(operation.node.clone());
        let method = rust_names::progenitor(id, Case::Snake);
        if CLIENT_METHODS.contains(&method.as_str()) {
            findings.at(
                &at,
                Rule::RustNameClash,
                format!(
                    "operationId `{id}` gives the method `Client::{method}`, which the generated \
                     client already has (its constructor, or a method its code calls on \
                     itself): the crate would not compile; rename the operation"
                ),
            );
        }
        let builder = rust_names::progenitor(id, Case::Pascal);
        if BUILDER_MODULE_NAMES.contains(&builder.as_str()) {
            findings.at(
                &at,
                Rule::RustNameClash,
                format!(
                    "operationId `{id}` gives the builder `builder::{builder}`, a name the \
                     generated `builder` module already imports: the crate would not compile; \
                     rename the operation"
                ),
            );
        }
    }

    let mut setters: BTreeMap<String, &str> = BTreeMap::new();
    for (written, parameter) in written_parameters(resolver, operation) {
        let Some(name) = parameter.value.get("name").and_then(Value::as_str) else {
            continue;
        };
        let setter = rust_names::progenitor(name, Case::Snake);
        let problem = if BUILDER_METHODS.contains(&setter.as_str()) {
            format!("the builder's own `{setter}` method")
        } else if let Some(first) = setters.get(&setter) {
            format!("the setter of parameter `{first}`")
        } else {
            setters.insert(setter, name);
            continue;
        };
        findings.at(
            &written,
            Rule::RustNameClash,
            format!(
                "parameter `{name}` of {} gets the builder setter `{setter}`, the same as \
                 {problem}: the crate would not compile; rename the parameter",
                operation.label()
            ),
        );
    }
}

/// The parameters of an operation as written in its lists (where a finding goes), each with
/// its definition (where its name is). Parameters whose reference does not resolve are left
/// out: they have a finding of their own.
fn written_parameters<'a>(
    resolver: &Resolver<'a>,
    operation: &OperationNode<'a>,
) -> Vec<(Node<'a>, Node<'a>)> {
    [&operation.path_item, &operation.node]
        .into_iter()
        .filter_map(|owner| owner.child("parameters"))
        .flat_map(|list| list.items())
        .filter_map(|written| {
            let parameter = resolver.follow(written.clone())?;
            Some((written, parameter))
        })
        .collect()
}

/// `ingrid <domain> <api>`: the CLI names an operation by the last segment of its path, so two
/// operations of one file whose paths end alike leave one of them out of reach.
fn check_cli_commands(operations: &[OperationNode<'_>], findings: &mut Findings) {
    let mut by_command: BTreeMap<&str, &OperationNode<'_>> = BTreeMap::new();
    for operation in operations {
        let api = operation.path.rsplit('/').next().unwrap_or_default();
        match by_command.get(api) {
            Some(first) => findings.at(
                &operation.node,
                Rule::CliCommandClash,
                format!(
                    "{} {} and {} {} both end in `{api}`, which is how the CLI names an \
                     operation (`ingrid <domain> {api}`): the second could never be called; give \
                     each operation its own last path segment",
                    first.method.to_uppercase(),
                    first.path,
                    operation.method.to_uppercase(),
                    operation.path
                ),
            ),
            None => {
                by_command.insert(api, operation);
            }
        }
    }
}

/// The schemas of a crate become types of one module: two names that typify converts to the
/// same type name clash. A domain's crate holds its own schemas and the shared ones it uses.
fn check_type_names<'a>(
    set: &SpecSet,
    resolver: &Resolver<'a>,
    root: &Node<'a>,
    findings: &mut Findings,
) {
    let mut schemas: Vec<(String, Node<'a>)> = schemas_of(root);
    let imported = set
        .bundle(root.file)
        .map(|bundle| bundle.imported)
        .unwrap_or_default();
    for ((kind, name), origin) in imported {
        let Some(file) = resolver.files().find(|file| *file == origin) else {
            continue;
        };
        let reference = format!(
            "{file}#/components/schemas/{}",
            ingrid_openapi::escape_pointer(&name)
        );
        if kind == "schemas"
            && let Ok(schema) = resolver.target(root.file, &reference)
        {
            schemas.push((name, schema));
        }
    }

    let mut by_type: BTreeMap<String, Vec<(String, Node<'a>)>> = BTreeMap::new();
    for (name, schema) in schemas {
        // A schema that is only a string becomes `String`, no type of its own.
        if is_plain_string(schema.value) {
            continue;
        }
        let type_name = rust_names::typify(&name, Case::Pascal);
        by_type.entry(type_name).or_default().push((name, schema));
    }
    for (type_name, group) in by_type.into_iter().filter(|(_, group)| group.len() > 1) {
        let names: Vec<String> = group.iter().map(|(name, _)| format!("`{name}`")).collect();
        // Reported in this file only: a clash among the shared schemas is reported in
        // common.yaml, for the crate of the shared types.
        let own = group.iter().filter(|(_, schema)| schema.file == root.file);
        let all_own = group.iter().all(|(_, schema)| schema.file == root.file);
        for (name, schema) in own.skip(usize::from(all_own)) {
            findings.at(
                schema,
                Rule::RustNameClash,
                format!(
                    "schemas {} of one crate all become the Rust type `{type_name}`: the crate \
                     would not compile; rename `{name}`",
                    names.join(", ")
                ),
            );
        }
    }
}

/// The named schemas of `root`, by name.
fn schemas_of<'a>(root: &Node<'a>) -> Vec<(String, Node<'a>)> {
    root.child("components")
        .and_then(|components| components.child("schemas"))
        .map(|schemas| schemas.members())
        .unwrap_or_default()
        .into_iter()
        .map(|(name, schema)| (name.to_owned(), schema))
        .collect()
}

/// Whether the generation maps the schema to `String` (see `generate::plain_strings`; the
/// `pattern` it drops first does not count).
fn is_plain_string(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("string")
        && schema.get("enum").is_none()
        && schema.get("format").is_none()
}

/// The fields of one object: its properties, and those of the members of its `allOf`, which
/// the generation merges into it. typify keeps unknown members in a field of its own.
fn check_fields<'a>(resolver: &Resolver<'a>, schema: &Node<'a>, findings: &mut Findings) {
    let mut properties: Vec<(&'a str, Node<'a>)> = schema
        .child("properties")
        .map(|properties| properties.members())
        .unwrap_or_default();
    for member in schema.child("allOf").map(|n| n.items()).unwrap_or_default() {
        if let Some(member) = resolver.follow(member) {
            properties.extend(
                member
                    .child("properties")
                    .map(|properties| properties.members())
                    .unwrap_or_default(),
            );
        }
    }

    let mut fields: BTreeMap<String, &str> = BTreeMap::new();
    for (name, property) in properties {
        let field = rust_names::typify(name, Case::Snake);
        let problem = if field == rust_names::UNKNOWN_FIELDS_FIELD {
            "the field in which the generated type keeps the members the spec does not list"
                .to_owned()
        } else {
            match fields.get(&field) {
                // The same property written in two members of an `allOf` is one field.
                Some(first) if *first == name => continue,
                Some(first) => format!("the field of property `{first}`"),
                None => {
                    fields.insert(field, name);
                    continue;
                }
            }
        };
        findings.at(
            &property,
            Rule::RustNameClash,
            format!(
                "property `{name}` becomes the Rust field `{field}`, the same as {problem}: the \
                 type would not compile; rename the property"
            ),
        );
    }
}

/// The variants of a named string enum, which become an open enum (`open_enum.rs`).
fn check_variants(schema: &Node<'_>, findings: &mut Findings) {
    if schema.value.get("type").and_then(Value::as_str) != Some("string") {
        return;
    }
    let mut variants: BTreeMap<String, &str> = BTreeMap::new();
    for value in schema.child("enum").map(|n| n.items()).unwrap_or_default() {
        let Some(text) = value.value.as_str() else {
            continue;
        };
        let variant = rust_names::open_enum_variant(text);
        match variants.get(&variant) {
            Some(first) => findings.at(
                &value,
                Rule::RustNameClash,
                format!(
                    "enum value `{text}` becomes the variant `{variant}`, like `{first}`: the \
                     enum would not compile; the two values cannot both be listed"
                ),
            ),
            None => {
                variants.insert(variant, text);
            }
        }
    }
}
