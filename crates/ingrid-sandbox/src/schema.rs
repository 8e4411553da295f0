//! Reading the OpenAPI 3.0 schemas of a bundled spec.
//!
//! Bundled documents only hold local references (`#/components/...`), so resolving one is a
//! JSON pointer lookup in the same document. The helpers here never fail: a schema the sandbox
//! does not understand reads as "anything goes", and the build-time checks in `catalog` report
//! what would make an operation impossible to emulate.

use serde_json::Value;

use crate::calendar;

/// How many `$ref` hops [`resolve`] follows before giving up, so that a reference cycle cannot
/// hang a request.
const MAX_REFERENCE_HOPS: usize = 32;

/// How deep [`accepts`] looks into nested `allOf` members before accepting.
const MAX_ACCEPT_DEPTH: usize = 16;

/// The JSON type a schema asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SchemaType {
    Object,
    Array,
    String,
    Integer,
    Number,
    Boolean,
    /// No `type`, and nothing that implies one: any value fits.
    Any,
}

/// Follows `$ref` until a schema that is not a reference, or returns the last one reached when a
/// reference does not resolve.
pub(crate) fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    let mut current = schema;
    for _ in 0..MAX_REFERENCE_HOPS {
        let target = current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|reference| reference.strip_prefix('#'))
            .and_then(|pointer| document.pointer(pointer));
        match target {
            Some(target) => current = target,
            None => return current,
        }
    }
    current
}

/// The declared type, or the one implied by `properties` or `items` when `type` is missing.
pub(crate) fn schema_type(schema: &Value) -> SchemaType {
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => SchemaType::Object,
        Some("array") => SchemaType::Array,
        Some("string") => SchemaType::String,
        Some("integer") => SchemaType::Integer,
        Some("number") => SchemaType::Number,
        Some("boolean") => SchemaType::Boolean,
        _ if schema.get("properties").is_some() => SchemaType::Object,
        _ if schema.get("items").is_some() => SchemaType::Array,
        _ => SchemaType::Any,
    }
}

/// The `format` keyword, if any.
pub(crate) fn format(schema: &Value) -> Option<&str> {
    schema.get("format").and_then(Value::as_str)
}

/// Whether OpenAPI 3.0's `nullable: true` is set.
pub(crate) fn is_nullable(schema: &Value) -> bool {
    schema.get("nullable").and_then(Value::as_bool) == Some(true)
}

/// The `enum` values, if the schema lists any.
pub(crate) fn enum_values(schema: &Value) -> Option<&Vec<Value>> {
    schema.get("enum").and_then(Value::as_array)
}

/// The `properties` of an object schema, in document order of the bundle.
pub(crate) fn properties(schema: &Value) -> impl Iterator<Item = (&String, &Value)> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

/// One property of an object schema, resolved.
pub(crate) fn property<'a>(
    document: &'a Value,
    schema: &'a Value,
    name: &str,
) -> Option<&'a Value> {
    schema
        .get("properties")
        .and_then(|properties| properties.get(name))
        .map(|property| resolve(document, property))
}

/// Whether records of this (resolved) object schema are hourly: they carry `periodStart` and
/// `periodEnd` date-times.
pub(crate) fn is_hourly_record(document: &Value, schema: &Value) -> bool {
    ["periodStart", "periodEnd"].iter().all(|name| {
        property(document, schema, name).is_some_and(|property| {
            schema_type(property) == SchemaType::String && format(property) == Some("date-time")
        })
    })
}

/// Whether records of this (resolved) object schema are daily: they carry a `gasDay`.
pub(crate) fn is_daily_record(document: &Value, schema: &Value) -> bool {
    property(document, schema, "gasDay").is_some()
}

/// A JSON number bound of the schema (`minimum`, `maximum`, `default`...), as f64.
fn number(schema: &Value, keyword: &str) -> Option<f64> {
    schema.get(keyword).and_then(Value::as_f64)
}

/// The inclusive-or-exclusive numeric bounds of a schema, as OpenAPI 3.0 writes them
/// (`exclusiveMinimum: true` beside `minimum`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Bounds {
    pub(crate) minimum: Option<f64>,
    pub(crate) exclusive_minimum: bool,
    pub(crate) maximum: Option<f64>,
    pub(crate) exclusive_maximum: bool,
}

impl Bounds {
    /// The bounds of `schema`, narrowed by an integer `format` (`int32`).
    pub(crate) fn of(schema: &Value) -> Self {
        let flag = |keyword| schema.get(keyword).and_then(Value::as_bool) == Some(true);
        let mut bounds = Self {
            minimum: number(schema, "minimum"),
            exclusive_minimum: flag("exclusiveMinimum"),
            maximum: number(schema, "maximum"),
            exclusive_maximum: flag("exclusiveMaximum"),
        };
        if format(schema) == Some("int32") {
            bounds.minimum = Some(bounds.minimum.unwrap_or(f64::MIN).max(f64::from(i32::MIN)));
            bounds.maximum = Some(bounds.maximum.unwrap_or(f64::MAX).min(f64::from(i32::MAX)));
        }
        bounds
    }

    /// Why `value` is out of bounds, phrased for an error message, or `None` when it is within.
    pub(crate) fn violation(&self, value: f64) -> Option<String> {
        if let Some(minimum) = self.minimum {
            if self.exclusive_minimum && value <= minimum {
                return Some(format!("must be greater than {minimum}"));
            }
            if value < minimum {
                return Some(format!("must be at least {minimum}"));
            }
        }
        if let Some(maximum) = self.maximum {
            if self.exclusive_maximum && value >= maximum {
                return Some(format!("must be less than {maximum}"));
            }
            if value > maximum {
                return Some(format!("must be at most {maximum}"));
            }
        }
        None
    }

