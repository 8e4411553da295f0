//! Building a success body from the operation's schema and the request.
//!
//! The body depends only on the operation and the request's parameters, never on the time or on
//! chance, so the same request always gets the same bytes. How many records there are follows the
//! record schema ([`Grain`]): one per hour of each gas day and demo point for hourly records, one
//! per gas day and point for daily ones, two per point otherwise. Points are the
//! [`DEMO_POINTS`] that pass the request's `pointCode`, `pointType` and `direction` filters; a
//! record without a `pointCode` property has no point dimension.
//!
//! Each field then gets, in this order:
//! 1. a value the row knows, when the field has its name and the value fits the field's schema:
//!    `gasDay`, `gasMonth`, `hourIndex`, `periodStart`, `periodEnd`, the point's `pointCode`,
//!    `pointName`, `pointType`, `pointEic` and `direction`, and any query or path parameter of the
//!    request
//!    (`contractCode`, `status`...); the envelope also knows `gasDayFrom`, `gasDayTo`, `data`
//!    and the page members;
//! 2. `null`, for about one nullable field in four, so that clients meet both;
//! 3. for a `date`, the row's gas day, so that every date falls in the requested range;
//! 4. the field's `example` (or `default`) when it fits the schema, with `int64` integers and
//!    numbers varied within ±20 % by a hash of the row, clamped to the schema's bounds;
//! 5. otherwise a value built from the type, format, enum and bounds.
//!
//! Objects and arrays are generated recursively; an array of hourly records inside a daily one
//! (a confirmation's `hourly`) gets one item per hour of that gas day.

use chrono::NaiveDate;
use serde_json::{Map, Number, Value};

use crate::calendar::{self, GasHour};
use crate::catalog::{Endpoint, Grain, Location, ResponseShape};
use crate::parameters::{GasDayRange, Paging, RequestValues};
use crate::points::{DEMO_POINTS, DemoPoint};
use crate::schema::{self, Bounds, SchemaType};

/// Records per point (or in all, without points) of a list whose records are neither hourly
/// nor daily.
const FIXED_RECORDS_PER_POINT: u32 = 2;

/// Items of a generated array that is not a list of hourly sub-rows.
const DEFAULT_ARRAY_ITEMS: u64 = 2;

/// How deep generation goes before it stops at empty objects and arrays, so that a recursive
/// schema cannot exhaust the stack.
const MAX_GENERATION_DEPTH: usize = 12;

/// How far, as a fraction, a varied example may move from the spec's value.
const EXAMPLE_VARIATION: f64 = 0.2;

/// A nullable field is `null` in one record out of this many.
const NULL_ONE_IN: u64 = 4;

/// Query parameters that steer paging and are not echoed into records.
const PAGING_PARAMETERS: [&str; 2] = ["page", "size"];

/// Everything a body depends on.
#[derive(Debug)]
pub(crate) struct BodyRequest<'a> {
    pub(crate) endpoint: &'a Endpoint,
    pub(crate) values: &'a RequestValues,
    pub(crate) range: GasDayRange,
    pub(crate) paging: Paging,
}

/// The success body for `request`.
pub(crate) fn body(request: &BodyRequest<'_>) -> Value {
    let generator = Generator::new(request);

    match &request.endpoint.shape {
        ResponseShape::List {
            envelope,
            record,
            grain,
        } => {
            let rows = generator.rows(record, *grain);
            let total = rows.len() as u64;
            let data = generator.page_of_records(record, &rows);
            generator.envelope(envelope, data, total)
        }
        ResponseShape::Array { record, grain } => {
            let rows = generator.rows(record, *grain);
            Value::Array(generator.page_of_records(record, &rows))
        }
        ResponseShape::Single { schema } => {
            let scope = generator.scope(request.range.from, None);
            let seed = generator.operation_seed;
            generator.value(schema, None, &scope, seed, 0)
        }
    }
}

/// One record to generate: a gas day, maybe a point, maybe an hour.
#[derive(Debug, Clone, Copy)]
struct Row {
    gas_day: NaiveDate,
    point: Option<&'static DemoPoint>,
    hour: Option<GasHour>,
    /// Position among the records of the same day and point, for fixed-grain lists.
    item: u32,
}

