//! `cargo xtask diff`: what a spec change means for the users of each crate.
//!
//! Each domain spec is bundled (with what it uses of `common.yaml`) at a git revision and in
//! the working tree, and the two bundles are compared as the generated Rust API sees them: an
//! operation is a method, a parameter a builder setter, a schema a type, a property a field,
//! an enum value a variant. A change is breaking when code written against the old crate may
//! stop compiling or decoding; it is additive when such code keeps working. A change to
//! `common.yaml` shows for `ingrid-types` and for every domain crate whose bundle has it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::process::Command;

use ingrid_openapi::{COMMON_FILE, SpecSet, merge_all_of, operations};
use serde_json::Value;

use crate::rust_names::{self, Case};

/// How a change affects code written against the previous version of a crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    /// Existing code keeps compiling and decoding.
    Additive,
    /// Existing code may stop compiling, or a response it decoded may no longer decode.
    Breaking,
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Impact::Additive => "additive",
            Impact::Breaking => "breaking",
        })
    }
}

/// One change of one crate's API.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub impact: Impact,
    pub description: String,
}

impl Change {
    fn breaking(description: impl Into<String>) -> Self {
        Self {
            impact: Impact::Breaking,
            description: description.into(),
        }
    }

    fn additive(description: impl Into<String>) -> Self {
        Self {
            impact: Impact::Additive,
            description: description.into(),
        }
    }
}

/// The changes of one crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateDiff {
    /// `ingrid-allocations`.
    pub krate: String,
    /// `allocations.yaml`.
    pub spec: String,
    /// Breaking ones first.
    pub changes: Vec<Change>,
}

impl CrateDiff {
    /// The strongest impact of the crate's changes, if it has any.
    pub fn impact(&self) -> Option<Impact> {
        self.changes.iter().map(|change| change.impact).max()
    }
}

/// Compares every crate's spec between `old` and `new`.
pub fn compare(old: &SpecSet, new: &SpecSet) -> Result<Vec<CrateDiff>, String> {
    let mut diffs = Vec::new();

    let shared = |set: &SpecSet| -> Result<Option<Bundled>, String> {
        match set.get(COMMON_FILE) {
            Some(_) => Ok(Some(bundled(set, COMMON_FILE)?)),
            None => Ok(None),
        }
    };
    diffs.push(CrateDiff {
        krate: "ingrid-types".to_owned(),
        spec: COMMON_FILE.to_owned(),
        changes: sorted(compare_crate(&shared(old)?, &shared(new)?)),
    });

    let domains: BTreeSet<String> = old
        .domains()
        .chain(new.domains())
        .map(|document| document.file.clone())
        .collect();
    for file in domains {
        let side = |set: &SpecSet| -> Result<Option<Bundled>, String> {
            match set.get(&file).filter(|document| document.has_operations()) {
                Some(_) => Ok(Some(bundled(set, &file)?)),
                None => Ok(None),
            }
        };
        let domain = file.trim_end_matches(".yaml").trim_end_matches(".yml");
        diffs.push(CrateDiff {
            krate: format!("ingrid-{domain}"),
            spec: file.clone(),
            changes: sorted(compare_crate(&side(old)?, &side(new)?)),
        });
    }
    Ok(diffs)
}

/// One crate's spec as the generation sees it.
struct Bundled {
    /// The bundle, `allOf` envelopes merged.
    spec: Value,
    /// The schemas that come from common.yaml: in a domain crate, they are `ingrid_types`'s
    /// types, not the crate's own.
    shared: BTreeSet<String>,
}

fn bundled(set: &SpecSet, file: &str) -> Result<Bundled, String> {
    let bundle = set.bundle(file).map_err(|error| format!("spec/{error}"))?;
    let shared = bundle.schemas_from(COMMON_FILE);
    let mut spec = bundle.value;
    // The generation merges `allOf` envelopes into one type; compare what it generates.
    merge_all_of(&mut spec);
    Ok(Bundled { spec, shared })
}

fn sorted(mut changes: Vec<Change>) -> Vec<Change> {
    changes.sort_by(|a, b| {
        b.impact
            .cmp(&a.impact)
            .then(a.description.cmp(&b.description))
    });
    changes.dedup();
    changes
}

fn compare_crate(old: &Option<Bundled>, new: &Option<Bundled>) -> Vec<Change> {
    match (old, new) {
        (None, None) => Vec::new(),
        (Some(_), None) => vec![Change::breaking("the crate's spec was removed")],
        (None, Some(_)) => vec![Change::additive("new crate")],
        (Some(old), Some(new)) => {
            let mut changes = Vec::new();
            compare_operations(&old.spec, &new.spec, &mut changes);
            compare_named_schemas(old, new, &mut changes);
            changes
        }
    }
}

/// An operation as the builder sees it.
struct OperationSide<'a> {
    /// How messages name it: the operationId, else method and path.
    label: String,
    /// `GET /v1/x/y`.
    route: String,
    operation: &'a Value,
    /// The path item, whose parameters apply too.
    path_item: &'a Value,
}