    /// The smallest integer within the bounds, if the lower bound is set.
    pub(crate) fn integer_minimum(&self) -> Option<i64> {
        self.minimum.map(|minimum| {
            let lowest = minimum.ceil() as i64;
            if self.exclusive_minimum && lowest as f64 <= minimum {
                lowest.saturating_add(1)
            } else {
                lowest
            }
        })
    }

    /// The largest integer within the bounds, if the upper bound is set.
    pub(crate) fn integer_maximum(&self) -> Option<i64> {
        self.maximum.map(|maximum| {
            let highest = maximum.floor() as i64;
            if self.exclusive_maximum && highest as f64 >= maximum {
                highest.saturating_sub(1)
            } else {
                highest
            }
        })
    }
}

/// Why `text` does not fit a string schema's length and format, or `None` when it fits.
///
/// Checks `minLength`, `maxLength` and the formats `date` (strict `YYYY-MM-DD`) and `date-time`
/// (RFC 3339). `pattern` is not checked.
// TODO(#3): check `pattern` too, with the regex engine `cargo xtask validate` will use for
// examples; only `gasMonth` response fields use one so far, and no parameter.
pub(crate) fn string_violation(schema: &Value, text: &str) -> Option<String> {
    let length = text.chars().count() as u64;
    if let Some(minimum) = schema.get("minLength").and_then(Value::as_u64)
        && length < minimum
    {
        return Some(format!("must be at least {minimum} characters long"));
    }
    if let Some(maximum) = schema.get("maxLength").and_then(Value::as_u64)
        && length > maximum
    {
        return Some(format!("must be at most {maximum} characters long"));
    }

    match format(schema) {
        Some("date") if calendar::parse_date(text).is_none() => {
            Some("expected a date as YYYY-MM-DD".to_owned())
        }
        Some("date-time") if chrono::DateTime::parse_from_rfc3339(text).is_err() => {
            Some("expected an RFC 3339 date-time with offset".to_owned())
        }
        _ => None,
    }
}

/// Whether `value` fits `schema`: type, `nullable`, `enum`, numeric bounds, string length and
/// format, and every `allOf` member. Objects and arrays are checked shallowly.
///
/// The generator uses it to decide whether a spec's `example`, or a value taken from the
/// request or the demo point, can stand in a field.
pub(crate) fn accepts(document: &Value, schema: &Value, value: &Value) -> bool {
    accepts_within(document, schema, value, 0)
}

fn accepts_within(document: &Value, schema: &Value, value: &Value, depth: usize) -> bool {
    let schema = resolve(document, schema);
    if depth > MAX_ACCEPT_DEPTH {
        return true;
    }
    if value.is_null() {
        return is_nullable(schema);
    }
    if enum_values(schema).is_some_and(|options| !options.contains(value)) {
        return false;
    }
    let members_accept = schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .all(|member| accepts_within(document, member, value, depth + 1));
    if !members_accept {
        return false;
    }

    match schema_type(schema) {
        SchemaType::Object => value.is_object(),
        SchemaType::Array => value.is_array(),
        SchemaType::Boolean => value.is_boolean(),
        SchemaType::String => value
            .as_str()
            .is_some_and(|text| string_violation(schema, text).is_none()),
        SchemaType::Integer => {
            (value.is_i64() || value.is_u64())
                && value
                    .as_f64()
                    .is_some_and(|number| Bounds::of(schema).violation(number).is_none())
        }
        SchemaType::Number => value
            .as_f64()
            .is_some_and(|number| Bounds::of(schema).violation(number).is_none()),
        SchemaType::Any => true,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn references_resolve_through_chains() {
        let document = json!({
            "components": {"schemas": {
                "A": {"$ref": "#/components/schemas/B"},
                "B": {"type": "string"},
            }}
        });

        let reference = json!({"$ref": "#/components/schemas/A"});

        let resolved = resolve(&document, &reference);

        assert_eq!(resolved, &json!({"type": "string"}));
    }

    #[test]
    fn a_reference_cycle_does_not_hang() {
        let document = json!({
            "components": {"schemas": {"A": {"$ref": "#/components/schemas/A"}}}
        });

        let reference = json!({"$ref": "#/components/schemas/A"});

        let resolved = resolve(&document, &reference);

        assert!(resolved.get("$ref").is_some());
    }

    #[test]
    fn accepts_checks_type_enum_bounds_and_nullable() {
        let document = json!({});
        let direction = json!({"type": "string", "enum": ["ENTRY", "EXIT"]});
        let hour = json!({"type": "integer", "minimum": 1, "maximum": 25});
        let nullable = json!({"type": "string", "nullable": true});

        assert!(accepts(&document, &direction, &json!("EXIT")));
        assert!(!accepts(&document, &direction, &json!("UP")));
        assert!(accepts(&document, &hour, &json!(25)));
        assert!(!accepts(&document, &hour, &json!(26)));
        assert!(!accepts(&document, &hour, &json!(1.5)));
        assert!(accepts(&document, &nullable, &Value::Null));
        assert!(!accepts(&document, &direction, &Value::Null));
    }

    #[test]
    fn int32_format_bounds_integers() {
        let schema = json!({"type": "integer", "format": "int32"});

        assert!(!accepts(
            &json!({}),
            &schema,
            &json!(i64::from(i32::MAX) + 1)
        ));
    }

    #[test]
    fn exclusive_bounds_exclude_the_bound() {
        let bounds = Bounds::of(&json!({"minimum": 0, "exclusiveMinimum": true, "maximum": 10}));

        assert_eq!(bounds.integer_minimum(), Some(1));
        assert_eq!(bounds.integer_maximum(), Some(10));
        assert!(bounds.violation(0.0).is_some());
    }
}
