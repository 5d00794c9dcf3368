//! Boundary checks on every input value of a request, run before async-graphql validates and
//! before any resolver: text without NUL bytes and no longer than its column, timestamps and
//! dates within years 1900..=9999. PostgreSQL rejects what SQLite stores (NUL bytes, strings
//! over `varchar(n)`, years past its range) as a 500; checked here, both databases see only
//! values they accept and the caller gets `BAD_USER_INPUT` naming the field.
//!
//! The checks follow the schema's own types (read from its SDL once), so every argument and
//! input field is covered, in variables and in literals alike, without a check per resolver.
//! Fragments are walked once each, never per spread, so the walk is linear in the document.
//! Money and quantities are bounded by the domain (`domain::money`), where their meaning is.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{
    BaseType, ExecutableDocument, OperationType, Selection, SelectionSet, Type, TypeKind,
    TypeSystemDefinition,
};
use async_graphql::{ServerError, ServerResult, ValidationResult, Value, Variables};
use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// Column sizes of the `varchar(n)` columns that inputs are written to (migrations 000001,
/// 000002, 000008 and 000016), by `InputType.field` or `RootType.field.argument`. Other text is
/// bounded by the general limit.
const COLUMN_LIMITS: &[(&str, usize)] = &[
    ("CreateUserInput.email", 254),
    ("CreateUserInput.name", 200),
    ("CreateUserInput.phone", 32),
    // Hashing is deliberately slow; a password longer than this is not a password.
    ("CreateUserInput.password", 256),
    ("MutationRoot.login.email", 254),
    ("MutationRoot.login.phone", 32),
    ("QueryRoot.findCustomer.phone", 32),
    ("QueryRoot.findCustomer.email", 254),
    ("MutationRoot.requestVerificationCode.phone", 32),
    ("MutationRoot.requestVerificationCode.email", 254),
    ("MutationRoot.resetPassword.phone", 32),
    ("MutationRoot.resetPassword.email", 254),
    ("MutationRoot.resetPassword.code", 16),
    ("MutationRoot.resetPassword.newPassword", 256),
    ("MutationRoot.changePassword.oldPassword", 256),
    ("MutationRoot.changePassword.newPassword", 256),
    ("MutationRoot.refreshToken.refreshToken", 128),
    ("MutationRoot.logout.refreshToken", 128),
    ("RegisterCustomerInput.phone", 32),
    ("RegisterCustomerInput.code", 16),
    ("RegisterCustomerInput.password", 256),
    ("RegisterCustomerInput.name", 200),
    ("RegisterCustomerInput.email", 254),
    ("CreateCustomerInput.name", 200),
    ("CreateCustomerInput.phone", 32),
    ("CreateCustomerInput.email", 254),
    ("MutationRoot.login.password", 256),
    ("MutationRoot.createOrganization.name", 200),
    ("MutationRoot.createServiceCentre.name", 200),
    ("MutationRoot.createServiceCentre.timezone", 64),
    ("MutationRoot.createApiKey.name", 200),
    ("MutationRoot.updateSlaPolicy.scope", 24),
    ("MutationRoot.addHoliday.name", 200),
    ("MutationRoot.createProductModel.code", 64),
    ("MutationRoot.createProductModel.name", 200),
    ("MutationRoot.updateProductModel.name", 200),
    ("RegisterAssetInput.model", 200),
    ("RegisterAssetInput.serialNumber", 100),
    ("ReportFaultInput.serviceAddress", 500),
    ("ReportFaultInput.contactPhone", 32),
    ("RepairLineInput.description", 500),
    ("RepairLineInput.partCode", 64),
    ("QueryRoot.trackComplaint.number", 32),
    ("QueryRoot.trackComplaint.phone", 32),
    ("QueryRoot.complaint.number", 32),
    ("QueryRoot.repairOrder.number", 32),
    ("QueryRoot.monthlyComplaintReport.month", 7),
    ("CreateWebhookEndpointInput.url", 2048),
    ("CreateWebhookEndpointInput.description", 500),
    ("UpdateWebhookEndpointInput.url", 2048),
    ("UpdateWebhookEndpointInput.description", 500),
];

/// Years a timestamp or date may name: wide for any real ticket, narrow enough for every
/// database (PostgreSQL's range ends at 294276 AD, chrono's at 262143).
const YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

/// Most violations reported for one request.
const MAX_REPORTED: usize = 20;

/// The schema's input types, as the checks need them.
#[derive(Clone)]
pub struct InputGuard {
    types: Arc<TypeIndex>,
    /// Longest text (in characters) of any input without a column limit.
    max_text_chars: usize,
}

impl InputGuard {
    /// Reads the types from `sdl`, the schema's own SDL.
    pub fn new(sdl: &str, max_text_chars: usize) -> Self {
        Self {
            types: Arc::new(TypeIndex::from_sdl(sdl)),
            max_text_chars,
        }
    }
}

