//! Loading and bundling of the hand-maintained Ingrid OpenAPI specs.
//!
//! The specs in `spec/` are split by domain, and every domain references what all domains
//! share in `common.yaml` (`common.yaml#/components/schemas/GasDay`). Code generators and the
//! sandbox want one self-contained document per domain, so [`SpecSet::bundle`] copies every
//! component a domain reaches into that domain's own `components` and rewrites the references
//! to local ones. It remembers where each copied component came from, so that a generator can
//! map shared schemas onto one shared Rust type instead of one copy per crate.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// The file that holds the components every domain shares; it has no operations.
pub const COMMON_FILE: &str = "common.yaml";

/// Something wrong in a spec, located by file and JSON pointer.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {pointer}: {message}")]
pub struct SpecError {
    /// Spec file name, relative to the spec folder (`allocations.yaml`).
    pub file: String,
    /// JSON pointer inside that file (`/paths/~1v1~1allocations~1daily/get`), or empty for the
    /// whole file.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl SpecError {
    fn new(file: &str, pointer: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            pointer: pointer.to_owned(),
            message: message.into(),
        }
    }
}

/// One spec file as read from disk (or from an embedded copy).
#[derive(Debug, Clone)]
pub struct Document {
    /// File name relative to the spec folder.
    pub file: String,
    /// The YAML source, kept so that tools can point at lines.
    pub source: String,
    /// The parsed document.
    pub value: Value,
}

impl Document {
    /// Parses one spec from its YAML source. A leading byte order mark, which some Windows
    /// editors write, is dropped: serde_yaml would take it for the start of a second document.
    pub fn parse(file: &str, source: &str) -> Result<Self, SpecError> {
        let source = without_byte_order_mark(source);
        let value: Value = serde_yaml::from_str(source)
            .map_err(|error| SpecError::new(file, "", format!("not valid YAML: {error}")))?;

        if !value.is_object() {
            return Err(SpecError::new(file, "", "a spec must be a YAML mapping"));
        }

        // Bundling walks these as mappings of mappings; say so here rather than fail later.
        for member in ["paths", "components"] {
            match value.get(member) {
                None | Some(Value::Object(_)) => {}
                Some(_) => {
                    return Err(SpecError::new(
                        file,
                        &format!("/{member}"),
                        "must be a mapping",
                    ));
                }
            }
        }
        if let Some(Value::Object(components)) = value.get("components") {
            for (kind, entries) in components {
                if !entries.is_object() {
                    let pointer = format!("/components/{}", escape_pointer(kind));
                    return Err(SpecError::new(file, &pointer, "must be a mapping of names"));
                }
            }
        }
        Ok(Self {
            file: file.to_owned(),
            source: source.to_owned(),
            value,
        })
    }

    /// The domain slug, which is the file name without its extension (`allocations`).
    pub fn domain(&self) -> &str {
        self.file.trim_end_matches(".yaml").trim_end_matches(".yml")
    }

    /// Whether the document declares operations (common.yaml does not).
    pub fn has_operations(&self) -> bool {
        self.value
            .get("paths")
            .and_then(Value::as_object)
            .is_some_and(|paths| !paths.is_empty())
    }
}

/// All spec files of one folder, by file name.
#[derive(Debug, Clone, Default)]
pub struct SpecSet {
    documents: BTreeMap<String, Document>,
}

/// A self-contained domain document and where its components came from.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The domain file this bundle was made from.
    pub file: String,
    /// The document, with every `$ref` local (`#/components/...`).
    pub value: Value,
    /// For every component copied in from another file: `(kind, name)` to that file's name.
    /// Components defined in the domain file itself are not listed.
    pub imported: BTreeMap<(String, String), String>,
}

impl Bundle {
    /// Names of the schemas that came from `file` (for example [`COMMON_FILE`]).
    pub fn schemas_from(&self, file: &str) -> BTreeSet<String> {
        self.imported
            .iter()
            .filter(|((kind, _), origin)| kind == "schemas" && origin.as_str() == file)
            .map(|((_, name), _)| name.clone())
            .collect()
    }
}

