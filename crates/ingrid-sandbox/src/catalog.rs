//! The operations the sandbox serves, read once from the specs.
//!
//! Each domain spec is bundled (every `$ref` made local) and its list envelopes' `allOf` merged,
//! then every operation becomes an [`Endpoint`]: its path template, its parameters with their
//! schemas, and the shape of its success body. Anything that would make an operation impossible
//! to emulate is reported here, at build time, with the spec file and JSON pointer, so that a
//! running sandbox never meets it.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use ingrid_openapi::{SpecSet, escape_pointer, merge_all_of, operations};
use serde_json::Value;

use crate::error::SandboxError;
use crate::schema::{self, SchemaType};

/// How deep [`has_nested_hourly_arrays`] looks for hourly sub-rows inside a record.
const MAX_NESTING_SEARCH_DEPTH: usize = 8;

/// Every operation of the specs, ready to be routed to.
#[derive(Debug)]
pub(crate) struct Catalog {
    endpoints: Vec<Endpoint>,
}

/// One operation of one spec.
#[derive(Debug)]
pub(crate) struct Endpoint {
    /// Domain slug: the spec file name without extension (`allocations`).
    pub(crate) domain: String,
    /// API name: the last segment of the path (`daily-allocations`).
    pub(crate) api: String,
    /// The path template as the spec writes it (`/v1/allocations/daily-allocations`).
    pub(crate) path: String,
    /// The HTTP method.
    pub(crate) method: Method,
    /// The spec's `operationId`, for logs.
    pub(crate) operation_id: Option<String>,
    /// Path, query and header parameters, path-item ones included.
    pub(crate) parameters: Vec<Parameter>,
    /// Status of the success answer (200 unless the spec only declares another 2xx).
    pub(crate) success_status: StatusCode,
    /// What the success body looks like.
    pub(crate) shape: ResponseShape,
    /// Whether the records, or arrays nested in them, are hourly: such operations accept
    /// shorter gas-day ranges.
    pub(crate) has_hourly_rows: bool,
    /// The bundled document, against which every `$ref` of the schemas above resolves.
    pub(crate) document: Arc<Value>,
    segments: Vec<Segment>,
}

/// One parameter of an operation.
#[derive(Debug)]
pub(crate) struct Parameter {
    /// Name as sent on the wire (`gasDayFrom`).
    pub(crate) name: String,
    /// Where it is sent.
    pub(crate) location: Location,
    /// Whether a request without it is refused.
    pub(crate) required: bool,
    /// Its schema, resolved one level (nested `$ref`s resolve against the endpoint's document).
    pub(crate) schema: Value,
    /// For array parameters: whether each item comes as its own `name=value` pair (OpenAPI's
    /// default for query parameters) rather than comma-separated in one.
    pub(crate) explode: bool,
}

/// Where a parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    Query,
    Path,
    Header,
}

impl Location {
    /// How error messages name this kind of parameter.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Query => "query parameter",
            Self::Path => "path parameter",
            Self::Header => "header",
        }
    }
}

/// The shape of a success body.
#[derive(Debug)]
pub(crate) enum ResponseShape {
    /// An object with a `data` array of records beside envelope members such as `page`.
    List {
        /// The envelope schema (resolved).
        envelope: Value,
        /// The record schema (resolved).
        record: Value,
        /// How many records there are per gas day and point.
        grain: Grain,
    },
    /// A bare array of records.
    Array {
        /// The record schema (resolved).
        record: Value,
        /// How many records there are per gas day and point.
        grain: Grain,
    },
    /// Anything else: one generated value.
    Single {
        /// The body schema (resolved).
        schema: Value,
    },
}

/// How many records a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grain {
    /// Records carry `periodStart`/`periodEnd`: one per hour of each gas day and point.
    Hourly,
    /// Records carry `gasDay`: one per gas day and point.
    Daily,
    /// Neither: a fixed small number of records per point.
    Fixed,
}

#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Parameter(String),
}

/// What routing a request found.
#[derive(Debug)]
pub(crate) enum Route<'a> {
    /// The endpoint, with the values of its path parameters (still percent-encoded).
    Found(&'a Endpoint, Vec<(&'a str, String)>),
    /// The path exists, but not for this method; these methods would do.
    MethodNotAllowed(Vec<&'a Method>),
    /// No operation has this path.
    NotFound,
}

