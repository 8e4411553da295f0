//! `cargo xtask validate`: every problem of the specs, with its file, line and JSON pointer,
//! before progenitor sees them.
//!
//! The rules come from two places. `shared/notes/PROGENITOR.md` lists the constructs that make
//! progenitor panic, refuse the spec, or generate a client that breaks when GRTgaz adds a field
//! or a value; the "Decisions for this project's specs" of `shared/domain/INGRID.md` give the
//! conventions every operation and schema follows. Each rule is one [`Rule`], with a test that
//! runs it on a small faulty fixture.
//!
//! The rules read the files as written and follow `$ref`s between them, so a finding is
//! reported once, in the file to edit, however many domains reach the faulty node.

mod closed;
mod conventions;
mod cycles;
mod document;
mod examples;
pub mod folder;
mod generation;
mod lines;
mod names;
mod places;
mod refs;
mod unused;

use std::collections::BTreeSet;
use std::fmt;

pub use folder::SpecFolder;
use refs::{Node, Resolver};

/// One check of `cargo xtask validate`. The code (`closed-enum`) is what messages and CI
/// annotations show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// The file is not YAML, or not shaped as a spec (a list where a mapping belongs).
    InvalidYaml,
    /// A key written twice in one mapping: the loader keeps the last value and drops the
    /// first without a word.
    DuplicateKey,
    /// A YAML merge key (`<<: *base`): the loader does not apply it, and the members it should
    /// bring in are missing.
    MergeKey,
    /// `openapi` is not 3.0.x: progenitor reads 3.0 only.
    OpenApiVersion,
    /// A `$ref` leads nowhere, or has a shape the bundler cannot copy.
    UnresolvedReference,
    /// Schemas made of each other through `$ref`s and `allOf`/`anyOf`/`oneOf` alone: their
    /// type would contain itself (the generation and the decoding never end).
    ReferenceCycle,
    /// An operation has no `operationId`: progenitor refuses it.
    MissingOperationId,
    /// Two operationIds of one crate are equal in snake_case: the client does not compile.
    OperationIdClash,
    /// Names that the generated code turns into one Rust name, or into a name it already
    /// has: an operationId `new` (`Client::new`), properties `pointName` and `pointNAME`
    /// (field `point_name`), enum values `OPTION_1` and `OPTION1`, schemas `Work/Kind` and
    /// `Work~Kind`. The crate does not compile.
    RustNameClash,
    /// Two operations of one file whose paths end in the same segment: the CLI names both
    /// `ingrid <domain> <segment>` and cannot reach the second.
    CliCommandClash,
    /// A success response beside a `default` with another body: progenitor panics.
    SuccessBesideDefault,
    /// More than one success body (200 and 202, 200 and 204): progenitor panics.
    SeveralSuccessBodies,
    /// A request body with more than one media type: progenitor panics.
    SeveralRequestMediaTypes,
    /// An object-typed query parameter: progenitor panics in builder style.
    ObjectQueryParameter,
    /// `style: deepObject`: progenitor refuses it.
    DeepObjectParameter,
    /// `explode: false`: progenitor ignores it and sends the exploded form.
    ExplodeFalse,
    /// A query parameter named like a schema it does not use: progenitor gives the parameter
    /// that schema's type.
    ParameterTypeName,
    /// A date-time in a path or header parameter: progenitor sends chrono's Display form,
    /// not RFC 3339.
    DateTimeOutsideQuery,
    /// A `oneOf` in a response, with or without a `discriminator` (which typify ignores): the
    /// first matching variant wins and the fields of the others are dropped silently.
    OneOfInResponse,
    /// `additionalProperties: false` in a response: any new field fails the whole response.
    ClosedObject,
    /// An enum the generation does not make forward compatible (inline, or not a string).
    ClosedEnum,
    /// `nullable: true` on a named string schema (an enum or a plain string): the generation
    /// maps it to a Rust type that cannot hold null, so a null fails the whole response.
    NullableNamedSchema,
    /// A value of a string enum that YAML reads as something else (`NULL`, `TRUE`, `~`, `1`):
    /// the generated enum silently leaves it out.
    UnquotedEnumValue,
    /// An operation outside `/v1/{domain}/`.
    PathOutsideDomain,
    /// An operation without the required `contractCode` query parameter.
    MissingContractCode,
    /// An operation without a security requirement, or naming an undeclared scheme.
    MissingSecurity,
    /// An operation without a `200` `application/json` response with a schema.
    MissingJsonSuccess,
    /// An operation without an `application/problem+json` response for 400, 401, 403, 404,
    /// 429 or 500.
    MissingProblemResponse,
    /// A property name that is not camelCase.
    PropertyNotCamelCase,
    /// An enum value that is not SCREAMING_SNAKE_CASE.
    EnumValueNotScreamingSnakeCase,
    /// A property without a type.
    UntypedProperty,
    /// A property without a description.
    UndescribedProperty,
    /// A quantity, capacity, price or amount whose description does not give its unit.
    QuantityWithoutUnit,
    /// An `example` or `examples` value its schema rejects.
    InvalidExample,
    /// A component that no operation reaches.
    UnusedComponent,
    /// The trial generation of `validate` failed although every rule passed.
    GenerationFailed,
}

