//! `cargo xtask generate`: from `spec/*.yaml` to the generated module of every crate.
//!
//! - `crates/ingrid-types/src/generated.rs` from `spec/common.yaml`: the schemas all domains
//!   share, so that `Direction` is one Rust type everywhere;
//! - `crates/ingrid-<domain>/src/generated.rs` from `spec/<domain>.yaml`: the progenitor
//!   client, its types, and the hook that hands every request to `ingrid_types::hooks`;
//! - `crates/ingrid-cli/src/generated_operations.rs`: the table of operations the CLI offers.
//!
//! Output is formatted with prettyplease (no nightly rustfmt) and is byte-identical from run to
//! run, which is what makes `--check` meaningful. Its header records the SHA-256 of what it
//! was generated from (the bundled spec of its domain), so `--check` can tell a spec that
//! changed from a file that was edited by hand.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use ingrid_openapi::{COMMON_FILE, Document, SpecSet, escape_pointer};
use proc_macro2::TokenStream;
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use quote::quote;
use serde_json::Value;

use crate::open_enum::OpenEnum;
use crate::{cli_table, transform};

/// A file the generator writes, relative to the workspace root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub path: PathBuf,
    pub contents: String,
    /// The spec file it comes from, for messages.
    pub spec: String,
    /// SHA-256 (hex) of what it was generated from, as recorded in its header.
    pub spec_hash: String,
}

/// Why a spec could not be turned into code; names the spec file and, when known, the
/// operation and the place in the file.
#[derive(Debug)]
pub struct GenerateError {
    pub file: String,
    /// How messages name the operation: its operationId, or `GET /v1/x/y` without one.
    pub operation: Option<String>,
    /// JSON pointer, in `file`, of what failed (the operation, or a `$ref`), when known.
    pub pointer: Option<String>,
    pub message: String,
}

impl GenerateError {
    /// An error about `file` as a whole.
    pub fn in_file(file: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            operation: None,
            pointer: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "spec/{}", self.file)?;
        match (&self.operation, &self.pointer) {
            (Some(operation), _) => write!(f, ": operation {operation}")?,
            (None, Some(pointer)) => write!(f, ": at {pointer}")?,
            (None, None) => {}
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for GenerateError {}

impl From<ingrid_openapi::SpecError> for GenerateError {
    fn from(error: ingrid_openapi::SpecError) -> Self {
        Self {
            file: error.file,
            operation: None,
            pointer: Some(error.pointer).filter(|pointer| !pointer.is_empty()),
            message: error.message,
        }
    }
}

/// The crate a domain spec generates: `allocations.yaml` gives `crates/ingrid-allocations`.
pub fn domain_crate_dir(domain: &str) -> PathBuf {
    PathBuf::from("crates").join(format!("ingrid-{domain}"))
}

/// Generates every output, or only the domain named `only` (plus the shared ones).
pub fn generate(set: &SpecSet, only: Option<&str>) -> Result<Vec<Output>, GenerateError> {
    let mut outputs = vec![shared_types(set)?];

    let domains: Vec<&Document> = set.domains().collect();
    if let Some(only) = only
        && !domains.iter().any(|document| document.domain() == only)
    {
        let known: Vec<&str> = domains.iter().map(|document| document.domain()).collect();
        return Err(GenerateError::in_file(
            &format!("{only}.yaml"),
            format!("no such domain; the specs define {}", known.join(", ")),
        ));
    }

    for document in &domains {
        if only.is_none_or(|only| only == document.domain()) {
            let output = catching_panics(|| domain_client(set, document))
                .map_err(|reason| panicked(&document.file, &reason))??;
            outputs.push(output);
        }
    }
    outputs.push(cli_table::generate(set)?);
    Ok(outputs)
}

/// A panic of the generation outside progenitor's own run (which names its operation), in
/// the code made from `file`: typify, quote and prettyplease panic on what they cannot handle.
fn panicked(file: &str, reason: &str) -> GenerateError {
    GenerateError::in_file(file, format!("the generation panicked: {reason}"))
}

/// Runs `work` with any panic caught and the default panic message kept off stderr; the
/// panic's message is the error. progenitor, typify, quote and prettyplease panic on input
/// they do not expect, and a maintainer must get the spec file and operation instead of a
/// backtrace.
pub fn catching_panics<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    silence_caught_panics();
    let was_quiet = QUIET.with(|quiet| quiet.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(work));
    QUIET.with(|quiet| quiet.set(was_quiet));

    result.map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("no message")
            .to_owned()
    })
}

