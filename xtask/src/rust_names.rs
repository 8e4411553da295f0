//! The Rust names the generated code gives to the names of a spec.
//!
//! progenitor names methods, builders and setters, typify names types, fields and variants,
//! and `open_enum.rs` names the variants of our open enums. Code that must call what they
//! generate (the CLI table) or predict a clash between two of their names (validate) has to
//! convert names exactly as they do. The two crates keep their conversion private, so it is
//! written again here, in the same steps: heck's case conversion (the version they use), after
//! the characters an identifier cannot hold become word breaks, then a prefix for a name that
//! cannot start an identifier and a trailing `_` for a keyword.

use heck::{ToPascalCase, ToSnakeCase, ToUpperCamelCase};
use unicode_ident::{is_xid_continue, is_xid_start};

/// The methods the generated `Client` has besides one per operation: its constructors, and the
/// methods of `ClientInfo` and `ClientHooks` that the generated code calls on it
/// (`Client::api_version()`, `client.pre(..)`), which a method of the same name would shadow.
pub const CLIENT_METHODS: [&str; 9] = [
    "new",
    "new_with_client",
    "api_version",
    "baseurl",
    "client",
    "inner",
    "pre",
    "exec",
    "post",
];

/// The names the generated `builder` module imports: a builder struct (the operationId in
/// PascalCase) of one of these names clashes with the import.
pub const BUILDER_MODULE_NAMES: [&str; 9] = [
    "types",
    "encode_path",
    "ByteStream",
    "ClientInfo",
    "ClientHooks",
    "Error",
    "OperationInfo",
    "RequestBuilderExt",
    "ResponseValue",
];

/// The methods of an operation's builder besides one setter per parameter.
pub const BUILDER_METHODS: [&str; 2] = ["new", "send"];

/// The field in which typify keeps the members of an object that the spec does not list
/// (`transform.rs` asks for it on every object).
pub const UNKNOWN_FIELDS_FIELD: &str = "extra";

/// The case a name is converted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// `get_daily_allocations`: methods, setters, fields.
    Snake,
    /// `DailyAllocation`: types, builders, variants.
    Pascal,
}

/// How progenitor names what it generates from a name of the spec: a method from an
/// operationId, a builder setter from a parameter name (`Case::Snake`), a builder struct
/// from an operationId (`Case::Pascal`). A name that cannot start an identifier gets a `_`.
pub fn progenitor(name: &str, case: Case) -> String {
    convert(name, case, "_")
}

/// How typify names what it generates from a name of the spec: a type from a schema name
/// (`Case::Pascal`), a field from a property name (`Case::Snake`). A name that cannot start
/// an identifier gets an `x` (`X` in PascalCase).
pub fn typify(name: &str, case: Case) -> String {
    convert(name, case, &recase("x", case))
}

/// The variant of an open enum for a value of the spec (`CONFIRMED_OBA` is `ConfirmedOba`).
/// `Value` goes before a name that cannot be a variant of its own: one that does not start
/// like an identifier (`2X`), the catch-all `Unknown` of every open enum, or `Self`.
pub fn open_enum_variant(value: &str) -> String {
    let camel: String = value
        .to_lowercase()
        .to_upper_camel_case()
        .chars()
        .filter(|c| is_xid_continue(*c))
        .collect();
    let starts_well = camel.starts_with(is_xid_start);
    if !starts_well || camel == "Unknown" || camel == "Self" {
        format!("Value{camel}")
    } else {
        camel
    }
}

fn recase(name: &str, case: Case) -> String {
    match case {
        Case::Snake => name.to_snake_case(),
        Case::Pascal => name.to_pascal_case(),
    }
}

/// The conversion progenitor and typify share; they differ in the `prefix` of a name that
/// does not start like an identifier.
fn convert(name: &str, case: Case, prefix: &str) -> String {
    let cased = match name {
        "+1" => "plus1".to_owned(),
        "-1" => "minus1".to_owned(),
        _ => {
            let words: String = name
                .chars()
                .filter(|c| *c != '\'')
                .map(|c| if is_xid_continue(c) { c } else { '-' })
                .collect();
            recase(&words, case)
        }
    };

    let cased = match cased.chars().next() {
        None => recase("x", case),
        Some(first) if is_xid_start(first) => cased,
        Some(_) => format!("{prefix}{cased}"),
    };
    if is_reserved(&cased) {
        format!("{cased}_")
    } else {
        cased
    }
}

