//! Attachments (issue 15): photos and videos uploaded by the GraphQL multipart request spec,
//! attached to repair orders, complaints and return visits, read by short-lived URLs. Every
//! test runs on SQLite and PostgreSQL; the store tests also on S3 (a moto server of their own).

use chrono::Duration;
use serde_json::{Value, json};
use servicedesk::config::Config;
use servicedesk_tests::{
    Auth, Backend, FilePart, GqlResponse, NodeType, TestApp, gid, test_config,
};

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xd9";
const MP4: &[u8] = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2mp41\0\0\0\x08free";

/// Small limits, so that the tests send small files.
fn config() -> Config {
    let mut config = test_config();
    let a = &mut config.attachments;
    a.attachment_max_image_bytes = 2_000;
    a.attachment_max_video_bytes = 4_000;
    a.attachment_max_files = 3;
    a.attachment_max_per_ticket = 4;
    a.attachment_max_pending = 4;
    config
}

/// Each test on SQLite and PostgreSQL with the local store.
macro_rules! local_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(TestApp::start_with(Backend::Sqlite, config()).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(backend) = Backend::postgres() {
                    super::$name(TestApp::start_with(backend, config()).await).await;
                }
            }
        }
    )*};
}

/// Each test on both databases with the local store and with S3.
macro_rules! store_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite_local() {
                super::$name(TestApp::start_with(Backend::Sqlite, config()).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres_local() {
                if let Some(backend) = Backend::postgres() {
                    super::$name(TestApp::start_with(backend, config()).await).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite_s3() {
                if let Some(app) = TestApp::start_s3(Backend::Sqlite, config()).await {
                    super::$name(app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres_s3() {
                if let Some(backend) = Backend::postgres()
                    && let Some(app) = TestApp::start_s3(backend, config()).await
                {
                    super::$name(app).await;
                }
            }
        }
    )*};
}

store_tests!(
    attachments_upload_attach_and_download,
    attachments_not_attached_within_the_ttl_are_removed,
);

local_tests!(
    attachments_limits_are_checked_before_anything_is_stored,
    attachments_types_are_sniffed_not_believed,
    attachments_multipart_needs_the_preflight_header,
    r_prv_1_r_prv_7_attachments_follow_the_tickets_visibility,
    attachments_on_complaints_and_return_visits,
    attachments_download_links_expire_and_name_one_attachment,
    attachments_survive_the_migration_down_and_up,
);

const FIELDS: &str =
    "id fileName contentType sizeBytes sha256 ticketKind ticketId attachedAt url urlExpiresAt";

fn files(parts: &[(&str, &str, &[u8])]) -> Vec<FilePart> {
    parts
        .iter()
        .enumerate()
        .map(|(i, (name, claimed, content))| {
            FilePart::new(&format!("variables.files.{i}"), name, claimed, content)
        })
        .collect()
}

async fn upload(app: &TestApp, auth: &Auth, parts: &[(&str, &str, &[u8])]) -> GqlResponse {
    let operations = json!({
        "query": format!("mutation($files: [Upload!]!) {{ uploadAttachments(files: $files) {{ {FIELDS} }} }}"),
        "variables": { "files": vec![Value::Null; parts.len()] },
    });
    app.multipart(auth, operations, &files(parts), true).await
}

async fn uploaded(app: &TestApp, auth: &Auth, parts: &[(&str, &str, &[u8])]) -> Vec<Value> {
    let response = upload(app, auth, parts).await;
    response.data()["uploadAttachments"]
        .as_array()
        .expect("list")
        .clone()
}

async fn attach(
    app: &TestApp,
    auth: &Auth,
    kind: &str,
    ticket: &Value,
    ids: &[&Value],
) -> GqlResponse {
    let query = format!(
        "mutation($kind: TicketKind!, $id: ID!, $ids: [ID!]!) {{ \
         attachUploads(ticketKind: $kind, ticketId: $id, attachmentIds: $ids) {{ {FIELDS} }} }}"
    );
    app.gql(
        auth,
        &query,
        json!({ "kind": kind, "id": ticket["id"], "ids": ids }),
    )
    .await
}

/// Attaches one upload, expecting success.
async fn attach_ok(app: &TestApp, auth: &Auth, kind: &str, ticket: &Value, id: &Value) {
    attach(app, auth, kind, ticket, &[id]).await.data();
}

/// Attaches one upload, expecting `code`.
async fn attach_refused(
    app: &TestApp,
    auth: &Auth,
    kind: &str,
    ticket: &Value,
    id: &Value,
    code: &str,
) {
    attach(app, auth, kind, ticket, &[id])
        .await
        .expect_code(code);
}

async fn order_view(app: &TestApp, auth: &Auth, order: &Value) -> GqlResponse {
    let query = format!(
        "query($id: ID!) {{ repairOrder(id: $id) {{ attachments {{ {FIELDS} }} events {{ action note }} }} }}"
    );
    app.gql(auth, &query, json!({ "id": order["id"] })).await
}

async fn order_attachments(app: &TestApp, auth: &Auth, order: &Value) -> Vec<Value> {
    order_view(app, auth, order).await.data()["repairOrder"]["attachments"]
        .as_array()
        .expect("list")
        .clone()
}

/// GETs a URL the API handed out (a path on this server, or the S3 server's presigned URL).
async fn download(app: &TestApp, url: &str) -> reqwest::Response {
    let url = if url.starts_with('/') {
        format!("{}{url}", app.base_url)
    } else {
        url.to_owned()
    };
    app.http.get(url).send().await.expect("download")
}

async fn attachment_rows(app: &TestApp) -> Vec<entity::attachments::Model> {
    use sea_orm::EntityTrait;
    entity::attachments::Entity::find()
        .all(&app.db)
        .await
        .expect("rows")
}

/// Whether the store still holds the object of `row`.
async fn stored(app: &TestApp, row: &entity::attachments::Model) -> bool {
    let found = app.state.attachments.get(&row.object_key).await;
    if app.s3.is_none() {
        assert_eq!(
            found.is_ok(),
            app.attachment_dir().join(&row.object_key).exists()
        );
    }
    match found {
        Ok(_) => true,
        Err(servicedesk::error::ApiError::NotFound(_)) => false,
        Err(other) => panic!("store failed: {other:?}"),
    }
}

async fn attachments_upload_attach_and_download(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "ASSIGNED").await;
    // The client calls both files whatever it likes; the server reads their bytes.
    let pending = uploaded(
        &app,
        &w.customer.auth,
        &[
            ("leak.png", "application/octet-stream", PNG),
            ("noise.mp4", "video/mp4", MP4),
        ],
    )
    .await;
    assert_eq!(pending.len(), 2);
    assert_eq!(pending[0]["contentType"], "image/png");
    assert_eq!(pending[1]["contentType"], "video/mp4");
    assert_eq!(pending[0]["fileName"], "leak.png");
    assert_eq!(pending[0]["sizeBytes"], PNG.len());
    assert_eq!(pending[0]["ticketId"], Value::Null);
    assert_eq!(pending[0]["attachedAt"], Value::Null);
    // The uploader can look at a pending upload.
    let fetched = download(&app, pending[0]["url"].as_str().unwrap()).await;
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), PNG);

    let attached = attach(
        &app,
        &w.customer.auth,
        "REPAIR_ORDER",
        &order,
        &[&pending[0]["id"], &pending[1]["id"]],
    )
    .await;
    let attached = attached.data()["attachUploads"].as_array().unwrap().clone();
    assert!(
        attached
            .iter()
            .all(|a| a["ticketKind"] == "REPAIR_ORDER" && a["ticketId"] == order["id"])
    );
    // Attaching again is a harmless retry: no second timeline entry.
    attach_ok(
        &app,
        &w.customer.auth,
        "REPAIR_ORDER",
        &order,
        &pending[0]["id"],
    )
    .await;

    for auth in [
        &w.customer.auth,
        &w.technician.auth,
        &w.agent.auth,
        &w.supervisor.auth,
    ] {
        let seen = order_attachments(&app, auth, &order).await;
        assert_eq!(seen.len(), 2);
        let file = download(&app, seen[1]["url"].as_str().unwrap()).await;
        assert_eq!(file.status(), 200);
        if app.s3.is_none() {
            assert_eq!(file.headers()["content-type"], "video/mp4");
            assert_eq!(file.headers()["x-content-type-options"], "nosniff");
        }
        assert_eq!(file.bytes().await.unwrap().as_ref(), MP4);
    }
    let view = order_view(&app, &w.customer.auth, &order).await;
    let entries: Vec<&Value> = view.data()["repairOrder"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "ATTACHMENTS_ADDED")
        .collect();
    assert_eq!(entries.len(), 1, "one public entry the customer reads");
    assert_eq!(
        entries[0]["note"],
        "2 file(s) attached: leak.png, noise.mp4"
    );
    match &app.s3 {
        Some(s3) => {
            let url = attached[0]["url"].as_str().unwrap();
            assert!(url.starts_with(&s3.endpoint), "{url}");
            assert!(url.contains("X-Amz-Expires=300"), "{url}");
            // The signed path is the attachment's own object (moto does not check signatures,
            // so the server's refusal of a forged one is tested on the local route).
            let rows = attachment_rows(&app).await;
            let (path, _) = url.split_once('?').unwrap();
            assert!(
                path.ends_with(&format!("/{}/{}", s3.bucket, rows[0].object_key)),
                "{url}"
            );
        }
        None => {
            let rows = attachment_rows(&app).await;
            assert!(
                rows.iter()
                    .all(|row| app.attachment_dir().join(&row.object_key).exists())
            );
        }
    }
    // The sha256 is the content's.
    use sha2::{Digest, Sha256};
    let digest: String = Sha256::digest(PNG)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(attached[0]["sha256"], digest);
}

