//! One test per rule: a small edit to the valid fixture of `xtask/tests/fixtures/valid`, and
//! exactly that rule firing at the file, line and pointer of the edit.

use std::collections::BTreeSet;
use std::path::Path;

use super::*;

const OPERATION: &str = "/paths/~1v1~1demo~1rows/get";

fn fixture(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/valid")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// `text` with `from` replaced by `to` once; `from` must be there, so that a fixture edit that
/// no longer applies fails the test instead of testing the valid fixture.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "the fixture has no {from:?}");
    text.replacen(from, to, 1)
}

/// The 1-based line of the first line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("no line contains {needle:?}"))
        + 1
}

fn check_sources(common: &str, demo: &str) -> Vec<Finding> {
    let folder =
        SpecFolder::from_sources("fixtures", [("common.yaml", common), ("demo.yaml", demo)]);
    check(&folder, &BTreeSet::new())
}

fn check_demo(demo: &str) -> Vec<Finding> {
    check_sources(&fixture("common.yaml"), demo)
}

/// Asserts that `findings` is exactly one finding of `rule` in `file` at `pointer`, and
/// returns it for more checks.
fn single(findings: &[Finding], rule: Rule, file: &str, pointer: &str) -> Finding {
    let summary: Vec<String> = findings
        .iter()
        .map(|finding| format!("{} {} {}", finding.rule, finding.file, finding.pointer))
        .collect();
    assert_eq!(
        summary,
        [format!("{rule} {file} {pointer}")],
        "{findings:#?}"
    );
    findings[0].clone()
}

/// The pointers of the unused-component findings, and the other findings.
fn split_unused(findings: Vec<Finding>) -> (Vec<String>, Vec<Finding>) {
    let (unused, others): (Vec<Finding>, Vec<Finding>) = findings
        .into_iter()
        .partition(|finding| finding.rule == Rule::UnusedComponent);
    let pointers = unused.into_iter().map(|finding| finding.pointer).collect();
    (pointers, others)
}

/// Appends a second operation at `path` with `operation_id`, a copy of the fixture's one.
fn with_second_operation(demo: &str, path: &str, operation_id: &str) -> String {
    let start = demo.find("  /v1/demo/rows:\n").unwrap();
    let end = demo.find("components:\n").unwrap();
    let copy = demo[start..end]
        .replacen("/v1/demo/rows", path, 1)
        .replacen(
            "operationId: getRows",
            &format!("operationId: {operation_id}"),
            1,
        );
    format!("{}{copy}{}", &demo[..end], &demo[end..])
}

#[test]
fn the_valid_fixture_has_no_finding() {
    let findings = check_demo(&fixture("demo.yaml"));

    assert_eq!(findings, []);
}

#[test]
fn invalid_yaml_is_reported_with_its_line_and_the_other_files_are_still_checked() {
    let demo = edit(
        &fixture("demo.yaml"),
        "operationId: getRows",
        "operationId: [getRows",
    );
    let common = edit(&fixture("common.yaml"), "openapi: 3.0.3", "openapi: 3.1.0");

    let findings = check_sources(&common, &demo);

    let rules: Vec<(Rule, &str)> = findings
        .iter()
        .map(|finding| (finding.rule, finding.file.as_str()))
        .collect();
    assert_eq!(
        rules,
        [
            (Rule::OpenApiVersion, "common.yaml"),
            (Rule::InvalidYaml, "demo.yaml")
        ]
    );
    let syntax = &findings[1];
    assert!(
        syntax.line >= Some(line_of(&demo, "[getRows")),
        "{syntax:?}"
    );
}

#[test]
fn a_spec_that_is_not_a_mapping_is_reported() {
    let findings = check_sources(&fixture("common.yaml"), "- openapi: 3.0.3\n");

    let rules: Vec<(Rule, &str)> = findings
        .iter()
        .map(|finding| (finding.rule, finding.file.as_str()))
        .collect();
    assert_eq!(rules, [(Rule::InvalidYaml, "demo.yaml")]);
}

#[test]
fn a_key_written_twice_is_reported_at_its_second_line_and_the_file_is_still_checked() {
    let demo = edit(
        &fixture("demo.yaml"),
        "      summary: The rows of a contract.\n",
        "      summary: The rows of a contract.\n      operationId: getRowsAgain\n",
    );

    let findings = check_demo(&demo);

    let finding = single(
        &findings,
        Rule::DuplicateKey,
        "demo.yaml",
        &format!("{OPERATION}/operationId"),
    );
    assert_eq!(finding.line, Some(line_of(&demo, "getRowsAgain")));
    assert!(
        finding.message.contains("after line 12"),
        "{}",
        finding.message
    );
}