impl ExtensionFactory for InputGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestGuard {
            types: self.types.clone(),
            max_text_chars: self.max_text_chars,
            violations: Mutex::default(),
        })
    }
}

/// A field's arguments (name → type) and the name of the type it returns.
type FieldTypes = (HashMap<String, Type>, String);

#[derive(Default)]
struct TypeIndex {
    query: String,
    mutation: String,
    /// Object type → field → its arguments and type.
    fields: HashMap<String, HashMap<String, FieldTypes>>,
    /// Input object type → field → type.
    inputs: HashMap<String, HashMap<String, Type>>,
}

impl TypeIndex {
    fn from_sdl(sdl: &str) -> Self {
        let mut index = Self {
            query: "Query".into(),
            mutation: "Mutation".into(),
            ..Self::default()
        };
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            tracing::error!("schema SDL does not parse; input checks are off");
            return index;
        };
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    if let Some(query) = &schema.node.query {
                        index.query = query.node.to_string();
                    }
                    if let Some(mutation) = &schema.node.mutation {
                        index.mutation = mutation.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(ty) => {
                    let name = ty.node.name.node.to_string();
                    match ty.node.kind {
                        TypeKind::Object(object) => {
                            let fields = object.fields.into_iter().map(|field| {
                                let field = field.node;
                                let arguments = field
                                    .arguments
                                    .into_iter()
                                    .map(|arg| (arg.node.name.node.to_string(), arg.node.ty.node))
                                    .collect();
                                let of = named(&field.ty.node).to_owned();
                                (field.name.node.to_string(), (arguments, of))
                            });
                            index.fields.insert(name, fields.collect());
                        }
                        TypeKind::InputObject(input) => {
                            let fields = input.fields.into_iter().map(|field| {
                                (field.node.name.node.to_string(), field.node.ty.node)
                            });
                            index.inputs.insert(name, fields.collect());
                        }
                        _ => {}
                    }
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        index
    }
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

/// One request's checks: found while parsing, reported as validation errors (all of them at
/// once, up to [`MAX_REPORTED`]) before async-graphql's own validation runs.
struct RequestGuard {
    types: Arc<TypeIndex>,
    max_text_chars: usize,
    violations: Mutex<Vec<ServerError>>,
}

#[async_trait::async_trait]
impl Extension for RequestGuard {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let mut walk = Walk {
            types: &self.types,
            max_text_chars: self.max_text_chars,
            found: Vec::new(),
        };
        walk.document(&document, variables);
        if let Ok(mut violations) = self.violations.lock() {
            *violations = walk.found;
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let found = self
            .violations
            .lock()
            .map(|mut violations| std::mem::take(&mut *violations))
            .unwrap_or_default();
        if found.is_empty() {
            next.run(ctx).await
        } else {
            Err(found)
        }
    }
}

struct Walk<'a> {
    types: &'a TypeIndex,
    max_text_chars: usize,
    found: Vec<ServerError>,
}

impl Walk<'_> {
    fn document(&mut self, document: &ExecutableDocument, variables: &Variables) {
        for (_, operation) in document.operations.iter() {
            let root = match operation.node.ty {
                OperationType::Query => &self.types.query,
                OperationType::Mutation => &self.types.mutation,
                OperationType::Subscription => continue,
            };
            self.selections(&operation.node.selection_set.node, root, variables);
        }
        for fragment in document.fragments.values() {
            let on = fragment.node.type_condition.node.on.node.as_str();
            self.selections(&fragment.node.selection_set.node, on, variables);
        }
    }