thread_local! {
    /// Whether the thread runs inside [`catching_panics`], whose panics are reported as errors.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs, once, a panic hook that prints nothing for the panics [`catching_panics`]
/// catches and hands every other panic to the hook that was there. Swapping the hook around
/// each call instead would race with the other threads of `cargo test`.
fn silence_caught_panics() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
}

/// `crates/ingrid-types/src/generated.rs`, from every schema of common.yaml.
fn shared_types(set: &SpecSet) -> Result<Output, GenerateError> {
    catching_panics(|| shared_types_unguarded(set))
        .map_err(|reason| panicked(COMMON_FILE, &reason))?
}

fn shared_types_unguarded(set: &SpecSet) -> Result<Output, GenerateError> {
    let mut spec = set.bundle(COMMON_FILE)?.value;
    let spec_hash = sha256_of_json(&spec);
    transform::for_generation(&mut spec);

    let enums = OpenEnum::all_in(&spec);
    let mut settings = base_settings();
    settings.with_replacement("GasDay", "crate::GasDay", gas_day_impls());
    for open_enum in &enums {
        settings.with_replacement(
            &open_enum.rust_name,
            format!("crate::{}", open_enum.rust_name),
            enum_impls(),
        );
    }
    for name in plain_strings(&spec) {
        settings.with_replacement(type_name(&name), "::std::string::String", string_impls());
    }

    let tokens = run_progenitor(COMMON_FILE, &spec, &settings)?;
    let file = parse(COMMON_FILE, tokens)?;
    let mut items = types_module_items(COMMON_FILE, file)?;
    for open_enum in &enums {
        items.push(parse_item(
            COMMON_FILE,
            open_enum.to_tokens(&quote!(crate::open_enum)),
        )?);
    }

    let file = syn::File {
        shebang: None,
        frontmatter: None,
        attrs: Vec::new(),
        items,
    };
    let source = format!("spec/{COMMON_FILE}");
    Ok(Output {
        path: PathBuf::from("crates/ingrid-types/src/generated.rs"),
        contents: header(&source, &source, &spec_hash) + &prettyplease::unparse(&file),
        spec: COMMON_FILE.to_owned(),
        spec_hash,
    })
}

/// `crates/ingrid-<domain>/src/generated.rs`.
fn domain_client(set: &SpecSet, document: &Document) -> Result<Output, GenerateError> {
    let file_name = document.file.as_str();
    let bundle = set.bundle(file_name)?;
    let shared = bundle.schemas_from(COMMON_FILE);
    let mut spec = bundle.value;
    let spec_hash = sha256_of_json(&spec);
    transform::for_generation(&mut spec);

    let mut settings = base_settings();
    let strings = plain_strings(&spec);
    for name in &shared {
        if strings.contains(name) {
            continue;
        }
        let impls = shared_impls(set, name);
        let rust_name = type_name(name);
        let path = format!("::ingrid_types::{rust_name}");
        settings.with_replacement(rust_name, path, impls.into_iter());
    }
    for name in &strings {
        settings.with_replacement(type_name(name), "::std::string::String", string_impls());
    }
    let local_enums: Vec<OpenEnum> = OpenEnum::all_in(&spec)
        .into_iter()
        .filter(|open_enum| !shared.contains(&open_enum.name))
        .collect();
    for open_enum in &local_enums {
        let path = format!("crate::types::{}", open_enum.rust_name);
        settings.with_replacement(&open_enum.rust_name, path, enum_impls());
    }

    let tokens = run_progenitor(file_name, &spec, &settings)?;
    let mut file = parse(file_name, tokens)?;

    let types = types_module(file_name, &mut file)?;
    for open_enum in &local_enums {
        let item = parse_item(
            file_name,
            open_enum.to_tokens(&quote!(::ingrid_types::open_enum)),
        )?;
        types.push(item);
    }
    file.items.push(parse_item(file_name, hooks_impl())?);

    let source = format!("spec/{file_name}");
    let hashed = format!("spec/{file_name} bundled with what it uses of spec/{COMMON_FILE}");
    Ok(Output {
        path: domain_crate_dir(document.domain()).join("src/generated.rs"),
        contents: header(&source, &hashed, &spec_hash) + &prettyplease::unparse(&file),
        spec: file_name.to_owned(),
        spec_hash,
    })
}

