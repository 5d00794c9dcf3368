//! Automatic persisted queries (Apollo's APQ protocol): a client sends only the SHA-256 of its
//! document in `extensions.persistedQuery`, and the document itself once, when the server
//! answers `PERSISTED_QUERY_NOT_FOUND`. Short GET URLs follow, which HTTP caches can key on.
//! Each instance keeps its own bounded cache: a client that meets another instance (or an
//! evicted document) just sends the document again.

use std::collections::HashMap;

use async_graphql::Value;
use sha2::{Digest, Sha256};

/// Documents kept, weighed by length: about 1 MiB of query text.
const CAPACITY_BYTES: u64 = 1 << 20;

pub struct PersistedQueries {
    documents: moka::sync::Cache<String, String>,
}

/// Why a request's persisted query cannot run.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The hash is unknown here: send the document with it.
    NotFound,
    /// The extension is malformed, or the document does not have the hash it claims.
    Invalid(String),
}

impl std::fmt::Debug for PersistedQueries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersistedQueries")
            .field("documents", &self.documents.entry_count())
            .finish()
    }
}

impl Default for PersistedQueries {
    fn default() -> Self {
        Self {
            documents: moka::sync::Cache::builder()
                .weigher(|_, query: &String| u32::try_from(query.len()).unwrap_or(u32::MAX))
                .max_capacity(CAPACITY_BYTES)
                .build(),
        }
    }
}

impl PersistedQueries {
    /// The document to run: `query` itself without the extension; with it, the document
    /// registered under its hash (kept for next time when `query` is sent along and matches).
    pub fn document(
        &self,
        query: Option<&str>,
        extensions: Option<&HashMap<String, Value>>,
    ) -> Result<Option<String>, Refusal> {
        let Some(extension) = extensions.and_then(|e| e.get("persistedQuery")) else {
            return Ok(query.map(str::to_owned));
        };
        let hash = requested_hash(extension).map_err(Refusal::Invalid)?;
        match query {
            Some(query) => {
                if hex_sha256(query) != hash {
                    return Err(Refusal::Invalid(
                        "the query's SHA-256 is not persistedQuery.sha256Hash".into(),
                    ));
                }
                self.documents.insert(hash, query.to_owned());
                Ok(Some(query.to_owned()))
            }
            None => self.documents.get(&hash).map(Some).ok_or(Refusal::NotFound),
        }
    }
}

/// `{"version": 1, "sha256Hash": "<64 hex digits>"}`, the hash in lower case.
fn requested_hash(extension: &Value) -> Result<String, String> {
    let Value::Object(fields) = extension else {
        return Err("persistedQuery must be an object".into());
    };
    if fields.get("version") != Some(&Value::from(1)) {
        return Err("persistedQuery.version must be 1".into());
    }
    match fields.get("sha256Hash") {
        Some(Value::String(hash))
            if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(hash.to_ascii_lowercase())
        }
        _ => Err("persistedQuery.sha256Hash must be 64 hexadecimal digits".into()),
    }
}

fn hex_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extension(hash: &str) -> HashMap<String, Value> {
        let mut persisted = async_graphql::indexmap::IndexMap::new();
        persisted.insert(async_graphql::Name::new("version"), Value::from(1));
        persisted.insert(async_graphql::Name::new("sha256Hash"), Value::from(hash));
        HashMap::from([("persistedQuery".to_owned(), Value::Object(persisted))])
    }

    #[test]
    fn a_document_is_found_by_hash_once_sent() {
        let persisted = PersistedQueries::default();
        let query = "{ __typename }";
        let hash = hex_sha256(query);
        let ext = extension(&hash);
        assert_eq!(persisted.document(None, Some(&ext)), Err(Refusal::NotFound));
        assert_eq!(
            persisted.document(Some(query), Some(&ext)),
            Ok(Some(query.to_owned()))
        );
        let upper = extension(&hash.to_ascii_uppercase());
        assert_eq!(
            persisted.document(None, Some(&upper)),
            Ok(Some(query.to_owned()))
        );
    }

    #[test]
    fn a_wrong_hash_or_extension_is_refused() {
        let persisted = PersistedQueries::default();
        let other = extension(&hex_sha256("{ me { role } }"));
        assert!(matches!(
            persisted.document(Some("{ __typename }"), Some(&other)),
            Err(Refusal::Invalid(_))
        ));
        assert!(matches!(
            persisted.document(None, Some(&extension("abc"))),
            Err(Refusal::Invalid(_))
        ));
        assert_eq!(
            persisted.document(Some("{ a }"), None),
            Ok(Some("{ a }".to_owned()))
        );
    }
}