/// What the fields being generated know about their place.
#[derive(Debug, Clone)]
struct Scope {
    /// Values that fields of these names take, when the value fits their schema.
    known: Map<String, Value>,
    /// The gas day the fields belong to.
    gas_day: NaiveDate,
    /// The hour the fields belong to, for hourly records.
    hour: Option<GasHour>,
}

#[derive(Debug)]
struct Generator<'a> {
    request: &'a BodyRequest<'a>,
    document: &'a Value,
    /// The request's own parameters, by name, as fields echo them.
    echoed: Map<String, Value>,
    operation_seed: u64,
}

impl<'a> Generator<'a> {
    fn new(request: &'a BodyRequest<'a>) -> Self {
        // Parameters that select a version of the data (`latest`, `cycle`) are checked and
        // echoed into fields of the same name: the sandbox keeps one version of everything.
        // `include<Field>` switches are honoured by `object`.
        let endpoint = request.endpoint;
        let echoed = endpoint
            .parameters
            .iter()
            .filter(|parameter| parameter.location != Location::Header)
            .filter(|parameter| !PAGING_PARAMETERS.contains(&parameter.name.as_str()))
            .filter_map(|parameter| {
                let value = request.values.get(&parameter.name)?;
                Some((parameter.name.clone(), value.clone()))
            })
            .collect();

        Self {
            request,
            document: &endpoint.document,
            echoed,
            operation_seed: seed_of(&[endpoint.method.as_str(), &endpoint.path]),
        }
    }

    /// Every record of the whole result, in order: gas day, then point, then hour.
    fn rows(&self, record: &Value, grain: Grain) -> Vec<Row> {
        let has_points = schema::property(self.document, record, "pointCode").is_some();
        let filters: Vec<(&str, &Value)> = DemoPoint::FILTERS
            .iter()
            .filter_map(|name| Some((*name, self.request.values.get(name)?)))
            .collect();
        let points: Vec<Option<&'static DemoPoint>> = if has_points {
            DEMO_POINTS
                .iter()
                .filter(|point| point.matches(filters.iter().copied()))
                .map(Some)
                .collect()
        } else {
            vec![None]
        };