/// Settings shared by every crate; the reasons are in `shared/notes/PROGENITOR.md`.
fn base_settings() -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        // The impl is emitted below; a crate without it must not compile.
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote!(::ingrid_types::hooks::ClientContext))
        .with_derive("PartialEq")
        .with_map_type("::std::collections::BTreeMap")
        // chrono's default for `date-time` is `DateTime<Utc>`, which forgets the offset that
        // tells a gas day's local hours apart (02:00+02:00 and 02:00+01:00 on 25-hour days).
        .with_conversion(
            date_time_schema(),
            "::chrono::DateTime<::chrono::FixedOffset>",
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    settings
}

fn date_time_schema() -> schemars::schema::SchemaObject {
    schemars::schema::SchemaObject {
        instance_type: Some(schemars::schema::InstanceType::String.into()),
        format: Some("date-time".to_owned()),
        ..Default::default()
    }
}

/// Named schemas that are only `type: string` (a contract code, a point code). typify would
/// make each a newtype without `From<&str>`; a plain `String` lets a caller write
/// `.contract_code("GFXY1201")`.
fn plain_strings(spec: &Value) -> Vec<String> {
    let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    schemas
        .iter()
        .filter(|(_, schema)| {
            schema.get("type").and_then(Value::as_str) == Some("string")
                && ["enum", "format", "pattern"]
                    .iter()
                    .all(|key| schema.get(key).is_none())
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// The Rust type typify makes of the schema `name`, which is also the name typify looks up
/// its replacements by.
fn type_name(name: &str) -> String {
    crate::rust_names::typify(name, crate::rust_names::Case::Pascal)
}

fn string_impls() -> impl Iterator<Item = TypeImpl> {
    [TypeImpl::Display, TypeImpl::FromStr].into_iter()
}

fn enum_impls() -> impl Iterator<Item = TypeImpl> {
    [TypeImpl::Display, TypeImpl::FromStr].into_iter()
}

fn gas_day_impls() -> impl Iterator<Item = TypeImpl> {
    [TypeImpl::Display, TypeImpl::FromStr].into_iter()
}

/// What a shared schema's Rust type implements, so progenitor can use it in parameters.
fn shared_impls(set: &SpecSet, name: &str) -> Vec<TypeImpl> {
    let schema = set.get(COMMON_FILE).and_then(|common| {
        let pointer = format!("/components/schemas/{}", escape_pointer(name));
        common.value.pointer(&pointer)
    });
    match schema
        .and_then(|schema| schema.get("type"))
        .and_then(Value::as_str)
    {
        Some("string") => vec![TypeImpl::Display, TypeImpl::FromStr],
        _ => Vec::new(),
    }
}

/// Runs progenitor on one spec; a panic inside it becomes an error that names the operation.
fn run_progenitor(
    file: &str,
    spec: &Value,
    settings: &GenerationSettings,
) -> Result<TokenStream, GenerateError> {
    let openapi: openapiv3::OpenAPI = serde_json::from_value(spec.clone()).map_err(|error| {
        GenerateError::in_file(
            file,
            format!("not an OpenAPI 3.0 document progenitor can read: {error}"),
        )
    })?;

    match generate_quietly(&openapi, settings) {
        Ok(tokens) => Ok(tokens),
        Err(message) => {
            let failing = failing_operation(&openapi, settings);
            Err(GenerateError {
                file: file.to_owned(),
                operation: failing.as_ref().map(|(label, _)| label.clone()),
                pointer: failing.map(|(_, pointer)| pointer),
                message,
            })
        }
    }
}

/// Generates with panics caught and the default panic message silenced.
fn generate_quietly(
    openapi: &openapiv3::OpenAPI,
    settings: &GenerationSettings,
) -> Result<TokenStream, String> {
    match catching_panics(|| Generator::new(settings).generate_tokens(openapi)) {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(error)) => {
            // Some refusals go on with a debug dump of the whole parameter: the first line
            // says what is wrong.
            let error = error.to_string();
            let first_line = error.lines().next().unwrap_or_default();
            let cut = if error.contains('\n') { " (…)" } else { "" };
            Err(format!("progenitor refused the spec: {first_line}{cut}"))
        }
        Err(reason) => Err(format!("progenitor panicked: {reason}")),
    }
}

/// Finds the first operation that fails on its own, to say where a failure comes from: how
/// messages name it (its operationId, else method and path) and its JSON pointer. Each
/// operation is tried alone, with the parameters of its path item, so that a failing `post`
/// is not blamed on the `get` beside it.
fn failing_operation(
    openapi: &openapiv3::OpenAPI,
    settings: &GenerationSettings,
) -> Option<(String, String)> {
    for (path, item) in &openapi.paths.paths {
        let Some(item) = item.as_item() else {
            continue;
        };
        for (method, operation) in item.iter() {
            let mut alone = item.clone();
            for (other, _) in item.iter() {
                if other != method {
                    *operation_slot(&mut alone, other)? = None;
                }
            }
            let mut single = openapi.clone();
            single.paths.paths.clear();
            single
                .paths
                .paths
                .insert(path.clone(), openapiv3::ReferenceOr::Item(alone));

            if generate_quietly(&single, settings).is_err() {
                let label = operation
                    .operation_id
                    .clone()
                    .unwrap_or_else(|| format!("{} {path}", method.to_uppercase()));
                let pointer = format!("/paths/{}/{method}", escape_pointer(path));
                return Some((label, pointer));
            }
        }
    }
    None
}

/// The member of a path item that holds the operation of `method`.
fn operation_slot<'a>(
    item: &'a mut openapiv3::PathItem,
    method: &str,
) -> Option<&'a mut Option<openapiv3::Operation>> {
    Some(match method {
        "get" => &mut item.get,
        "put" => &mut item.put,
        "post" => &mut item.post,
        "delete" => &mut item.delete,
        "options" => &mut item.options,
        "head" => &mut item.head,
        "patch" => &mut item.patch,
        "trace" => &mut item.trace,
        _ => return None,
    })
}

