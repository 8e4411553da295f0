//! The CLI's table of operations, generated so that `ingrid <domain> <api>` offers exactly the
//! operations and filters of the specs and calls them through the typed domain clients.

use std::path::PathBuf;

use ingrid_openapi::{Operation, SpecSet, operations};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::generate::{self, GenerateError, Output, catching_panics};
use crate::rust_names::{self, Case};

/// How the CLI reads a query parameter's value from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Boolean,
    Number,
    /// Parsed as this Rust integer type; the builder converts it to the generated type.
    Integer(&'static str),
}

struct Parameter {
    name: String,
    required: bool,
    description: String,
    kind: Kind,
    values: Vec<String>,
}

/// `crates/ingrid-cli/src/generated_operations.rs`.
pub fn generate(set: &SpecSet) -> Result<Output, GenerateError> {
    let mut entries: Vec<syn::Expr> = Vec::new();
    let mut arms: Vec<syn::Arm> = Vec::new();
    let mut inputs = Vec::new();

    for document in set.domains() {
        let bundle = set.bundle(&document.file)?;
        let spec = &bundle.value;
        let domain = document.domain();

        for operation in operations(spec) {
            // Each operation is made and parsed on its own, with panics caught, so that what
            // goes wrong is reported at the operation it comes from.
            let fail = |message: String| GenerateError {
                file: document.file.clone(),
                operation: Some(
                    operation
                        .operation_id()
                        .map(str::to_owned)
                        .unwrap_or_else(|| operation.to_string()),
                ),
                pointer: Some(operation.pointer.clone()),
                message,
            };
            let (input, entry, arm) = catching_panics(|| table_row(spec, domain, &operation))
                .map_err(|reason| fail(format!("the CLI table's generation panicked: {reason}")))?
                .map_err(fail)?;
            inputs.push(input);
            entries.push(entry);
            arms.push(arm);
        }
    }

    let tokens = quote! {
        use crate::operations::{CallError, Operation, Parameter, ParameterKind, Query, finish};

        /// Every operation of the specs, in the order of the spec files and their paths.
        pub const OPERATIONS: &[Operation] = &[#(#entries),*];

        /// Calls `domain`/`api` with the parameters of `query`; every record comes back as JSON.
        pub async fn send(
            ingrid: &::ingrid::Ingrid,
            domain: &str,
            api: &str,
            query: &Query,
        ) -> Result<::serde_json::Value, CallError> {
            match (domain, api) {
                #(#arms)*
                _ => Err(CallError::UnknownOperation {
                    domain: domain.to_owned(),
                    api: api.to_owned(),
                }),
            }
        }
    };

    // Every entry and arm parsed on its own above: only the frame around them is left.
    let file: syn::File = syn::parse2(tokens).map_err(|error| {
        GenerateError::in_file(
            "*.yaml",
            format!("generated CLI table does not parse: {error}"),
        )
    })?;
    // Hashed: what this table reads of the specs, and no more, so that a change to a response
    // schema leaves the CLI's file as it is.
    let spec_hash = generate::sha256_of_json(&Value::Array(inputs));
    let contents = generate::header(
        "spec/*.yaml",
        "the operations and query parameters of spec/*.yaml",
        &spec_hash,
    ) + &prettyplease::unparse(&file);
    Ok(Output {
        path: PathBuf::from("crates/ingrid-cli/src/generated_operations.rs"),
        contents,
        spec: "*.yaml".to_owned(),
        spec_hash,
    })
}

/// What the table has of one operation: the input hashed in the header, the entry of
/// `OPERATIONS` and the arm of `send`.
fn table_row(
    spec: &Value,
    domain: &str,
    operation: &Operation<'_>,
) -> Result<(Value, syn::Expr, syn::Arm), String> {
    let operation_id = operation
        .operation_id()
        .ok_or_else(|| "the operation has no operationId".to_owned())?;
    let api = operation.path.rsplit('/').next().unwrap_or_default();
    let summary = operation
        .operation
        .get("summary")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let parameters = parameters(spec, operation)?;

    let input = table_input(domain, api, operation_id, summary, &parameters);
    let entry = table_entry(domain, api, operation_id, summary, &parameters);
    let arm = dispatch_arm(domain, api, operation_id, &parameters);
    let entry = syn::parse2(entry)
        .map_err(|error| format!("its entry of the CLI table does not parse: {error}"))?;
    let arm = syn::parse2(arm)
        .map_err(|error| format!("its arm of the CLI table does not parse: {error}"))?;
    Ok((input, entry, arm))
}

/// The parameters of `operation`: those of its path item, then its own.
fn parameters(spec: &Value, operation: &Operation<'_>) -> Result<Vec<Parameter>, String> {
    let path_item = spec
        .get("paths")
        .and_then(|paths| paths.get(operation.path))
        .unwrap_or(&Value::Null);
    [path_item, operation.operation]
        .into_iter()
        .filter_map(|owner| owner.get("parameters").and_then(Value::as_array))
        .flatten()
        .map(|parameter| {
            let parameter = resolve(spec, parameter);
            let name = parameter
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if parameter.get("in").and_then(Value::as_str) != Some("query") {
                return Err(format!("parameter `{name}` is not a query parameter"));
            }
            let schema = resolve(spec, parameter.get("schema").unwrap_or(&Value::Null));
            let description = parameter
                .get("description")
                .or_else(|| schema.get("description"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            Ok(Parameter {
                name: name.to_owned(),
                required: parameter
                    .get("required")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                description: description.split_whitespace().collect::<Vec<_>>().join(" "),
                kind: kind(name, schema)?,
                values: schema
                    .get("enum")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            })
        })
        .collect()
}

fn kind(name: &str, schema: &Value) -> Result<Kind, String> {
    let unsigned = schema
        .get("minimum")
        .and_then(Value::as_f64)
        .is_some_and(|min| min >= 0.0);
    let wide = schema.get("format").and_then(Value::as_str) == Some("int64");
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => Ok(Kind::Text),
        Some("boolean") => Ok(Kind::Boolean),
        Some("number") => Ok(Kind::Number),
        Some("integer") => Ok(Kind::Integer(match (wide, unsigned) {
            (false, true) => "u32",
            (false, false) => "i32",
            (true, true) => "u64",
            (true, false) => "i64",
        })),
        Some(other) => Err(format!(
            "query parameter `{name}` has type `{other}`; the CLI supports string, integer, \
             number and boolean parameters"
        )),
        None => Err(format!("query parameter `{name}` has no type")),
    }
}

fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            resolve(spec, spec.pointer(pointer).unwrap_or(&Value::Null))
        }
        None => value,
    }
}