#[test]
fn a_merge_key_is_reported_at_its_line() {
    let demo = edit(
        &fixture("demo.yaml"),
        "      description: Maturity of the row.\n",
        "      description: Maturity of the row.\n      <<: {example: FINAL}\n",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::MergeKey,
        "demo.yaml",
        "/components/schemas/RowStatus/<<",
    );

    assert_eq!(finding.line, Some(line_of(&demo, "<<:")));
}

#[test]
fn a_byte_order_mark_is_no_problem() {
    let demo = format!("\u{feff}{}", fixture("demo.yaml"));

    let findings = check_demo(&demo);

    assert_eq!(findings, []);
}

#[test]
fn a_file_that_is_not_utf8_is_a_finding_and_the_others_are_still_checked() {
    let dir = std::env::temp_dir().join(format!("xtask-not-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let common = edit(&fixture("common.yaml"), "openapi: 3.0.3", "openapi: 3.1.0");
    std::fs::write(dir.join("common.yaml"), common).unwrap();
    let mut demo = fixture("demo.yaml").into_bytes();
    demo.extend(b"# caf\xe9\n");
    std::fs::write(dir.join("demo.yaml"), demo).unwrap();

    let folder = SpecFolder::load(&dir, "fixtures");

    std::fs::remove_dir_all(&dir).unwrap();
    let findings = check(&folder.unwrap(), &BTreeSet::new());
    let rules: Vec<(Rule, &str, Option<usize>)> = findings
        .iter()
        .map(|finding| (finding.rule, finding.file.as_str(), finding.line))
        .collect();
    let last_line = fixture("demo.yaml").lines().count() + 1;
    assert_eq!(
        rules,
        [
            (Rule::OpenApiVersion, "common.yaml", Some(1)),
            (Rule::InvalidYaml, "demo.yaml", Some(last_line)),
        ]
    );
    assert!(findings[1].message.contains("not UTF-8"), "{findings:#?}");
}

#[test]
fn openapi_3_1_is_refused() {
    let demo = edit(&fixture("demo.yaml"), "openapi: 3.0.3", "openapi: 3.1.0");

    let finding = single(
        &check_demo(&demo),
        Rule::OpenApiVersion,
        "demo.yaml",
        "/openapi",
    );

    assert_eq!(finding.line, Some(1));
    assert!(finding.message.contains("3.1.0"), "{}", finding.message);
}

#[test]
fn a_reference_that_does_not_resolve_is_located_at_its_ref() {
    let demo = edit(
        &fixture("demo.yaml"),
        "$ref: '#/components/schemas/RowStatus'",
        "$ref: '#/components/schemas/RowState'",
    );

    let findings = check_demo(&demo);

    let (unused, findings) = split_unused(findings);
    let finding = single(
        &findings,
        Rule::UnresolvedReference,
        "demo.yaml",
        "/components/schemas/Row/properties/status/$ref",
    );
    assert_eq!(finding.line, Some(line_of(&demo, "RowState")));
    assert!(
        finding.message.contains("has no schema `RowState`"),
        "{}",
        finding.message
    );
    // The schema the reference meant is now used by nothing: a hint at the typo.
    assert_eq!(unused, ["/components/schemas/RowStatus"]);
}

#[test]
fn a_reference_into_another_file_is_followed() {
    let demo = edit(
        &fixture("demo.yaml"),
        "        direction:\n          $ref: 'common.yaml#/components/schemas/Direction'",
        "        direction:\n          $ref: 'common.yaml#/components/schemas/Directions'",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::UnresolvedReference,
        "demo.yaml",
        "/components/schemas/Row/properties/direction/$ref",
    );

    assert!(
        finding
            .message
            .contains("`common.yaml` has no schema `Directions`")
    );
}

#[test]
fn a_reference_to_a_missing_file_names_it() {
    let demo = edit(
        &fixture("demo.yaml"),
        "$ref: 'common.yaml#/components/parameters/ContractCode'",
        "$ref: 'shared.yaml#/components/parameters/ContractCode'",
    );

    let findings = check_demo(&demo);

    let unresolved: Vec<&Finding> = findings
        .iter()
        .filter(|finding| finding.rule == Rule::UnresolvedReference)
        .collect();
    assert_eq!(unresolved.len(), 1, "{findings:#?}");
    assert!(unresolved[0].message.contains("no spec file `shared.yaml`"));
}

#[test]
fn an_all_of_that_refers_to_itself_is_a_cycle() {
    let demo = with_row_property("loop", "{$ref: '#/components/schemas/Loop'}");
    let demo = edit(
        &demo,
        "    RowStatus:\n",
        "    Loop:\n      description: A loop.\n      allOf: [{$ref: \
         '#/components/schemas/Loop'}]\n    RowStatus:\n",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::ReferenceCycle,
        "demo.yaml",
        "/components/schemas/Loop/allOf/0/$ref",
    );

    assert_eq!(finding.line, Some(line_of(&demo, "allOf: [{$ref")));
    assert!(
        finding.message.contains("(`Loop` → `Loop`)"),
        "{}",
        finding.message
    );
}

#[test]
fn schemas_that_are_references_to_each_other_are_a_cycle() {
    let demo = with_row_property("loop", "{$ref: '#/components/schemas/LoopA'}");
    let demo = edit(
        &demo,
        "    RowStatus:\n",
        "    LoopA: {$ref: '#/components/schemas/LoopB'}\n    LoopB: {$ref: \
         '#/components/schemas/LoopA'}\n    RowStatus:\n",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::ReferenceCycle,
        "demo.yaml",
        "/components/schemas/LoopB/$ref",
    );

    assert!(
        finding.message.contains("(`LoopA` → `LoopB` → `LoopA`)"),
        "{}",
        finding.message
    );
}

#[test]
fn a_schema_that_nests_itself_in_a_property_is_no_cycle() {
    let demo = with_row_property(
        "parts",
        "{type: array, description: The rows it is made of., items: {$ref: \
         '#/components/schemas/Row'}}",
    );

    assert_eq!(check_demo(&demo), []);
}

#[test]
fn an_operation_without_operation_id_is_reported() {
    let demo = edit(&fixture("demo.yaml"), "      operationId: getRows\n", "");

    let finding = single(
        &check_demo(&demo),
        Rule::MissingOperationId,
        "demo.yaml",
        OPERATION,
    );

    assert_eq!(finding.line, Some(line_of(&demo, "    get:")));
}

#[test]
fn operation_ids_equal_in_snake_case_clash() {
    let demo = with_second_operation(&fixture("demo.yaml"), "/v1/demo/rows-again", "get_rows");

    let finding = single(
        &check_demo(&demo),
        Rule::OperationIdClash,
        "demo.yaml",
        "/paths/~1v1~1demo~1rows-again/get/operationId",
    );

    assert_eq!(finding.line, Some(line_of(&demo, "operationId: get_rows")));
}

#[test]
fn an_operation_id_that_is_a_method_of_the_client_clashes() {
    let demo = with_second_operation(&fixture("demo.yaml"), "/v1/demo/news", "new");

    let finding = single(
        &check_demo(&demo),
        Rule::RustNameClash,
        "demo.yaml",
        "/paths/~1v1~1demo~1news/get/operationId",
    );

    assert!(
        finding.message.contains("`Client::new`"),
        "{}",
        finding.message
    );
}

#[test]
fn an_operation_id_whose_builder_is_an_import_of_the_builder_module_clashes() {
    let demo = with_second_operation(&fixture("demo.yaml"), "/v1/demo/errors", "error");

    let finding = single(
        &check_demo(&demo),
        Rule::RustNameClash,
        "demo.yaml",
        "/paths/~1v1~1demo~1errors/get/operationId",
    );

    assert!(
        finding.message.contains("`builder::Error`"),
        "{}",
        finding.message
    );
}

#[test]
fn parameters_with_one_setter_name_clash() {
    let demo = with_parameter(
        "{name: pointName, in: query, description: A point., schema: {type: string}}\n        - \
         {name: pointNAME, in: query, description: A point., schema: {type: string}}\n        - \
         {name: send, in: query, description: A flag., schema: {type: string}}",
    );

    let findings = check_demo(&demo);

    let pointers: Vec<(Rule, &str)> = findings
        .iter()
        .map(|finding| (finding.rule, finding.pointer.as_str()))
        .collect();
    let clash = Rule::RustNameClash;
    assert_eq!(
        pointers,
        [
            (clash, &*format!("{OPERATION}/parameters/3")),
            (clash, &*format!("{OPERATION}/parameters/4")),
        ],
        "{findings:#?}"
    );
    assert!(
        findings[0].message.contains("`point_name`"),
        "{findings:#?}"
    );
    assert!(findings[1].message.contains("own `send`"), "{findings:#?}");
}

#[test]
fn properties_with_one_field_name_clash() {
    let demo = with_row_property("pointName", "{type: string, description: A point.}");
    let demo = with_row_property_in(&demo, "pointNAME", "{type: string, description: A point.}");

    let finding = single(
        &check_demo(&demo),
        Rule::RustNameClash,
        "demo.yaml",
        "/components/schemas/Row/properties/pointName",
    );

    assert!(
        finding.message.contains("`pointNAME`"),
        "{}",
        finding.message
    );
}

#[test]
fn a_property_named_like_the_field_of_unknown_members_clashes() {
    let demo = with_row_property("extra", "{type: string, description: Something more.}");

    single(
        &check_demo(&demo),
        Rule::RustNameClash,
        "demo.yaml",
        "/components/schemas/Row/properties/extra",
    );
}

#[test]
fn enum_values_with_one_variant_name_clash() {
    let demo = edit(
        &fixture("demo.yaml"),
        "enum: [PROVISIONAL, FINAL]",
        "enum: [PROVISIONAL, FINAL, OPTION_1, OPTION1]",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::RustNameClash,
        "demo.yaml",
        "/components/schemas/RowStatus/enum/3",
    );

    assert!(finding.message.contains("`Option1`"), "{}", finding.message);
}

#[test]
fn schema_names_with_one_type_name_clash() {
    let demo = with_row_property("kind", "{$ref: '#/components/schemas/Work~1Kind'}");
    let demo = with_row_property_in(&demo, "other", "{$ref: '#/components/schemas/Work~0Kind'}");
    let demo = edit(
        &demo,
        "    RowStatus:\n",
        "    Work/Kind: {type: string, description: A kind., enum: [LONG]}\n    Work~Kind: \
         {type: string, description: A kind., enum: [SHORT]}\n    RowStatus:\n",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::RustNameClash,
        "demo.yaml",
        "/components/schemas/Work~0Kind",
    );

    assert!(
        finding.message.contains("`WorkKind`"),
        "{}",
        finding.message
    );
}

#[test]
fn two_paths_that_end_alike_clash_in_the_cli() {
    let demo = with_second_operation(&fixture("demo.yaml"), "/v1/demo/other/rows", "getOtherRows");

    // The CLI's table lists the paths in order: `/v1/demo/rows` is the one it cannot reach.
    let finding = single(
        &check_demo(&demo),
        Rule::CliCommandClash,
        "demo.yaml",
        OPERATION,
    );

    assert!(
        finding.message.contains("`ingrid <domain> rows`"),
        "{}",
        finding.message
    );
}

#[test]
fn a_default_response_with_another_body_beside_a_success_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "        '400':\n",
        "        default:\n          description: Any error.\n          content:\n            \
         application/json:\n              schema: {type: integer}\n        '400':\n",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::SuccessBesideDefault,
        "demo.yaml",
        &format!("{OPERATION}/responses/default"),
    );

    assert_eq!(finding.line, Some(line_of(&demo, "default:")));
}