/// The `ClientHooks` impl that sends every request through the shared hooks.
fn hooks_impl() -> TokenStream {
    quote! {
        /// Hands every request to the context's hooks: they add the credentials and carry
        /// it to the server. Written once, in `ingrid_types::hooks`, for every domain crate.
        impl ClientHooks<::ingrid_types::hooks::ClientContext> for Client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &OperationInfo,
            ) -> std::result::Result<(), Error<E>> {
                self.inner.prepare(request, info.operation_id).await.map_err(Error::Custom)
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                info: &OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                self.inner.execute(&self.client, request, info.operation_id).await
            }
        }
    }
}

fn parse(file: &str, tokens: TokenStream) -> Result<syn::File, GenerateError> {
    syn::parse2(tokens).map_err(|error| {
        GenerateError::in_file(file, format!("generated code does not parse: {error}"))
    })
}

fn parse_item(file: &str, tokens: TokenStream) -> Result<syn::Item, GenerateError> {
    syn::parse2(tokens).map_err(|error| {
        GenerateError::in_file(file, format!("generated item does not parse: {error}"))
    })
}

/// The items of the generated `pub mod types { ... }`.
fn types_module<'a>(
    file: &str,
    parsed: &'a mut syn::File,
) -> Result<&'a mut Vec<syn::Item>, GenerateError> {
    parsed
        .items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(module) if module.ident == "types" => {
                module.content.as_mut().map(|(_, items)| items)
            }
            _ => None,
        })
        .ok_or_else(|| GenerateError::in_file(file, "progenitor's output has no `types` module"))
}