impl Catalog {
    /// Reads every operation of every domain spec of `specs`.
    ///
    /// Fails with [`SandboxError::Spec`] when a spec does not bundle, when two operations share a
    /// method and path, or when an operation has no JSON success body to emulate.
    pub(crate) fn from_specs(specs: &SpecSet) -> Result<Self, SandboxError> {
        let mut endpoints: Vec<Endpoint> = Vec::new();

        for document in specs.domains() {
            let mut bundle = specs.bundle(&document.file)?.value;
            merge_all_of(&mut bundle);
            let bundle = Arc::new(bundle);

            for operation in operations(&bundle) {
                let endpoint =
                    Endpoint::read(&document.file, document.domain(), &bundle, &operation)?;

                let duplicate = endpoints.iter().find(|other| {
                    other.method == endpoint.method && other.segments == endpoint.segments
                });
                if let Some(other) = duplicate {
                    return Err(SandboxError::spec(
                        &document.file,
                        &operation.pointer,
                        format!(
                            "{} {} is already declared by the {} spec",
                            endpoint.method, endpoint.path, other.domain
                        ),
                    ));
                }
                endpoints.push(endpoint);
            }
        }

        endpoints.sort_by(|left, right| {
            (&left.domain, &left.path, left.method.as_str()).cmp(&(
                &right.domain,
                &right.path,
                right.method.as_str(),
            ))
        });
        Ok(Self { endpoints })
    }

    /// Every endpoint, by domain then path.
    pub(crate) fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// Finds the endpoint for `method` and `path` (the request path, without query).
    pub(crate) fn route(&self, method: &Method, path: &str) -> Route<'_> {
        let mut allowed = Vec::new();

        for endpoint in &self.endpoints {
            let Some(path_values) = endpoint.match_path(path) else {
                continue;
            };
            if endpoint.method == *method {
                return Route::Found(endpoint, path_values);
            }
            allowed.push(&endpoint.method);
        }

        if allowed.is_empty() {
            Route::NotFound
        } else {
            Route::MethodNotAllowed(allowed)
        }
    }
}

impl Endpoint {
    fn read(
        file: &str,
        domain: &str,
        document: &Arc<Value>,
        operation: &ingrid_openapi::Operation<'_>,
    ) -> Result<Self, SandboxError> {
        let method = Method::from_bytes(operation.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| SandboxError::spec(file, &operation.pointer, "unknown HTTP method"))?;

        let segments = parse_template(operation.path);
        let api = operation
            .path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();

        let parameters = read_parameters(file, document, operation)?;
        for segment in &segments {
            if let Segment::Parameter(name) = segment {
                let declared = parameters.iter().any(|parameter| {
                    parameter.location == Location::Path && parameter.name == *name
                });
                if !declared {
                    return Err(SandboxError::spec(
                        file,
                        &operation.pointer,
                        format!("path parameter `{name}` of the template is not declared"),
                    ));
                }
            }
        }

        let (success_status, body_schema) = success_body(file, document, operation)?;
        let shape = ResponseShape::read(document, body_schema);
        let has_hourly_rows = match &shape {
            ResponseShape::List { record, grain, .. } | ResponseShape::Array { record, grain } => {
                *grain == Grain::Hourly || has_nested_hourly_arrays(document, record, 0)
            }
            ResponseShape::Single { schema } => has_nested_hourly_arrays(document, schema, 0),
        };

        Ok(Self {
            domain: domain.to_owned(),
            api,
            path: operation.path.to_owned(),
            method,
            operation_id: operation.operation_id().map(str::to_owned),
            parameters,
            success_status,
            shape,
            has_hourly_rows,
            document: Arc::clone(document),
            segments,
        })
    }

    /// The parameter called `name`, if the operation declares it.
    pub(crate) fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters
            .iter()
            .find(|parameter| parameter.name == name)
    }

    fn match_path<'a>(&'a self, path: &str) -> Option<Vec<(&'a str, String)>> {
        let mut parts = path.strip_prefix('/')?.split('/');
        let mut values = Vec::new();

        for segment in &self.segments {
            let part = parts.next()?;
            match segment {
                Segment::Literal(literal) if literal == part => {}
                Segment::Literal(_) => return None,
                Segment::Parameter(_) if part.is_empty() => return None,
                Segment::Parameter(name) => values.push((name.as_str(), part.to_owned())),
            }
        }
        parts.next().is_none().then_some(values)
    }
}

impl ResponseShape {
    fn read(document: &Value, body: &Value) -> Self {
        let body = schema::resolve(document, body);
        let items = |schema: &Value| {
            schema
                .get("items")
                .map(|items| schema::resolve(document, items).clone())
                .unwrap_or(Value::Null)
        };

        match schema::schema_type(body) {
            SchemaType::Object => match schema::property(document, body, "data") {
                Some(data) if schema::schema_type(data) == SchemaType::Array => {
                    let record = items(data);
                    Self::List {
                        grain: Grain::of(document, &record),
                        envelope: body.clone(),
                        record,
                    }
                }
                _ => Self::Single {
                    schema: body.clone(),
                },
            },
            SchemaType::Array => {
                let record = items(body);
                Self::Array {
                    grain: Grain::of(document, &record),
                    record,
                }
            }
            _ => Self::Single {
                schema: body.clone(),
            },
        }
    }
}

impl Grain {
    fn of(document: &Value, record: &Value) -> Self {
        if schema::is_hourly_record(document, record) {
            Self::Hourly
        } else if schema::is_daily_record(document, record) {
            Self::Daily
        } else {
            Self::Fixed
        }
    }
}

