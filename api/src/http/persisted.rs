//! Persisted queries. Automatic (Apollo's APQ protocol), by default: a client sends only the
//! SHA-256 of its document in `extensions.persistedQuery`, and the document itself once, when
//! the server answers `PERSISTED_QUERY_NOT_FOUND`; short GET URLs follow, which HTTP caches can
//! key on. Each instance keeps its own bounded cache: a client that meets another instance (or
//! an evicted document) just sends the document again. With an allowlist
//! (`PERSISTED_QUERIES_ALLOWLIST`), only the documents listed run, by hash or by text, and
//! nothing is registered at run time.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::Value;
use sha2::{Digest, Sha256};

/// Documents kept, weighed by length: about 1 MiB of query text.
const CAPACITY_BYTES: u64 = 1 << 20;

pub struct PersistedQueries {
    documents: moka::sync::Cache<String, String>,
    allowlist: Option<Allowlist>,
}

/// The only documents a production server runs, by their SHA-256 in lower-case hex.
#[derive(Clone, Debug)]
pub struct Allowlist(Arc<HashMap<String, String>>);

impl Allowlist {
    /// A JSON object of `"<sha256 hex>": "<document>"` (graphql-codegen's persisted
    /// documents); every hash is checked against its document, so a stale file fails at start.
    pub fn parse(json: &str) -> Result<Self, String> {
        let listed: HashMap<String, String> = serde_json::from_str(json)
            .map_err(|err| format!("not a JSON object of hash → document: {err}"))?;
        let mut documents = HashMap::with_capacity(listed.len());
        for (hash, document) in listed {
            let hash = hash.to_ascii_lowercase();
            if hex_sha256(&document) != hash {
                return Err(format!("{hash} is not the SHA-256 of its document"));
            }
            documents.insert(hash, document);
        }
        Ok(Self(Arc::new(documents)))
    }
}

/// Why a request's document cannot run.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The hash is unknown here: send the document with it.
    NotFound,
    /// An allowlist is in force and the document is not on it.
    NotAllowed,
    /// The extension is malformed, or the document does not have the hash it claims.
    Invalid(String),
}

impl std::fmt::Debug for PersistedQueries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersistedQueries")
            .field("documents", &self.documents.entry_count())
            .field("allowlist", &self.allowlist.as_ref().map(|a| a.0.len()))
            .finish()
    }
}

impl PersistedQueries {
    pub fn new(allowlist: Option<Allowlist>) -> Self {
        Self {
            documents: moka::sync::Cache::builder()
                .weigher(|_, query: &String| u32::try_from(query.len()).unwrap_or(u32::MAX))
                .max_capacity(CAPACITY_BYTES)
                .build(),
            allowlist,
        }
    }

    /// The document to run: `query` itself, or the one registered under the hash in
    /// `extensions.persistedQuery`; with an allowlist, only a listed one.
    pub fn document(
        &self,
        query: Option<&str>,
        extensions: Option<&HashMap<String, Value>>,
    ) -> Result<Option<String>, Refusal> {
        let requested = extensions
            .and_then(|e| e.get("persistedQuery"))
            .map(requested_hash)
            .transpose()
            .map_err(Refusal::Invalid)?;
        if let (Some(hash), Some(query)) = (&requested, query)
            && hex_sha256(query) != *hash
        {
            return Err(Refusal::Invalid(
                "the query's SHA-256 is not persistedQuery.sha256Hash".into(),
            ));
        }
        if let Some(Allowlist(listed)) = &self.allowlist {
            let hash = match (requested, query) {
                (Some(hash), _) => hash,
                (None, Some(query)) => hex_sha256(query),
                (None, None) => return Ok(None),
            };
            return listed
                .get(&hash)
                .cloned()
                .map(Some)
                .ok_or(Refusal::NotAllowed);
        }
        match (requested, query) {
            (None, query) => Ok(query.map(str::to_owned)),
            (Some(hash), Some(query)) => {
                self.documents.insert(hash, query.to_owned());
                Ok(Some(query.to_owned()))
            }
            (Some(hash), None) => self.documents.get(&hash).map(Some).ok_or(Refusal::NotFound),
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
        let persisted = PersistedQueries::new(None);
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
        let persisted = PersistedQueries::new(None);
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

    #[test]
    fn an_allowlist_runs_only_its_documents() {
        let listed = "{ __typename }";
        let json = serde_json::json!({ hex_sha256(listed): listed }).to_string();
        let persisted = PersistedQueries::new(Some(Allowlist::parse(&json).unwrap()));
        let by_hash = extension(&hex_sha256(listed));
        assert_eq!(
            persisted.document(None, Some(&by_hash)),
            Ok(Some(listed.to_owned()))
        );
        assert_eq!(
            persisted.document(Some(listed), None),
            Ok(Some(listed.to_owned()))
        );
        let other = "{ me { role } }";
        assert_eq!(
            persisted.document(Some(other), None),
            Err(Refusal::NotAllowed)
        );
        let register = extension(&hex_sha256(other));
        assert_eq!(
            persisted.document(Some(other), Some(&register)),
            Err(Refusal::NotAllowed),
            "nothing is registered at run time"
        );
        let stale = serde_json::json!({ hex_sha256(other): listed }).to_string();
        assert!(Allowlist::parse(&stale).is_err());
        assert!(Allowlist::parse("[]").is_err());
    }
}