impl Rule {
    /// The kebab-case code shown in messages.
    pub fn code(self) -> &'static str {
        match self {
            Rule::InvalidYaml => "invalid-yaml",
            Rule::DuplicateKey => "duplicate-key",
            Rule::MergeKey => "merge-key",
            Rule::OpenApiVersion => "openapi-version",
            Rule::UnresolvedReference => "unresolved-reference",
            Rule::ReferenceCycle => "reference-cycle",
            Rule::MissingOperationId => "missing-operation-id",
            Rule::OperationIdClash => "operation-id-clash",
            Rule::RustNameClash => "rust-name-clash",
            Rule::CliCommandClash => "cli-command-clash",
            Rule::SuccessBesideDefault => "success-beside-default",
            Rule::SeveralSuccessBodies => "several-success-bodies",
            Rule::SeveralRequestMediaTypes => "several-request-media-types",
            Rule::ObjectQueryParameter => "object-query-parameter",
            Rule::DeepObjectParameter => "deep-object-parameter",
            Rule::ExplodeFalse => "explode-false",
            Rule::ParameterTypeName => "parameter-type-name",
            Rule::DateTimeOutsideQuery => "date-time-outside-query",
            Rule::OneOfInResponse => "one-of-in-response",
            Rule::ClosedObject => "closed-object",
            Rule::ClosedEnum => "closed-enum",
            Rule::NullableNamedSchema => "nullable-named-schema",
            Rule::UnquotedEnumValue => "unquoted-enum-value",
            Rule::PathOutsideDomain => "path-outside-domain",
            Rule::MissingContractCode => "missing-contract-code",
            Rule::MissingSecurity => "missing-security",
            Rule::MissingJsonSuccess => "missing-json-success",
            Rule::MissingProblemResponse => "missing-problem-response",
            Rule::PropertyNotCamelCase => "property-not-camel-case",
            Rule::EnumValueNotScreamingSnakeCase => "enum-value-not-screaming-snake-case",
            Rule::UntypedProperty => "untyped-property",
            Rule::UndescribedProperty => "undescribed-property",
            Rule::QuantityWithoutUnit => "quantity-without-unit",
            Rule::InvalidExample => "invalid-example",
            Rule::UnusedComponent => "unused-component",
            Rule::GenerationFailed => "generation-failed",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One problem of one spec file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file name inside its folder (`allocations.yaml`).
    pub file: String,
    /// JSON pointer inside that file; empty for the whole file.
    pub pointer: String,
    /// 1-based line, when the YAML parser knows it.
    pub line: Option<usize>,
    pub rule: Rule,
    /// What is wrong and, where it is not obvious, why it matters.
    pub message: String,
}

/// The findings of one run, filled as the rules go.
#[derive(Debug, Default)]
struct Findings {
    list: Vec<Finding>,
}

impl Findings {
    /// Records a problem at `node`.
    fn at(&mut self, node: &Node<'_>, rule: Rule, message: impl Into<String>) {
        self.at_pointer(node.file, &node.pointer, rule, message);
    }

    /// Records a problem at `pointer` in `file`.
    fn at_pointer(&mut self, file: &str, pointer: &str, rule: Rule, message: impl Into<String>) {
        self.list.push(Finding {
            file: file.to_owned(),
            pointer: pointer.to_owned(),
            line: None,
            rule,
            message: message.into(),
        });
    }
}

/// How many of each thing a valid run checked, for its summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub specs: usize,
    pub operations: usize,
    pub schemas: usize,
}

