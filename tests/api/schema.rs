//! The checked-in SDL must match the code, and the schema a client reads must document itself.

use std::collections::BTreeSet;

use entity::users::Role;
use serde_json::{Value, json};
use servicedesk_tests::{TestApp, db_tests};

db_tests!(schema_documents_every_element_for_clients);

#[test]
fn schema_graphql_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == servicedesk::graphql::sdl(),
        "schema.graphql is stale: regenerate it with `cargo run -- export-schema`"
    );
}

/// Scalars the GraphQL spec defines; clients know them.
const BUILT_IN_SCALARS: &[&str] = &["String", "Int", "Float", "Boolean", "ID"];

/// Scalars async-graphql provides without a description, which the schema cannot add one to.
/// Every field of these types says its format instead ("a decimal string with 2 decimals").
const UNDESCRIBABLE_SCALARS: &[&str] = &["Decimal"];

/// Fields of a connection type made by `async_graphql::connection::Connection`: the type itself
/// has no description and takes none (its `#[Object]` impl has no doc, and no setting adds
/// one); its fields and its `…Edge` and `PageInfo` types are described by async-graphql. Such
/// a type, and only such a type, is exempt from the type-level description.
const GENERATED_CONNECTION_FIELDS: &[&str] = &["edges", "nodes", "pageInfo"];

const INTROSPECTION: &str = "{ __schema { types {
    name kind description
    fields(includeDeprecated: true) { name description args { name description } }
    inputFields { name description }
    enumValues(includeDeprecated: true) { name description } } } }";

/// Every type, field, argument, input field and enum value clients can read has a
/// description (issue 15): a new undocumented element fails here by name. Every rule id a
/// description cites is in `docs/RULES.md`, so a reader outside the team can look it up.
async fn schema_documents_every_element_for_clients(app: TestApp) {
    // Any signed-in caller reads the schema (anonymous ones only in development).
    let customer = app.user(Role::Customer, None, None).await;
    let response = app.gql(&customer.auth, INTROSPECTION, json!({})).await;
    let types = response.data()["__schema"]["types"]
        .as_array()
        .expect("introspection lists the types")
        .clone();
    let mut elements = 0;
    let mut undocumented = Vec::new();
    let mut cited = BTreeSet::new();
    let mut check = |name: String, description: &Value| {
        elements += 1;
        match description.as_str().map(str::trim) {
            Some(text) if !text.is_empty() => cited.extend(rule_ids(text)),
            _ => undocumented.push(name),
        }
    };
    for ty in &types {
        let name = ty["name"].as_str().expect("type name");
        if name.starts_with("__") || BUILT_IN_SCALARS.contains(&name) {
            continue;
        }
        if !(UNDESCRIBABLE_SCALARS.contains(&name) || is_generated_connection(ty)) {
            check(name.to_owned(), &ty["description"]);
        }
        for field in list(&ty["fields"]).iter().chain(list(&ty["inputFields"])) {
            let field_name = format!("{name}.{}", field["name"].as_str().unwrap());
            for arg in list(&field["args"]) {
                let arg_name = format!("{field_name}({})", arg["name"].as_str().unwrap());
                check(arg_name, &arg["description"]);
            }
            check(field_name, &field["description"]);
        }
        for value in list(&ty["enumValues"]) {
            let value_name = format!("{name}.{}", value["name"].as_str().unwrap());
            check(value_name, &value["description"]);
        }
    }
    println!(
        "schema documentation: {elements} elements, {} undocumented",
        undocumented.len()
    );
    assert!(
        undocumented.is_empty(),
        "{} of {elements} schema elements have no description (write one for a client \
         developer: what it is, who may call it, the errors it returns):\n{}",
        undocumented.len(),
        undocumented.join("\n")
    );

    let rules_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/RULES.md");
    let rules = std::fs::read_to_string(rules_path).expect("docs/RULES.md exists");
    let defined: BTreeSet<String> = rules
        .lines()
        .filter_map(|line| line.strip_prefix("| "))
        .flat_map(rule_ids)
        .collect();
    let unknown: Vec<_> = cited.difference(&defined).collect();
    assert!(
        unknown.is_empty(),
        "schema descriptions cite rule ids missing from docs/RULES.md: {unknown:?}"
    );
    assert!(cited.len() > 10, "descriptions cite the rules: {cited:?}");
}

fn list(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

fn is_generated_connection(ty: &Value) -> bool {
    let name = ty["name"].as_str().unwrap_or_default();
    let fields: BTreeSet<&str> = list(&ty["fields"])
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    name.ends_with("Connection") && fields == GENERATED_CONNECTION_FIELDS.iter().copied().collect()
}

/// The rule ids (`R-SLA-1`, `R-PRV-12`) in a text.
fn rule_ids(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut ids = Vec::new();
    for (at, _) in text.match_indices("R-") {
        let rest = &bytes[at + 2..];
        let letters = rest.iter().take_while(|b| b.is_ascii_uppercase()).count();
        if letters != 3 || rest.get(3) != Some(&b'-') {
            continue;
        }
        let digits = rest[4..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > 0 {
            ids.push(text[at..at + 6 + digits].to_owned());
        }
    }
    ids
}

#[test]
fn rule_ids_are_found_in_text() {
    assert_eq!(
        rule_ids("within 12 h (R-SLA-1), R-SLA-1/2, R-CLS-1..3; R-PRV-12. R-X-1 R-ABCD-2"),
        ["R-SLA-1", "R-SLA-1", "R-CLS-1", "R-PRV-12"]
    );
}