fn types_module_items(file: &str, mut parsed: syn::File) -> Result<Vec<syn::Item>, GenerateError> {
    Ok(std::mem::take(types_module(file, &mut parsed)?))
}

/// The first lines of every generated file: the `@generated` marker that tools look for on
/// the first line, where the code comes from, and the hash of `hashed`, what it was made from.
pub fn header(source: &str, hashed: &str, spec_hash: &str) -> String {
    format!(
        "// @generated by `cargo xtask generate` from {source}. Do not edit by hand:\n\
         // change the spec and run `cargo xtask generate`.\n\
         // Made from {hashed}:\n\
         // {SPEC_HASH_LABEL} {spec_hash}\n\n"
    )
}

/// What precedes the hash in a generated file's header.
const SPEC_HASH_LABEL: &str = "spec-sha256:";

/// SHA-256 (hex) of a JSON value's compact serialization. serde_json's maps are sorted, so
/// the hash depends on the spec's content only: reordering keys or editing YAML comments
/// changes nothing, and then the generated code does not change either.
pub fn sha256_of_json(value: &Value) -> String {
    use sha2::{Digest, Sha256};

    let digest = Sha256::digest(value.to_string().as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The hash recorded in the header of a generated file's text, if any: what follows the label,
/// whatever it is (a hand edit can leave anything there).
fn recorded_hash(contents: &str) -> Option<&str> {
    contents
        .lines()
        .take(5)
        .find_map(|line| line.strip_prefix("// ")?.strip_prefix(SPEC_HASH_LABEL))
        .and_then(|rest| rest.split_whitespace().next())
}

/// The first characters of a hash, enough to tell two apart in a message. Counted in
/// characters: a header edited by hand may hold any text, and slicing bytes could cut one.
fn short_hash(hash: &str) -> String {
    hash.chars().take(12).collect()
}

/// Why a committed file is stale: its spec changed since, or the file itself differs.
pub fn staleness(root: &Path, output: &Output) -> String {
    let committed = std::fs::read_to_string(root.join(&output.path));
    let Ok(committed) = committed else {
        return "not generated yet".to_owned();
    };
    match recorded_hash(&committed) {
        Some(recorded) if recorded == output.spec_hash => {
            "edited by hand, or generated by another version of the generator: the spec is the \
             same"
                .to_owned()
        }
        Some(recorded) if !is_sha256(recorded) => format!(
            "edited by hand: its header records `{}`, which is not a SHA-256",
            short_hash(recorded)
        ),
        Some(recorded) => format!(
            "spec/{} changed since it was generated (sha256 {} then, {} now)",
            output.spec,
            short_hash(recorded),
            short_hash(&output.spec_hash)
        ),
        None => format!(
            "generated before spec hashes were recorded from spec/{}",
            output.spec
        ),
    }
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// The generated modules of domain crates that no spec generates any more: each
/// `crates/*/src/generated.rs` marked as generated from a `spec/` file and missing from
/// `outputs`, which must be the outputs of every domain.
pub fn orphans(root: &Path, outputs: &[Output]) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root.join("crates")) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| {
            Path::new("crates")
                .join(entry.file_name())
                .join("src/generated.rs")
        })
        .filter(|path| !outputs.iter().any(|output| output.path == *path))
        .filter(|path| {
            std::fs::read_to_string(root.join(path)).is_ok_and(|text| {
                text.starts_with("// @generated by `cargo xtask generate` from spec/")
            })
        })
        .collect();
    found.sort();
    found
}