impl SpecSet {
    /// Reads every `*.yaml` file of `dir`.
    pub fn load_dir(dir: &Path) -> Result<Self, SpecError> {
        let entries = std::fs::read_dir(dir).map_err(|error| {
            SpecError::new(
                &dir.display().to_string(),
                "",
                format!("cannot read folder: {error}"),
            )
        })?;

        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.extension()
                    .is_some_and(|ext| ext == "yaml" || ext == "yml")
            })
            .collect();
        paths.sort();

        let mut sources = Vec::with_capacity(paths.len());
        for path in paths {
            let file = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let bytes = std::fs::read(&path)
                .map_err(|error| SpecError::new(&file, "", format!("cannot read file: {error}")))?;
            let source =
                decode_utf8(bytes).map_err(|error| SpecError::new(&file, "", error.to_string()))?;
            sources.push((file, source));
        }
        Self::from_sources(sources)
    }

    /// Builds a set from `(file name, YAML source)` pairs, as embedded in a binary.
    pub fn from_sources<N, S>(sources: impl IntoIterator<Item = (N, S)>) -> Result<Self, SpecError>
    where
        N: AsRef<str>,
        S: AsRef<str>,
    {
        let mut documents = BTreeMap::new();
        for (file, source) in sources {
            let document = Document::parse(file.as_ref(), source.as_ref())?;
            documents.insert(document.file.clone(), document);
        }
        Ok(Self { documents })
    }

    /// Every document, by file name.
    pub fn documents(&self) -> impl Iterator<Item = &Document> {
        self.documents.values()
    }

    /// The documents that declare operations: one per domain.
    pub fn domains(&self) -> impl Iterator<Item = &Document> {
        self.documents
            .values()
            .filter(|document| document.has_operations())
    }

    /// One document by file name.
    pub fn get(&self, file: &str) -> Option<&Document> {
        self.documents.get(file)
    }

    /// Makes `file` self-contained: see the crate documentation.
    pub fn bundle(&self, file: &str) -> Result<Bundle, SpecError> {
        let document = self
            .documents
            .get(file)
            .ok_or_else(|| SpecError::new(file, "", "no such spec file"))?;

        let mut bundler = Bundler {
            set: self,
            copied: Map::new(),
            origins: BTreeMap::new(),
            pending: Vec::new(),
        };

        let mut root = document.value.clone();
        for key in local_components(&document.value) {
            bundler.origins.insert(key, file.to_owned());
        }
        bundler.rewrite(&mut root, file, &mut String::new())?;

        // Copying a component can reach further components; keep going until none is left.
        while let Some((kind, name, origin)) = bundler.pending.pop() {
            let pointer = format!("/components/{kind}/{}", escape_pointer(&name));
            let mut component = self.documents[&origin]
                .value
                .pointer(&pointer)
                .cloned()
                .ok_or_else(|| SpecError::new(&origin, &pointer, "component not found"))?;
            let mut at = pointer.clone();
            bundler.rewrite(&mut component, &origin, &mut at)?;
            bundler
                .copied
                .entry(kind.clone())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("component kinds are objects")
                .insert(name, component);
        }

        merge_components(&mut root, bundler.copied);
        let imported = bundler
            .origins
            .into_iter()
            .filter(|(_, origin)| origin != file)
            .collect();
        Ok(Bundle {
            file: file.to_owned(),
            value: root,
            imported,
        })
    }
}

/// `source` without the UTF-8 byte order mark it may start with.
pub fn without_byte_order_mark(source: &str) -> &str {
    source.strip_prefix('\u{feff}').unwrap_or(source)
}

/// Where a spec file stops being UTF-8, which the specs are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not UTF-8: byte 0x{byte:02X} at line {line}, column {column} (counted in bytes) is not \
     valid UTF-8; save the file as UTF-8"
)]
pub struct NotUtf8 {
    /// The first byte that is not valid.
    pub byte: u8,
    /// 1-based line of that byte.
    pub line: usize,
    /// 1-based column of that byte, in bytes.
    pub column: usize,
}

/// The text of a spec file, or where its encoding goes wrong.
pub fn decode_utf8(bytes: Vec<u8>) -> Result<String, NotUtf8> {
    String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        NotUtf8 {
            byte: error.as_bytes()[valid.len()],
            line: valid.iter().filter(|byte| **byte == b'\n').count() + 1,
            column: valid
                .iter()
                .rev()
                .take_while(|byte| **byte != b'\n')
                .count()
                + 1,
        }
    })
}

struct Bundler<'a> {
    set: &'a SpecSet,
    copied: Map<String, Value>,
    origins: BTreeMap<(String, String), String>,
    pending: Vec<(String, String, String)>,
}

