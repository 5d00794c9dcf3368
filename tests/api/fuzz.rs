//! Boundary fuzzing (issue 11, item 15): every argument and input field of every query and
//! mutation, read from the schema itself, gets hostile values for its type — NUL bytes, text
//! longer than any column, years outside PostgreSQL's range, decimals past every money column
//! — sent by every role. No answer may be an internal error: PostgreSQL refused such values
//! with a 500 where SQLite stored them.

use chrono::Duration;
use serde_json::{Map, Value, json};
use servicedesk_tests::{Auth, TestApp, db_tests};

db_tests!(hostile_inputs_never_cause_an_internal_error);

const TYPE_REF: &str = "kind name ofType { kind name ofType { kind name ofType { kind name } } }";

/// Deepest input-object nesting fuzzed (inputs do not nest deeper today).
const MAX_DEPTH: usize = 3;

struct Schema {
    types: Map<String, Value>,
}

impl Schema {
    async fn load(app: &TestApp, auth: &Auth) -> (Self, Vec<(String, Value)>) {
        let query = format!(
            "{{ __schema {{ queryType {{ name }} mutationType {{ name }}
                types {{ name kind enumValues {{ name }}
                  fields {{ name type {{ {TYPE_REF} }} args {{ name type {{ {TYPE_REF} }} }} }}
                  inputFields {{ name type {{ {TYPE_REF} }} }} }} }} }}"
        );
        let response = app.gql(auth, &query, json!({})).await;
        let schema = &response.data()["__schema"];
        let types: Map<String, Value> = schema["types"]
            .as_array()
            .expect("types")
            .iter()
            .map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone()))
            .collect();
        let mut roots = Vec::new();
        for (operation, root) in [("query", "queryType"), ("mutation", "mutationType")] {
            let name = schema[root]["name"].as_str().unwrap();
            for field in types[name]["fields"].as_array().unwrap() {
                roots.push((operation.to_owned(), field.clone()));
            }
        }
        (Self { types }, roots)
    }

    fn named<'a>(&self, ty: &'a Value) -> &'a str {
        match ty["kind"].as_str() {
            Some("NON_NULL" | "LIST") => self.named(&ty["ofType"]),
            _ => ty["name"].as_str().unwrap(),
        }
    }

    fn kind(&self, ty: &Value) -> String {
        self.types[self.named(ty)]["kind"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A plausible value of `ty`: enough for the request to reach the resolver.
    fn baseline(&self, ty: &Value, now: &str, depth: usize) -> Value {
        match ty["kind"].as_str() {
            Some("NON_NULL") => return self.baseline(&ty["ofType"], now, depth),
            Some("LIST") => return json!([self.baseline(&ty["ofType"], now, depth)]),
            _ => {}
        }
        let name = ty["name"].as_str().unwrap();
        let meta = &self.types[name];
        match (meta["kind"].as_str().unwrap(), name) {
            ("ENUM", _) => meta["enumValues"][0]["name"].clone(),
            ("INPUT_OBJECT", _) => {
                let mut object = Map::new();
                for field in meta["inputFields"].as_array().unwrap() {
                    if field["type"]["kind"] == "NON_NULL" && depth < MAX_DEPTH {
                        object.insert(
                            field["name"].as_str().unwrap().to_owned(),
                            self.baseline(&field["type"], now, depth + 1),
                        );
                    }
                }
                Value::Object(object)
            }
            (_, "ID") => json!("1"),
            (_, "Int") => json!(1),
            (_, "Float") => json!(1.0),
            (_, "Boolean") => json!(true),
            (_, "DateTime") => json!(now),
            (_, "NaiveDate") => json!("2026-01-01"),
            (_, "NaiveTime") => json!("09:00:00"),
            (_, "Decimal") => json!("1.00"),
            _ => json!("x"),
        }
    }

    /// Every leaf reachable from `ty`, as a path of object keys and list positions.
    fn leaves(
        &self,
        ty: &Value,
        path: Vec<Value>,
        depth: usize,
        out: &mut Vec<(Vec<Value>, String)>,
    ) {
        match ty["kind"].as_str() {
            Some("NON_NULL") => return self.leaves(&ty["ofType"], path, depth, out),
            Some("LIST") => {
                let mut path = path;
                path.push(json!(0));
                return self.leaves(&ty["ofType"], path, depth, out);
            }
            _ => {}
        }
        let name = ty["name"].as_str().unwrap();
        let meta = &self.types[name];
        if meta["kind"] == "INPUT_OBJECT" {
            if depth >= MAX_DEPTH {
                return;
            }
            for field in meta["inputFields"].as_array().unwrap() {
                let mut path = path.clone();
                path.push(field["name"].clone());
                self.leaves(&field["type"], path, depth + 1, out);
            }
        } else if meta["kind"] == "SCALAR" {
            out.push((path, name.to_owned()));
        }
    }
}

fn hostile(scalar: &str) -> Vec<Value> {
    match scalar {
        "String" | "ID" => vec![
            json!("a\u{0}b"),
            json!("x".repeat(300)),
            json!("é".repeat(20_000)),
            json!(""),
        ],
        "DateTime" => vec![
            json!("-262143-01-01T00:00:00Z"),
            json!("+262142-12-31T23:59:59Z"),
            json!("0001-01-01T00:00:00Z"),
        ],
        "NaiveDate" => vec![
            json!("-262143-01-01"),
            json!("+262142-12-31"),
            json!("0001-01-01"),
        ],
        "Decimal" => vec![
            json!("1e20"),
            json!("79228162514264337593543950335"),
            json!("-79228162514264337593543950335"),
            json!("0.0000000000000000000000000001"),
        ],
        "Int" => vec![json!(2_147_483_647), json!(-2_147_483_648)],
        "Float" => vec![json!(1e308)],
        _ => vec![],
    }
}

/// Puts `value` at `path` inside `target`, creating objects and one-element lists on the way.
fn put(target: &mut Value, path: &[Value], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        *target = value;
        return;
    };
    let slot = match first {
        Value::String(key) => {
            if !target.is_object() {
                *target = json!({});
            }
            target
                .as_object_mut()
                .unwrap()
                .entry(key.clone())
                .or_insert(Value::Null)
        }
        _ => {
            if target.as_array().is_none_or(|items| items.is_empty()) {
                *target = json!([Value::Null]);
            }
            &mut target.as_array_mut().unwrap()[0]
        }
    };
    put(slot, rest, value);
}