/// Operations by the Rust method they generate: two operationIds that differ only in case
/// are one method, so changing the case changes nothing for users.
fn operations_by_name(spec: &Value) -> BTreeMap<String, OperationSide<'_>> {
    operations(spec)
        .into_iter()
        .map(|operation| {
            let route = format!("{} {}", operation.method.to_uppercase(), operation.path);
            let (key, label) = match operation.operation_id() {
                Some(id) => (rust_names::progenitor(id, Case::Snake), id.to_owned()),
                None => (route.clone(), route.clone()),
            };
            let path_item = spec
                .get("paths")
                .and_then(|paths| paths.get(operation.path))
                .unwrap_or(&Value::Null);
            let side = OperationSide {
                label,
                route,
                operation: operation.operation,
                path_item,
            };
            (key, side)
        })
        .collect()
}

fn compare_operations(old_spec: &Value, new_spec: &Value, changes: &mut Vec<Change>) {
    let old = operations_by_name(old_spec);
    let new = operations_by_name(new_spec);

    for (key, before) in &old {
        if !new.contains_key(key) {
            changes.push(Change::breaking(format!(
                "operation `{}` ({}) removed",
                before.label, before.route
            )));
        }
    }
    for (key, after) in &new {
        let (name, route) = (&after.label, &after.route);
        let Some(before) = old.get(key) else {
            changes.push(Change::additive(format!(
                "operation `{name}` ({route}) added"
            )));
            continue;
        };
        if before.route != *route {
            changes.push(Change::breaking(format!(
                "operation `{name}` moved from {} to {route}: old servers and mocks no longer \
                 match",
                before.route
            )));
        }
        let specs = Specs {
            old: old_spec,
            new: new_spec,
        };
        compare_parameters(&specs, name, before, after, changes);

        // TODO(#3): error responses are not compared (a status added or removed, another
        // problem schema): they change the error type of the generated method, but every
        // domain shares common.yaml's responses today, so no change has happened to test it on.
        let old_success = success_schema(old_spec, before.operation);
        let new_success = success_schema(new_spec, after.operation);
        match (old_success, new_success) {
            (Some(old_schema), Some(new_schema)) => compare_schema(
                &specs,
                &format!("{name} response"),
                old_schema,
                new_schema,
                changes,
            ),
            (Some(_), None) => changes.push(Change::breaking(format!(
                "`{name}` no longer has a JSON success body"
            ))),
            (None, Some(_)) => changes.push(Change::breaking(format!(
                "`{name}` now has a JSON success body: its return type changes"
            ))),
            (None, None) => {}
        }
    }
}

/// Both sides of a comparison, to resolve references on the right one.
#[derive(Debug, Clone, Copy)]
struct Specs<'a> {
    old: &'a Value,
    new: &'a Value,
}

fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    let mut current = value;
    for _ in 0..32 {
        let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
            return current;
        };
        match spec.pointer(reference.trim_start_matches('#')) {
            Some(target) => current = target,
            None => return current,
        }
    }
    current
}

fn success_schema<'a>(spec: &'a Value, operation: &'a Value) -> Option<&'a Value> {
    let responses = operation.get("responses")?.as_object()?;
    let (_, response) = responses
        .iter()
        .find(|(status, _)| status.starts_with('2'))?;
    resolve(spec, response)
        .get("content")?
        .get("application/json")?
        .get("schema")
}

/// A parameter as the builder sees it.
struct Parameter<'a> {
    required: bool,
    schema: &'a Value,
}

/// The parameters of an operation: its path item's, replaced by its own of the same name and
/// place, as OpenAPI (and progenitor) combine them.
fn parameters_of<'a>(spec: &'a Value, side: &OperationSide<'a>) -> BTreeMap<String, Parameter<'a>> {
    [side.path_item, side.operation]
        .into_iter()
        .filter_map(|owner| owner.get("parameters").and_then(Value::as_array))
        .flatten()
        .map(|parameter| resolve(spec, parameter))
        .filter_map(|parameter| {
            let name = parameter.get("name")?.as_str()?;
            let location = parameter.get("in")?.as_str()?;
            Some((
                format!("{location} parameter `{name}`"),
                Parameter {
                    required: parameter.get("required") == Some(&Value::Bool(true)),
                    schema: parameter.get("schema").unwrap_or(&Value::Null),
                },
            ))
        })
        .collect()
}

fn compare_parameters(
    specs: &Specs<'_>,
    operation: &str,
    old_operation: &OperationSide<'_>,
    new_operation: &OperationSide<'_>,
    changes: &mut Vec<Change>,
) {
    let old = parameters_of(specs.old, old_operation);
    let new = parameters_of(specs.new, new_operation);

    for name in old.keys().filter(|name| !new.contains_key(*name)) {
        changes.push(Change::breaking(format!("`{operation}`: {name} removed")));
    }
    for (name, parameter) in &new {
        let Some(before) = old.get(name) else {
            changes.push(if parameter.required {
                Change::breaking(format!("`{operation}`: required {name} added"))
            } else {
                Change::additive(format!("`{operation}`: optional {name} added"))
            });
            continue;
        };
        match (before.required, parameter.required) {
            (false, true) => changes.push(Change::breaking(format!(
                "`{operation}`: {name} is now required"
            ))),
            (true, false) => changes.push(Change::additive(format!(
                "`{operation}`: {name} is now optional"
            ))),
            _ => {}
        }
        compare_schema(
            specs,
            &format!("{operation} {}", name.replace('`', "")),
            before.schema,
            parameter.schema,
            changes,
        );
    }
}

