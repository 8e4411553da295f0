//! The "Decisions for this project's specs" of `shared/domain/INGRID.md`: the shape every
//! operation has, and how properties and enum values are named, typed and described.

use serde_json::Value;

use super::places::{OperationNode, Places, walk_in_place};
use super::refs::{Node, Resolver};
use super::{Findings, Rule};

/// The error statuses every operation documents with a problem body (decision 5).
const PROBLEM_STATUSES: [&str; 6] = ["400", "401", "403", "404", "429", "500"];

/// Words that make a numeric property a quantity that needs its unit (decision 6).
const QUANTITY_WORDS: [&str; 8] = [
    "quantity", "capacity", "price", "amount", "energy", "volume", "linepack", "fee",
];

/// How a description gives a unit: one of these, or a pointer to the record's `unit` member.
const UNITS: [&str; 7] = ["Wh", "€", "m³", "%", "°C", "ratio", "`unit`"];

/// Checks the operations and the schemas written in the document `root`.
pub fn check<'a>(resolver: &Resolver<'a>, root: &Node<'a>, findings: &mut Findings) {
    let operations = OperationNode::all_in(root);
    if !operations.is_empty() {
        check_paths(root, findings);
    }
    for operation in &operations {
        check_contract_code(resolver, operation, findings);
        check_security(resolver, root, operation, findings);
        check_success(resolver, operation, findings);
        check_problems(resolver, operation, findings);
    }

    for schema in Places::of(root).schemas {
        walk_in_place(&schema, &mut |schema| {
            check_properties(resolver, schema, findings);
            check_enum_values(schema, findings);
        });
    }
}

/// The domain slug of a spec file: `allocations.yaml` is `allocations`.
fn domain_of(file: &str) -> &str {
    file.trim_end_matches(".yaml").trim_end_matches(".yml")
}

/// Decision 1: `GET /v1/{domain}/{api}`, the domain being the file's name.
fn check_paths(root: &Node<'_>, findings: &mut Findings) {
    let prefix = format!("/v1/{}/", domain_of(root.file));
    for (path, item) in root
        .child("paths")
        .map(|paths| paths.members())
        .unwrap_or_default()
    {
        let api = path.strip_prefix(&prefix).unwrap_or_default();
        if api.is_empty() {
            findings.at(
                &item,
                Rule::PathOutsideDomain,
                format!(
                    "path `{path}` is not under `{prefix}`: operations of {} are \
                     `/v1/{}/{{api}}`",
                    root.file,
                    domain_of(root.file)
                ),
            );
        }
    }
}

/// Decision 2: every call is made for one contract.
fn check_contract_code<'a>(
    resolver: &Resolver<'a>,
    operation: &OperationNode<'a>,
    findings: &mut Findings,
) {
    let parameters = operation.parameters(resolver);
    let declared = parameters
        .iter()
        .find(|parameter| parameter.value.get("name") == Some(&Value::from("contractCode")));

    let problem = match declared {
        None => "has no `contractCode` parameter",
        Some(parameter) if parameter.value.get("in") != Some(&Value::from("query")) => {
            "declares `contractCode` outside the query"
        }
        Some(parameter) if parameter.value.get("required") != Some(&Value::Bool(true)) => {
            "declares `contractCode` without `required: true`"
        }
        Some(_) => return,
    };
    let at = declared.cloned().unwrap_or_else(|| operation.node.clone());
    findings.at(
        &at,
        Rule::MissingContractCode,
        format!(
            "{} {problem}; every Ingrid call takes the required query parameter `contractCode` \
             (reference `common.yaml#/components/parameters/ContractCode`)",
            operation.label()
        ),
    );
}

