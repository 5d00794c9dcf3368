//! One `BAD_USER_INPUT` error per bad field: a use case that found several wrong fields of one
//! input (`ApiError::InvalidFields`) answers with one GraphQL error, which this extension
//! splits into one error per field, each with `extensions.code` and `extensions.field` and the
//! path and location of the field that failed.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::{ErrorExtensionValues, Response, ServerError, Value};

use crate::error::FIELD_ERRORS;

pub struct SplitFieldErrors;

impl ExtensionFactory for SplitFieldErrors {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SplitFieldErrors)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for SplitFieldErrors {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        if response.errors.iter().any(|e| field_errors(e).is_some()) {
            response.errors = std::mem::take(&mut response.errors)
                .into_iter()
                .flat_map(split)
                .collect();
        }
        response
    }
}

fn field_errors(error: &ServerError) -> Option<&Vec<Value>> {
    match error.extensions.as_ref()?.get(FIELD_ERRORS)? {
        Value::List(items) => Some(items),
        _ => None,
    }
}

fn split(error: ServerError) -> Vec<ServerError> {
    let Some(items) = field_errors(&error) else {
        return vec![error];
    };
    items
        .iter()
        .filter_map(|item| {
            let Value::Object(item) = item else {
                return None;
            };
            let text = |name: &str| match item.get(name) {
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            };
            let mut extensions = ErrorExtensionValues::default();
            extensions.set("code", "BAD_USER_INPUT");
            extensions.set("field", text("field")?);
            Some(ServerError {
                message: text("message")?,
                source: None,
                locations: error.locations.clone(),
                path: error.path.clone(),
                extensions: Some(extensions),
            })
        })
        .collect()
}