/// The named schemas of the bundles: each is one Rust type, of the crate or of
/// `ingrid_types`, except the plain strings, which are `String`.
fn compare_named_schemas(old: &Bundled, new: &Bundled, changes: &mut Vec<Change>) {
    let names = |spec: &Value| -> BTreeMap<String, Value> {
        spec.pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|schemas| schemas.clone().into_iter().collect())
            .unwrap_or_default()
    };
    let (old_schemas, new_schemas) = (names(&old.spec), names(&new.spec));
    let specs = Specs {
        old: &old.spec,
        new: &new.spec,
    };

    for (name, _) in old_schemas
        .iter()
        .filter(|(name, schema)| !new_schemas.contains_key(*name) && !is_plain_string(schema))
    {
        changes.push(Change::breaking(format!("type `{name}` removed")));
    }
    for (name, schema) in &new_schemas {
        let Some(before) = old_schemas.get(name) else {
            if !is_plain_string(schema) {
                changes.push(Change::additive(format!("type `{name}` added")));
            }
            continue;
        };
        let (was_shared, is_shared) = (old.shared.contains(name), new.shared.contains(name));
        if was_shared != is_shared && !(is_plain_string(before) && is_plain_string(schema)) {
            let (from, to) = if is_shared {
                ("this crate", "ingrid-types")
            } else {
                ("ingrid-types", "this crate")
            };
            changes.push(Change::breaking(format!(
                "type `{name}` moved from {from} to {to}: code that names it by its old path \
                 no longer compiles"
            )));
        }
        compare_schema(&specs, name, before, schema, changes);
    }
}

/// Whether the generation maps the named schema to `String` (`generate::plain_strings`; the
/// `pattern` it drops first does not count).
fn is_plain_string(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("string")
        && schema.get("enum").is_none()
        && schema.get("format").is_none()
}

/// What decides a schema's Rust type, short of its members.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shape {
    kind: String,
    /// An `enum` makes a string an enum type instead of `String`.
    enumerated: bool,
    format: Option<String>,
    nullable: bool,
    /// `minimum: 0` makes an integer unsigned (`u64`): see PROGENITOR.md.
    unsigned: bool,
}

impl Shape {
    fn of(schema: &Value) -> Self {
        let kind = match schema.get("type").and_then(Value::as_str) {
            Some(kind) => kind.to_owned(),
            None if schema.get("properties").is_some() => "object".to_owned(),
            None => "any".to_owned(),
        };
        Shape {
            unsigned: kind == "integer"
                && schema
                    .get("minimum")
                    .and_then(Value::as_f64)
                    .is_some_and(|minimum| minimum >= 0.0),
            enumerated: kind == "string" && schema.get("enum").is_some(),
            kind,
            format: schema
                .get("format")
                .and_then(Value::as_str)
                .map(str::to_owned),
            nullable: schema.get("nullable") == Some(&Value::Bool(true)),
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.unsigned {
            f.write_str("unsigned ")?;
        }
        f.write_str(&self.kind)?;
        if self.enumerated {
            f.write_str(" enum")?;
        }
        if let Some(format) = &self.format {
            write!(f, " ({format})")?;
        }
        if self.nullable {
            f.write_str(", nullable")?;
        }
        Ok(())
    }
}

/// The schema name of a `#/components/schemas/<name>` reference.
fn reference_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// The type-`string` schema every plain-string schema stands for.
static PLAIN_STRING: std::sync::LazyLock<Value> =
    std::sync::LazyLock::new(|| serde_json::json!({"type": "string"}));

/// `schema` as far as its Rust type goes: a lone `allOf` member (`description` + `allOf:
/// [$ref]`) is that member.
fn without_lone_all_of(schema: &Value) -> &Value {
    let mut current = schema;
    for _ in 0..32 {
        let lone_member = current
            .get("allOf")
            .and_then(Value::as_array)
            .filter(|members| members.len() == 1)
            .filter(|_| current.get("type").is_none() && current.get("properties").is_none());
        match lone_member {
            Some(members) => current = &members[0],
            None => break,
        }
    }
    current
}

/// A reference to a plain-string schema is `String`, as an inline `type: string` is.
fn as_plain_string<'a>(spec: &Value, schema: &'a Value) -> &'a Value {
    if reference_name(schema).is_some() && is_plain_string(resolve(spec, schema)) {
        &PLAIN_STRING
    } else {
        schema
    }
}

