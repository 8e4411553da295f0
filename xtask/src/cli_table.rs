//! The CLI's table of operations, generated so that `ingrid <domain> <api>` offers exactly the
//! operations and filters of the specs and calls them through the typed domain clients.

use std::path::PathBuf;

use heck::ToSnakeCase;
use ingrid_openapi::{SpecSet, operations};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::generate::{self, GenerateError, Output};

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
    let mut entries = Vec::new();
    let mut arms = Vec::new();
    let mut inputs = Vec::new();

    for document in set.domains() {
        let bundle = set.bundle(&document.file)?;
        let spec = &bundle.value;
        let domain = document.domain();
        let accessor = format_ident!("{}", domain.to_snake_case());

        for operation in operations(spec) {
            let fail = |message: String| GenerateError {
                file: document.file.clone(),
                operation: Some(operation.to_string()),
                message,
            };
            let operation_id = operation
                .operation_id()
                .ok_or_else(|| fail("the operation has no operationId".to_owned()))?;
            let api = operation
                .path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            let summary = operation
                .operation
                .get("summary")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let parameters = parameters(spec, operation.operation).map_err(fail)?;
            inputs.push(table_input(
                domain,
                &api,
                operation_id,
                &summary,
                &parameters,
            ));

            entries.push(table_entry(
                domain,
                &api,
                operation_id,
                &summary,
                &parameters,
            ));
            arms.push(dispatch_arm(
                domain,
                &api,
                &accessor,
                operation_id,
                &parameters,
            ));
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

    let file: syn::File = syn::parse2(tokens).map_err(|error| GenerateError {
        file: "*.yaml".to_owned(),
        operation: None,
        message: format!("generated CLI table does not parse: {error}"),
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

fn parameters(spec: &Value, operation: &Value) -> Result<Vec<Parameter>, String> {
    let declared = operation.get("parameters").and_then(Value::as_array);
    declared
        .into_iter()
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

fn dispatch_arm(
    domain: &str,
    api: &str,
    accessor: &proc_macro2::Ident,
    operation_id: &str,
    parameters: &[Parameter],
) -> TokenStream {
    let method = format_ident!("{}", sanitize(&operation_id.to_snake_case()));
    let setters = parameters.iter().map(|parameter| {
        let name = &parameter.name;
        let setter = format_ident!("{}", sanitize(&name.to_snake_case()));
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

/// Keeps a parameter name usable as a method name, as progenitor does for Rust keywords.
fn sanitize(name: &str) -> String {
    match name {
        "type" | "ref" | "match" | "move" | "self" | "super" | "crate" | "fn" | "mod" | "use" => {
            format!("{name}_")
        }
        _ => name.to_owned(),
    }
}
