//! Photos and videos on tickets: uploads through the GraphQL multipart request spec, attaching
//! them to a repair order, complaint or return visit, and reading them with short-lived URLs.

use std::io::{Read, Seek};

use async_graphql::{
    Context, ErrorExtensions, ID, InputValueError, InputValueResult, Object, Result, Scalar,
    ScalarType, SimpleObject, Value,
};
use chrono::{DateTime, Utc};
use entity::attachments;
use entity::ticket_events::TicketKind;

use super::loaders::{AttachmentsKey, loaders};
use super::scalars::{NodeType, id, key};
use super::{env, principal, services};
use crate::attachments::Storage;
use crate::domain::attachment::{self, Limits};
use crate::error::ApiError;
use crate::services::attachments::{self as service, Viewed};

/// What the multipart request spec puts in `variables` where a file goes (async-graphql's
/// marker; the HTTP layer fills the places the request's `map` names).
const FILE_MARKER: &str = "#__graphql_file__:";

/// A file sent as a part of a `multipart/form-data` request, by the GraphQL multipart request
/// spec: put `null` in `variables` where the file goes and name that place in the `map` part.
/// Any other value is `BAD_USER_INPUT`.
pub struct Upload(usize);

// Our own scalar rather than async-graphql's `Upload`, whose parsing panics on a forged marker
// and whose `value` indexes out of bounds when a JSON request names a file it did not send.
/// A file sent as a part of a `multipart/form-data` request (GraphQL multipart request spec):
/// `null` in `variables` where the file goes, that place named in the `map` part. Send the
/// `Apollo-Require-Preflight` header with such a request.
#[Scalar(
    name = "Upload",
    specified_by_url = "https://github.com/jaydenseric/graphql-multipart-request-spec"
)]
impl ScalarType for Upload {
    fn parse(value: Value) -> InputValueResult<Self> {
        if let Value::String(text) = &value
            && let Some(index) = text
                .strip_prefix(FILE_MARKER)
                .and_then(|index| index.parse().ok())
        {
            return Ok(Self(index));
        }
        Err(InputValueError::custom(
            "send the file as a part of a multipart/form-data request \
             (GraphQL multipart request spec)",
        ))
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(_))
    }

    fn to_value(&self) -> Value {
        Value::Null
    }
}

/// A photo or video uploaded to the server, pending until attached to a ticket.
#[derive(SimpleObject)]
pub struct Attachment {
    /// The attachment's id (opaque global id), for `attachUploads`.
    #[graphql(owned)]
    pub(crate) id: ID,
    /// The name the client gave the file, without any directory; for display only.
    file_name: String,
    /// The type read from the content itself (`image/jpeg`, `image/png`, `image/webp`,
    /// `image/heif`, `video/mp4`, `video/quicktime`, `video/webm`), not the client's word.
    content_type: String,
    /// Size of the file in bytes.
    size_bytes: i64,
    /// Hex SHA-256 of the content.
    sha256: String,
    /// The ticket it is attached to; null while pending.
    ticket_kind: Option<TicketKind>,
    /// The id of the repair order, complaint or return visit it is attached to; null while pending.
    ticket_id: Option<ID>,
    /// When it was uploaded (RFC 3339, UTC).
    uploaded_at: DateTime<Utc>,
    /// When it was attached; null while pending (pending uploads are removed after
    /// `ATTACHMENT_PENDING_TTL_SECONDS`, one hour by default).
    attached_at: Option<DateTime<Utc>>,
    /// Downloads the file until `urlExpiresAt` (`ATTACHMENT_URL_TTL_SECONDS`): a presigned
    /// object-store URL, or a path on this server (`/attachments/{id}?expires=…&signature=…`)
    /// to resolve against the API's origin. It needs no credentials and opens this one file
    /// only; ask for the field again for a fresh one.
    url: String,
    /// When `url` stops working (RFC 3339, UTC).
    url_expires_at: DateTime<Utc>,
}