/// Decision 7: the OAuth2 schemes declared in `components.securitySchemes`.
fn check_security<'a>(
    resolver: &Resolver<'a>,
    root: &Node<'a>,
    operation: &OperationNode<'a>,
    findings: &mut Findings,
) {
    let requirements = operation
        .node
        .child("security")
        .or_else(|| root.child("security"));
    let Some(requirements) = requirements.filter(|list| !list.items().is_empty()) else {
        let at = operation
            .node
            .child("security")
            .unwrap_or(operation.node.clone());
        findings.at(
            &at,
            Rule::MissingSecurity,
            format!(
                "{} has no security requirement; declare the top-level `security` of the spec \
                 (ingridProduction, ingridStaging)",
                operation.label()
            ),
        );
        return;
    };

    for requirement in requirements.items() {
        if requirement.members().is_empty() {
            findings.at(
                &requirement,
                Rule::MissingSecurity,
                "an empty security requirement (`{}`) lets the operations it applies to be \
                 called without authentication; remove it",
            );
        }
        for (scheme, _) in requirement.members() {
            let declared = root
                .child("components")
                .and_then(|components| components.child("securitySchemes"))
                .and_then(|schemes| schemes.child(scheme))
                .and_then(|scheme| resolver.follow(scheme));
            if declared.is_none() {
                findings.at(
                    &requirement,
                    Rule::MissingSecurity,
                    format!(
                        "security requirement `{scheme}` is not declared in this file's \
                         `components.securitySchemes`"
                    ),
                );
            }
        }
    }
}

/// Decision 4: a JSON body for `200`.
fn check_success<'a>(
    resolver: &Resolver<'a>,
    operation: &OperationNode<'a>,
    findings: &mut Findings,
) {
    let responses = operation.node.child("responses");
    let success = responses
        .as_ref()
        .and_then(|responses| responses.child("200"))
        .and_then(|response| resolver.follow(response));
    let schema = success
        .as_ref()
        .and_then(|response| response.child("content"))
        .and_then(|content| content.child("application/json"))
        .and_then(|media_type| media_type.child("schema"));
    if schema.is_none() {
        let at = success
            .or(responses)
            .unwrap_or_else(|| operation.node.clone());
        findings.at(
            &at,
            Rule::MissingJsonSuccess,
            format!(
                "{} has no `200` response with an `application/json` schema",
                operation.label()
            ),
        );
    }
}

/// Decision 5: RFC 7807 problems for the statuses a client must handle.
fn check_problems<'a>(
    resolver: &Resolver<'a>,
    operation: &OperationNode<'a>,
    findings: &mut Findings,
) {
    let responses = operation.node.child("responses");
    for status in PROBLEM_STATUSES {
        let written = responses
            .as_ref()
            .and_then(|responses| responses.child(status));
        let Some(written) = written else {
            let at = responses.clone().unwrap_or_else(|| operation.node.clone());
            findings.at(
                &at,
                Rule::MissingProblemResponse,
                format!(
                    "{} has no {status} response; reference \
                     `common.yaml#/components/responses/...` for each of {}",
                    operation.label(),
                    PROBLEM_STATUSES.join(", ")
                ),
            );
            continue;
        };
        let has_problem = resolver
            .follow(written.clone())
            .and_then(|response| response.child("content"))
            .and_then(|content| content.child("application/problem+json"))
            .and_then(|media_type| media_type.child("schema"))
            .is_some();
        if !has_problem {
            findings.at(
                &written,
                Rule::MissingProblemResponse,
                format!(
                    "{}'s {status} response has no `application/problem+json` schema",
                    operation.label()
                ),
            );
        }
    }
}

