//! Checking a request's parameters against its operation, as Ingrid would.
//!
//! Every check produces the `detail` of a 400 problem that names the parameter and, for a bad
//! value, the value: the point of the sandbox is that a client sees the same refusals as in
//! production, with messages that say what to fix.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use hyper::HeaderMap;
use serde_json::{Number, Value};

use crate::calendar;
use crate::catalog::{Endpoint, Location, Parameter};
use crate::schema::{self, Bounds, SchemaType};

/// The longest gas-day range, in gas days, of an operation with hourly rows.
pub const MAX_HOURLY_RANGE_GAS_DAYS: i64 = 31;

/// The longest gas-day range, in gas days, of any other operation.
pub const MAX_DAILY_RANGE_GAS_DAYS: i64 = 366;

/// The gas day a response covers when its operation takes no gas-day parameter. A fixed day
/// keeps the same request's answer the same on every day.
const DEFAULT_GAS_DAY: &str = "2025-01-15";

/// Zero-based page index when a request gives none and the spec states no default.
const DEFAULT_PAGE: u64 = 0;

/// Page size when a request gives none and the spec states no default.
const DEFAULT_PAGE_SIZE: u64 = 500;

/// How many characters of a bad value an error message repeats.
const MAX_SHOWN_VALUE_CHARS: usize = 64;

/// The request's parameter values, checked against their schemas and typed as JSON (a date is a
/// string, an integer a number, an array parameter an array).
#[derive(Debug, Default)]
pub(crate) struct RequestValues {
    values: BTreeMap<String, Value>,
}

/// The inclusive range of gas days a request covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GasDayRange {
    pub(crate) from: NaiveDate,
    pub(crate) to: NaiveDate,
}

/// Which page of the records a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Paging {
    /// Zero-based page index.
    pub(crate) page: u64,
    /// Records per page, at least 1.
    pub(crate) size: u64,
}

impl RequestValues {
    /// Checks every parameter the endpoint declares against what the request carries.
    ///
    /// `path_values` are the raw (percent-encoded) path segments the route captured. Parameters
    /// the endpoint does not declare are ignored, as most HTTP APIs do.
    pub(crate) fn read(
        endpoint: &Endpoint,
        path_values: &[(&str, String)],
        query: Option<&str>,
        headers: &HeaderMap,
    ) -> Result<Self, String> {
        let query_pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .into_owned()
                .collect();

        let mut values = BTreeMap::new();
        for parameter in &endpoint.parameters {
            let raw = raw_values(parameter, path_values, &query_pairs, headers)?;
            if raw.is_empty() {
                if parameter.required {
                    return Err(format!(
                        "Required {} {} is missing",
                        parameter.location.describe(),
                        parameter.name
                    ));
                }
                continue;
            }
            let value = typed_value(&endpoint.document, parameter, &raw)?;
            values.insert(parameter.name.clone(), value);
        }
        Ok(Self { values })
    }

    /// The checked value of the parameter called `name`, if the request gave it.
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    /// The value of a date parameter.
    fn date(&self, name: &str) -> Option<NaiveDate> {
        self.get(name)
            .and_then(Value::as_str)
            .and_then(calendar::parse_date)
    }

    /// The gas-day range of the request, checked against the operation's limit.
    ///
    /// It comes from `gasDayFrom` and `gasDayTo` (one alone stands for both), else from a
    /// `gasDay` parameter, else it is the fixed day 2025-01-15. `gasDayTo` must not be before
    /// `gasDayFrom`, and the range may cover at most [`MAX_HOURLY_RANGE_GAS_DAYS`] gas days when
    /// the operation has hourly rows, [`MAX_DAILY_RANGE_GAS_DAYS`] otherwise.
    pub(crate) fn gas_day_range(&self, endpoint: &Endpoint) -> Result<GasDayRange, String> {
        let from = self.date("gasDayFrom");
        let to = self.date("gasDayTo");
        let single = self.date("gasDay");
        let fallback = calendar::parse_date(DEFAULT_GAS_DAY);

        let (Some(from), Some(to)) = (
            from.or(to).or(single).or(fallback),
            to.or(from).or(single).or(fallback),
        ) else {
            return Err("The gas-day range could not be determined".to_owned());
        };

        if to < from {
            return Err(format!("gasDayTo {to} is before gasDayFrom {from}"));
        }

        let (limit, kind) = if endpoint.has_hourly_rows {
            (MAX_HOURLY_RANGE_GAS_DAYS, "hourly")
        } else {
            (MAX_DAILY_RANGE_GAS_DAYS, "daily")
        };
        let count = calendar::gas_day_count(from, to);
        if count > limit {
            return Err(format!(
                "The range from {from} to {to} covers {count} gas days; this operation returns \
                 {kind} data for at most {limit} gas days per request"
            ));
        }

        if calendar::gas_day_bounds(from).is_none() || calendar::gas_day_bounds(to).is_none() {
            return Err(format!(
                "The range from {from} to {to} is outside the supported calendar"
            ));
        }
        Ok(GasDayRange { from, to })
    }

