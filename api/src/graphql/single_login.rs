//! One credential check per operation: aliases (directly or through fragments) of `login`,
//! `changePassword`, `registerCustomer`, `resetPassword` or `refreshToken` would otherwise test
//! a list of passwords, codes or tokens in a single request, past any per-request limit (and
//! hash many passwords at once). The whole operation is refused after parsing, before
//! validation and before anything is checked.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{
    ExecutableDocument, FragmentDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, ServerResult, Variables};

use crate::error::ApiError;

/// The root fields that check a password, a one-time code or a refresh token; an operation may
/// select one of them, once.
const CREDENTIAL_FIELDS: [&str; 5] = [
    "login",
    "changePassword",
    "registerCustomer",
    "resetPassword",
    "refreshToken",
];

pub struct SingleLogin;

impl ExtensionFactory for SingleLogin {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SingleLogin)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for SingleLogin {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        check(&document)?;
        Ok(document)
    }
}

/// Refuses a document any of whose mutations selects `login` under more than one response key.
fn check(document: &ExecutableDocument) -> ServerResult<()> {
    for (_, operation) in document.operations.iter() {
        if operation.node.ty != OperationType::Mutation {
            continue;
        }
        let mut logins = HashSet::new();
        let mut visited = HashSet::new();
        collect(
            &operation.node.selection_set.node,
            &document.fragments,
            &mut visited,
            &mut logins,
        );
        if logins.len() > 1 {
            let error = async_graphql::Error::from(ApiError::bad_input(
                "login",
                "an operation may log in (or check a password, code or refresh token) only once",
            ));
            return Err(error.into_server_error(operation.pos));
        }
    }
    Ok(())
}

/// Adds the response keys of root `login` fields in `selections`. Each fragment is walked once:
/// spreading it again selects the same keys, so memoizing keeps the walk linear in the
/// document however the fragments fan out.
fn collect<'a>(
    selections: &'a SelectionSet,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    visited: &mut HashSet<&'a str>,
    logins: &mut HashSet<&'a str>,
) {
    for selection in &selections.items {
        match &selection.node {
            Selection::Field(field)
                if CREDENTIAL_FIELDS.contains(&field.node.name.node.as_str()) =>
            {
                logins.insert(field.node.response_key().node.as_str());
            }
            Selection::Field(_) => {}
            Selection::InlineFragment(inline) => {
                collect(&inline.node.selection_set.node, fragments, visited, logins);
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                if visited.insert(name)
                    && let Some(fragment) = fragments.get(name)
                {
                    collect(
                        &fragment.node.selection_set.node,
                        fragments,
                        visited,
                        logins,
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    fn refused(query: &str) -> bool {
        check(&async_graphql::parser::parse_query(query).expect("parses")).is_err()
    }

    #[test]
    fn one_login_passes_and_two_are_refused() {
        assert!(!refused(
            "mutation { login(email: \"a\", password: \"b\") { accessToken } }"
        ));
        assert!(refused(
            "mutation { a: login(email: \"a\", password: \"1\") { accessToken }
                        b: login(email: \"a\", password: \"2\") { accessToken } }"
        ));
    }

    #[test]
    fn logins_hidden_in_fragments_count() {
        assert!(refused(
            "mutation { ...A ... on MutationRoot { b: login(email: \"a\", password: \"2\") { accessToken } } }
             fragment A on MutationRoot { a: login(email: \"a\", password: \"1\") { accessToken } }"
        ));
        // The same fragment spread twice is one login, and cycles end.
        assert!(!refused(
            "mutation { ...A ...A } fragment A on MutationRoot { login(email: \"a\", password: \"1\") { accessToken } ...A }"
        ));
    }

    #[test]
    fn other_credential_checks_count_with_logins() {
        assert!(refused(
            "mutation { login(email: \"a\", password: \"1\") { accessToken }
                        resetPassword(phone: \"1\", code: \"1\", newPassword: \"x\") }"
        ));
        assert!(refused(
            "mutation { a: refreshToken(refreshToken: \"1\") { accessToken }
                        b: refreshToken(refreshToken: \"2\") { accessToken } }"
        ));
    }

    #[test]
    fn queries_are_not_concerned() {
        assert!(!refused("{ a: me { role } b: me { role } }"));
    }
}