async fn attachments_not_attached_within_the_ttl_are_removed(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "SUBMITTED").await;
    let kept = uploaded(&app, &w.customer.auth, &[("a.jpg", "image/jpeg", JPEG)]).await;
    attach_ok(
        &app,
        &w.customer.auth,
        "REPAIR_ORDER",
        &order,
        &kept[0]["id"],
    )
    .await;
    let forgotten = uploaded(&app, &w.customer.auth, &[("b.jpg", "image/jpeg", JPEG)]).await;
    let rows = attachment_rows(&app).await;
    assert_eq!(rows.len(), 2);
    assert!(stored(&app, &rows[1]).await);

    app.clock.advance(Duration::minutes(59));
    let storage = app.state.attachments.clone();
    let removed =
        servicedesk::jobs::attachments::remove_expired(&app.db, &storage, app.clock_now())
            .await
            .expect("pass");
    assert_eq!(removed, 0, "not an hour old yet");
    app.clock.advance(Duration::minutes(2));
    // Past the hour it cannot be attached, even before the job ran.
    let late = attach(
        &app,
        &w.customer.auth,
        "REPAIR_ORDER",
        &order,
        &[&forgotten[0]["id"]],
    )
    .await;
    late.expect_code("NOT_FOUND");
    let removed =
        servicedesk::jobs::attachments::remove_expired(&app.db, &storage, app.clock_now())
            .await
            .expect("pass");
    assert_eq!(removed, 1);
    let left = attachment_rows(&app).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, rows[0].id, "the attached one stays");
    assert!(stored(&app, &rows[0]).await);
    assert!(
        !stored(&app, &rows[1]).await,
        "the object went with its row"
    );
}