/// Compares two schemas at `path` (how messages name it). Named schemas are compared once, on
/// their own, so a reference to the same name ends the comparison here.
fn compare_schema(
    specs: &Specs<'_>,
    path: &str,
    old: &Value,
    new: &Value,
    changes: &mut Vec<Change>,
) {
    let (old, new) = (without_lone_all_of(old), without_lone_all_of(new));
    // The same name on both sides: the named schema is compared on its own.
    if reference_name(old).is_some() && reference_name(old) == reference_name(new) {
        return;
    }

    let (old, new) = (
        as_plain_string(specs.old, old),
        as_plain_string(specs.new, new),
    );
    match (reference_name(old), reference_name(new)) {
        (Some(before), Some(after)) => {
            changes.push(Change::breaking(format!(
                "`{path}`: type `{before}` replaced by `{after}`"
            )));
            return;
        }
        (Some(before), None) => {
            changes.push(Change::breaking(format!(
                "`{path}`: type `{before}` replaced by an inline {}",
                Shape::of(new)
            )));
            return;
        }
        (None, Some(after)) => {
            changes.push(Change::breaking(format!(
                "`{path}`: inline {} replaced by type `{after}`",
                Shape::of(old)
            )));
            return;
        }
        (None, None) => {}
    }

    let (old_shape, new_shape) = (Shape::of(old), Shape::of(new));
    if old_shape != new_shape {
        let reason = if old_shape.nullable != new_shape.nullable {
            " (an optional value changes the Rust type to or from `Option`)"
        } else {
            ""
        };
        changes.push(Change::breaking(format!(
            "`{path}`: type changed from {old_shape} to {new_shape}{reason}"
        )));
        return;
    }

    compare_enum(path, old, new, changes);
    compare_properties(specs, path, old, new, changes);
    for (member, suffix) in [("items", "[]"), ("additionalProperties", "{}")] {
        if let (Some(before), Some(after)) = (old.get(member), new.get(member))
            && before.is_object()
            && after.is_object()
        {
            compare_schema(specs, &format!("{path}{suffix}"), before, after, changes);
        }
    }
    compare_compositions(specs, path, old, new, changes);
}

/// The members of `allOf`, `anyOf` and `oneOf` that the merging of envelopes left: each is
/// part of the type, so each is compared with the member at its place.
fn compare_compositions(
    specs: &Specs<'_>,
    path: &str,
    old: &Value,
    new: &Value,
    changes: &mut Vec<Change>,
) {
    for combinator in ["allOf", "anyOf", "oneOf"] {
        let members = |schema: &Value| -> Vec<Value> {
            schema
                .get(combinator)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let (before, after) = (members(old), members(new));
        if before.len() != after.len() {
            changes.push(Change::breaking(format!(
                "`{path}`: `{combinator}` changed from {} to {} members",
                before.len(),
                after.len()
            )));
            continue;
        }
        for (index, (before, after)) in before.iter().zip(&after).enumerate() {
            let member_path = format!("{path}.{combinator}[{index}]");
            compare_schema(specs, &member_path, before, after, changes);
        }
    }
}

fn compare_enum(path: &str, old: &Value, new: &Value, changes: &mut Vec<Change>) {
    let values = |schema: &Value| -> Vec<String> {
        schema
            .get("enum")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|value| match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            })
            .collect()
    };
    let (before, after) = (values(old), values(new));
    for value in before.iter().filter(|value| !after.contains(value)) {
        changes.push(Change::breaking(format!(
            "`{path}`: enum value `{value}` removed"
        )));
    }
    for value in after.iter().filter(|value| !before.contains(value)) {
        // The generated enums keep unknown values, so old code decodes the new one.
        changes.push(Change::additive(format!(
            "`{path}`: enum value `{value}` added"
        )));
    }
}

fn compare_properties(
    specs: &Specs<'_>,
    path: &str,
    old: &Value,
    new: &Value,
    changes: &mut Vec<Change>,
) {
    let properties = |schema: &Value| -> BTreeMap<String, Value> {
        schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|map| map.clone().into_iter().collect())
            .unwrap_or_default()
    };
    let required = |schema: &Value| -> BTreeSet<String> {
        schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    let (old_properties, new_properties) = (properties(old), properties(new));
    let (old_required, new_required) = (required(old), required(new));

    for name in old_properties
        .keys()
        .filter(|name| !new_properties.contains_key(*name))
    {
        changes.push(Change::breaking(format!(
            "`{path}`: field `{name}` removed"
        )));
    }
    for (name, schema) in &new_properties {
        let is_required = new_required.contains(name);
        let Some(before) = old_properties.get(name) else {
            changes.push(if is_required {
                Change::breaking(format!("`{path}`: required field `{name}` added"))
            } else {
                Change::additive(format!("`{path}`: optional field `{name}` added"))
            });
            continue;
        };
        match (old_required.contains(name), is_required) {
            (false, true) => changes.push(Change::breaking(format!(
                "`{path}`: field `{name}` is now required"
            ))),
            (true, false) => changes.push(Change::breaking(format!(
                "`{path}`: field `{name}` is now optional (its Rust type becomes an `Option`)"
            ))),
            _ => {}
        }
        compare_schema(specs, &format!("{path}.{name}"), before, schema, changes);
    }
}

