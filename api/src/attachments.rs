//! Where attachment bytes live: a local directory (the default) or S3-compatible object
//! storage, both through the `object_store` crate, and the short-lived URLs clients download
//! them by — a presigned URL of the S3 store, or this server's `GET /attachments/{id}` route
//! with an HMAC-signed expiry for the local one. Who may get a URL is the tickets' visibility
//! (services::attachments); a URL itself is the permission, for its one attachment, briefly.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{GetResult, ObjectStore, ObjectStoreExt, PutPayload};

use crate::config::{AttachmentConfig, AttachmentStoreKind};
use crate::domain::attachment::{self, Limits};
use crate::error::{ApiError, ApiResult};

/// The attachment store of this process and its rules. Cheap to share (`Arc`).
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// The S3 store again, for presigning; `None` for the local directory.
    s3: Option<Arc<AmazonS3>>,
    /// Signs the download route's links.
    key: [u8; 32],
    pub url_ttl: Duration,
    pub pending_ttl: chrono::Duration,
    pub limits: Limits,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("store", &self.store.to_string())
            .finish_non_exhaustive()
    }
}

impl Storage {
    /// Opens the configured store; `secret` is the server's token secret, from which the
    /// download links' key is derived. An error says what is wrong with the settings.
    pub fn open(config: &AttachmentConfig, secret: &str) -> Result<Self, String> {
        let (store, s3): (Arc<dyn ObjectStore>, _) = match config.attachment_store {
            AttachmentStoreKind::Local => {
                let dir = &config.attachment_dir;
                std::fs::create_dir_all(dir)
                    .map_err(|err| format!("ATTACHMENT_DIR {}: {err}", dir.display()))?;
                let local = LocalFileSystem::new_with_prefix(dir)
                    .map_err(|err| format!("ATTACHMENT_DIR {}: {err}", dir.display()))?;
                (Arc::new(local), None)
            }
            AttachmentStoreKind::S3 => {
                let bucket = config
                    .attachment_s3_bucket
                    .as_deref()
                    .ok_or("ATTACHMENT_S3_BUCKET must be set when ATTACHMENT_STORE=s3")?;
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(&config.attachment_s3_region)
                    .with_allow_http(config.attachment_s3_allow_http);
                if let Some(endpoint) = &config.attachment_s3_endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                if let Some(key) = &config.attachment_s3_access_key_id {
                    builder = builder.with_access_key_id(key);
                }
                if let Some(secret) = &config.attachment_s3_secret_access_key {
                    builder = builder.with_secret_access_key(secret);
                }
                let s3 = Arc::new(
                    builder
                        .build()
                        .map_err(|err| format!("ATTACHMENT_S3_*: {err}"))?,
                );
                (s3.clone() as Arc<dyn ObjectStore>, Some(s3))
            }
        };
        Ok(Self {
            store,
            s3,
            key: attachment::signing_key(secret),
            url_ttl: Duration::from_secs(config.attachment_url_ttl_seconds.max(1)),
            pending_ttl: chrono::Duration::seconds(
                i64::try_from(config.attachment_pending_ttl_seconds).unwrap_or(i64::MAX / 1000),
            ),
            limits: config.limits(),
        })
    }

    /// A fresh object key: random, so that keys say nothing and cannot be guessed.
    pub fn new_key() -> String {
        format!("attachments/{}", uuid::Uuid::new_v4().simple())
    }

    pub async fn put(&self, key: &str, content: Vec<u8>) -> ApiResult<()> {
        self.store
            .put(&Path::from(key), PutPayload::from(content))
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    /// Removes an object; one already gone counts as removed.
    pub async fn delete(&self, key: &str) -> ApiResult<()> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(unavailable(err)),
        }
    }

    pub async fn get(&self, key: &str) -> ApiResult<GetResult> {
        match self.store.get(&Path::from(key)).await {
            Ok(result) => Ok(result),
            Err(object_store::Error::NotFound { .. }) => Err(ApiError::NotFound("attachment")),
            Err(err) => Err(unavailable(err)),
        }
    }

    /// A URL that downloads the attachment for `url_ttl` from `now`: presigned by the S3
    /// store, or this server's download route (a path on the API's own origin).
    pub async fn url(&self, id: i64, key: &str, now: DateTime<Utc>) -> ApiResult<String> {
        match &self.s3 {
            Some(s3) => s3
                .signed_url(
                    object_store::signer::Method::GET,
                    &Path::from(key),
                    self.url_ttl,
                )
                .await
                .map(|url| url.to_string())
                .map_err(unavailable),
            None => {
                let expires = now.timestamp() + i64::try_from(self.url_ttl.as_secs()).unwrap_or(0);
                let signature = attachment::sign(&self.key, id, expires);
                Ok(format!(
                    "/attachments/{id}?expires={expires}&signature={signature}"
                ))
            }
        }
    }

    /// Checks a download route link (see `domain::attachment::verify`).
    pub fn verify(
        &self,
        id: i64,
        expires: i64,
        signature: &str,
        now: DateTime<Utc>,
    ) -> Result<(), attachment::LinkRefused> {
        attachment::verify(&self.key, id, expires, signature, now)
    }
}

/// The object store could not be reached or refused: like a database outage, nothing the
/// caller did wrong.
fn unavailable(err: object_store::Error) -> ApiError {
    ApiError::Unavailable(format!("attachment store: {err}"))
}