async fn attachments_limits_are_checked_before_anything_is_stored(app: TestApp) {
    let w = app.repair_world().await;
    let customer = &w.customer.auth;
    // More files than ATTACHMENT_MAX_FILES (3).
    let four = [("a.png", "image/png", PNG); 4];
    let refused = upload(&app, customer, &four).await;
    assert_eq!(refused.expect_code("BAD_USER_INPUT")["field"], "files");
    // A photo over its limit (2,000 bytes) but within the video limit.
    let mut big_photo = PNG.to_vec();
    big_photo.resize(2_500, 0);
    let refused = upload(
        &app,
        customer,
        &[
            ("ok.png", "image/png", PNG),
            ("big.png", "image/png", &big_photo),
        ],
    )
    .await;
    let ext = refused.expect_code("BAD_USER_INPUT");
    assert_eq!(ext["field"], "files.1");
    // A file over the largest limit is refused while it arrives.
    let mut huge = MP4.to_vec();
    huge.resize(9_000, 0);
    let refused = upload(&app, customer, &[("huge.mp4", "video/mp4", &huge)]).await;
    assert_eq!(refused.status, 413);
    refused.expect_code("PAYLOAD_TOO_LARGE");
    // Names with control characters or over 255 characters.
    let long = format!("{}.png", "x".repeat(256));
    for name in ["tab\tname.png", long.as_str()] {
        let refused = upload(&app, customer, &[(name, "image/png", PNG)]).await;
        assert_eq!(
            refused.code(),
            "BAD_USER_INPUT",
            "{name:?}: {}",
            refused.body
        );
        assert_eq!(
            refused.body["errors"][0]["extensions"]["field"], "files.0",
            "{name:?}"
        );
    }
    // NUL and line breaks cannot even be framed in a part's headers: the request is refused
    // before any file is read.
    for name in [
        "a\u{0}b.png",
        "line\nbreak.png",
        "bell\u{7}.png",
        "del\u{7f}.png",
    ] {
        let refused = upload(&app, customer, &[(name, "image/png", PNG)]).await;
        assert!(
            matches!(refused.code(), "BAD_USER_INPUT" | "BAD_REQUEST"),
            "{}",
            refused.body
        );
    }
    assert!(attachment_rows(&app).await.is_empty(), "nothing was kept");
    assert_eq!(
        std::fs::read_dir(app.attachment_dir()).unwrap().count(),
        0,
        "nor stored"
    );

    // ATTACHMENT_MAX_PENDING (4) uploads held unattached at once.
    uploaded(
        &app,
        customer,
        &[
            ("1.png", "image/png", PNG),
            ("2.png", "image/png", PNG),
            ("3.png", "image/png", PNG),
        ],
    )
    .await;
    let refused = upload(
        &app,
        customer,
        &[("4.png", "image/png", PNG), ("5.png", "image/png", PNG)],
    )
    .await;
    assert_eq!(refused.expect_code("BAD_USER_INPUT")["field"], "files");
    let fourth = uploaded(&app, customer, &[("4.png", "image/png", PNG)]).await;

    // ATTACHMENT_MAX_PER_TICKET (4) on one ticket.
    let order = app.order_in(&w, "SUBMITTED").await;
    let rows = attachment_rows(&app).await;
    let ids: Vec<Value> = rows
        .iter()
        .map(|r| json!(gid(NodeType::Attachment, r.id)))
        .collect();
    attach(
        &app,
        customer,
        "REPAIR_ORDER",
        &order,
        &ids.iter().collect::<Vec<_>>(),
    )
    .await
    .data();
    let fifth = uploaded(&app, customer, &[("5.png", "image/png", PNG)]).await;
    let refused = attach(&app, customer, "REPAIR_ORDER", &order, &[&fifth[0]["id"]]).await;
    assert_eq!(
        refused.expect_code("BAD_USER_INPUT")["field"],
        "attachmentIds"
    );
    assert_eq!(fourth.len(), 1);
    // Nothing is attached to a closed order.
    let closed = app.order_in(&w, "CLOSED").await;
    let refused = attach(&app, customer, "REPAIR_ORDER", &closed, &[&fifth[0]["id"]]).await;
    refused.expect_code("INVALID_TRANSITION");
}