pub(super) async fn attachment(
    storage: &Storage,
    row: &attachments::Model,
    now: DateTime<Utc>,
) -> Result<Attachment> {
    let url = storage.url(row.id, &row.object_key, now).await?;
    let ttl = chrono::Duration::from_std(storage.url_ttl).unwrap_or_default();
    Ok(Attachment {
        id: id(NodeType::Attachment, row.id),
        file_name: row.file_name.clone(),
        content_type: row.content_type.clone(),
        size_bytes: row.size_bytes,
        sha256: row.sha256.clone(),
        ticket_kind: row.ticket_kind,
        ticket_id: row
            .ticket_id
            .zip(row.ticket_kind)
            .map(|(k, kind)| id(NodeType::of_ticket(kind), k)),
        uploaded_at: row.created_at,
        attached_at: row.attached_at,
        url,
        url_expires_at: now + ttl,
    })
}

async fn attachments_of(ctx: &Context<'_>, rows: &[attachments::Model]) -> Result<Vec<Attachment>> {
    let storage = &services(ctx)?.attachments;
    let now = env(ctx)?.now;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(attachment(storage, row, now).await?);
    }
    Ok(out)
}

/// The `attachments` field of a ticket, oldest first, with URLs for whoever sees the ticket.
pub async fn of_ticket(ctx: &Context<'_>, viewed: Viewed<'_>) -> Result<Vec<Attachment>> {
    if !viewed.visible_to(principal(ctx)) {
        return Ok(Vec::new());
    }
    let (kind, ticket_id) = viewed.key();
    let rows = loaders(ctx)?
        .load_one(AttachmentsKey(kind, ticket_id))
        .await?
        .unwrap_or_default();
    attachments_of(ctx, &rows).await
}

/// `BAD_USER_INPUT` for the file at `files.<index>`.
fn bad_file(index: usize, message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message.into()).extend_with(|_, ext| {
        ext.set("code", "BAD_USER_INPUT");
        ext.set("field", format!("files.{index}"));
    })
}

/// Reads and checks the file of `upload` (argument `files.<index>`): its size from the spooled
/// file before reading it, then its name, type and size for that type.
async fn read_file(
    ctx: &Context<'_>,
    index: usize,
    upload: &Upload,
    limits: &Limits,
) -> Result<service::Upload> {
    let value = ctx
        .query_env
        .uploads
        .get(upload.0)
        .ok_or_else(|| bad_file(index, "no file part of the request fills this place"))?
        .try_clone()
        .map_err(|err| ApiError::Internal(format!("upload: {err}")))?;
    let max = limits.max_file_bytes();
    let file_name = value.filename.clone();
    let mut file = value.content;
    let content = tokio::task::spawn_blocking(move || -> std::io::Result<Option<Vec<u8>>> {
        // A retried request reads the same spooled file again.
        file.rewind()?;
        let size = file.metadata()?.len();
        if size > max {
            return Ok(None);
        }
        let mut content = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        file.take(max + 1).read_to_end(&mut content)?;
        Ok(Some(content))
    })
    .await
    .map_err(|err| ApiError::Internal(format!("upload: {err}")))?
    .map_err(|err| ApiError::Internal(format!("upload: {err}")))?;
    let Some(content) = content else {
        return Err(bad_file(
            index,
            format!("a file may have at most {max} bytes"),
        ));
    };
    let inspected =
        attachment::inspect(&file_name, &content, limits).map_err(|msg| bad_file(index, msg))?;
    Ok(service::Upload { inspected, content })
}

fn ticket_key(kind: TicketKind, ticket_id: &ID) -> Result<i64, ApiError> {
    key(ticket_id, NodeType::of_ticket(kind))
}

#[derive(Default)]
pub struct AttachmentMutation;