    /// The page the request asks for: `page` (default 0) and `size` (default 500), or the
    /// defaults the spec gives those parameters.
    pub(crate) fn paging(&self, endpoint: &Endpoint) -> Result<Paging, String> {
        let page = self.count("page", endpoint, DEFAULT_PAGE, 0)?;
        let size = self.count("size", endpoint, DEFAULT_PAGE_SIZE, 1)?;
        Ok(Paging { page, size })
    }

    fn count(
        &self,
        name: &str,
        endpoint: &Endpoint,
        default: u64,
        minimum: u64,
    ) -> Result<u64, String> {
        let spec_default = || {
            endpoint
                .parameter(name)
                .and_then(|parameter| parameter.schema.get("default"))
                .and_then(Value::as_u64)
        };
        let Some(value) = self.get(name) else {
            return Ok(spec_default().unwrap_or(default).max(minimum));
        };

        match value.as_u64() {
            Some(count) if count >= minimum => Ok(count),
            _ => Err(format!(
                "Query parameter {name} has the invalid value '{value}': must be at least {minimum}"
            )),
        }
    }
}

/// The raw values the request gives for one parameter, none when it is absent.
fn raw_values(
    parameter: &Parameter,
    path_values: &[(&str, String)],
    query_pairs: &[(String, String)],
    headers: &HeaderMap,
) -> Result<Vec<String>, String> {
    match parameter.location {
        Location::Query => Ok(query_pairs
            .iter()
            .filter(|(name, _)| *name == parameter.name)
            .map(|(_, value)| value.clone())
            .collect()),
        Location::Path => path_values
            .iter()
            .filter(|(name, _)| *name == parameter.name)
            .map(|(_, raw)| {
                percent_decode(raw).ok_or_else(|| {
                    format!(
                        "Path parameter {} has the invalid value '{}': not valid percent-encoded \
                         UTF-8",
                        parameter.name,
                        shown(raw)
                    )
                })
            })
            .collect(),
        Location::Header => headers
            .get_all(parameter.name.as_str())
            .iter()
            .map(|value| {
                value
                    .to_str()
                    .map(str::to_owned)
                    .map_err(|_| format!("Header {} is not visible ASCII text", parameter.name))
            })
            .collect(),
    }
}

/// Parses and checks a parameter's raw values against its schema.
fn typed_value(document: &Value, parameter: &Parameter, raw: &[String]) -> Result<Value, String> {
    let schema = effective_schema(document, &parameter.schema);
    let invalid = |value: &str, why: String| {
        format!(
            "{} {} has the invalid value '{}': {why}",
            capitalized(parameter.location.describe()),
            parameter.name,
            shown(value)
        )
    };

    if schema::schema_type(schema) != SchemaType::Array {
        let [single] = raw else {
            return Err(format!(
                "{} {} is given {} times; give it once",
                capitalized(parameter.location.describe()),
                parameter.name,
                raw.len()
            ));
        };
        return scalar(document, schema, single).map_err(|why| invalid(single, why));
    }

    let items_schema = schema
        .get("items")
        .map(|items| effective_schema(document, items))
        .unwrap_or(&Value::Null);
    let split_on_commas = !parameter.explode || parameter.location != Location::Query;
    let items: Vec<&str> = raw
        .iter()
        .flat_map(|value| {
            if split_on_commas {
                value.split(',').collect::<Vec<_>>()
            } else {
                vec![value.as_str()]
            }
        })
        .collect();

    let count = items.len() as u64;
    if let Some(minimum) = schema.get("minItems").and_then(Value::as_u64)
        && count < minimum
    {
        return Err(invalid(
            &raw.join(","),
            format!("give at least {minimum} values"),
        ));
    }
    if let Some(maximum) = schema.get("maxItems").and_then(Value::as_u64)
        && count > maximum
    {
        return Err(invalid(
            &raw.join(","),
            format!("give at most {maximum} values"),
        ));
    }

    items
        .into_iter()
        .map(|item| scalar(document, items_schema, item).map_err(|why| invalid(item, why)))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

/// The schema that constrains a value: `schema` itself, or the single member of an untyped
/// `allOf`/`oneOf`/`anyOf` wrapper (how specs add a description or `nullable` to a `$ref`).
fn effective_schema<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    let schema = schema::resolve(document, schema);
    if schema::schema_type(schema) != SchemaType::Any || schema.get("enum").is_some() {
        return schema;
    }
    ["allOf", "oneOf", "anyOf"]
        .iter()
        .find_map(|keyword| schema.get(*keyword)?.as_array()?.first())
        .map_or(schema, |member| schema::resolve(document, member))
}