/// Runs every rule on `folder`. With `only` non-empty, the findings are those of the named
/// files; the other files are still read, for their references.
pub fn check(folder: &SpecFolder, only: &BTreeSet<String>) -> Vec<Finding> {
    let resolver = Resolver::new(folder);
    let set = folder.spec_set();
    let mut findings = Findings {
        list: [&folder.unreadable[..], &folder.key_findings[..]].concat(),
    };

    for file in folder.documents.keys() {
        let Some(root) = resolver.root(file) else {
            continue;
        };
        document::check(&resolver, &root, &mut findings);
        generation::check(&set, &resolver, &root, &mut findings);
        names::check(&set, &resolver, &root, &mut findings);
        conventions::check(&resolver, &root, &mut findings);
    }
    cycles::check(&resolver, &mut findings);
    closed::check(&resolver, &mut findings);
    closed::check_nullable_named_schemas(&resolver, &mut findings);
    examples::check(&resolver, &mut findings);
    unused::check(&resolver, &mut findings);

    let mut list = findings.list;
    for finding in &mut list {
        finding.line = finding
            .line
            .or_else(|| folder.line_of(&finding.file, &finding.pointer));
    }
    list.retain(|finding| only.is_empty() || only.contains(&finding.file));
    list.sort_by(|a, b| {
        (&a.file, a.line, &a.pointer, a.rule).cmp(&(&b.file, b.line, &b.pointer, b.rule))
    });
    list.dedup_by(|a, b| a.file == b.file && a.pointer == b.pointer && a.rule == b.rule);
    list
}

/// Generates in memory, once every rule passed: what progenitor still refuses, or panics on,
/// becomes a finding at the operation it names. With `only` non-empty, only a failure in one
/// of those files is reported, or one that no file of the folder can be blamed for.
pub fn trial_generation(folder: &SpecFolder, only: &BTreeSet<String>) -> Vec<Finding> {
    let Err(error) = crate::generate::generate(&folder.spec_set(), None) else {
        return Vec::new();
    };
    let finding = generation_finding(folder, &error);
    let in_a_file = folder.documents.contains_key(&finding.file);
    if only.is_empty() || only.contains(&finding.file) || !in_a_file {
        vec![finding]
    } else {
        Vec::new()
    }
}

/// A generation error as a finding, at the place it names: its pointer, else the operation
/// of its operationId (or method and path), else the whole file.
fn generation_finding(folder: &SpecFolder, error: &crate::generate::GenerateError) -> Finding {
    let pointer = error
        .pointer
        .clone()
        .or_else(|| {
            let operation = error.operation.as_deref()?;
            let value = folder.value(&error.file)?;
            ingrid_openapi::operations(value)
                .into_iter()
                .find(|candidate| {
                    let route = format!("{} {}", candidate.method.to_uppercase(), candidate.path);
                    candidate.operation_id() == Some(operation) || route == operation
                })
                .map(|candidate| candidate.pointer)
        })
        .unwrap_or_default();
    let operation = error
        .operation
        .as_deref()
        .map(|operation| format!("operation {operation}: "))
        .unwrap_or_default();
    Finding {
        line: folder.line_of(&error.file, &pointer),
        file: error.file.clone(),
        pointer,
        rule: Rule::GenerationFailed,
        message: format!(
            "every rule passed but generation failed (a rule of `cargo xtask validate` is \
             missing for this): {operation}{}",
            error.message
        ),
    }
}

/// What the summary of a valid run counts.
pub fn counts(folder: &SpecFolder) -> Counts {
    let values = || folder.documents.values().map(|document| &document.value);
    Counts {
        specs: folder.documents.len(),
        operations: values()
            .map(|value| ingrid_openapi::operations(value).len())
            .sum(),
        schemas: values()
            .filter_map(|value| value.pointer("/components/schemas")?.as_object())
            .map(|schemas| schemas.len())
            .sum(),
    }
}

/// How findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `spec/allocations.yaml:120: error[closed-enum] at /pointer: message`
    Human,
    /// GitHub workflow commands, which annotate the pull request's files.
    Github,
}

/// One finding as a line of `format`; `folder` is how the spec folder is named (`spec`).
pub fn render(finding: &Finding, folder: &str, format: Format) -> String {
    let path = format!("{folder}/{}", finding.file);
    let pointer = if finding.pointer.is_empty() {
        "the whole file".to_owned()
    } else {
        finding.pointer.clone()
    };
    match format {
        Format::Human => {
            let line = finding
                .line
                .map(|line| format!(":{line}"))
                .unwrap_or_default();
            format!(
                "{path}{line}: error[{}] at {pointer}: {}",
                finding.rule, finding.message
            )
        }
        Format::Github => {
            let line = finding
                .line
                .map(|line| format!(",line={line}"))
                .unwrap_or_default();
            format!(
                "::error file={}{line},title={}::{}",
                escape_property(&path),
                escape_property(finding.rule.code()),
                escape_data(&format!("{} (at {pointer})", finding.message))
            )
        }
    }
}

/// Escapes the message of a workflow command, as GitHub's toolkit does.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property of a workflow command (`file=`, `title=`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests;