        let range = self.request.range;
        let mut rows = Vec::new();
        match grain {
            Grain::Hourly => {
                for gas_day in calendar::gas_days(range.from, range.to) {
                    let hours = calendar::gas_day_hours(gas_day).unwrap_or_default();
                    for point in &points {
                        rows.extend(hours.iter().map(|hour| Row {
                            gas_day,
                            point: *point,
                            hour: Some(*hour),
                            item: 0,
                        }));
                    }
                }
            }
            Grain::Daily => {
                for gas_day in calendar::gas_days(range.from, range.to) {
                    rows.extend(points.iter().map(|point| Row {
                        gas_day,
                        point: *point,
                        hour: None,
                        item: 0,
                    }));
                }
            }
            Grain::Fixed => {
                for point in &points {
                    rows.extend((0..FIXED_RECORDS_PER_POINT).map(|item| Row {
                        gas_day: range.from,
                        point: *point,
                        hour: None,
                        item,
                    }));
                }
            }
        }
        rows
    }

    /// The records of the requested page; none past the last page.
    fn page_of_records(&self, record: &Value, rows: &[Row]) -> Vec<Value> {
        let Paging { page, size } = self.request.paging;
        let start = usize::try_from(page.saturating_mul(size)).unwrap_or(usize::MAX);
        let size = usize::try_from(size).unwrap_or(usize::MAX);

        rows.iter()
            .skip(start)
            .take(size)
            .map(|row| {
                let scope = self.row_scope(row);
                self.value(record, None, &scope, self.row_seed(row), 1)
            })
            .collect()
    }

    /// The list envelope around one page of records.
    fn envelope(&self, envelope: &Value, data: Vec<Value>, total: u64) -> Value {
        let Paging { page, size } = self.request.paging;
        let range = self.request.range;

        let mut scope = self.scope(range.from, None);
        let known = &mut scope.known;
        known.insert(
            "gasDayFrom".into(),
            calendar::format_date(range.from).into(),
        );
        known.insert("gasDayTo".into(), calendar::format_date(range.to).into());
        known.insert("data".into(), Value::Array(data));
        known.insert("number".into(), page.into());
        known.insert("size".into(), size.into());
        known.insert("totalElements".into(), total.into());
        known.insert("totalPages".into(), total.div_ceil(size.max(1)).into());

        self.value(envelope, None, &scope, self.operation_seed, 0)
    }

    /// A scope for fields of `gas_day` (and `hour`), knowing the request's parameters.
    fn scope(&self, gas_day: NaiveDate, hour: Option<GasHour>) -> Scope {
        let mut scope = Scope {
            known: self.echoed.clone(),
            gas_day,
            hour: None,
        };
        scope.know_gas_day(gas_day);
        if let Some(hour) = hour {
            scope.know_hour(hour);
        }
        scope
    }

    fn row_scope(&self, row: &Row) -> Scope {
        let mut scope = self.scope(row.gas_day, row.hour);
        if let Some(point) = row.point {
            for name in DemoPoint::ATTRIBUTES {
                if let Some(value) = point.attribute(name) {
                    scope.known.insert(name.into(), value.into());
                }
            }
        }
        scope
    }

    fn row_seed(&self, row: &Row) -> u64 {
        let gas_day = calendar::format_date(row.gas_day);
        let point = row.point.map_or("", |point| point.code);
        let hour = row.hour.map_or(0, |hour| hour.index).to_string();
        let item = row.item.to_string();
        mix(
            self.operation_seed,
            seed_of(&[&gas_day, point, &hour, &item]),
        )
    }

    /// A value for `schema`, for a field called `name` (none for array items and bodies).
    fn value(
        &self,
        schema: &Value,
        name: Option<&str>,
        scope: &Scope,
        seed: u64,
        depth: usize,
    ) -> Value {
        let schema = schema::resolve(self.document, schema);

        if let Some(known) = name.and_then(|name| scope.known.get(name))
            && schema::accepts(self.document, schema, known)
        {
            return known.clone();
        }
        if depth > MAX_GENERATION_DEPTH {
            return empty_value(schema);
        }
        if schema::is_nullable(schema) && seed.is_multiple_of(NULL_ONE_IN) {
            return Value::Null;
        }

        // A type-less `allOf`/`oneOf`/`anyOf` (how specs annotate a `$ref`): its first member
        // stands for it.
        if schema::schema_type(schema) == SchemaType::Any
            && let Some(member) = ["allOf", "oneOf", "anyOf"]
                .iter()
                .find_map(|keyword| schema.get(*keyword)?.as_array()?.first())
        {
            if let Some(example) = self.example(schema) {
                return example.clone();
            }
            return self.value(member, name, scope, seed, depth + 1);
        }

        match schema::schema_type(schema) {
            SchemaType::Object => self.object(schema, scope, seed, depth),
            SchemaType::Array => self.array(schema, scope, seed, depth),
            SchemaType::String => self.string(schema, scope, seed),
            SchemaType::Integer => self.integer(schema, seed),
            SchemaType::Number => self.number(schema, seed),
            SchemaType::Boolean => self.example(schema).cloned().unwrap_or(Value::Bool(false)),
            SchemaType::Any => self
                .example(schema)
                .cloned()
                .unwrap_or_else(|| Value::String("sandbox".into())),
        }
    }

    /// Whether an optional field is wanted: a boolean `include<Field>` parameter of the
    /// operation (`includeHourly` for `hourly`) leaves it out unless it is `true`.
    fn included(&self, field: &str) -> bool {
        let mut switch = String::from("include");
        let mut characters = field.chars();
        switch.extend(characters.next().map(|first| first.to_ascii_uppercase()));
        switch.extend(characters);

        let declared = self
            .request
            .endpoint
            .parameters
            .iter()
            .any(|parameter| parameter.name == switch);
        if !declared {
            return true;
        }
        match self.request.values.get(&switch) {
            Some(Value::Bool(on)) => *on,
            Some(Value::String(text)) => text == "true",
            _ => false,
        }
    }

    /// The schema's `example`, else its `default`, when it fits the schema.
    fn example<'s>(&self, schema: &'s Value) -> Option<&'s Value> {
        ["example", "default"]
            .iter()
            .filter_map(|keyword| schema.get(*keyword))
            .find(|value| schema::accepts(self.document, schema, value))
    }

    fn object(&self, schema: &Value, scope: &Scope, seed: u64, depth: usize) -> Value {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let object: Map<String, Value> = schema::properties(schema)
            .filter(|(name, _)| required.contains(&name.as_str()) || self.included(name))
            .map(|(name, property)| {
                let seed = mix(seed, seed_of(&[name]));
                (
                    name.clone(),
                    self.value(property, Some(name), scope, seed, depth + 1),
                )
            })
            .collect();

        if object.is_empty()
            && let Some(example) = self.example(schema)
        {
            return example.clone();
        }
        Value::Object(object)
    }

    fn array(&self, schema: &Value, scope: &Scope, seed: u64, depth: usize) -> Value {
        let empty = Value::Object(Map::new());
        let items = schema
            .get("items")
            .map_or(&empty, |items| schema::resolve(self.document, items));

        // Hourly sub-rows of a daily record: one per hour of its gas day.
        if scope.hour.is_none() && schema::is_hourly_record(self.document, items) {
            let hours = calendar::gas_day_hours(scope.gas_day).unwrap_or_default();
            let sub_rows = hours.into_iter().map(|hour| {
                let mut hour_scope = scope.clone();
                hour_scope.know_hour(hour);
                let seed = mix(seed, u64::from(hour.index));
                self.value(items, None, &hour_scope, seed, depth + 1)
            });
            return Value::Array(sub_rows.collect());
        }

        let scalar_items = !matches!(
            schema::schema_type(items),
            SchemaType::Object | SchemaType::Array
        );
        if scalar_items && let Some(example) = self.example(schema) {
            return example.clone();
        }

        let unique = schema.get("uniqueItems").and_then(Value::as_bool) == Some(true);
        let minimum = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
        let maximum = schema
            .get("maxItems")
            .and_then(Value::as_u64)
            .unwrap_or(u64::MAX);
        let wanted = if unique && scalar_items {
            1
        } else {
            DEFAULT_ARRAY_ITEMS
        };
        let count = wanted.max(minimum).min(maximum);

        let generated = (0..count).map(|index| {
            let seed = mix(seed, index);
            self.value(items, None, scope, seed, depth + 1)
        });
        Value::Array(generated.collect())
    }

    fn string(&self, schema: &Value, scope: &Scope, seed: u64) -> Value {
        // Dates follow the row rather than the example, so that they fall in the requested range.
        if schema::format(schema) == Some("date") {
            let gas_day = Value::String(calendar::format_date(scope.gas_day));
            if schema::accepts(self.document, schema, &gas_day) {
                return gas_day;
            }
        }
        if let Some(example) = self.example(schema) {
            return example.clone();
        }
        if let Some(options) = schema::enum_values(schema) {
            let fitting = options
                .iter()
                .find(|option| schema::accepts(self.document, schema, option));
            if let Some(option) = fitting.or(options.first()) {
                return option.clone();
            }
        }

        let text = match schema::format(schema) {
            Some("date") => calendar::format_date(scope.gas_day),
            Some("date-time") => {
                let instant = match scope.hour {
                    Some(hour) => Some(hour.start),
                    None => calendar::gas_day_start(scope.gas_day),
                };
                instant.map(calendar::format_date_time).unwrap_or_default()
            }
            Some("uuid") => uuid_from(seed),
            _ => format!("SANDBOX-{:03}", seed % 1000),
        };
        Value::String(fit_length(schema, text))
    }

    fn integer(&self, schema: &Value, seed: u64) -> Value {
        let example = self.example(schema);
        if schema::enum_values(schema).is_some() {
            return example
                .cloned()
                .unwrap_or_else(|| self.first_enum_value(schema));
        }

        let bounds = Bounds::of(schema);
        let low = bounds.integer_minimum();
        let high = bounds.integer_maximum();
        let candidate = match example.and_then(Value::as_i64) {
            Some(example) if varies(schema) => {
                (example as f64 * variation_factor(seed)).round() as i64
            }
            Some(example) => example,
            None => match (low, high) {
                (Some(low), Some(high)) => {
                    let span = (i128::from(high) - i128::from(low) + 1).max(1);
                    let offset = i128::from(seed) % span;
                    i64::try_from(i128::from(low) + offset).unwrap_or(low)
                }
                (Some(low), None) => low.saturating_add((seed % 100) as i64),
                (None, Some(high)) => high.saturating_sub((seed % 100) as i64),
                (None, None) => (seed % 1000) as i64,
            },
        };

        let mut value = clamp_integer(candidate, low, high);
        if let Some(step) = schema.get("multipleOf").and_then(Value::as_i64)
            && step > 0
        {
            value -= value.rem_euclid(step);
            if low.is_some_and(|low| value < low) {
                value = value.saturating_add(step);
            }
        }
        Value::from(value)
    }

    fn number(&self, schema: &Value, seed: u64) -> Value {
        let example = self.example(schema);
        if schema::enum_values(schema).is_some() {
            return example
                .cloned()
                .unwrap_or_else(|| self.first_enum_value(schema));
        }

        let bounds = Bounds::of(schema);
        let (candidate, decimals) = match example.and_then(Value::as_f64) {
            Some(number) => {
                let decimals = example.map_or(1, decimals_of);
                (number * variation_factor(seed), decimals)
            }
            None => {
                let low = bounds.minimum.unwrap_or(0.0);
                let high = bounds.maximum.unwrap_or(low + 1000.0);
                (low + (high - low) * unit_interval(seed), 1)
            }
        };

        let factor = 10_f64.powi(decimals);
        let mut rounded = (candidate * factor).round() / factor;
        if !rounded.is_finite() || bounds.violation(rounded).is_some() {
            // Rounding or variation left the bounds: fall back on the spec's own value.
            rounded = example
                .and_then(Value::as_f64)
                .or(bounds.minimum)
                .unwrap_or(0.0);
        }
        Number::from_f64(rounded).map_or(Value::Null, Value::Number)
    }

    fn first_enum_value(&self, schema: &Value) -> Value {
        schema::enum_values(schema)
            .and_then(|options| options.first())
            .cloned()
            .unwrap_or(Value::Null)
    }
}