/// The words that cannot be an identifier, as progenitor and typify list them: Rust's
/// keywords, reserved words and `gen`, whichever edition.
fn is_reserved(name: &str) -> bool {
    matches!(
        name,
        "_" | "abstract"
            | "as"
            | "async"
            | "await"
            | "become"
            | "box"
            | "break"
            | "const"
            | "continue"
            | "crate"
            | "do"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "final"
            | "fn"
            | "for"
            | "gen"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "macro"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "override"
            | "priv"
            | "pub"
            | "ref"
            | "return"
            | "Self"
            | "self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "try"
            | "type"
            | "typeof"
            | "unsafe"
            | "unsized"
            | "use"
            | "virtual"
            | "where"
            | "while"
            | "yield"
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use quote::ToTokens;

    use super::*;

    /// Every name a conversion gives must be an identifier `quote` accepts and Rust parses.
    fn assert_identifier(name: &str) {
        let parsed = syn::parse_str::<syn::Ident>(name);
        assert!(parsed.is_ok(), "`{name}` is not an identifier");
    }

    #[test]
    fn progenitor_names_start_a_digit_with_an_underscore_and_end_a_keyword_with_one() {
        assert_eq!(progenitor("9lives", Case::Snake), "_9lives");
        assert_eq!(progenitor("2ndOperator", Case::Snake), "_2nd_operator");
        assert_eq!(
            progenitor("getDailyAllocations", Case::Snake),
            "get_daily_allocations"
        );
        assert_eq!(progenitor("async", Case::Snake), "async_");
        assert_eq!(progenitor("Self", Case::Snake), "self_");
        assert_eq!(progenitor("self", Case::Pascal), "Self_");
        assert_eq!(progenitor("crate", Case::Snake), "crate_");
        assert_eq!(progenitor("super", Case::Snake), "super_");
        assert_eq!(progenitor("getRows", Case::Pascal), "GetRows");
    }

    #[test]
    fn typify_names_start_a_digit_with_an_x() {
        assert_eq!(typify("2nd", Case::Snake), "x2nd");
        assert_eq!(typify("Work/Kind", Case::Pascal), "WorkKind");
        assert_eq!(typify("Work~Kind", Case::Pascal), "WorkKind");
        assert_eq!(typify("pointNAME", Case::Snake), "point_name");
        assert_eq!(typify("type", Case::Snake), "type_");
    }

    #[test]
    fn every_conversion_of_any_name_is_an_identifier() {
        let names = [
            "9lives",
            "2ndOperator",
            "async",
            "self",
            "Self",
            "crate",
            "super",
            "",
            "_",
            "-",
            "'",
            "€",
            "A²",
            "é",
            "+1",
            "-1",
            "gen",
            "r#type",
            "a b",
            "中文",
        ];

        for name in names {
            for case in [Case::Snake, Case::Pascal] {
                assert_identifier(&progenitor(name, case));
                assert_identifier(&typify(name, case));
            }
            assert_identifier(&open_enum_variant(name));
        }
    }

    #[test]
    fn open_enum_variants_are_pascal_case_and_prefix_what_cannot_stand_alone() {
        assert_eq!(open_enum_variant("CONFIRMED_OBA"), "ConfirmedOba");
        assert_eq!(open_enum_variant("OPTION_1"), "Option1");
        assert_eq!(open_enum_variant("OPTION1"), "Option1");
        assert_eq!(open_enum_variant("2X"), "Value2x");
        assert_eq!(open_enum_variant("UNKNOWN"), "ValueUnknown");
        assert_eq!(open_enum_variant("SELF"), "ValueSelf");
        assert_eq!(open_enum_variant("€"), "Value");
    }

    /// The names of the generated code that the rules compare with: a new version of
    /// progenitor that adds a method to `Client` or an import to `builder` fails this test.
    #[test]
    fn the_client_and_builder_names_are_those_of_a_generated_crate() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../crates/ingrid-allocations/src/generated.rs");
        let source = std::fs::read_to_string(path).unwrap();
        let file = syn::parse_file(&source).unwrap();

        let mut client_methods = BTreeSet::new();
        let mut builder_imports = BTreeSet::new();
        for item in &file.items {
            match item {
                syn::Item::Impl(block)
                    if block.self_ty.to_token_stream().to_string() == "Client" =>
                {
                    for function in block.items.iter().filter_map(|item| match item {
                        syn::ImplItem::Fn(function) => Some(function),
                        _ => None,
                    }) {
                        let output = function.sig.output.to_token_stream().to_string();
                        // One method per operation returns its builder.
                        if !output.contains("builder ::") {
                            client_methods.insert(function.sig.ident.to_string());
                        }
                    }
                }
                syn::Item::Mod(module) if module.ident == "builder" => {
                    for item in &module.content.as_ref().unwrap().1 {
                        if let syn::Item::Use(import) = item {
                            collect_names(&import.tree, &mut builder_imports);
                        }
                    }
                }
                _ => {}
            }
        }

        let known: BTreeSet<String> = CLIENT_METHODS.iter().map(|name| name.to_string()).collect();
        assert!(client_methods.is_subset(&known), "{client_methods:?}");
        assert!(source.contains("client.post(&result, &info)"));
        let expected: BTreeSet<String> = BUILDER_MODULE_NAMES
            .iter()
            .map(|name| name.to_string())
            .collect();
        assert_eq!(builder_imports, expected);
        for method in BUILDER_METHODS {
            assert!(
                source.contains(&format!("pub fn {method}("))
                    || source.contains(&format!("pub async fn {method}(")),
                "{method}"
            );
        }
    }

    fn collect_names(tree: &syn::UseTree, names: &mut BTreeSet<String>) {
        match tree {
            syn::UseTree::Path(path) => collect_names(&path.tree, names),
            syn::UseTree::Name(name) => {
                names.insert(name.ident.to_string());
            }
            syn::UseTree::Group(group) => {
                group
                    .items
                    .iter()
                    .for_each(|tree| collect_names(tree, names));
            }
            syn::UseTree::Rename(_) | syn::UseTree::Glob(_) => {}
        }
    }
}