#[test]
fn a_second_success_body_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "        '400':\n",
        "        '204':\n          description: No rows.\n        '400':\n",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::SeveralSuccessBodies,
        "demo.yaml",
        &format!("{OPERATION}/responses/204"),
    );

    assert_eq!(finding.line, Some(line_of(&demo, "'204':")));
}

#[test]
fn two_request_media_types_are_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "      responses:\n",
        "      requestBody:\n        content:\n          application/json: {schema: {type: \
         string}}\n          text/plain: {schema: {type: string}}\n      responses:\n",
    );

    single(
        &check_demo(&demo),
        Rule::SeveralRequestMediaTypes,
        "demo.yaml",
        &format!("{OPERATION}/requestBody/content"),
    );
}

/// A third parameter of the fixture's operation, written as YAML flow mappings.
fn with_parameter(parameter: &str) -> String {
    edit(
        &fixture("demo.yaml"),
        "      responses:\n",
        &format!("        - {parameter}\n      responses:\n"),
    )
}

#[test]
fn an_object_query_parameter_is_reported() {
    let demo = with_parameter(
        "{name: filter, in: query, description: A filter., schema: {type: object, properties: \
         {point: {type: string, description: A point.}}}}",
    );

    single(
        &check_demo(&demo),
        Rule::ObjectQueryParameter,
        "demo.yaml",
        &format!("{OPERATION}/parameters/2/schema"),
    );
}