impl Bundler<'_> {
    /// Rewrites every `$ref` under `value`, which sits at `pointer` in `file`.
    fn rewrite(
        &mut self,
        value: &mut Value,
        file: &str,
        pointer: &mut String,
    ) -> Result<(), SpecError> {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get_mut("$ref") {
                    let at = format!("{pointer}/$ref");
                    *reference = self.resolve(reference, file, &at)?;
                }
                for (key, child) in map.iter_mut().filter(|(key, _)| key.as_str() != "$ref") {
                    let length = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&escape_pointer(key));
                    self.rewrite(child, file, pointer)?;
                    pointer.truncate(length);
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter_mut().enumerate() {
                    let length = pointer.len();
                    pointer.push_str(&format!("/{index}"));
                    self.rewrite(child, file, pointer)?;
                    pointer.truncate(length);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Turns a reference written in `file` into a local one, scheduling copies as needed.
    fn resolve(&mut self, reference: &str, file: &str, at: &str) -> Result<String, SpecError> {
        let (target_file, fragment) = match reference.split_once('#') {
            Some(("", fragment)) => (file.to_owned(), fragment),
            Some((other, fragment)) => (other.trim_start_matches("./").to_owned(), fragment),
            None => {
                return Err(SpecError::new(
                    file,
                    at,
                    format!("reference `{reference}` has no `#/components/...` fragment"),
                ));
            }
        };

        let target = self.set.documents.get(&target_file).ok_or_else(|| {
            SpecError::new(
                file,
                at,
                format!("reference `{reference}`: no spec file `{target_file}`"),
            )
        })?;

        let parts: Vec<&str> = fragment.trim_start_matches('/').split('/').collect();
        let [components, kind, name] = parts.as_slice() else {
            return Err(SpecError::new(
                file,
                at,
                format!("reference `{reference}` must point at `#/components/<kind>/<name>`"),
            ));
        };
        if *components != "components" {
            return Err(SpecError::new(
                file,
                at,
                format!("reference `{reference}` must point into `components`"),
            ));
        }
        let name = unescape_pointer(name);
        if target.value.pointer(fragment).is_none() {
            return Err(SpecError::new(
                file,
                at,
                format!(
                    "reference `{reference}` does not resolve: `{target_file}` has no {fragment}"
                ),
            ));
        }

        let key = ((*kind).to_owned(), name.clone());
        match self.origins.get(&key) {
            Some(origin) if *origin == target_file => {}
            Some(origin) => {
                return Err(SpecError::new(
                    file,
                    at,
                    format!(
                        "reference `{reference}`: a {kind} component named `{name}` already \
                         comes from `{origin}`; component names must be unique across the \
                         files a domain uses"
                    ),
                ));
            }
            None => {
                self.origins.insert(key, target_file.clone());
                self.pending
                    .push(((*kind).to_owned(), name.clone(), target_file));
            }
        }
        Ok(format!("#/components/{kind}/{}", escape_pointer(&name)))
    }
}

/// `(kind, name)` of every component a document defines itself.
///
/// A component that is only a `$ref` to another file's component of the same kind is an alias
/// (the domain specs declare the shared security schemes this way): it is not a definition of
/// its own, and bundling replaces it by the definition it points at.
fn local_components(document: &Value) -> Vec<(String, String)> {
    let Some(components) = document.get("components").and_then(Value::as_object) else {
        return Vec::new();
    };
    let is_alias = |value: &Value| {
        value
            .as_object()
            .is_some_and(|map| map.len() == 1 && map.contains_key("$ref"))
    };
    components
        .iter()
        .filter_map(|(kind, entries)| entries.as_object().map(|entries| (kind, entries)))
        .flat_map(|(kind, entries)| {
            entries
                .iter()
                .filter(|(_, value)| !is_alias(value))
                .map(move |(name, _)| (kind.clone(), name.clone()))
        })
        .collect()
}

fn merge_components(root: &mut Value, copied: Map<String, Value>) {
    let root = root.as_object_mut().expect("checked when parsed");
    let components = root
        .entry("components")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .expect("components is an object");

    for (kind, entries) in copied {
        let target = components
            .entry(kind)
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .expect("component kinds are objects");
        for (name, value) in entries.as_object().into_iter().flatten() {
            // A local component that merely references the shared one (securitySchemes does
            // this) is replaced by the shared definition.
            let is_local_alias = target
                .get(name)
                .is_some_and(|local| local.get("$ref").is_some());
            if is_local_alias || !target.contains_key(name) {
                target.insert(name.clone(), value.clone());
            }
        }
    }
}

/// Replaces every `allOf` whose members are all object schemas by one object schema with the
/// union of their properties and required members.
///
/// Code generators turn `allOf` into awkward or wrong types (see the progenitor notes); our
/// specs use it only to put the list envelope beside a `data` array, which merges exactly.
/// `allOf` members that are `$ref`s are resolved against `components.schemas` of `root`.
/// An `allOf` that reaches itself again through its `$ref`s (`Loop: {allOf: [$ref: Loop]}`)
/// has no finite merged form: it is left as written, for the validation to report.
pub fn merge_all_of(root: &mut Value) {
    let schemas = root
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or(Value::Null);
    merge_all_of_in(root, &schemas, &mut Vec::new());
}

/// Merges every `allOf` under `value`; `merging` holds the names of the schemas whose `allOf`
/// is being merged further up, so that a schema reaching itself stops instead of recursing
/// until the stack overflows.
fn merge_all_of_in(value: &mut Value, schemas: &Value, merging: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for child in map.values_mut() {
                merge_all_of_in(child, schemas, merging);
            }
            if let Some(merged) = map
                .get("allOf")
                .and_then(|members| merged_object(members, schemas, merging))
            {
                map.remove("allOf");
                for (key, member) in merged {
                    map.entry(key).or_insert(member);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| merge_all_of_in(item, schemas, merging)),
        _ => {}
    }
}

fn merged_object(
    members: &Value,
    schemas: &Value,
    merging: &mut Vec<String>,
) -> Option<Map<String, Value>> {
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();

    for member in members.as_array()? {
        let member = match member.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = unescape_pointer(reference.strip_prefix("#/components/schemas/")?);
                if merging.contains(&name) {
                    return None;
                }
                let mut resolved = schemas.get(&name)?.clone();

                merging.push(name);
                merge_all_of_in(&mut resolved, schemas, merging);
                merging.pop();
                resolved
            }
            None => member.clone(),
        };
        if member.get("type").and_then(Value::as_str) != Some("object") {
            return None;
        }
        for (name, schema) in member
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            properties.insert(name.clone(), schema.clone());
        }
        for name in member
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !required.contains(name) {
                required.push(name.clone());
            }
        }
    }

    let mut merged = Map::new();
    merged.insert("type".into(), Value::String("object".into()));
    if !required.is_empty() {
        merged.insert("required".into(), Value::Array(required));
    }
    merged.insert("properties".into(), Value::Object(properties));
    Some(merged)
}