async fn attachments_types_are_sniffed_not_believed(app: TestApp) {
    let w = app.repair_world().await;
    let html = b"<html><script>alert(document.cookie)</script></html>";
    let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0";
    for (name, claimed, content) in [
        ("photo.png", "image/png", &html[..]),
        ("photo.jpg", "image/jpeg", &exe[..]),
        ("clip.mp4", "video/mp4", b"just text, not a video"),
    ] {
        let refused = upload(
            &app,
            &w.customer.auth,
            &[("ok.jpg", "image/jpeg", JPEG), (name, claimed, content)],
        )
        .await;
        let ext = refused.expect_code("BAD_USER_INPUT");
        assert_eq!(ext["field"], "files.1", "{name}");
    }
    assert!(attachment_rows(&app).await.is_empty());
    // A real photo with a wrong claim is stored as what it is.
    let stored = uploaded(&app, &w.customer.auth, &[("x.txt", "text/html", JPEG)]).await;
    assert_eq!(stored[0]["contentType"], "image/jpeg");
}

async fn attachments_multipart_needs_the_preflight_header(app: TestApp) {
    let w = app.repair_world().await;
    let operations = json!({
        "query": "mutation($files: [Upload!]!) { uploadAttachments(files: $files) { id } }",
        "variables": { "files": [null] },
    });
    let parts = files(&[("a.png", "image/png", PNG)]);
    // A browser form can post multipart/form-data from any site without a preflight.
    let refused = app
        .multipart(&w.customer.auth, operations.clone(), &parts, false)
        .await;
    assert_eq!(refused.status, 400);
    refused.expect_code("BAD_REQUEST");
    let anonymous = app
        .multipart(&Auth::None, operations.clone(), &parts, true)
        .await;
    anonymous.expect_code("UNAUTHENTICATED");
    let admin = app
        .multipart(&w.admin.auth, operations.clone(), &parts, true)
        .await;
    admin.expect_code("FORBIDDEN");
    assert!(attachment_rows(&app).await.is_empty());
    // A JSON request cannot name a file it does not carry, nor forge the parser's marker.
    for forged in [
        json!("#__graphql_file__:0"),
        json!("#__graphql_file__:x"),
        json!("#__graphql_file__:99999999999999999999"),
    ] {
        let response = app
            .gql(
                &w.customer.auth,
                "mutation($files: [Upload!]!) { uploadAttachments(files: $files) { id } }",
                json!({ "files": [forged] }),
            )
            .await;
        response.expect_code("BAD_USER_INPUT");
    }
    let literal = app
        .gql(
            &w.customer.auth,
            r##"mutation { uploadAttachments(files: ["#__graphql_file__:3"]) { id } }"##,
            json!({}),
        )
        .await;
    literal.expect_code("BAD_USER_INPUT");
    // Other media types are still 415.
    let other = app
        .http
        .post(format!("{}/graphql", app.base_url))
        .header("Content-Type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 415);
}

async fn r_prv_1_r_prv_7_attachments_follow_the_tickets_visibility(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "ASSIGNED").await;
    let photo = uploaded(&app, &w.customer.auth, &[("mine.png", "image/png", PNG)]).await;
    // Someone else's upload cannot be attached, not even to one's own ticket.
    let theirs = uploaded(
        &app,
        &w.other_customer.auth,
        &[("theirs.png", "image/png", PNG)],
    )
    .await;
    attach_refused(
        &app,
        &w.customer.auth,
        "REPAIR_ORDER",
        &order,
        &theirs[0]["id"],
        "NOT_FOUND",
    )
    .await;
    attach_refused(
        &app,
        &w.agent.auth,
        "REPAIR_ORDER",
        &order,
        &photo[0]["id"],
        "NOT_FOUND",
    )
    .await;
    // Nobody attaches to a ticket they do not see.
    let agent_photo = uploaded(&app, &w.other_agent.auth, &[("a.png", "image/png", PNG)]).await;
    attach_refused(
        &app,
        &w.other_agent.auth,
        "REPAIR_ORDER",
        &order,
        &agent_photo[0]["id"],
        "NOT_FOUND",
    )
    .await;
    attach_refused(
        &app,
        &w.other_customer.auth,
        "REPAIR_ORDER",
        &order,
        &theirs[0]["id"],
        "NOT_FOUND",
    )
    .await;
    attach_ok(
        &app,
        &w.customer.auth,
        "REPAIR_ORDER",
        &order,
        &photo[0]["id"],
    )
    .await;

    // A customer cannot read another customer's attachment; another centre's agent and a
    // technician not assigned neither.
    for auth in [
        &w.other_customer.auth,
        &w.other_agent.auth,
        &w.other_technician.auth,
        &w.partner,
    ] {
        order_view(&app, auth, &order)
            .await
            .expect_code("NOT_FOUND");
    }
    let admin = order_view(&app, &w.admin.auth, &order).await;
    assert!(
        matches!(admin.code(), "NOT_FOUND" | "FORBIDDEN"),
        "{}",
        admin.body
    );
    // node(id:) applies the same rule; a pending upload is its uploader's alone.
    let node = "query($id: ID!) { node(id: $id) { __typename id } }";
    let read = |auth: &Auth, id: &Value| {
        let auth = auth.clone();
        let id = id.clone();
        let app = &app;
        async move { app.gql(&auth, node, json!({ "id": id })).await }
    };
    let own = read(&w.agent.auth, &photo[0]["id"]).await;
    assert_eq!(own.data()["node"]["__typename"], "Attachment");
    assert_eq!(own.data()["node"]["id"], photo[0]["id"]);
    for auth in [&w.other_customer.auth, &w.other_agent.auth, &w.partner] {
        read(auth, &photo[0]["id"]).await.expect_code("NOT_FOUND");
    }
    assert_eq!(
        read(&w.other_customer.auth, &theirs[0]["id"]).await.data()["node"]["id"],
        theirs[0]["id"]
    );
    read(&w.customer.auth, &theirs[0]["id"])
        .await
        .expect_code("NOT_FOUND");

    // A partner reads its organization's orders' attachments only.
    let input = json!({ "customerId": w.partner_customer.gid(), "assetId": gid(NodeType::Asset, w.partner_asset),
                        "serviceCentreId": gid(NodeType::ServiceCentre, w.centre), "faultDescription": "Leaks",
                        "serviceAddress": "Room 502, 7 Nanjing Road", "contactPhone": "13900001111" });
    let reported = app
        .gql(
            &w.partner,
            "mutation($input: ReportFaultInput!) { reportFault(input: $input) { id } }",
            json!({ "input": input }),
        )
        .await;
    let partner_order = reported.data()["reportFault"].clone();
    let partner_photo = uploaded(&app, &w.partner, &[("p.jpg", "image/jpeg", JPEG)]).await;
    attach_ok(
        &app,
        &w.partner,
        "REPAIR_ORDER",
        &partner_order,
        &partner_photo[0]["id"],
    )
    .await;
    assert_eq!(
        order_attachments(&app, &w.partner, &partner_order)
            .await
            .len(),
        1
    );
    assert_eq!(
        order_attachments(&app, &w.agent.auth, &partner_order)
            .await
            .len(),
        1
    );
    order_view(&app, &w.other_partner, &partner_order)
        .await
        .expect_code("NOT_FOUND");
    let other_partner_photo =
        uploaded(&app, &w.other_partner, &[("o.jpg", "image/jpeg", JPEG)]).await;
    attach_refused(
        &app,
        &w.other_partner,
        "REPAIR_ORDER",
        &partner_order,
        &other_partner_photo[0]["id"],
        "NOT_FOUND",
    )
    .await;
    // The customer's own order is not the partner's organization's.
    attach_refused(
        &app,
        &w.partner,
        "REPAIR_ORDER",
        &order,
        &partner_photo[0]["id"],
        "NOT_FOUND",
    )
    .await;
}