#[test]
fn a_deep_object_parameter_is_reported() {
    let demo = with_parameter(
        "{name: point, in: query, style: deepObject, description: A point., schema: {type: \
         string}}",
    );

    single(
        &check_demo(&demo),
        Rule::DeepObjectParameter,
        "demo.yaml",
        &format!("{OPERATION}/parameters/2/style"),
    );
}

#[test]
fn explode_false_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "          required: false\n",
        "          required: false\n          explode: false\n",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::ExplodeFalse,
        "demo.yaml",
        &format!("{OPERATION}/parameters/1/explode"),
    );

    assert_eq!(finding.line, Some(line_of(&demo, "explode: false")));
}

#[test]
fn a_query_parameter_named_like_a_schema_it_does_not_use_is_reported() {
    let demo =
        with_parameter("{name: row, in: query, description: A row., schema: {type: string}}");

    let finding = single(
        &check_demo(&demo),
        Rule::ParameterTypeName,
        "demo.yaml",
        &format!("{OPERATION}/parameters/2/name"),
    );

    assert!(finding.message.contains("`Row`"), "{}", finding.message);
}

#[test]
fn a_date_time_path_parameter_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "  /v1/demo/rows:",
        "  /v1/demo/rows/{from}:",
    );
    let demo = edit(
        &demo,
        "      responses:\n",
        "        - {name: from, in: path, required: true, description: Start., schema: {type: \
         string, format: date-time}}\n      responses:\n",
    );

    single(
        &check_demo(&demo),
        Rule::DateTimeOutsideQuery,
        "demo.yaml",
        "/paths/~1v1~1demo~1rows~1{from}/get/parameters/2/schema",
    );
}