/// Parses one raw value; the error says what was expected.
fn scalar(document: &Value, schema: &Value, raw: &str) -> Result<Value, String> {
    let schema = effective_schema(document, schema);
    if raw.is_empty() {
        return Err("must not be empty".to_owned());
    }

    let value = match schema::schema_type(schema) {
        SchemaType::Integer => {
            let integer: i64 = raw.parse().map_err(|_| "expected an integer".to_owned())?;
            if let Some(why) = Bounds::of(schema).violation(integer as f64) {
                return Err(why);
            }
            Value::from(integer)
        }
        SchemaType::Number => {
            let number = raw
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .ok_or_else(|| "expected a number".to_owned())?;
            if let Some(why) = number
                .as_f64()
                .and_then(|n| Bounds::of(schema).violation(n))
            {
                return Err(why);
            }
            Value::Number(number)
        }
        SchemaType::Boolean => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err("expected true or false".to_owned()),
        },
        SchemaType::String | SchemaType::Any | SchemaType::Object | SchemaType::Array => {
            if let Some(why) = schema::string_violation(schema, raw) {
                return Err(why);
            }
            Value::String(raw.to_owned())
        }
    };

    match schema::enum_values(schema) {
        Some(options) if !options.contains(&value) => {
            let listed: Vec<String> = options
                .iter()
                .map(|option| match option {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
                .collect();
            Err(format!("expected one of {}", listed.join(", ")))
        }
        _ => Ok(value),
    }
}

/// A value as an error message repeats it: at most [`MAX_SHOWN_VALUE_CHARS`] characters.
pub(crate) fn shown(value: &str) -> String {
    if value.chars().count() <= MAX_SHOWN_VALUE_CHARS {
        value.to_owned()
    } else {
        let mut cut: String = value.chars().take(MAX_SHOWN_VALUE_CHARS).collect();
        cut.push('…');
        cut
    }
}

fn capitalized(text: &str) -> String {
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

/// Decodes `%XX` escapes; `None` for a broken escape or bytes that are not UTF-8.
fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut position = 0;

    while let Some(&byte) = bytes.get(position) {
        if byte == b'%' {
            let hex = bytes.get(position + 1..position + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            decoded.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            position += 3;
        } else {
            decoded.push(byte);
            position += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn scalars_are_typed_and_checked() {
        let document = json!({});
        let size = json!({"type": "integer", "minimum": 1, "maximum": 5000});
        let direction = json!({"type": "string", "enum": ["ENTRY", "EXIT"]});
        let day = json!({"type": "string", "format": "date"});

        assert_eq!(scalar(&document, &size, "20"), Ok(json!(20)));
        assert_eq!(
            scalar(&document, &size, "5001"),
            Err("must be at most 5000".to_owned())
        );
        assert_eq!(
            scalar(&document, &size, "ten"),
            Err("expected an integer".to_owned())
        );
        assert_eq!(
            scalar(&document, &direction, "UP"),
            Err("expected one of ENTRY, EXIT".to_owned())
        );
        assert!(scalar(&document, &day, "2025-13-01").is_err());
        assert!(scalar(&document, &day, "").is_err());
    }

    #[test]
    fn a_wrapped_reference_constrains_like_its_target() {
        let document = json!({"components": {"schemas": {
            "Direction": {"type": "string", "enum": ["ENTRY", "EXIT"]}
        }}});
        let wrapped = json!({"allOf": [{"$ref": "#/components/schemas/Direction"}]});

        assert!(scalar(&document, &wrapped, "SIDEWAYS").is_err());
        assert_eq!(scalar(&document, &wrapped, "EXIT"), Ok(json!("EXIT")));
    }

    #[test]
    fn percent_decoding_refuses_broken_escapes() {
        assert_eq!(percent_decode("GF%20X"), Some("GF X".to_owned()));
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%FF"), None);
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%+1"), None);
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let long = "x".repeat(200);

        assert_eq!(shown(&long).chars().count(), MAX_SHOWN_VALUE_CHARS + 1);
    }
}