/// The outputs whose committed file differs from what the specs generate, each with a unified
/// diff (committed to generated), shortened to its first lines for a whole new file.
pub fn stale<'a>(root: &Path, outputs: &'a [Output]) -> Vec<(&'a Output, String)> {
    const MAX_LINES: usize = 200;

    outputs
        .iter()
        .filter_map(|output| {
            let committed = std::fs::read_to_string(root.join(&output.path)).unwrap_or_default();
            if committed == output.contents {
                return None;
            }
            let name = output.path.display().to_string();
            let diff = similar::TextDiff::from_lines(&committed, &output.contents)
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("{name} (committed)"),
                    &format!("{name} (from spec)"),
                )
                .to_string();
            let lines: Vec<&str> = diff.lines().collect();
            let mut shown = lines
                .iter()
                .take(MAX_LINES)
                .copied()
                .collect::<Vec<_>>()
                .join("\n");
            if lines.len() > MAX_LINES {
                shown.push_str(&format!(
                    "\n... {} more diff lines",
                    lines.len() - MAX_LINES
                ));
            }
            Some((output, shown))
        })
        .collect()
}

/// Writes every output whose contents changed; returns the paths written.
pub fn write(root: &Path, outputs: &[Output]) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for output in outputs {
        let path = root.join(&output.path);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(output.contents.as_str()) {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &output.contents)?;
        written.push(output.path.clone());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace_specs() -> SpecSet {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
        SpecSet::load_dir(&dir).unwrap()
    }

    /// The shared spec plus one domain whose only operation is `operation` (YAML, indented
    /// under `paths`).
    fn one_domain(operation: &str) -> SpecSet {
        let common = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/common.yaml"),
        )
        .unwrap();
        let domain =
            format!("openapi: 3.0.3\ninfo: {{title: Broken, version: '1'}}\npaths:\n{operation}");
        SpecSet::from_sources([("common.yaml", common), ("broken.yaml", domain)]).unwrap()
    }

    #[test]
    fn generation_is_byte_identical_from_run_to_run() {
        let specs = workspace_specs();

        let first = generate(&specs, None).unwrap();
        let second = generate(&specs, None).unwrap();

        assert_eq!(first, second);
        assert!(
            first
                .iter()
                .all(|output| output.contents.starts_with("// @generated"))
        );
    }

    #[test]
    fn a_generator_panic_names_the_spec_file_and_the_operation() {
        // progenitor panics on a success response beside a `default` with another schema.
        let specs = one_domain(
            r#"
  /v1/broken/first:
    get:
      operationId: getFirst
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: string}}}}
  /v1/broken/second:
    get:
      operationId: getSecond
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: string}}}}
        default: {description: error, content: {application/json: {schema: {type: integer}}}}