#[test]
fn a_one_of_in_a_response_is_reported() {
    let demo = with_row_property(
        "value",
        "{description: A number or a text., oneOf: [{type: integer}, {type: string}]}",
    );

    single(
        &check_demo(&demo),
        Rule::OneOfInResponse,
        "demo.yaml",
        "/components/schemas/Row/properties/value/oneOf",
    );
}

#[test]
fn a_one_of_with_a_discriminator_is_reported_too() {
    let demo = with_row_property(
        "value",
        "{description: A number or a text., oneOf: [{type: object, properties: {kind: {type: \
         string, description: The kind.}}}, {type: object, properties: {kind: {type: string, \
         description: The kind.}}}], discriminator: {propertyName: kind}}",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::OneOfInResponse,
        "demo.yaml",
        "/components/schemas/Row/properties/value/oneOf",
    );

    assert!(
        finding.message.contains("does not change that"),
        "{}",
        finding.message
    );
}

#[test]
fn nullable_on_a_named_enum_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "      description: Maturity of the row.\n",
        "      description: Maturity of the row.\n      nullable: true\n",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::NullableNamedSchema,
        "demo.yaml",
        "/components/schemas/RowStatus/nullable",
    );

    assert_eq!(
        finding.line,
        Some(line_of(&demo, "Maturity of the row.") + 1)
    );
}

#[test]
fn an_enum_value_yaml_reads_as_another_type_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "enum: [PROVISIONAL, FINAL]",
        "enum: [PROVISIONAL, FINAL, NULL, TRUE, 2]",
    );

    let findings = check_demo(&demo);

    let pointers: Vec<(Rule, &str)> = findings
        .iter()
        .map(|finding| (finding.rule, finding.pointer.as_str()))
        .collect();
    let unquoted = Rule::UnquotedEnumValue;
    assert_eq!(
        pointers,
        [
            (unquoted, "/components/schemas/RowStatus/enum/2"),
            (unquoted, "/components/schemas/RowStatus/enum/3"),
            (unquoted, "/components/schemas/RowStatus/enum/4"),
        ]
    );
    assert!(
        findings[0].message.contains("read as null"),
        "{}",
        findings[0].message
    );
}

#[test]
fn additional_properties_false_in_a_response_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "      required: [gasDay, direction, allocatedQuantity, status]\n",
        "      required: [gasDay, direction, allocatedQuantity, status]\n      \
         additionalProperties: false\n",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::ClosedObject,
        "demo.yaml",
        "/components/schemas/Row/additionalProperties",
    );

    assert_eq!(
        finding.line,
        Some(line_of(&demo, "additionalProperties: false"))
    );
}

/// The fixture's `Row` with one more property, written as a YAML flow mapping.
fn with_row_property(name: &str, schema: &str) -> String {
    with_row_property_in(&fixture("demo.yaml"), name, schema)
}

/// `demo` with one more property in `Row`, after `status`.
fn with_row_property_in(demo: &str, name: &str, schema: &str) -> String {
    edit(
        demo,
        "        status:\n          $ref: '#/components/schemas/RowStatus'\n",
        &format!(
            "        status:\n          $ref: '#/components/schemas/RowStatus'\n        {name}: \
             {schema}\n"
        ),
    )
}

#[test]
fn an_inline_enum_in_a_response_is_reported() {
    let demo = with_row_property(
        "method",
        "{type: string, description: How it was measured., enum: [MEASURED]}",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::ClosedEnum,
        "demo.yaml",
        "/components/schemas/Row/properties/method/enum",
    );

    assert!(finding.message.contains("inline"), "{}", finding.message);
}

#[test]
fn a_non_string_enum_in_a_response_is_reported() {
    let demo = with_row_property(
        "level",
        "{type: integer, format: int32, description: Alert level., enum: [1, 2]}",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::ClosedEnum,
        "demo.yaml",
        "/components/schemas/Row/properties/level/enum",
    );

    assert!(finding.message.contains("integer"), "{}", finding.message);
}