impl Scope {
    fn know_gas_day(&mut self, gas_day: NaiveDate) {
        self.gas_day = gas_day;
        self.known
            .insert("gasDay".into(), calendar::format_date(gas_day).into());
        self.known.insert(
            "gasMonth".into(),
            gas_day.format("%Y-%m").to_string().into(),
        );
        if let Some((start, end)) = calendar::gas_day_bounds(gas_day) {
            self.known.insert(
                "periodStart".into(),
                calendar::format_date_time(start).into(),
            );
            self.known
                .insert("periodEnd".into(), calendar::format_date_time(end).into());
        }
    }

    fn know_hour(&mut self, hour: GasHour) {
        self.hour = Some(hour);
        self.known.insert("hourIndex".into(), hour.index.into());
        self.known.insert(
            "periodStart".into(),
            calendar::format_date_time(hour.start).into(),
        );
        self.known.insert(
            "periodEnd".into(),
            calendar::format_date_time(hour.end).into(),
        );
    }
}

/// Whether an example of this numeric schema varies from row to row: quantities (`int64`) and
/// `number`s do; `int32` and unformatted integers (versions, cycles, years) keep the example.
fn varies(schema: &Value) -> bool {
    match schema::schema_type(schema) {
        SchemaType::Number => true,
        SchemaType::Integer => schema::format(schema) == Some("int64"),
        _ => false,
    }
}

