//! Forward-compatible enums for the string enumerations of the specs.
//!
//! typify turns a string `enum` into a closed Rust enum, and a closed enum fails the whole
//! response when GRTgaz adds a value. We replace every such schema by an invocation of
//! `ingrid_types::open_enum!`, whose enum keeps any unlisted value in an `Unknown` variant.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::rust_names::{self, Case};

/// A string enumeration found in a spec's `components.schemas`.
#[derive(Debug, Clone)]
pub struct OpenEnum {
    /// The schema's name in the spec.
    pub name: String,
    /// The name of its Rust type, as typify would name the schema.
    pub rust_name: String,
    pub description: Option<String>,
    pub values: Vec<String>,
}

impl OpenEnum {
    /// Every `type: string` schema with an `enum` in `components.schemas` of `spec`.
    pub fn all_in(spec: &Value) -> Vec<OpenEnum> {
        let Some(schemas) = spec
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        else {
            return Vec::new();
        };
        schemas
            .iter()
            .filter_map(|(name, schema)| Self::from_schema(name, schema))
            .collect()
    }

    fn from_schema(name: &str, schema: &Value) -> Option<OpenEnum> {
        if schema.get("type").and_then(Value::as_str) != Some("string") {
            return None;
        }
        let values = schema.get("enum")?.as_array()?;
        // A value YAML reads as another type (`NULL`, `TRUE`, `1`) is left out here; validate
        // reports it (`unquoted-enum-value`).
        Some(OpenEnum {
            name: name.to_owned(),
            rust_name: rust_names::typify(name, Case::Pascal),
            description: schema
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned),
            values: values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        })
    }

    /// The `open_enum!` invocation; `macro_path` is how the generated file reaches the macro.
    pub fn to_tokens(&self, macro_path: &TokenStream) -> TokenStream {
        let name = format_ident!("{}", self.rust_name);
        let doc = self
            .description
            .as_deref()
            .map(|text| text.trim().to_owned())
            .unwrap_or_else(|| format!("The `{}` enumeration of the spec.", self.name));
        let variants = self.values.iter().map(|value| {
            let variant = variant_ident(value);
            let variant_doc = format!("`{value}`");
            quote! {
                #[doc = #variant_doc]
                #variant = #value,
            }
        });

        quote! {
            #macro_path! {
                #[doc = #doc]
                pub enum #name {
                    #(#variants)*
                }
            }
        }
    }
}

fn variant_ident(value: &str) -> proc_macro2::Ident {
    format_ident!("{}", rust_names::open_enum_variant(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_are_pascal_case_and_keep_the_wire_value() {
        let schema =
            serde_json::json!({"type": "string", "enum": ["CONFIRMED_OBA", "H", "2X", "UNKNOWN"]});
        let open_enum = OpenEnum::from_schema("Method", &schema).unwrap();

        let tokens = open_enum
            .to_tokens(&quote!(::ingrid_types::open_enum))
            .to_string();

        assert!(
            tokens.contains("ConfirmedOba = \"CONFIRMED_OBA\""),
            "{tokens}"
        );
        assert!(tokens.contains("H = \"H\""), "{tokens}");
        assert!(tokens.contains("Value2x = \"2X\""), "{tokens}");
        assert!(tokens.contains("ValueUnknown = \"UNKNOWN\""), "{tokens}");
    }

    #[test]
    fn a_keyword_value_and_a_schema_name_that_is_no_identifier_still_make_an_enum() {
        let schema = serde_json::json!({"type": "string", "enum": ["SELF", "CRATE"]});
        let open_enum = OpenEnum::from_schema("Work/Kind", &schema).unwrap();

        let tokens = open_enum
            .to_tokens(&quote!(::ingrid_types::open_enum))
            .to_string();

        assert!(tokens.contains("pub enum WorkKind"), "{tokens}");
        assert!(tokens.contains("ValueSelf = \"SELF\""), "{tokens}");
        assert!(tokens.contains("Crate = \"CRATE\""), "{tokens}");
    }
}