#[test]
fn an_inline_enum_in_a_parameter_is_reported() {
    let demo = with_parameter(
        "{name: side, in: query, description: A side., schema: {type: string, enum: [LONG]}}",
    );

    single(
        &check_demo(&demo),
        Rule::ClosedEnum,
        "demo.yaml",
        &format!("{OPERATION}/parameters/2/schema/enum"),
    );
}

#[test]
fn a_path_outside_the_domain_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "  /v1/demo/rows:",
        "  /v1/other/rows:",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::PathOutsideDomain,
        "demo.yaml",
        "/paths/~1v1~1other~1rows",
    );

    assert!(finding.message.contains("/v1/demo/"), "{}", finding.message);
}

#[test]
fn an_operation_without_contract_code_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "        - $ref: 'common.yaml#/components/parameters/ContractCode'\n",
        "",
    );

    let (unused, findings) = split_unused(check_demo(&demo));

    single(&findings, Rule::MissingContractCode, "demo.yaml", OPERATION);
    assert_eq!(
        unused,
        [
            "/components/parameters/ContractCode",
            "/components/schemas/ContractCode"
        ]
    );
}

#[test]
fn an_optional_contract_code_is_reported_where_it_is_declared() {
    let common = edit(
        &fixture("common.yaml"),
        "      required: true\n",
        "      required: false\n",
    );

    single(
        &check_sources(&common, &fixture("demo.yaml")),
        Rule::MissingContractCode,
        "common.yaml",
        "/components/parameters/ContractCode",
    );
}

#[test]
fn an_operation_without_security_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "      operationId: getRows\n",
        "      operationId: getRows\n      security: []\n",
    );

    single(
        &check_demo(&demo),
        Rule::MissingSecurity,
        "demo.yaml",
        &format!("{OPERATION}/security"),
    );
}

#[test]
fn an_empty_security_requirement_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "  - ingridProduction: []\n",
        "  - ingridProduction: []\n  - {}\n",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::MissingSecurity,
        "demo.yaml",
        "/security/1",
    );

    assert!(
        finding.message.contains("without authentication"),
        "{}",
        finding.message
    );
}

#[test]
fn a_security_requirement_naming_an_undeclared_scheme_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "  - ingridProduction: []\n",
        "  - ingridProduction: []\n  - ingridStaging: []\n",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::MissingSecurity,
        "demo.yaml",
        "/security/1",
    );

    assert!(
        finding.message.contains("ingridStaging"),
        "{}",
        finding.message
    );
}

#[test]
fn an_operation_without_a_json_success_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "            application/json:\n              schema:\n                $ref: \
         '#/components/schemas/RowList'",
        "            text/csv:\n              schema:\n                $ref: \
         '#/components/schemas/RowList'",
    );

    single(
        &check_demo(&demo),
        Rule::MissingJsonSuccess,
        "demo.yaml",
        &format!("{OPERATION}/responses/200"),
    );
}

#[test]
fn a_missing_problem_response_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "        '404':\n          $ref: 'common.yaml#/components/responses/Problem'\n",
        "",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::MissingProblemResponse,
        "demo.yaml",
        &format!("{OPERATION}/responses"),
    );

    assert!(finding.message.contains("404"), "{}", finding.message);
}

#[test]
fn an_error_response_without_a_problem_body_is_reported_for_each_status() {
    let common = edit(
        &fixture("common.yaml"),
        "        application/problem+json:\n",
        "        application/json:\n",
    );

    let findings = check_sources(&common, &fixture("demo.yaml"));

    let statuses: Vec<&str> = findings
        .iter()
        .map(|finding| {
            assert_eq!(finding.rule, Rule::MissingProblemResponse);
            finding.pointer.rsplit('/').next().unwrap()
        })
        .collect();
    assert_eq!(statuses, ["400", "401", "403", "404", "429", "500"]);
}

#[test]
fn a_property_that_is_not_camel_case_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "        gasDay:\n",
        "        gas_day:\n",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::PropertyNotCamelCase,
        "demo.yaml",
        "/components/schemas/Row/properties/gas_day",
    );

    assert_eq!(finding.line, Some(line_of(&demo, "gas_day:")));
}

#[test]
fn an_enum_value_that_is_not_screaming_snake_case_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "enum: [PROVISIONAL, FINAL]",
        "enum: [PROVISIONAL, Final]",
    );
    let demo = edit(&demo, "status: FINAL", "status: Final");

    let finding = single(
        &check_demo(&demo),
        Rule::EnumValueNotScreamingSnakeCase,
        "demo.yaml",
        "/components/schemas/RowStatus/enum/1",
    );

    assert!(finding.message.contains("`Final`"), "{}", finding.message);
}

