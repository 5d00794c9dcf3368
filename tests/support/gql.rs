//! A small GraphQL client over real HTTP.

use serde_json::{Value, json};

use crate::TestApp;

/// Credentials a request is sent with.
#[derive(Clone, Debug)]
pub enum Auth {
    None,
    Bearer(String),
    ApiKey(String),
}

pub struct GqlResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl GqlResponse {
    /// `data`, after checking that there were no errors.
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none_or(Value::is_null),
            "unexpected errors (HTTP {}): {}",
            self.status,
            self.body
        );
        &self.body["data"]
    }

    /// `extensions.code` of the first error.
    pub fn code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code (HTTP {}): {}", self.status, self.body))
    }

    /// Asserts the first error's code and returns its extensions.
    pub fn expect_code(&self, code: &str) -> &Value {
        assert_eq!(self.code(), code, "body: {}", self.body);
        &self.body["errors"][0]["extensions"]
    }
}

impl TestApp {
    pub async fn gql(&self, auth: &Auth, query: &str, variables: Value) -> GqlResponse {
        self.post_json(auth, json!({ "query": query, "variables": variables }))
            .await
    }

    pub async fn post_json(&self, auth: &Auth, body: Value) -> GqlResponse {
        self.post_with_headers(auth, body, &[]).await
    }

    /// A GraphQL request with extra headers (`Idempotency-Key`, …).
    pub async fn post_with_headers(
        &self,
        auth: &Auth,
        body: Value,
        headers: &[(&str, &str)],
    ) -> GqlResponse {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base_url))
            .json(&body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = match auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::ApiKey(key) => request.header("Authorization", format!("ApiKey {key}")),
        };
        let response = request.send().await.expect("send request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.json().await.expect("JSON response body");
        GqlResponse {
            status,
            headers,
            body,
        }
    }
}