"#,
        );

        let error = generate(&specs, Some("broken")).unwrap_err();

        assert_eq!(error.file, "broken.yaml");
        assert_eq!(error.operation.as_deref(), Some("getSecond"));
        assert!(error.message.contains("progenitor panicked"), "{error}");
        assert!(
            error
                .to_string()
                .starts_with("spec/broken.yaml: operation getSecond:"),
            "{error}"
        );
    }

    #[test]
    fn check_names_each_stale_file_with_a_diff() {
        let root = std::env::temp_dir().join(format!("xtask-check-{}", std::process::id()));
        let outputs = generate(&workspace_specs(), Some("allocations")).unwrap();
        write(&root, &outputs).unwrap();
        let edited = root.join("crates/ingrid-allocations/src/generated.rs");
        let text = std::fs::read_to_string(&edited).unwrap();
        std::fs::write(&edited, text.replacen("pub struct", "pub(crate) struct", 1)).unwrap();

        let stale = stale(&root, &outputs);

        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(stale.len(), 1);
        assert_eq!(
            stale[0].0.path,
            PathBuf::from("crates/ingrid-allocations/src/generated.rs")
        );
        assert!(
            stale[0].1.contains("-    pub(crate) struct"),
            "{}",
            stale[0].1
        );
        assert!(stale[0].1.contains("+    pub struct"), "{}", stale[0].1);
    }

    #[test]
    fn every_header_records_the_hash_of_what_it_was_generated_from() {
        let specs = workspace_specs();

        let outputs = generate(&specs, None).unwrap();

        for output in &outputs {
            let first = output.contents.lines().next().unwrap();
            assert!(first.starts_with("// @generated"), "{first}");
            assert_eq!(output.spec_hash.len(), 64);
            assert_eq!(
                recorded_hash(&output.contents),
                Some(output.spec_hash.as_str())
            );
        }
        let allocations = set_bundle_hash(&specs, "allocations.yaml");
        let output = outputs
            .iter()
            .find(|output| output.spec == "allocations.yaml")
            .unwrap();
        assert_eq!(output.spec_hash, allocations);
    }

    fn set_bundle_hash(specs: &SpecSet, file: &str) -> String {
        sha256_of_json(&specs.bundle(file).unwrap().value)
    }

    /// The workspace specs with `to` in place of `from` in `file`.
    fn workspace_specs_with(file: &str, from: &str, to: &str) -> SpecSet {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
        let mut sources = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let mut text = std::fs::read_to_string(&path).unwrap();
            if name == file {
                assert!(text.contains(from), "{file} has no {from:?}");
                text = text.replacen(from, to, 1);
            }
            sources.push((name, text));
        }
        SpecSet::from_sources(sources).unwrap()
    }

    #[test]
    fn an_optional_field_in_one_spec_changes_that_crates_file_alone() {
        let before = generate(&workspace_specs(), None).unwrap();
        let specs = workspace_specs_with(
            "allocations.yaml",
            "        counterpartyCode:\n",
            "        settlementNote:\n          type: string\n          description: A note.\n\
             \x20       counterpartyCode:\n",
        );

        let after = generate(&specs, None).unwrap();

        let changed: Vec<&PathBuf> = after
            .iter()
            .zip(&before)
            .filter(|(after, before)| after.contents != before.contents)
            .map(|(after, _)| &after.path)
            .collect();
        assert_eq!(
            changed,
            [&PathBuf::from("crates/ingrid-allocations/src/generated.rs")]
        );
    }

    #[test]
    fn staleness_tells_a_changed_spec_from_a_file_edited_by_hand() {
        let root = std::env::temp_dir().join(format!("xtask-stale-{}", std::process::id()));
        let outputs = generate(&workspace_specs(), Some("allocations")).unwrap();
        let output = outputs
            .iter()
            .find(|output| output.spec == "allocations.yaml")
            .unwrap();
        let path = root.join(&output.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();

        std::fs::write(&path, output.contents.replacen("pub struct", "struct", 1)).unwrap();
        let edited = staleness(&root, output);
        let old_hash = "0".repeat(64);
        std::fs::write(&path, output.contents.replace(&output.spec_hash, &old_hash)).unwrap();
        let changed = staleness(&root, output);

        std::fs::remove_dir_all(&root).unwrap();
        assert!(edited.contains("edited by hand"), "{edited}");
        assert!(
            changed.contains("spec/allocations.yaml changed since it was generated"),
            "{changed}"
        );
        assert!(changed.contains("000000000000 then"), "{changed}");
    }

    #[test]
    fn an_unknown_domain_is_refused_with_the_known_ones() {
        let error = generate(&workspace_specs(), Some("allocation")).unwrap_err();

        assert!(error.message.contains("allocations"), "{error}");
    }

    #[test]
    fn a_missing_reference_names_the_file_and_where() {
        let specs = one_domain(
            r#"
  /v1/broken/first:
    get:
      operationId: getFirst
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {$ref: 'common.yaml#/components/schemas/Nope'}}}
"#,
        );

        let error = generate(&specs, Some("broken")).unwrap_err();

        assert_eq!(error.file, "broken.yaml");
        assert_eq!(
            error.pointer.as_deref(),
            Some(
                "/paths/~1v1~1broken~1first/get/responses/200/content/application~1json/schema/$ref"
            )
        );
        assert!(error.message.contains("does not resolve"), "{error}");
    }

    #[test]
    fn a_failure_is_pinned_on_the_operation_that_fails_not_on_its_neighbour() {
        // progenitor refuses cookie parameters.
        let specs = one_domain(
            r#"
  /v1/broken/both:
    get:
      operationId: getBoth
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: string}}}}
    post:
      operationId: postBoth
      parameters:
        - {name: session, in: cookie, schema: {type: string}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: string}}}}