#[test]
fn a_property_without_a_type_is_reported() {
    let demo = with_row_property("note", "{description: A free note.}");

    single(
        &check_demo(&demo),
        Rule::UntypedProperty,
        "demo.yaml",
        "/components/schemas/Row/properties/note",
    );
}

#[test]
fn a_property_without_a_description_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "          description: The gas day, labelled by the date on which it starts.\n",
        "",
    );

    single(
        &check_demo(&demo),
        Rule::UndescribedProperty,
        "demo.yaml",
        "/components/schemas/Row/properties/gasDay",
    );
}

#[test]
fn a_property_referring_to_an_undescribed_schema_is_reported() {
    let common = edit(
        &fixture("common.yaml"),
        "      description: Flow direction at a point.\n",
        "",
    );

    let finding = single(
        &check_sources(&common, &fixture("demo.yaml")),
        Rule::UndescribedProperty,
        "demo.yaml",
        "/components/schemas/Row/properties/direction",
    );

    assert!(finding.message.contains("Direction"), "{}", finding.message);
}

#[test]
fn a_quantity_without_its_unit_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "Energy allocated for the gas day, in kWh.",
        "Energy allocated for the gas day.",
    );

    single(
        &check_demo(&demo),
        Rule::QuantityWithoutUnit,
        "demo.yaml",
        "/components/schemas/Row/properties/allocatedQuantity",
    );
}

#[test]
fn an_example_outside_its_enum_is_located_at_the_wrong_value() {
    let demo = edit(
        &fixture("demo.yaml"),
        "direction: ENTRY",
        "direction: SIDEWAYS",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::InvalidExample,
        "demo.yaml",
        &format!("{OPERATION}/responses/200/content/application~1json/example/data/0/direction"),
    );

    assert_eq!(finding.line, Some(line_of(&demo, "SIDEWAYS")));
    assert!(finding.message.contains("SIDEWAYS"), "{}", finding.message);
}

#[test]
fn an_example_that_is_not_a_date_fails_its_format() {
    let demo = edit(
        &fixture("demo.yaml"),
        "          example: '2025-01-15'",
        "          example: '2025-02-30'",
    );

    single(
        &check_demo(&demo),
        Rule::InvalidExample,
        "demo.yaml",
        "/components/schemas/Row/properties/gasDay/example",
    );
}

#[test]
fn an_example_missing_a_required_member_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "                    allocatedQuantity: null\n",
        "",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::InvalidExample,
        "demo.yaml",
        &format!("{OPERATION}/responses/200/content/application~1json/example/data/1"),
    );

    assert!(
        finding.message.contains("allocatedQuantity"),
        "{}",
        finding.message
    );
}

#[test]
fn a_null_example_of_a_property_that_is_not_nullable_is_reported() {
    let demo = edit(&fixture("demo.yaml"), "          nullable: true\n", "");

    single(
        &check_demo(&demo),
        Rule::InvalidExample,
        "demo.yaml",
        &format!(
            "{OPERATION}/responses/200/content/application~1json/example/data/1/allocatedQuantity"
        ),
    );
}

#[test]
fn a_component_nothing_references_is_reported() {
    let demo = edit(
        &fixture("demo.yaml"),
        "    RowStatus:\n",
        "    Unused:\n      type: string\n      description: Nothing uses it.\n    RowStatus:\n",
    );

    let finding = single(
        &check_demo(&demo),
        Rule::UnusedComponent,
        "demo.yaml",
        "/components/schemas/Unused",
    );

    assert_eq!(finding.line, Some(line_of(&demo, "Unused:")));
}

#[test]
fn a_component_only_an_unused_component_references_is_unused_too() {
    let common = edit(
        &fixture("common.yaml"),
        "    Direction:\n",
        "    Leftover:\n      type: object\n      description: Nothing uses it.\n\
         \x20     properties:\n        title:\n          $ref: '#/components/schemas/Title'\n\
         \x20   Title:\n      type: string\n      description: A title.\n    Direction:\n",
    );

    let findings = check_sources(&common, &fixture("demo.yaml"));

    let unused: Vec<&str> = findings
        .iter()
        .map(|finding| {
            assert_eq!(finding.rule, Rule::UnusedComponent);
            finding.pointer.as_str()
        })
        .collect();
    assert_eq!(
        unused,
        ["/components/schemas/Leftover", "/components/schemas/Title"]
    );
}