/// What the table reads of one operation, as JSON, for the hash in the file's header.
fn table_input(
    domain: &str,
    api: &str,
    operation_id: &str,
    summary: &str,
    parameters: &[Parameter],
) -> Value {
    let parameters: Vec<Value> = parameters
        .iter()
        .map(|parameter| {
            serde_json::json!({
                "name": parameter.name,
                "required": parameter.required,
                "description": parameter.description,
                "kind": format!("{:?}", parameter.kind),
                "values": parameter.values,
            })
        })
        .collect();
    serde_json::json!({
        "domain": domain,
        "api": api,
        "operationId": operation_id,
        "summary": summary,
        "parameters": parameters,
    })
}

fn table_entry(
    domain: &str,
    api: &str,
    operation_id: &str,
    summary: &str,
    parameters: &[Parameter],
) -> TokenStream {
    let parameters = parameters.iter().map(|parameter| {
        let Parameter {
            name,
            required,
            description,
            ..
        } = parameter;
        let kind = match parameter.kind {
            Kind::Text => quote!(ParameterKind::Text),
            Kind::Boolean => quote!(ParameterKind::Boolean),
            Kind::Number => quote!(ParameterKind::Number),
            Kind::Integer(_) => quote!(ParameterKind::Integer),
        };
        let values = &parameter.values;
        quote! {
            Parameter {
                name: #name,
                required: #required,
                description: #description,
                kind: #kind,
                values: &[#(#values),*],
            }
        }
    });
    quote! {
        Operation {
            domain: #domain,
            api: #api,
            operation_id: #operation_id,
            summary: #summary,
            parameters: &[#(#parameters),*],
        }
    }
}

/// The arm of `send` that calls the operation through the facade. The accessor, method and
/// setters are named as progenitor names them, which is always an identifier.
fn dispatch_arm(
    domain: &str,
    api: &str,
    operation_id: &str,
    parameters: &[Parameter],
) -> TokenStream {
    let accessor = format_ident!("{}", rust_names::progenitor(domain, Case::Snake));
    let method = format_ident!("{}", rust_names::progenitor(operation_id, Case::Snake));
    let setters = parameters.iter().map(|parameter| {
        let name = &parameter.name;
        let setter = format_ident!("{}", rust_names::progenitor(name, Case::Snake));
        let read = match parameter.kind {
            Kind::Text => quote!(query.text(#name)),
            Kind::Boolean => quote!(query.parse::<bool>(#name)?),
            Kind::Number => quote!(query.parse::<f64>(#name)?),
            Kind::Integer(rust) => {
                let rust = format_ident!("{}", rust);
                quote!(query.parse::<#rust>(#name)?)
            }
        };
        quote! {
            if let Some(value) = #read {
                request = request.#setter(value);
            }
        }
    });
    quote! {
        (#domain, #api) => {
            let mut request = ingrid.#accessor().#method();
            #(#setters)*
            finish(request.send()).await
        }
    }
}