/// The version bump that the impact calls for, from `version` (`0.1.0`). Before 1.0, cargo
/// treats the minor number as major: a breaking change bumps 0.1 to 0.2.
pub fn bump(version: &str, impact: Impact) -> String {
    let parts: Vec<u64> = version
        .split('.')
        .map(|part| part.parse().unwrap_or(0))
        .chain(std::iter::repeat(0))
        .take(3)
        .collect();
    let (major, minor, patch) = (parts[0], parts[1], parts[2]);
    match (major, impact) {
        (0, Impact::Breaking) => format!("0.{}.0", minor + 1),
        (0, Impact::Additive) => format!("0.{minor}.{}", patch + 1),
        (_, Impact::Breaking) => format!("{}.0.0", major + 1),
        (_, Impact::Additive) => format!("{major}.{}.0", minor + 1),
    }
}

/// The workspace's version, `[workspace.package] version` of the root manifest.
pub fn workspace_version(root: &Path) -> Option<String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).ok()?;
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[workspace.package]";
            continue;
        }
        if in_package
            && let Some(value) = line.strip_prefix("version")
            && let Some(value) = value.trim_start().strip_prefix('=')
        {
            return Some(value.trim().trim_matches('"').to_owned());
        }
    }
    None
}

/// The revision to compare with by default: where this branch left `main`.
pub fn default_base(root: &Path) -> Result<String, String> {
    for main in ["main", "origin/main"] {
        if let Ok(base) = git(root, &["merge-base", "HEAD", main]) {
            return Ok(base.trim().to_owned());
        }
    }
    let shallow = git(root, &["rev-parse", "--is-shallow-repository"])
        .is_ok_and(|answer| answer.trim() == "true");
    if shallow {
        return Err(
            "this clone is shallow: the history to find the merge base with `main` is \
                    missing; fetch it (`git fetch --unshallow`) or pass --base REV"
                .to_owned(),
        );
    }
    Err("no `main` or `origin/main` to find the merge base with; pass --base REV".to_owned())
}

/// The spec files of `spec/` at `revision`, read with `git show`.
pub fn specs_at(root: &Path, revision: &str) -> Result<SpecSet, String> {
    git(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{revision}^{{commit}}"),
        ],
    )
    .map_err(|_| {
        format!("unknown revision `{revision}`: no branch, tag or commit of that name here")
    })?;
    let listing = git(
        root,
        &["ls-tree", "--name-only", &format!("{revision}:spec")],
    )?;
    let mut sources = Vec::new();
    for file in listing
        .lines()
        .filter(|file| file.ends_with(".yaml") || file.ends_with(".yml"))
    {
        let source = git(root, &["show", &format!("{revision}:spec/{file}")])?;
        sources.push((file.to_owned(), source));
    }
    SpecSet::from_sources(sources).map_err(|error| format!("spec/{error} (at {revision})"))
}