#[test]
fn only_the_named_files_are_reported() {
    let demo = edit(&fixture("demo.yaml"), "openapi: 3.0.3", "openapi: 3.1.0");
    let common = edit(&fixture("common.yaml"), "openapi: 3.0.3", "openapi: 3.1.0");
    let folder = SpecFolder::from_sources(
        "fixtures",
        [
            ("common.yaml", common.as_str()),
            ("demo.yaml", demo.as_str()),
        ],
    );

    let findings = check(&folder, &BTreeSet::from(["demo.yaml".to_owned()]));

    let files: Vec<&str> = findings
        .iter()
        .map(|finding| finding.file.as_str())
        .collect();
    assert_eq!(files, ["demo.yaml"]);
}

#[test]
fn the_valid_fixture_generates() {
    let folder = SpecFolder::from_sources(
        "fixtures",
        [
            ("common.yaml", fixture("common.yaml")),
            ("demo.yaml", fixture("demo.yaml")),
        ],
    );

    let findings = trial_generation(&folder, &BTreeSet::new());

    assert_eq!(findings, []);
}

#[test]
fn a_generation_failure_is_a_finding_at_the_operation_it_names() {
    let demo = fixture("demo.yaml");
    let folder = SpecFolder::from_sources(
        "fixtures",
        [
            ("common.yaml", fixture("common.yaml")),
            ("demo.yaml", demo.clone()),
        ],
    );
    let error = crate::generate::GenerateError {
        file: "demo.yaml".to_owned(),
        operation: Some("getRows".to_owned()),
        pointer: None,
        message: "progenitor panicked: something new".to_owned(),
    };

    let finding = generation_finding(&folder, &error);

    assert_eq!(finding.rule, Rule::GenerationFailed);
    assert_eq!(finding.pointer, OPERATION);
    assert_eq!(finding.line, Some(line_of(&demo, "    get:")));
    assert!(
        finding
            .message
            .ends_with("progenitor panicked: something new")
    );
}

#[test]
fn a_generation_failure_is_a_finding_at_the_pointer_it_names() {
    let demo = fixture("demo.yaml");
    let folder = SpecFolder::from_sources(
        "fixtures",
        [
            ("common.yaml", fixture("common.yaml")),
            ("demo.yaml", demo.clone()),
        ],
    );
    let error = crate::generate::GenerateError {
        file: "demo.yaml".to_owned(),
        operation: Some("getRows".to_owned()),
        pointer: Some(format!("{OPERATION}/parameters/1")),
        message: "parameter `direction` is not a query parameter".to_owned(),
    };

    let finding = generation_finding(&folder, &error);

    assert_eq!(finding.pointer, format!("{OPERATION}/parameters/1"));
    assert_eq!(finding.line, Some(line_of(&demo, "- name: direction")));
    assert!(
        finding.message.contains("operation getRows: parameter"),
        "{}",
        finding.message
    );
}

#[test]
fn a_generation_failure_named_by_method_and_path_is_found() {
    let folder = SpecFolder::from_sources(
        "fixtures",
        [
            ("common.yaml", fixture("common.yaml")),
            ("demo.yaml", fixture("demo.yaml")),
        ],
    );
    let error = crate::generate::GenerateError {
        file: "demo.yaml".to_owned(),
        operation: Some("GET /v1/demo/rows".to_owned()),
        pointer: None,
        message: "progenitor refused the spec".to_owned(),
    };

    let finding = generation_finding(&folder, &error);

    assert_eq!(finding.pointer, OPERATION);
}

#[test]
fn a_generation_failure_no_file_can_be_blamed_for_is_kept_when_one_file_is_named() {
    let demo = edit(
        &fixture("demo.yaml"),
        "          required: false\n",
        "          required: false\n          x-break: true\n",
    );
    let folder = SpecFolder::from_sources(
        "fixtures",
        [("common.yaml", fixture("common.yaml")), ("demo.yaml", demo)],
    );
    let error = crate::generate::GenerateError::in_file("*.yaml", "the frame broke");

    let finding = generation_finding(&folder, &error);

    assert_eq!(finding.file, "*.yaml");
    assert!(!folder.documents.contains_key(&finding.file));
}

#[test]
fn a_finding_renders_with_its_location_for_people_and_for_github() {
    let finding = Finding {
        file: "demo.yaml".to_owned(),
        pointer: "/paths/~1v1~1demo~1rows/get".to_owned(),
        line: Some(11),
        rule: Rule::MissingOperationId,
        message: "no operationId, 100%: add one".to_owned(),
    };

    let human = render(&finding, "spec", Format::Human);
    let github = render(&finding, "spec", Format::Github);

    assert_eq!(
        human,
        "spec/demo.yaml:11: error[missing-operation-id] at /paths/~1v1~1demo~1rows/get: no \
         operationId, 100%: add one"
    );
    assert_eq!(
        github,
        "::error file=spec/demo.yaml,line=11,title=missing-operation-id::no operationId, 100%25: \
         add one (at /paths/~1v1~1demo~1rows/get)"
    );
}