/// Escapes one JSON pointer segment (RFC 6901).
pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Reverses [`escape_pointer`].
pub fn unescape_pointer(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// An operation of a bundled document.
#[derive(Debug, Clone)]
pub struct Operation<'a> {
    /// The path template (`/v1/allocations/daily-allocations`).
    pub path: &'a str,
    /// The lower-case HTTP method.
    pub method: &'a str,
    /// The operation object.
    pub operation: &'a Value,
    /// JSON pointer of the operation object.
    pub pointer: String,
}

impl Operation<'_> {
    /// The spec's operationId, if any.
    pub fn operation_id(&self) -> Option<&str> {
        self.operation.get("operationId").and_then(Value::as_str)
    }
}

impl fmt::Display for Operation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.operation_id() {
            Some(id) => write!(f, "{id} ({} {})", self.method.to_uppercase(), self.path),
            None => write!(f, "{} {}", self.method.to_uppercase(), self.path),
        }
    }
}

/// Every operation of a document, in path order.
pub fn operations(document: &Value) -> Vec<Operation<'_>> {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];

    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS.iter().filter_map(move |method| {
                item.get(*method).map(|operation| Operation {
                    path,
                    method,
                    operation,
                    pointer: format!("/paths/{}/{method}", escape_pointer(path)),
                })
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMON: &str = r##"
openapi: 3.0.3
info: {title: c, version: '1'}
paths: {}
components:
  schemas:
    Day: {type: string, format: date}
    Envelope:
      type: object
      required: [from]
      properties:
        from: {$ref: '#/components/schemas/Day'}
"##;

    const DOMAIN: &str = r##"
openapi: 3.0.3
info: {title: d, version: '1'}
paths:
  /v1/d/x:
    get:
      operationId: getX
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/XList'}
components:
  schemas:
    XList:
      allOf:
        - $ref: 'common.yaml#/components/schemas/Envelope'
        - type: object
          required: [data]
          properties:
            data: {type: array, items: {type: string}}
"##;

    fn set(domain: &str) -> SpecSet {
        SpecSet::from_sources([("common.yaml", COMMON), ("d.yaml", domain)]).unwrap()
    }

    #[test]
    fn bundling_copies_shared_components_transitively_and_records_their_origin() {
        let bundle = set(DOMAIN).bundle("d.yaml").unwrap();

        let schemas = bundle.value.pointer("/components/schemas").unwrap();
        assert!(schemas.get("Envelope").is_some());
        assert!(schemas.get("Day").is_some(), "reached through Envelope");
        assert_eq!(
            bundle
                .value
                .pointer("/components/schemas/Envelope/properties/from/$ref"),
            Some(&Value::String("#/components/schemas/Day".into()))
        );
        let shared: Vec<_> = bundle.schemas_from(COMMON_FILE).into_iter().collect();
        assert_eq!(shared, ["Day", "Envelope"]);
    }

    #[test]
    fn an_unresolvable_reference_names_file_and_pointer() {
        let broken = DOMAIN.replace("schemas/Envelope'", "schemas/Envelop'");

        let error = set(&broken).bundle("d.yaml").unwrap_err();

        assert_eq!(error.file, "d.yaml");
        assert_eq!(error.pointer, "/components/schemas/XList/allOf/0/$ref");
        assert!(error.message.contains("does not resolve"), "{error}");
    }

    #[test]
    fn components_and_paths_that_are_not_mappings_are_refused_with_their_place() {
        let listed = DOMAIN.replace(
            "components:\n  schemas:",
            "components: []\nx-old:\n  schemas:",
        );

        let error = SpecSet::from_sources([("d.yaml", listed)]).unwrap_err();

        assert_eq!(
            (error.file.as_str(), error.pointer.as_str()),
            ("d.yaml", "/components")
        );
        let error =
            SpecSet::from_sources([("p.yaml", "openapi: 3.0.3\npaths: [1, 2]\n")]).unwrap_err();
        assert_eq!(error.pointer, "/paths");
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        let with_mark = format!("\u{feff}{DOMAIN}");

        let document = Document::parse("d.yaml", &with_mark).unwrap();

        assert_eq!(document.value["openapi"], "3.0.3");
        assert_eq!(document.source, DOMAIN);
    }

    #[test]
    fn a_byte_that_is_not_utf8_is_located_by_line_and_column() {
        let bytes = b"openapi: 3.0.3\ninfo:\n  title: caf\xe9\n".to_vec();

        let error = decode_utf8(bytes).unwrap_err();

        assert_eq!((error.byte, error.line, error.column), (0xE9, 3, 13));
        let message = error.to_string();
        assert!(
            message.contains("byte 0xE9 at line 3, column 13"),
            "{message}"
        );
    }

    #[test]
    fn a_name_defined_in_two_files_is_refused() {
        let clashing = format!("{DOMAIN}    Day: {{type: string}}\n");

        let error = set(&clashing).bundle("d.yaml").unwrap_err();

        assert!(error.message.contains("already comes from"), "{error}");
    }

    #[test]
    fn an_all_of_that_reaches_itself_is_left_as_written() {
        let spec = format!(
            "{DOMAIN}    Loop:\n      description: A loop.\n      allOf:\n        - $ref: \
             '#/components/schemas/Loop'\n    LoopA:\n      allOf: [{{$ref: \
             '#/components/schemas/LoopB'}}]\n    LoopB:\n      allOf: [{{$ref: \
             '#/components/schemas/LoopA'}}]\n"
        );
        let mut bundle = set(&spec).bundle("d.yaml").unwrap().value;

        merge_all_of(&mut bundle);

        let schemas = bundle.pointer("/components/schemas").unwrap();
        for name in ["Loop", "LoopA", "LoopB"] {
            assert!(
                schemas[name].get("allOf").is_some(),
                "{name}: {}",
                schemas[name]
            );
        }
        assert!(
            schemas["XList"].get("allOf").is_none(),
            "the envelope still merges"
        );
    }

    #[test]
    fn all_of_over_objects_merges_properties_and_required() {
        let mut bundle = set(DOMAIN).bundle("d.yaml").unwrap().value;

        merge_all_of(&mut bundle);

        let list = bundle.pointer("/components/schemas/XList").unwrap();
        assert!(list.get("allOf").is_none());
        assert_eq!(list["required"], serde_json::json!(["from", "data"]));
        assert!(list.pointer("/properties/data/items").is_some());
    }
}