fn git(root: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .map_err(|error| format!("cannot run git: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8(output.stdout).map_err(|_| format!("`git {}`: not UTF-8", args.join(" ")))
}

/// How `render` prints a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per crate, then one per change.
    Text,
    /// A summary table and a list per crate, for a pull request or a job summary.
    Markdown,
}

/// The diffs of every crate as `format`; `version` is the crates' current version.
pub fn render(diffs: &[CrateDiff], base: &str, version: &str, format: Format) -> String {
    let verdict = |diff: &CrateDiff| match diff.impact() {
        None => "no change".to_owned(),
        Some(impact) => format!("{impact}: {version} → {}", bump(version, impact)),
    };
    // Counted in characters: a branch name may be anything, and a byte index could cut one.
    let short_base: String = base.chars().take(12).collect();
    let mut out = String::new();

    match format {
        Format::Text => {
            out.push_str(&format!("API changes of spec/ since {short_base}:\n"));
            for diff in diffs {
                out.push_str(&format!(
                    "{} (spec/{}): {}\n",
                    diff.krate,
                    diff.spec,
                    verdict(diff)
                ));
                for change in &diff.changes {
                    out.push_str(&format!("  {:<9} {}\n", change.impact, change.description));
                }
            }
        }
        Format::Markdown => {
            out.push_str(&format!(
                "## API changes of `spec/` since `{short_base}`\n\n"
            ));
            out.push_str("| crate | spec | changes | semver |\n|---|---|---|---|\n");
            for diff in diffs {
                out.push_str(&format!(
                    "| `{}` | `spec/{}` | {} | {} |\n",
                    diff.krate,
                    diff.spec,
                    diff.changes.len(),
                    verdict(diff)
                ));
            }
            for diff in diffs.iter().filter(|diff| !diff.changes.is_empty()) {
                out.push_str(&format!("\n### `{}`: {}\n\n", diff.krate, verdict(diff)));
                for change in &diff.changes {
                    let impact = match change.impact {
                        Impact::Breaking => "**breaking**",
                        Impact::Additive => "additive",
                    };
                    out.push_str(&format!("- {impact}: {}\n", change.description));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace_root() -> &'static Path {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
    }

    /// The specs at `HEAD`, with `to` in place of `from` in `file`.
    fn head_specs_with(file: &str, from: &str, to: &str) -> SpecSet {
        let head = specs_at(workspace_root(), "HEAD").unwrap();
        let sources: Vec<(String, String)> = head
            .documents()
            .map(|document| {
                let mut source = document.source.clone();
                if document.file == file {
                    assert!(source.contains(from), "{file} has no {from:?}");
                    source = source.replacen(from, to, 1);
                }
                (document.file.clone(), source)
            })
            .collect();
        SpecSet::from_sources(sources).unwrap()
    }

    /// The crates with changes, each with its changes as `impact: description`.
    fn changed(diffs: &[CrateDiff]) -> Vec<(String, Vec<String>)> {
        diffs
            .iter()
            .filter(|diff| !diff.changes.is_empty())
            .map(|diff| {
                let changes = diff
                    .changes
                    .iter()
                    .map(|change| format!("{}: {}", change.impact, change.description))
                    .collect();
                (diff.krate.clone(), changes)
            })
            .collect()
    }

    #[test]
    fn an_unknown_revision_is_named() {
        let error = specs_at(workspace_root(), "no-such-release-tag").unwrap_err();

        assert_eq!(
            error,
            "unknown revision `no-such-release-tag`: no branch, tag or commit of that name here"
        );
    }

    #[test]
    fn the_same_specs_have_no_change() {
        let head = specs_at(workspace_root(), "HEAD").unwrap();

        let diffs = compare(&head, &head).unwrap();

        assert_eq!(changed(&diffs), []);
        assert_eq!(diffs.len(), 8, "ingrid-types and the seven domains");
    }

    #[test]
    fn an_optional_field_is_additive_for_its_crate_alone() {
        let old = specs_at(workspace_root(), "HEAD").unwrap();
        let new = head_specs_with(
            "allocations.yaml",
            "        counterpartyCode:\n",
            "        settlementNote:\n          type: string\n          description: A note.\n\
             \x20       counterpartyCode:\n",
        );

        let diffs = compare(&old, &new).unwrap();

        assert_eq!(
            changed(&diffs),
            [(
                "ingrid-allocations".to_owned(),
                vec![
                    "additive: `DailyAllocation`: optional field `settlementNote` added".to_owned()
                ]
            )]
        );
        let allocations = diffs
            .iter()
            .find(|diff| diff.spec == "allocations.yaml")
            .unwrap();
        assert_eq!(allocations.impact(), Some(Impact::Additive));
    }

    #[test]
    fn a_removed_shared_enum_value_breaks_every_crate_that_uses_it() {
        let old = specs_at(workspace_root(), "HEAD").unwrap();
        let new = head_specs_with("common.yaml", "enum: [ENTRY, EXIT]", "enum: [ENTRY]");

        let diffs = compare(&old, &new).unwrap();

        let crates: Vec<String> = changed(&diffs).into_iter().map(|(name, _)| name).collect();
        assert!(crates.contains(&"ingrid-types".to_owned()), "{crates:?}");
        assert!(
            crates.contains(&"ingrid-allocations".to_owned()),
            "{crates:?}"
        );
        for diff in diffs.iter().filter(|diff| !diff.changes.is_empty()) {
            assert_eq!(
                diff.changes,
                [Change::breaking("`Direction`: enum value `EXIT` removed")]
            );
        }
    }

    /// A one-operation domain spec whose `Row` schema and extra parameters are given.
    fn domain(row: &str, parameters: &str) -> SpecSet {
        let spec = format!(
            r##"
openapi: 3.0.3
info: {{title: d, version: '1'}}
paths:
  /v1/d/rows:
    get:
      operationId: getRows
      parameters:
        - {{name: contractCode, in: query, required: true, schema: {{type: string}}}}
{parameters}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Row'}}
components:
  schemas:
    Row:
{row}
"##
        );
        let common = "openapi: 3.0.3\ninfo: {title: c, version: '1'}\npaths: {}\n";
        SpecSet::from_sources([("common.yaml", common), ("d.yaml", spec.as_str())]).unwrap()
    }

    const ROW: &str = "      type: object
      required: [gasDay]
      properties:
        gasDay: {type: string, format: date}
        quantity: {type: integer, format: int64}
        status: {type: string, enum: [PROVISIONAL, FINAL]}";

    fn domain_changes(old: &SpecSet, new: &SpecSet) -> Vec<String> {
        let diffs = compare(old, new).unwrap();
        changed(&diffs)
            .into_iter()
            .flat_map(|(_, changes)| changes)
            .collect()
    }

    #[test]
    fn each_kind_of_field_change_is_classified() {
        let old = domain(ROW, "");
        let new = domain(
            &ROW.replace("required: [gasDay]", "required: [gasDay, quantity, added]")
                .replace(
                    "{type: integer, format: int64}",
                    "{type: number, format: double}",
                )
                .replace(
                    "enum: [PROVISIONAL, FINAL]",
                    "enum: [PROVISIONAL, CORRECTED]",
                )
                .replace(
                    "        gasDay: {type: string, format: date}",
                    "        added: {type: string}",
                ),
            "",
        );

        let changes = domain_changes(&old, &new);

        assert_eq!(
            changes,
            [
                "breaking: `Row.quantity`: type changed from integer (int64) to number (double)",
                "breaking: `Row.status`: enum value `FINAL` removed",
                "breaking: `Row`: field `gasDay` removed",
                "breaking: `Row`: field `quantity` is now required",
                "breaking: `Row`: required field `added` added",
                "additive: `Row.status`: enum value `CORRECTED` added",
            ]
        );
    }

    #[test]
    fn each_kind_of_parameter_change_is_classified() {
        let old = domain(
            ROW,
            "        - {name: pointCode, in: query, schema: {type: string}}\n        - {name: \
             page, in: query, schema: {type: integer}}",
        );
        let new = domain(
            ROW,
            "        - {name: pointCode, in: query, required: true, schema: {type: string}}\n\
             \x20       - {name: size, in: query, schema: {type: integer}}\n\
             \x20       - {name: gasDayFrom, in: query, required: true, schema: {type: string, \
             format: date}}",
        );

        let changes = domain_changes(&old, &new);

        assert_eq!(
            changes,
            [
                "breaking: `getRows`: query parameter `page` removed",
                "breaking: `getRows`: query parameter `pointCode` is now required",
                "breaking: `getRows`: required query parameter `gasDayFrom` added",
                "additive: `getRows`: optional query parameter `size` added",
            ]
        );
    }

    #[test]
    fn operations_added_and_removed_are_classified() {
        let old = domain(ROW, "");
        let text = old
            .get("d.yaml")
            .unwrap()
            .source
            .replace("getRows", "getLines");
        let new = SpecSet::from_sources([
            (
                "common.yaml",
                old.get("common.yaml").unwrap().source.as_str(),
            ),
            ("d.yaml", text.as_str()),
        ])
        .unwrap();

        let changes = domain_changes(&old, &new);

        assert_eq!(
            changes,
            [
                "breaking: operation `getRows` (GET /v1/d/rows) removed",
                "additive: operation `getLines` (GET /v1/d/rows) added",
            ]
        );
    }

    #[test]
    fn a_field_that_becomes_optional_or_nullable_changes_its_rust_type() {
        let old = domain(ROW, "");
        let new = domain(
            &ROW.replace("required: [gasDay]", "required: []").replace(
                "{type: integer, format: int64}",
                "{type: integer, format: int64, nullable: true}",
            ),
            "",
        );

        let changes = domain_changes(&old, &new);

        assert_eq!(
            changes,
            [
                "breaking: `Row.quantity`: type changed from integer (int64) to integer (int64), \
                 nullable (an optional value changes the Rust type to or from `Option`)",
                "breaking: `Row`: field `gasDay` is now optional (its Rust type becomes an \
                 `Option`)",
            ]
        );
    }

    #[test]
    fn a_required_parameter_added_to_the_path_item_is_breaking() {
        let old = domain(ROW, "");
        let text = old.get("d.yaml").unwrap().source.replace(
            "  /v1/d/rows:\n",
            "  /v1/d/rows:\n    parameters:\n      - {name: pointCode, in: query, required: true, \
             schema: {type: string}}\n",
        );
        let new = SpecSet::from_sources([
            (
                "common.yaml",
                old.get("common.yaml").unwrap().source.as_str(),
            ),
            ("d.yaml", text.as_str()),
        ])
        .unwrap();

        let changes = domain_changes(&old, &new);

        assert_eq!(
            changes,
            ["breaking: `getRows`: required query parameter `pointCode` added"]
        );
    }

    #[test]
    fn a_plain_string_schema_given_an_enum_is_breaking() {
        let old = specs_at(workspace_root(), "HEAD").unwrap();
        let new = head_specs_with(
            "common.yaml",
            "for the PEG.\n      example: EG001F\n",
            "for the PEG.\n      example: EG001F\n      enum: [EG001F]\n",
        );

        let diffs = compare(&old, &new).unwrap();

        let types = diffs
            .iter()
            .find(|diff| diff.krate == "ingrid-types")
            .unwrap();
        assert_eq!(
            types.changes,
            [Change::breaking(
                "`PointCode`: type changed from string to string enum"
            )]
        );
    }

    #[test]
    fn a_lone_all_of_member_is_compared_as_the_type_it_is() {
        let schemas = "\n    GasDay: {type: string, format: date}\n    Direction: {type: \
                       string, enum: [ENTRY]}";
        let row = |target: &str| {
            format!(
                "{ROW}\n        day: {{description: A day., allOf: [{{$ref: \
                 '#/components/schemas/{target}'}}]}}{schemas}"
            )
        };
        let old = domain(&row("GasDay"), "");
        let new = domain(&row("Direction"), "");

        let changes = domain_changes(&old, &new);

        assert_eq!(
            changes,
            ["breaking: `Row.day`: type `GasDay` replaced by `Direction`"]
        );
    }

    #[test]
    fn a_schema_moved_to_common_yaml_leaves_its_domain_crate() {
        let old = specs_at(workspace_root(), "HEAD").unwrap();
        let domain = old.get("maintenance-schedule.yaml").unwrap().source.clone();
        let start = domain.find("    MaintenanceStatus:\n").unwrap();
        let last_line = "      example: PLANNED\n";
        let end = start + domain[start..].find(last_line).unwrap() + last_line.len();
        let moved = &domain[start..end];
        let sources: Vec<(String, String)> = old
            .documents()
            .map(|document| {
                let source = match document.file.as_str() {
                    "maintenance-schedule.yaml" => domain.replace(moved, "").replace(
                        "'#/components/schemas/MaintenanceStatus'",
                        "'common.yaml#/components/schemas/MaintenanceStatus'",
                    ),
                    "common.yaml" => {
                        document
                            .source
                            .replacen("  schemas:\n", &format!("  schemas:\n{moved}"), 1)
                    }
                    _ => document.source.clone(),
                };
                (document.file.clone(), source)
            })
            .collect();
        let new = SpecSet::from_sources(sources).unwrap();

        let changes = changed(&compare(&old, &new).unwrap());

        assert_eq!(
            changes,
            [
                (
                    "ingrid-types".to_owned(),
                    vec!["additive: type `MaintenanceStatus` added".to_owned()]
                ),
                (
                    "ingrid-maintenance-schedule".to_owned(),
                    vec![
                        "breaking: type `MaintenanceStatus` moved from this crate to \
                         ingrid-types: code that names it by its old path no longer compiles"
                            .to_owned()
                    ]
                ),
            ]
        );
    }

    #[test]
    fn what_keeps_the_rust_api_is_no_change() {
        let old = domain(
            &format!("{ROW}\n        code: {{type: string}}\n    Code: {{type: string}}"),
            "",
        );
        let text = old
            .get("d.yaml")
            .unwrap()
            .source
            .replace("operationId: getRows", "operationId: GetRows")
            .replace(
                "        code: {type: string}",
                "        code: {$ref: '#/components/schemas/Code'}",
            );
        let new = SpecSet::from_sources([
            (
                "common.yaml",
                old.get("common.yaml").unwrap().source.as_str(),
            ),
            ("d.yaml", text.as_str()),
        ])
        .unwrap();

        let changes = domain_changes(&old, &new);

        assert_eq!(changes, Vec::<String>::new());
    }

    #[test]
    fn a_base_of_any_characters_is_shortened_without_panicking() {
        let diffs = [CrateDiff {
            krate: "ingrid-types".to_owned(),
            spec: "common.yaml".to_owned(),
            changes: Vec::new(),
        }];

        let text = render(&diffs, "aéééééééééééééé", "0.1.0", Format::Text);

        assert!(
            text.starts_with("API changes of spec/ since aééééééééééé:"),
            "{text}"
        );
    }

    #[test]
    fn a_shallow_clone_is_named_as_the_reason_for_no_merge_base() {
        let clone = std::env::temp_dir().join(format!("xtask-shallow-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&clone);
        let source = format!(
            "file://{}",
            workspace_root().canonicalize().unwrap().display()
        );
        let cloned = Command::new("git")
            .args(["clone", "--quiet", "--depth", "1", &source])
            .arg(&clone)
            .status()
            .unwrap();
        assert!(cloned.success());
        // Only the commit of HEAD, as a CI checkout of a pull request has it: no branch left
        // whatever the branch the workspace is on.
        git(&clone, &["checkout", "--quiet", "--detach"]).unwrap();
        let refs = git(&clone, &["for-each-ref", "--format=%(refname)"]).unwrap();
        for name in refs.lines() {
            git(&clone, &["update-ref", "-d", name]).unwrap();
        }

        let error = default_base(&clone).unwrap_err();

        std::fs::remove_dir_all(&clone).unwrap();
        assert!(error.contains("this clone is shallow"), "{error}");
    }

    #[test]
    fn breaking_bumps_the_minor_version_before_1_0_and_the_major_after() {
        assert_eq!(bump("0.1.0", Impact::Breaking), "0.2.0");
        assert_eq!(bump("0.1.3", Impact::Additive), "0.1.4");
        assert_eq!(bump("1.4.2", Impact::Breaking), "2.0.0");
        assert_eq!(bump("1.4.2", Impact::Additive), "1.5.0");
    }

    #[test]
    fn the_workspace_version_is_read_from_the_root_manifest() {
        let version = workspace_version(workspace_root()).unwrap();

        assert_eq!(version.split('.').count(), 3, "{version}");
    }

    #[test]
    fn markdown_has_a_summary_row_per_crate_and_the_changes_of_the_changed_ones() {
        let diffs = [
            CrateDiff {
                krate: "ingrid-allocations".to_owned(),
                spec: "allocations.yaml".to_owned(),
                changes: vec![Change::breaking("type `Row` removed")],
            },
            CrateDiff {
                krate: "ingrid-measures".to_owned(),
                spec: "measures.yaml".to_owned(),
                changes: Vec::new(),
            },
        ];

        let markdown = render(&diffs, "0123456789abcdef", "0.1.0", Format::Markdown);

        assert!(markdown.contains("since `0123456789ab`"), "{markdown}");
        assert!(
            markdown.contains(
                "| `ingrid-allocations` | `spec/allocations.yaml` | 1 | breaking: 0.1.0 → 0.2.0 |"
            ),
            "{markdown}"
        );
        assert!(
            markdown.contains("| `ingrid-measures` | `spec/measures.yaml` | 0 | no change |"),
            "{markdown}"
        );
        assert!(
            markdown.contains("- **breaking**: type `Row` removed"),
            "{markdown}"
        );
        assert!(!markdown.contains("### `ingrid-measures`"), "{markdown}");
    }
}