    fn selections(&mut self, set: &SelectionSet, parent: &str, variables: &Variables) {
        let types = self.types;
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let Some((arguments, of)) = types
                        .fields
                        .get(parent)
                        .and_then(|fields| fields.get(field.name.node.as_str()))
                    else {
                        continue; // unknown: validation reports it
                    };
                    for (name, value) in &field.arguments {
                        if let Some(ty) = arguments.get(name.node.as_str()) {
                            // A variable is checked where it is used, against that column.
                            let value = value
                                .node
                                .clone()
                                .into_const_with(|name| {
                                    Ok::<_, std::convert::Infallible>(
                                        variables.get(&name).cloned().unwrap_or(Value::Null),
                                    )
                                })
                                .unwrap_or_else(|never| match never {});
                            let key = format!("{parent}.{}.{}", field.name.node, name.node);
                            self.value(&value, ty, name.node.as_str(), Some(&key));
                        }
                    }
                    self.selections(&field.selection_set.node, of, variables);
                }
                Selection::InlineFragment(fragment) => {
                    let on = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(parent, |condition| condition.node.on.node.as_str());
                    self.selections(&fragment.node.selection_set.node, on, variables);
                }
                Selection::FragmentSpread(_) => {} // walked once, with the fragments
            }
        }
    }

    /// Checks `value` of type `ty`; `field` is the name reported, `key` the column-limit key.
    fn value(&mut self, value: &Value, ty: &Type, field: &str, key: Option<&str>) {
        if self.found.len() >= MAX_REPORTED {
            return;
        }
        match (&ty.base, value) {
            (BaseType::List(inner), Value::List(items)) => {
                for item in items {
                    self.value(item, inner, field, key);
                }
            }
            // A single value where a list is expected is coerced to a list of one.
            (BaseType::List(inner), _) => self.value(value, inner, field, key),
            (BaseType::Named(name), Value::Object(object)) => {
                let types = self.types;
                let Some(fields) = types.inputs.get(name.as_str()) else {
                    return;
                };
                for (name_of_field, item) in object {
                    if let Some(ty) = fields.get(name_of_field.as_str()) {
                        let key = format!("{name}.{name_of_field}");
                        self.value(item, ty, name_of_field.as_str(), Some(&key));
                    }
                }
            }
            (BaseType::Named(name), Value::String(text)) => {
                if let Some(problem) = self.text_problem(name.as_str(), text, key) {
                    self.found.push(violation(field, problem));
                }
            }
            _ => {}
        }
    }

    fn text_problem(&self, scalar: &str, text: &str, key: Option<&str>) -> Option<String> {
        if text.contains('\0') {
            return Some("must not contain NUL characters".into());
        }
        let limit = key
            .and_then(|key| COLUMN_LIMITS.iter().find(|(k, _)| *k == key))
            .map_or(self.max_text_chars, |(_, limit)| *limit);
        // Bytes bound characters from above: only long texts are counted.
        if text.len() > limit && text.chars().count() > limit {
            return Some(format!("must be at most {limit} characters"));
        }
        let year = match scalar {
            // Parsed as the DateTime scalar parses it, extended years included.
            "DateTime" => text.parse::<DateTime<Utc>>().ok().map(|t| t.year()),
            "NaiveDate" => text.parse::<NaiveDate>().ok().map(|d| d.year()),
            _ => None,
        };
        year.filter(|year| !YEARS.contains(year)).map(|_| {
            format!(
                "must be within the years {} to {}",
                YEARS.start(),
                YEARS.end()
            )
        })
    }
}

fn violation(field: &str, problem: String) -> ServerError {
    let mut error = ServerError::new(format!("{field} {problem}"), None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", "BAD_USER_INPUT");
    extensions.set("field", field);
    error.extensions = Some(extensions);
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> TypeIndex {
        TypeIndex::from_sdl(&crate::graphql::sdl())
    }

    #[test]
    fn every_column_limit_names_an_input_of_the_schema() {
        let types = guard();
        for (key, _) in COLUMN_LIMITS {
            let parts: Vec<&str> = key.split('.').collect();
            let known = match parts.as_slice() {
                [input, field] => types
                    .inputs
                    .get(*input)
                    .is_some_and(|f| f.contains_key(*field)),
                [root, field, arg] => types
                    .fields
                    .get(*root)
                    .and_then(|f| f.get(*field))
                    .is_some_and(|(args, _)| args.contains_key(*arg)),
                _ => false,
            };
            assert!(known, "{key} is not an input of the schema");
        }
    }

    fn problems(query: &str, variables: serde_json::Value) -> Vec<String> {
        let types = guard();
        let mut walk = Walk {
            types: &types,
            max_text_chars: 100,
            found: Vec::new(),
        };
        let document = async_graphql::parser::parse_query(query).expect("parses");
        walk.document(&document, &Variables::from_json(variables));
        walk.found.iter().map(|e| e.message.clone()).collect()
    }

    #[test]
    fn nul_bytes_long_text_and_far_years_are_found_in_literals_variables_and_fragments() {
        let found = problems(
            r#"mutation M($input: CreateUserInput!, $key: String!) {
                createOrganization(name: "a\u0000b") { id }
                ...F
                createUser(input: $input) { id }
            }
            fragment F on MutationRoot { createApiKey(organizationId: "1", name: $key) { id } }
            query Q($from: DateTime!) { serviceMetrics(from: $from, to: "2026-01-01T00:00:00Z") { majorComplaints } }"#,
            serde_json::json!({
                "input": { "email": "a@b.c", "name": "x".repeat(201), "role": "AGENT" },
                "from": "-262143-01-01T00:00:00Z",
                "key": "k".repeat(201),
            }),
        );
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(found.contains(&"name must not contain NUL characters".to_owned()));
        assert!(found.contains(&"name must be at most 200 characters".to_owned()));
        assert!(found.contains(&"from must be within the years 1900 to 9999".to_owned()));
    }

    #[test]
    fn ordinary_input_passes() {
        let found = problems(
            r#"mutation { createOrganization(name: "Acme 有限公司") { id } }"#,
            serde_json::json!({}),
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