fn parse_template(path: &str) -> Vec<Segment> {
    path.trim_start_matches('/')
        .split('/')
        .map(|part| {
            match part
                .strip_prefix('{')
                .and_then(|rest| rest.strip_suffix('}'))
            {
                Some(name) => Segment::Parameter(name.to_owned()),
                None => Segment::Literal(part.to_owned()),
            }
        })
        .collect()
}

/// The operation's parameters, path-item ones first and overridden by the operation's own.
fn read_parameters(
    file: &str,
    document: &Value,
    operation: &ingrid_openapi::Operation<'_>,
) -> Result<Vec<Parameter>, SandboxError> {
    let path_item_pointer = format!("/paths/{}", escape_pointer(operation.path));
    let declared = [
        (
            path_item_pointer.clone(),
            document.pointer(&path_item_pointer),
        ),
        (operation.pointer.clone(), Some(operation.operation)),
    ];

    let mut parameters: Vec<Parameter> = Vec::new();
    for (owner_pointer, owner) in declared {
        let list = owner
            .and_then(|owner| owner.get("parameters"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for (index, declaration) in list.enumerate() {
            let pointer = format!("{owner_pointer}/parameters/{index}");
            let Some(parameter) = Parameter::read(file, &pointer, document, declaration)? else {
                continue;
            };
            parameters.retain(|known| {
                !(known.name == parameter.name && known.location == parameter.location)
            });
            parameters.push(parameter);
        }
    }
    Ok(parameters)
}

impl Parameter {
    /// Reads one parameter declaration; `None` for cookie parameters, which are not emulated.
    fn read(
        file: &str,
        pointer: &str,
        document: &Value,
        declaration: &Value,
    ) -> Result<Option<Self>, SandboxError> {
        let declaration = schema::resolve(document, declaration);
        let text = |key: &str| declaration.get(key).and_then(Value::as_str);

        let name = text("name")
            .ok_or_else(|| SandboxError::spec(file, pointer, "parameter has no `name`"))?;
        let location = match text("in") {
            Some("query") => Location::Query,
            Some("path") => Location::Path,
            Some("header") => Location::Header,
            Some("cookie") => return Ok(None),
            _ => {
                return Err(SandboxError::spec(
                    file,
                    pointer,
                    format!("parameter `{name}` has no valid `in` (query, path, header, cookie)"),
                ));
            }
        };
        let required = location == Location::Path
            || declaration.get("required").and_then(Value::as_bool) == Some(true);
        let schema = declaration
            .get("schema")
            .map(|schema| schema::resolve(document, schema).clone())
            .unwrap_or_else(|| Value::Object(Default::default()));
        let explode = declaration
            .get("explode")
            .and_then(Value::as_bool)
            .unwrap_or(true);

        Ok(Some(Self {
            name: name.to_owned(),
            location,
            required,
            schema,
            explode,
        }))
    }
}

/// The status and JSON body schema of the operation's success answer.
fn success_body<'a>(
    file: &str,
    document: &'a Value,
    operation: &ingrid_openapi::Operation<'a>,
) -> Result<(StatusCode, &'a Value), SandboxError> {
    let responses = operation
        .operation
        .get("responses")
        .and_then(Value::as_object);
    let success = responses.and_then(|responses| {
        let mut candidates: Vec<(&String, &Value)> = responses
            .iter()
            .filter(|(code, _)| code.starts_with('2'))
            .collect();
        candidates.sort_by_key(|(code, _)| (code.as_str() != "200", code.as_str()));
        let (code, response) = candidates.first()?;
        Some((code.as_str(), schema::resolve(document, response)))
    });

    let body = success.and_then(|(code, response)| {
        let content = response.get("content")?.as_object()?;
        let media = content.get("application/json").or_else(|| {
            content
                .iter()
                .find(|(media, _)| media.contains("json"))
                .map(|(_, v)| v)
        })?;
        let status = code
            .parse::<u16>()
            .ok()
            .and_then(|code| StatusCode::from_u16(code).ok())
            .unwrap_or(StatusCode::OK);
        Some((status, media.get("schema")?))
    });

    body.ok_or_else(|| {
        SandboxError::spec(
            file,
            &format!("{}/responses", operation.pointer),
            "the operation has no 2xx response with a JSON schema, so the sandbox cannot \
             emulate it",
        )
    })
}

/// Whether an array of hourly records sits somewhere inside `schema`.
fn has_nested_hourly_arrays(document: &Value, schema: &Value, depth: usize) -> bool {
    if depth > MAX_NESTING_SEARCH_DEPTH {
        return false;
    }
    let schema = schema::resolve(document, schema);

    schema::properties(schema).any(|(_, property)| {
        let property = schema::resolve(document, property);
        match schema::schema_type(property) {
            SchemaType::Array => property.get("items").is_some_and(|items| {
                let items = schema::resolve(document, items);
                schema::is_hourly_record(document, items)
                    || has_nested_hourly_arrays(document, items, depth + 1)
            }),
            SchemaType::Object => has_nested_hourly_arrays(document, property, depth + 1),
            _ => false,
        }
    })
}