#[Object]
impl AttachmentMutation {
    /// Uploads photos (JPEG, PNG, WebP, HEIC; `ATTACHMENT_MAX_IMAGE_BYTES`, 10 MiB) and videos
    /// (MP4, QuickTime, WebM; `ATTACHMENT_MAX_VIDEO_BYTES`, 20 MiB) as the caller's pending
    /// uploads, to be attached with `attachUploads` within `ATTACHMENT_PENDING_TTL_SECONDS`
    /// (one hour), after which they are removed. Send a `multipart/form-data` request by the
    /// GraphQL multipart request spec with the header `Apollo-Require-Preflight: true`.
    /// Customers, technicians, agents, supervisors and partners may upload. Errors:
    /// `BAD_USER_INPUT` with `field` `files.<n>` for a file whose content is not an accepted
    /// type (whatever its name or Content-Type says), is over its type's limit or has a name
    /// with control characters or over 255 characters; with `field` `files` for more than
    /// `ATTACHMENT_MAX_FILES` (5) files or more than `ATTACHMENT_MAX_PENDING` (20) uploads
    /// held unattached; `FORBIDDEN` for admins.
    async fn upload_attachments(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The files, one multipart part each (`ATTACHMENT_MAX_FILES`, 5 by default)."
        )]
        files: Vec<Upload>,
    ) -> Result<Vec<Attachment>> {
        let env = env(ctx)?;
        env.actor.role().ok_or(ApiError::Unauthenticated)?;
        let storage = &services(ctx)?.attachments;
        let limits = &storage.limits;
        if files.is_empty() || files.len() > limits.max_files_per_request {
            return Err(ApiError::bad_input(
                "files",
                format!(
                    "send between 1 and {} files in one request",
                    limits.max_files_per_request
                ),
            )
            .into());
        }
        let mut checked = Vec::with_capacity(files.len());
        for (index, upload) in files.iter().enumerate() {
            checked.push(read_file(ctx, index, upload, limits).await?);
        }
        let rows = service::upload(&env, storage, checked).await?;
        attachments_of(ctx, &rows).await
    }

    /// Attaches the caller's pending uploads to a repair order, complaint or return visit and
    /// writes one timeline entry (`ATTACHMENTS_ADDED`; public on orders and complaints,
    /// internal on the visited ticket for a return visit). Who may: whoever may change the
    /// ticket — on a repair order its customer, assigned technician, the agents and
    /// supervisors of its centre and the partner of its organization; on a complaint its
    /// customer, partner, agents and supervisors; on a return visit the agents and
    /// supervisors of its centre. Naming an upload already on this ticket is harmless.
    /// Errors: `NOT_FOUND` for a ticket the caller does not see, or an upload that is not the
    /// caller's, is on another ticket or has expired; `FORBIDDEN` for a role that may not
    /// change the ticket; `INVALID_TRANSITION` on a closed (or cancelled) ticket;
    /// `BAD_USER_INPUT` (`attachmentIds`) for an empty list or more than
    /// `ATTACHMENT_MAX_PER_TICKET` (20) attachments on the ticket.
    async fn attach_uploads(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The kind of ticket: repair order, complaint or return visit.")]
        ticket_kind: TicketKind,
        #[graphql(desc = "The ticket's id, of that kind (another: `NOT_FOUND`).")] ticket_id: ID,
        #[graphql(desc = "Your pending uploads' ids from `uploadAttachments`.")]
        attachment_ids: Vec<ID>,
    ) -> Result<Vec<Attachment>> {
        let env = env(ctx)?;
        let storage = &services(ctx)?.attachments;
        let ticket = (ticket_kind, ticket_key(ticket_kind, &ticket_id)?);
        let ids = attachment_ids
            .iter()
            .map(|attachment_id| key(attachment_id, NodeType::Attachment))
            .collect::<Result<Vec<_>, _>>()?;
        let rows = service::attach(&env, storage, ticket, &ids).await?;
        attachments_of(ctx, &rows).await
    }
}
