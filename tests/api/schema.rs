//! The checked-in SDL must match the code.

#[test]
fn schema_graphql_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == servicedesk::graphql::sdl(),
        "schema.graphql is stale: regenerate it with `cargo run -- export-schema`"
    );
}