/// A deterministic factor in `1 ± EXAMPLE_VARIATION`.
fn variation_factor(seed: u64) -> f64 {
    1.0 + EXAMPLE_VARIATION * (2.0 * unit_interval(seed) - 1.0)
}

/// A deterministic number in `[0, 1)`.
fn unit_interval(seed: u64) -> f64 {
    (seed >> 11) as f64 / (1_u64 << 53) as f64
}

fn clamp_integer(value: i64, low: Option<i64>, high: Option<i64>) -> i64 {
    let value = low.map_or(value, |low| value.max(low));
    high.map_or(value, |high| value.min(high))
}

/// How many decimals a JSON number is written with (at most 3, at least 1).
fn decimals_of(number: &Value) -> i32 {
    let written = number.to_string();
    let decimals = written
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len());
    decimals.clamp(1, 3) as i32
}

/// Pads with `X` or cuts `text` to the schema's `minLength`/`maxLength`.
fn fit_length(schema: &Value, mut text: String) -> String {
    let minimum = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0);
    let maximum = schema.get("maxLength").and_then(Value::as_u64);

    if let Some(maximum) = maximum {
        text = text
            .chars()
            .take(usize::try_from(maximum).unwrap_or(usize::MAX))
            .collect();
    }
    while (text.chars().count() as u64) < minimum {
        text.push('X');
    }
    text
}