async fn attachments_on_complaints_and_return_visits(app: TestApp) {
    let w = app.repair_world().await;
    let complaint = app.complaint_in(&w, &w.customer, "ACKNOWLEDGED").await;
    let photo = uploaded(&app, &w.customer.auth, &[("rude.jpg", "image/jpeg", JPEG)]).await;
    attach_ok(
        &app,
        &w.customer.auth,
        "COMPLAINT",
        &complaint,
        &photo[0]["id"],
    )
    .await;
    let mine = app
        .gql(
            &w.customer.auth,
            "{ myComplaints { nodes { attachments { fileName url } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine.data()["myComplaints"]["nodes"][0]["attachments"][0]["fileName"],
        "rude.jpg"
    );
    let staff = app
        .gql(
            &w.agent.auth,
            "query($id: ID!) { complaintById(id: $id) { attachments { fileName } } }",
            json!({ "id": complaint["id"] }),
        )
        .await;
    assert_eq!(
        staff.data()["complaintById"]["attachments"][0]["fileName"],
        "rude.jpg"
    );
    let others = app
        .gql(
            &w.other_customer.auth,
            "{ myComplaints { nodes { attachments { fileName } } } }",
            json!({}),
        )
        .await;
    assert_eq!(others.data()["myComplaints"]["nodes"], json!([]));
    let tech_photo = uploaded(&app, &w.technician.auth, &[("t.jpg", "image/jpeg", JPEG)]).await;
    attach_refused(
        &app,
        &w.technician.auth,
        "COMPLAINT",
        &complaint,
        &tech_photo[0]["id"],
        "NOT_FOUND",
    )
    .await;
    attach_refused(
        &app,
        &w.other_agent.auth,
        "COMPLAINT",
        &complaint,
        &tech_photo[0]["id"],
        "NOT_FOUND",
    )
    .await;

    // A return visit: the centre's staff attach; the entry is internal on the visited order.
    let order = app.order_in(&w, "CLOSED").await;
    let due = app
        .gql(
            &w.agent.auth,
            "{ returnVisitsDue { id ticketId attachments { fileName } } }",
            json!({}),
        )
        .await;
    let visit = due.data()["returnVisitsDue"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["ticketId"] == order["id"])
        .expect("a visit of the order")
        .clone();
    let recording = uploaded(&app, &w.agent.auth, &[("call.mp4", "video/mp4", MP4)]).await;
    let customer_photo = uploaded(&app, &w.customer.auth, &[("c.jpg", "image/jpeg", JPEG)]).await;
    attach_refused(
        &app,
        &w.customer.auth,
        "RETURN_VISIT",
        &visit,
        &customer_photo[0]["id"],
        "NOT_FOUND",
    )
    .await;
    let other_agent_photo =
        uploaded(&app, &w.other_agent.auth, &[("o.jpg", "image/jpeg", JPEG)]).await;
    attach_refused(
        &app,
        &w.other_agent.auth,
        "RETURN_VISIT",
        &visit,
        &other_agent_photo[0]["id"],
        "NOT_FOUND",
    )
    .await;
    attach_ok(
        &app,
        &w.agent.auth,
        "RETURN_VISIT",
        &visit,
        &recording[0]["id"],
    )
    .await;
    let due = app
        .gql(
            &w.supervisor.auth,
            "{ returnVisitsDue { id attachments { fileName contentType } } }",
            json!({}),
        )
        .await;
    let seen = due.data()["returnVisitsDue"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == visit["id"])
        .unwrap()["attachments"]
        .clone();
    assert_eq!(
        seen,
        json!([{ "fileName": "call.mp4", "contentType": "video/mp4" }])
    );
    let customer_view = order_view(&app, &w.customer.auth, &order).await;
    let events = customer_view.data()["repairOrder"]["events"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        events.iter().all(|e| e["action"] != "ATTACHMENTS_ADDED"),
        "internal for the customer"
    );
    let staff_view = order_view(&app, &w.agent.auth, &order).await;
    let note = staff_view.data()["repairOrder"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "ATTACHMENTS_ADDED")
        .expect("staff read it")["note"]
        .clone();
    assert!(
        note.as_str()
            .unwrap()
            .ends_with("1 file(s) attached: call.mp4"),
        "{note}"
    );
}