fn type_string(ty: &Value) -> String {
    match ty["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", type_string(&ty["ofType"])),
        Some("LIST") => format!("[{}]", type_string(&ty["ofType"])),
        _ => ty["name"].as_str().unwrap().to_owned(),
    }
}

async fn hostile_inputs_never_cause_an_internal_error(app: TestApp) {
    let w = app.repair_world().await;
    // Something for ids to name: an order and a complaint.
    app.report(&w.customer, w.asset).await;
    let input = json!({ "customerId": w.customer.gid(), "channel": "PHONE",
                        "category": "SERVICE_ATTITUDE", "description": "Rude" });
    app.gql(
        &w.agent.auth,
        "mutation($input: FileComplaintInput!) { fileComplaint(input: $input) { id } }",
        json!({ "input": input }),
    )
    .await
    .data();
    let now = (app.clock_now() + Duration::days(1)).to_rfc3339();
    let (schema, roots) = Schema::load(&app, &w.admin.auth).await;
    let callers = [
        &w.admin.auth,
        &w.supervisor.auth,
        &w.agent.auth,
        &w.technician.auth,
        &w.customer.auth,
        &w.partner,
    ];
    let mut sent = 0;
    let mut failures = Vec::new();
    for (operation, field) in &roots {
        let arguments = field["args"].as_array().unwrap();
        if arguments.is_empty() {
            continue;
        }
        let name = field["name"].as_str().unwrap();
        let declarations: Vec<String> = arguments
            .iter()
            .map(|a| {
                format!(
                    "${}: {}",
                    a["name"].as_str().unwrap(),
                    type_string(&a["type"])
                )
            })
            .collect();
        let uses: Vec<String> = arguments
            .iter()
            .map(|a| format!("{0}: ${0}", a["name"].as_str().unwrap()))
            .collect();
        let selection = match schema.kind(&field["type"]).as_str() {
            "OBJECT" | "INTERFACE" | "UNION" => "{ __typename }",
            _ => "",
        };
        let query = format!(
            "{operation}({}) {{ {name}({}) {selection} }}",
            declarations.join(", "),
            uses.join(", ")
        );
        let mut baseline = Map::new();
        for argument in arguments {
            if argument["type"]["kind"] == "NON_NULL" {
                baseline.insert(
                    argument["name"].as_str().unwrap().to_owned(),
                    schema.baseline(&argument["type"], &now, 0),
                );
            }
        }
        let mut leaves = Vec::new();
        for argument in arguments {
            schema.leaves(
                &argument["type"],
                vec![argument["name"].clone()],
                0,
                &mut leaves,
            );
        }
        for (path, scalar) in &leaves {
            for value in hostile(scalar) {
                let mut variables = Value::Object(baseline.clone());
                put(&mut variables, path, value);
                for auth in callers {
                    let response = app.gql(auth, &query, variables.clone()).await;
                    sent += 1;
                    let internal = response.status >= 500 && response.status != 503
                        || response.body["errors"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|e| e["extensions"]["code"] == "INTERNAL_SERVER_ERROR");
                    if internal {
                        let shown: String = variables.to_string().chars().take(200).collect();
                        failures.push(format!(
                            "{name} {path:?} = {shown}: HTTP {} {}",
                            response.status, response.body
                        ));
                    }
                }
            }
        }
    }
    eprintln!(
        "boundary fuzz: {sent} requests, {} internal errors",
        failures.len()
    );
    assert!(sent > 1000, "the fuzz reached only {sent} inputs");
    assert!(
        failures.is_empty(),
        "{} internal errors, first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