"#,
        );

        let error = generate(&specs, Some("broken")).unwrap_err();

        assert_eq!(error.operation.as_deref(), Some("postBoth"), "{error}");
        assert_eq!(
            error.pointer.as_deref(),
            Some("/paths/~1v1~1broken~1both/post")
        );
    }

    #[test]
    fn the_cli_table_calls_what_progenitor_names_for_any_operation_id_and_parameter() {
        let specs = one_domain(
            r#"
  /v1/broken/lives:
    get:
      operationId: 9lives
      parameters:
        - {name: 2ndOperator, in: query, schema: {type: string}}
        - {name: async, in: query, schema: {type: string}}
        - {name: self, in: query, schema: {type: string}}
        - {name: Self, in: query, schema: {type: string}}
        - {name: crate, in: query, schema: {type: string}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: string}}}}
"#,
        );

        let outputs = generate(&specs, Some("broken")).unwrap();

        let contents = |name: &str| {
            let output = outputs.iter().find(|output| output.path.ends_with(name));
            output.unwrap().contents.as_str()
        };
        let client = contents("ingrid-broken/src/generated.rs");
        let table = contents("ingrid-cli/src/generated_operations.rs");
        assert!(table.contains("ingrid.broken()._9lives()"), "{table}");
        assert!(client.contains("pub fn _9lives("), "{client}");
        for setter in ["_2nd_operator", "async_", "self_", "crate_"] {
            assert!(
                table.contains(&format!("request.{setter}(value)")),
                "{setter}"
            );
            assert!(client.contains(&format!("pub fn {setter}<V>(")), "{setter}");
        }
    }

    #[test]
    fn a_panic_is_caught_as_its_message_and_printed_by_nobody() {
        let caught = catching_panics(|| -> u8 { panic!("the generator broke") });
        let fine = catching_panics(|| 7);

        assert_eq!(caught, Err("the generator broke".to_owned()));
        assert_eq!(fine, Ok(7));
    }

    #[test]
    fn a_header_hash_edited_into_any_text_is_reported_without_panicking() {
        let root = std::env::temp_dir().join(format!("xtask-hash-{}", std::process::id()));
        let outputs = generate(&workspace_specs(), Some("allocations")).unwrap();
        let output = outputs
            .iter()
            .find(|output| output.spec == "allocations.yaml")
            .unwrap();
        let path = root.join(&output.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let edited = output
            .contents
            .replace(&output.spec_hash, "aéééééééééééééé");
        std::fs::write(&path, edited).unwrap();

        let reason = staleness(&root, output);

        std::fs::remove_dir_all(&root).unwrap();
        assert!(reason.contains("not a SHA-256"), "{reason}");
        assert!(reason.contains("`aééééééééééé`"), "{reason}");
    }

    #[test]
    fn a_generated_module_whose_spec_is_gone_is_an_orphan() {
        let root = std::env::temp_dir().join(format!("xtask-orphan-{}", std::process::id()));
        let outputs = generate(&workspace_specs(), None).unwrap();
        write(&root, &outputs).unwrap();
        let gone = root.join("crates/ingrid-gone/src");
        std::fs::create_dir_all(&gone).unwrap();
        let header = header("spec/gone.yaml", "spec/gone.yaml", &"0".repeat(64));
        std::fs::write(gone.join("generated.rs"), header).unwrap();
        let hand_written = root.join("crates/ingrid-hand/src");
        std::fs::create_dir_all(&hand_written).unwrap();
        std::fs::write(hand_written.join("generated.rs"), "// mine\n").unwrap();

        let orphans = orphans(&root, &outputs);

        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(
            orphans,
            [PathBuf::from("crates/ingrid-gone/src/generated.rs")]
        );
    }
}