async fn attachments_download_links_expire_and_name_one_attachment(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "SUBMITTED").await;
    let pending = uploaded(
        &app,
        &w.customer.auth,
        &[("a.png", "image/png", PNG), ("b.jpg", "image/jpeg", JPEG)],
    )
    .await;
    attach(
        &app,
        &w.customer.auth,
        "REPAIR_ORDER",
        &order,
        &[&pending[0]["id"], &pending[1]["id"]],
    )
    .await
    .data();
    let seen = order_attachments(&app, &w.customer.auth, &order).await;
    let url = seen[0]["url"].as_str().unwrap().to_owned();
    let other = seen[1]["url"].as_str().unwrap().to_owned();
    assert_eq!(download(&app, &url).await.status(), 200);
    // The same signature for the other attachment, a later expiry, a changed signature.
    let (path, query) = url.split_once('?').unwrap();
    let (other_path, _) = other.split_once('?').unwrap();
    let expires: i64 = query
        .split('&')
        .find_map(|p| p.strip_prefix("expires="))
        .unwrap()
        .parse()
        .unwrap();
    let signature = query
        .split('&')
        .find_map(|p| p.strip_prefix("signature="))
        .unwrap();
    let first = if signature.starts_with('A') { "B" } else { "A" };
    let flipped = format!("{first}{}", &signature[1..]);
    for forged in [
        format!("{other_path}?{query}"),
        format!("{path}?expires={}&signature={signature}", expires + 3600),
        format!("{path}?expires={expires}&signature={flipped}"),
        format!("{path}?expires={expires}"),
        path.to_owned(),
        format!("/attachments/x?{query}"),
    ] {
        let refused = download(&app, &forged).await;
        assert_eq!(refused.status(), 403, "{forged}");
    }
    // Valid for ATTACHMENT_URL_TTL_SECONDS (300 s).
    let until: chrono::DateTime<chrono::Utc> =
        seen[0]["urlExpiresAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(until, app.clock_now() + Duration::seconds(300));
    app.clock.advance(Duration::seconds(299));
    assert_eq!(download(&app, &url).await.status(), 200);
    app.clock.advance(Duration::seconds(1));
    let expired = download(&app, &url).await;
    assert_eq!(expired.status(), 403);
    let body: Value = expired.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    // A fresh read gives a fresh link.
    let fresh = order_attachments(&app, &w.customer.auth, &order).await;
    assert_eq!(
        download(&app, fresh[0]["url"].as_str().unwrap())
            .await
            .status(),
        200
    );
}

async fn attachments_survive_the_migration_down_and_up(app: TestApp) {
    let w = app.repair_world().await;
    uploaded(&app, &w.customer.auth, &[("a.png", "image/png", PNG)]).await;
    app.migrate_round_trip_from("m20261208_000019").await;
    assert!(
        attachment_rows(&app).await.is_empty(),
        "down drops the table, up makes it anew"
    );
    uploaded(&app, &w.customer.auth, &[("a.png", "image/png", PNG)]).await;
    assert_eq!(attachment_rows(&app).await.len(), 1);
}