/// Decision 6: camelCase, typed, described, and quantities with their unit.
///
/// TODO(#3): "every record repeats its `unit`" is not checked: the breakdown rows nested in a
/// record (`ImbalanceComponent`, `ProfileForecast`, `HourlyConfirmation`) carry quantities
/// without a `unit` of their own and rely on their parent's; whether they must repeat it is
/// for the specs' owner to decide before it becomes a rule.
fn check_properties<'a>(resolver: &Resolver<'a>, schema: &Node<'a>, findings: &mut Findings) {
    let Some(properties) = schema.child("properties") else {
        return;
    };
    for (name, property) in properties.members() {
        if !is_camel_case(name) {
            findings.at(
                &property,
                Rule::PropertyNotCamelCase,
                format!("property `{name}` is not camelCase"),
            );
        }

        let typed = ["type", "$ref", "allOf", "oneOf", "anyOf"]
            .iter()
            .any(|key| property.value.get(*key).is_some());
        if !typed {
            findings.at(
                &property,
                Rule::UntypedProperty,
                format!("property `{name}` has no `type` (nor a `$ref` or a composition)"),
            );
        }

        // OpenAPI 3.0 ignores the siblings of a `$ref`: a referenced schema describes itself.
        let resolved = resolver.follow(property.clone());
        if resolved.is_none() {
            // The reference does not resolve, which has its own finding.
            continue;
        }
        let description = resolved
            .as_ref()
            .and_then(|resolved| resolved.value.get("description"))
            .or_else(|| property.value.get("description"))
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default();
        if description.is_empty() {
            let message = match property.reference() {
                Some(reference) => {
                    format!("property `{name}` refers to `{reference}`, which has no description")
                }
                None => format!("property `{name}` has no description"),
            };
            findings.at(&property, Rule::UndescribedProperty, message);
            continue;
        }

        let numeric = resolved
            .as_ref()
            .and_then(|resolved| resolved.value.get("type"))
            .and_then(Value::as_str)
            .is_some_and(|kind| kind == "integer" || kind == "number");
        let lower = name.to_lowercase();
        let is_quantity = QUANTITY_WORDS.iter().any(|word| lower.contains(word));
        if numeric && is_quantity && !UNITS.iter().any(|unit| description.contains(unit)) {
            findings.at(
                &property,
                Rule::QuantityWithoutUnit,
                format!(
                    "property `{name}` is a quantity whose description gives no unit (kWh, \
                     MWh/d, €/MWh, ...)"
                ),
            );
        }
    }
}

/// Decision 6: enum values in SCREAMING_SNAKE_CASE, and strings in a string enum.
fn check_enum_values(schema: &Node<'_>, findings: &mut Findings) {
    let Some(values) = schema.child("enum") else {
        return;
    };
    let is_string = schema.value.get("type").and_then(Value::as_str) == Some("string");
    for value in values.items() {
        if is_string && !value.value.is_string() {
            // YAML 1.2 reads `NULL`, `~`, `TRUE`, `false`, `1` or `0.5` unquoted as another type.
            let read_as = match value.value {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                _ => "a collection",
            };
            findings.at(
                &value,
                Rule::UnquotedEnumValue,
                format!(
                    "this value of a string enum is read as {read_as} (`{}`), not a string: the \
                     generated enum leaves it out without a word; quote it",
                    value.value
                ),
            );
            continue;
        }
        if let Some(text) = value.value.as_str()
            && !is_screaming_snake_case(text)
        {
            findings.at(
                &value,
                Rule::EnumValueNotScreamingSnakeCase,
                format!("enum value `{text}` is not SCREAMING_SNAKE_CASE"),
            );
        }
    }
}

/// `gasDay`, `pointEic`, `totalOffTakes`: a lower-case letter, then letters and digits.
fn is_camel_case(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_alphanumeric())
}

/// `CONFIRMED_OBA`, `PIR`, `OPTION_1`: upper-case words joined by single underscores.
fn is_screaming_snake_case(value: &str) -> bool {
    value.starts_with(|first: char| first.is_ascii_uppercase())
        && value.split('_').all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_is_a_lower_case_start_then_letters_and_digits() {
        for name in ["gasDay", "pointEic", "unit", "hourIndex25"] {
            assert!(is_camel_case(name), "{name}");
        }
        for name in ["GasDay", "gas_day", "gas-day", "", "2day"] {
            assert!(!is_camel_case(name), "{name}");
        }
    }

    #[test]
    fn screaming_snake_case_is_upper_case_words_and_single_underscores() {
        for value in ["PIR", "CONFIRMED_OBA", "OPTION_1", "H2"] {
            assert!(is_screaming_snake_case(value), "{value}");
        }
        for value in ["Pir", "confirmed_oba", "A__B", "_A", "A_", "1A", "A-B"] {
            assert!(!is_screaming_snake_case(value), "{value}");
        }
    }
}