/// A version-4-shaped UUID made from `seed`.
fn uuid_from(seed: u64) -> String {
    let high = mix(seed, 1);
    let low = mix(seed, 2);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0x0fff,
        (low >> 48) & 0x0fff,
        low & 0xffff_ffff_ffff
    )
}

/// The emptiest value of a schema's type, where generation stops.
fn empty_value(schema: &Value) -> Value {
    if schema::is_nullable(schema) {
        return Value::Null;
    }
    match schema::schema_type(schema) {
        SchemaType::Object => Value::Object(Map::new()),
        SchemaType::Array => Value::Array(Vec::new()),
        SchemaType::Integer | SchemaType::Number => Value::from(0),
        SchemaType::Boolean => Value::Bool(false),
        SchemaType::String | SchemaType::Any => Value::String(String::new()),
    }
}

/// FNV-1a over the parts, each followed by a separator, so that `["ab", "c"]` and `["a", "bc"]`
/// differ. Written out rather than taken from std, whose hashers may change between releases:
/// bodies must stay byte-identical from build to build.
fn seed_of(parts: &[&str]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    let mut hash = OFFSET_BASIS;
    for part in parts {
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    hash
}

/// Combines two seeds, spreading their bits (the SplitMix64 finaliser).
fn mix(seed: u64, other: u64) -> u64 {
    let mut z = seed ^ other.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn seeds_separate_their_parts() {
        assert_ne!(seed_of(&["ab", "c"]), seed_of(&["a", "bc"]));
        assert_eq!(seed_of(&["EG001F"]), seed_of(&["EG001F"]));
    }

    #[test]
    fn variation_stays_within_its_band() {
        for seed in 0..1000_u64 {
            let factor = variation_factor(mix(seed, 7));
            assert!((1.0 - EXAMPLE_VARIATION..=1.0 + EXAMPLE_VARIATION).contains(&factor));
        }
    }

    #[test]
    fn strings_are_fitted_to_their_length_bounds() {
        let schema = json!({"type": "string", "minLength": 12, "maxLength": 14});

        assert_eq!(fit_length(&schema, "SANDBOX".into()), "SANDBOXXXXXX");
        assert_eq!(
            fit_length(&schema, "SANDBOX-SANDBOX".into()),
            "SANDBOX-SANDBO"
        );
    }

    #[test]
    fn decimals_follow_the_example() {
        assert_eq!(decimals_of(&json!(1200.0)), 1);
        assert_eq!(decimals_of(&json!(11.42)), 2);
        assert_eq!(decimals_of(&json!(7)), 1);
    }

    #[test]
    fn generated_uuids_have_the_uuid_shape() {
        let uuid = uuid_from(42);
        let groups: Vec<usize> = uuid.split('-').map(str::len).collect();

        assert_eq!(groups, [8, 4, 4, 4, 12]);
    }
}
