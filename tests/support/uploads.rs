//! Uploads by the GraphQL multipart request spec, as a client sends them.

use serde_json::Value;

use crate::{Auth, GqlResponse, TestApp};

/// One file of a multipart request, and the variable it fills (`variables.files.0`).
#[derive(Clone)]
pub struct FilePart {
    pub fills: String,
    pub file_name: String,
    /// What the client claims; the server sniffs the content instead.
    pub content_type: String,
    pub content: Vec<u8>,
}

impl FilePart {
    pub fn new(fills: &str, file_name: &str, content_type: &str, content: &[u8]) -> Self {
        Self {
            fills: fills.into(),
            file_name: file_name.into(),
            content_type: content_type.into(),
            content: content.to_vec(),
        }
    }
}

impl TestApp {
    /// A multipart GraphQL request: `operations`, `map`, then the files, with the CSRF header
    /// (`Apollo-Require-Preflight`) unless `preflight` is false.
    pub async fn multipart(
        &self,
        auth: &Auth,
        operations: Value,
        files: &[FilePart],
        preflight: bool,
    ) -> GqlResponse {
        let mut map = serde_json::Map::new();
        for (index, file) in files.iter().enumerate() {
            map.insert(index.to_string(), serde_json::json!([file.fills]));
        }
        let mut form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", Value::Object(map).to_string());
        for (index, file) in files.iter().enumerate() {
            let part = reqwest::multipart::Part::bytes(file.content.clone())
                .file_name(file.file_name.clone())
                .mime_str(&file.content_type)
                .expect("content type");
            form = form.part(index.to_string(), part);
        }
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base_url))
            .multipart(form);
        if preflight {
            request = request.header("Apollo-Require-Preflight", "true");
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
