//! Privacy and data governance (issue 17): the access audit (R-PRV-3/12), masking in lists and
//! reveals (R-PRV-2/8), sealing (R-PRV-9), retention (R-PRV-6), nothing deleted (R-PRV-11).

use entity::ticket_events::TicketKind;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, Set, Statement,
};
use serde_json::{Value, json};
use servicedesk_tests::{Auth, NodeType, RepairWorld, TestApp, db_tests, gid, key_of};

db_tests!(
    r_prv_3_an_agents_list_page_writes_one_entry_not_one_per_row,
    r_prv_3_reads_without_personal_data_and_a_customers_own_are_not_recorded,
    r_prv_3_audit_log_is_for_admins_and_customers_see_who_read_their_data,
    r_prv_3_queued_entries_are_written_when_the_server_stops,
    r_prv_3_a_full_group_of_full_pages_is_written,
    r_prv_3_one_order_read_by_id_or_number_is_recorded,
    r_prv_2_staff_lists_mask_contacts_and_a_reveal_is_audited,
    r_prv_9_a_sealed_ticket_refuses_every_change,
    r_prv_6_the_retention_job_anonymizes_exactly_the_expired_tickets,
    r_prv_6_a_legal_hold_stops_the_destruction,
    r_prv_6_inquiries_are_destroyed_after_their_retention_period,
    r_prv_11_admin_changes_are_audited_with_old_and_new_values,
    r_prv_11_no_mutation_deletes_a_complaint_visit_or_event,
    r_prv_12_an_export_needs_a_second_supervisor_and_is_downloaded_once,
    r_prv_12_a_partner_gets_personal_data_it_filed_or_with_consent,
    r_prv_12_consent_is_written_by_the_customer_or_staff_never_by_the_partner,
    r_prv_12_a_partner_reads_an_inquirys_words_it_asked_or_with_consent,
    r_prv_3_inquiry_reads_of_the_question_write_one_entry_per_page,
);

const CONSENT: &str = "mutation($input: RecordDisclosureConsentInput!) {
    recordDisclosureConsent(input: $input) { id customerId organizationId basis channel reference inForce } }";

/// What the partner reads of an order: contact values and the customer's name.
async fn partner_view(app: &TestApp, w: &RepairWorld, order: &Value) -> (String, String, String) {
    let response = app
        .gql(
            &w.partner,
            "query($id: ID!) { node(id: $id) { ... on RepairOrder {
                contactPhone serviceAddress customer { name } } } }",
            json!({ "id": order["id"] }),
        )
        .await;
    let node = &response.data()["node"];
    let text = |value: &Value| value.as_str().expect("text").to_owned();
    (
        text(&node["contactPhone"]),
        text(&node["serviceAddress"]),
        text(&node["customer"]["name"]),
    )
}

const PAGE: &str =
    "{ repairOrders(first: 50) { edges { node { number customer { name phone } } } } }";

const LOG: &str = "query($filter: AuditLogFilter) { auditLog(filter: $filter, first: 50) {
    edges { node { actorRole actorId clientAddress action subjectKind operation fields rowCount } } } }";

/// The audit log's entries as an admin reads them.
async fn audit_log(app: &TestApp, admin: &Auth, filter: Value) -> Vec<Value> {
    let response = app.gql(admin, LOG, json!({ "filter": filter })).await;
    response.data()["auditLog"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

/// An order the world's partner reports for its customer.
async fn partner_order(app: &TestApp, w: &RepairWorld) -> Value {
    let input = json!({ "customerId": w.partner_customer.gid(), "assetId": gid(NodeType::Asset, w.partner_asset),
                        "serviceCentreId": gid(NodeType::ServiceCentre, w.centre),
                        "faultDescription": "Noisy", "serviceAddress": "12 Dealer Road, Minhang",
                        "contactPhone": "13711112222" });
    let response = app
        .gql(
            &w.partner,
            "mutation($input: ReportFaultInput!) { reportFault(input: $input) { id version } }",
            json!({ "input": input }),
        )
        .await;
    response.data()["reportFault"].clone()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .expect("count")
        .expect("row");
    row.try_get::<i64>("", "n").expect("n")
}

async fn r_prv_3_an_agents_list_page_writes_one_entry_not_one_per_row(app: TestApp) {
    let w = app.repair_world().await;
    for _ in 0..3 {
        app.report(&w.customer, w.asset).await;
    }
    let theirs = app
        .asset(
            w.other_customer.id,
            app.clock_now().date_naive() + chrono::Duration::days(90),
        )
        .await;
    app.report(&w.other_customer, theirs).await;
    let page = app.gql(&w.agent.auth, PAGE, json!({})).await;
    assert_eq!(
        page.data()["repairOrders"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    let reads = audit_log(
        &app,
        &w.admin.auth,
        json!({ "action": "personal_data.read" }),
    )
    .await;
    assert_eq!(reads.len(), 1, "one entry for the page: {reads:?}");
    let entry = &reads[0];
    assert_eq!(entry["actorRole"], "AGENT");
    assert_eq!(entry["actorId"], w.agent.gid());
    assert_eq!(entry["clientAddress"], "127.0.0.1");
    assert_eq!(entry["subjectKind"], "REPAIR_ORDER");
    assert_eq!(entry["operation"], "repairOrders");
    assert_eq!(entry["rowCount"], 4);
    // Phones in lists are masked for agents: not personal data any more.
    assert_eq!(entry["fields"], json!(["customer.name"]));
    // Both customers are linked to the one entry, once each.
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM audit_log_users").await,
        2
    );
    let of_customer = audit_log(
        &app,
        &w.admin.auth,
        json!({ "customerId": w.other_customer.gid() }),
    )
    .await;
    assert_eq!(of_customer.len(), 1);
}

async fn r_prv_3_reads_without_personal_data_and_a_customers_own_are_not_recorded(app: TestApp) {
    let w = app.repair_world().await;
    app.report(&w.customer, w.asset).await;
    app.gql(
        &w.agent.auth,
        "{ repairOrders(first: 50) { edges { node { number status } } } }",
        json!({}),
    )
    .await
    .data();
    app.gql(
        &w.customer.auth,
        "{ myRepairOrders(first: 50) { edges { node { number contactPhone customer { name } } } } }",
        json!({}),
    )
    .await
    .data();
    assert!(
        audit_log(
            &app,
            &w.admin.auth,
            json!({ "action": "personal_data.read" })
        )
        .await
        .is_empty()
    );
    // Addresses in an agent's list are masked: nothing personal was shown.
    app.gql(
        &w.supervisor.auth,
        "{ repairOrders(first: 5) { nodes { serviceAddress contactPhone } } }",
        json!({}),
    )
    .await
    .data();
    assert!(
        audit_log(
            &app,
            &w.admin.auth,
            json!({ "action": "personal_data.read" })
        )
        .await
        .is_empty()
    );
    // A partner sees the addresses it entered in full, through `nodes` too: recorded.
    partner_order(&app, &w).await;
    app.gql(
        &w.partner,
        "{ repairOrders(first: 5) { nodes { serviceAddress } } }",
        json!({}),
    )
    .await
    .data();
    let reads = audit_log(
        &app,
        &w.admin.auth,
        json!({ "action": "personal_data.read" }),
    )
    .await;
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0]["fields"], json!(["serviceAddress"]));
    assert_eq!(reads[0]["actorRole"], "PARTNER");
}

async fn r_prv_3_audit_log_is_for_admins_and_customers_see_who_read_their_data(app: TestApp) {
    let w = app.repair_world().await;
    app.report(&w.customer, w.asset).await;
    app.gql(&w.agent.auth, PAGE, json!({})).await.data();
    for auth in [
        &w.agent.auth,
        &w.supervisor.auth,
        &w.customer.auth,
        &w.partner,
    ] {
        app.gql(auth, LOG, json!({})).await.expect_code("FORBIDDEN");
    }
    let mine = "{ myDataAccess(first: 10) { edges { node { actorRole actorName action operation fields } } } }";
    let seen = app.gql(&w.customer.auth, mine, json!({})).await;
    let edges = seen.data()["myDataAccess"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), 1, "{edges:?}");
    let access = &edges[0]["node"];
    assert_eq!(access["actorRole"], "AGENT");
    assert_eq!(access["actorName"], "Test Agent");
    assert_eq!(access["operation"], "repairOrders");
    assert_eq!(access["fields"], json!(["customer.name"]));
    // Nobody read the other customer's data.
    let theirs = app.gql(&w.other_customer.auth, mine, json!({})).await;
    assert_eq!(theirs.data()["myDataAccess"]["edges"], json!([]));
    app.gql(&w.agent.auth, mine, json!({}))
        .await
        .expect_code("FORBIDDEN");
}

/// The writer commits up to `AUDIT_BATCH` (500) entries at once; 500 pages of 100 people are
/// 50,000 links, 100,000 parameters in one statement, past PostgreSQL's limit of 65,535.
async fn r_prv_3_a_full_group_of_full_pages_is_written(app: TestApp) {
    use servicedesk::store::audit::{Access, Actor, insert_batch};
    let entries: Vec<Access> = (0..500)
        .map(|page| Access {
            occurred_at: app.clock_now(),
            actor: Actor::system(),
            action: "personal_data.read",
            subject_kind: "REPAIR_ORDER",
            subject_id: None,
            operation: Some("repairOrders".to_owned()),
            fields: vec!["customer.name"],
            row_count: Some(100),
            users: (0..100).map(|person| page * 100 + person).collect(),
            detail: None,
        })
        .collect();
    let txn = servicedesk::store::begin_write(&app.db)
        .await
        .expect("begin");
    insert_batch(&txn, &entries)
        .await
        .expect("a full group is written");
    txn.commit().await.expect("commit");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM audit_log_users").await,
        50_000
    );
}

async fn r_prv_3_queued_entries_are_written_when_the_server_stops(mut app: TestApp) {
    let w = app.repair_world().await;
    app.report(&w.customer, w.asset).await;
    for _ in 0..20 {
        app.gql(&w.agent.auth, PAGE, json!({})).await.data();
    }
    app.shut_down().await;
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM audit_log WHERE action = 'personal_data.read'"
        )
        .await,
        20
    );
}

/// Moves the ticket's closing `days` into the past, as if that long had gone by.
async fn closed_days_ago(app: &TestApp, table: &str, ticket: &Value, days: i64) {
    moved_back(app, table, "closed_at", ticket, days).await;
}

/// Sets `column` of the ticket to `days` ago.
async fn moved_back(app: &TestApp, table: &str, column: &str, ticket: &Value, days: i64) {
    let at = app.clock_now() - chrono::Duration::days(days);
    let backend = app.db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => format!("UPDATE {table} SET {column} = $1 WHERE id = $2"),
        _ => format!("UPDATE {table} SET {column} = ? WHERE id = ?"),
    };
    app.db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [at.into(), key_of(&ticket["id"]).into()],
        ))
        .await
        .expect("move closing");
}

const CONTACT: &str = "contactPhone serviceAddress customer { name phone masked }";

async fn r_prv_2_staff_lists_mask_contacts_and_a_reveal_is_audited(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.report(&w.customer, w.asset).await;
    let list = app
        .gql(
            &w.agent.auth,
            &format!("{{ repairOrders(first: 10) {{ edges {{ node {{ {CONTACT} }} }} }} }}"),
            json!({}),
        )
        .await;
    let row = list.data()["repairOrders"]["edges"][0]["node"].clone();
    assert_eq!(row["contactPhone"], "+86****5678");
    assert_eq!(row["serviceAddress"], "Room 1****");
    assert_eq!(
        row["customer"]["name"], "Test Customer",
        "names stay, to greet the caller"
    );
    assert_eq!(row["customer"]["masked"], true);
    let customer_phone = row["customer"]["phone"].as_str().unwrap();
    assert!(customer_phone.contains("****"), "{customer_phone}");
    // The order opened by itself shows them: the agent is working on it.
    let one = app
        .gql(
            &w.agent.auth,
            &format!("query($id: ID!) {{ repairOrder(id: $id) {{ {CONTACT} }} }}"),
            json!({ "id": order["id"] }),
        )
        .await;
    assert_eq!(one.data()["repairOrder"]["contactPhone"], "+8613812345678");

    let reveal =
        "mutation($id: ID!, $f: ContactField!) { revealContact(repairOrderId: $id, field: $f) }";
    let revealed = app
        .gql(
            &w.agent.auth,
            reveal,
            json!({ "id": order["id"], "f": "CONTACT_PHONE" }),
        )
        .await;
    assert_eq!(revealed.data()["revealContact"], "+8613812345678");
    let revealed = app
        .gql(
            &w.supervisor.auth,
            reveal,
            json!({ "id": order["id"], "f": "CUSTOMER_PHONE" }),
        )
        .await;
    assert_eq!(revealed.data()["revealContact"], w.customer.phone.as_str());
    app.gql(
        &w.customer.auth,
        reveal,
        json!({ "id": order["id"], "f": "SERVICE_ADDRESS" }),
    )
    .await
    .expect_code("FORBIDDEN");
    app.gql(
        &w.other_agent.auth,
        reveal,
        json!({ "id": order["id"], "f": "SERVICE_ADDRESS" }),
    )
    .await
    .expect_code("NOT_FOUND");

    let reveals = audit_log(&app, &w.admin.auth, json!({ "action": "contact.reveal" })).await;
    assert_eq!(reveals.len(), 2, "{reveals:?}");
    assert_eq!(reveals[1]["actorRole"], "AGENT");
    assert_eq!(reveals[1]["fields"], json!(["contactPhone"]));
    assert_eq!(reveals[0]["fields"], json!(["customer.phone"]));
    let mine = app
        .gql(
            &w.customer.auth,
            "{ myDataAccess { edges { node { action actorRole } } } }",
            json!({}),
        )
        .await;
    let actions: Vec<&str> = mine.data()["myDataAccess"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.iter().filter(|a| **a == "contact.reveal").count() == 2,
        "{actions:?}"
    );

    // Once the order is finished, only a supervisor reveals.
    let closed = app.order_in(&w, "CLOSED").await;
    app.gql(
        &w.agent.auth,
        reveal,
        json!({ "id": closed["id"], "f": "CONTACT_PHONE" }),
    )
    .await
    .expect_code("FORBIDDEN");
    app.gql(
        &w.supervisor.auth,
        reveal,
        json!({ "id": closed["id"], "f": "CONTACT_PHONE" }),
    )
    .await
    .data();
}

async fn r_prv_9_a_sealed_ticket_refuses_every_change(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "CLOSED").await;
    let note =
        "mutation($id: ID!) { addRepairNote(id: $id, note: \"late\", public: false) { id } }";
    let customer_note = "mutation($id: ID!) { addCustomerNote(id: $id, note: \"late\") { id } }";
    // Closed, not yet sealed: the state machine answers.
    closed_days_ago(&app, "repair_orders", &order, 364).await;
    app.gql(&w.agent.auth, note, json!({ "id": order["id"] }))
        .await
        .expect_code("INVALID_TRANSITION");
    closed_days_ago(&app, "repair_orders", &order, 365).await;
    app.gql(&w.agent.auth, note, json!({ "id": order["id"] }))
        .await
        .expect_code("SEALED");
    app.gql(
        &w.customer.auth,
        customer_note,
        json!({ "id": order["id"] }),
    )
    .await
    .expect_code("SEALED");
    for (auth, name, args) in [
        (&w.agent.auth, "closeRepair", ""),
        (&w.agent.auth, "cancelRepair", ", reason: \"late\""),
        (&w.customer.auth, "rejectRepair", ", reason: \"late\""),
    ] {
        app.repair_op(auth, name, &order, args)
            .await
            .expect_code("SEALED");
    }
    // Still readable; invisible tickets stay NOT_FOUND.
    app.gql(
        &w.agent.auth,
        "query($id: ID!) { repairOrder(id: $id) { status } }",
        json!({ "id": order["id"] }),
    )
    .await
    .data();
    app.gql(&w.other_agent.auth, note, json!({ "id": order["id"] }))
        .await
        .expect_code("NOT_FOUND");

    let complaint = app.complaint_in(&w, &w.customer, "CLOSED").await;
    closed_days_ago(&app, "complaints", &complaint, 400).await;
    for (auth, name, args) in [
        (&w.agent.auth, "escalateComplaint", ", reason: \"again\""),
        (&w.agent.auth, "reopenComplaint", ", reason: \"again\""),
        (&w.supervisor.auth, "closeComplaint", ""),
    ] {
        app.complaint_op(auth, name, &complaint, args)
            .await
            .expect_code("SEALED");
    }

    // A return visit follows the seal of the ticket it visits: neither recorded nor reviewed.
    let record = "mutation($id: ID!) { recordReturnVisit(id: $id, input: { visitedAt: \"2026-12-01T10:00:00Z\",
        channel: PHONE, satisfaction: SATISFIED, answers: \"fine\", outcome: OK }) { id } }";
    let review = "mutation($id: ID!) { reviewReturnVisit(id: $id, note: \"Checked\") { id } }";
    for (recorded, auth, mutation) in [
        (false, &w.agent.auth, record),
        (true, &w.supervisor.auth, review),
    ] {
        let visit = visit_of(
            &app,
            &w,
            TicketKind::RepairOrder,
            key_of(&order["id"]),
            recorded,
        )
        .await;
        app.gql(auth, mutation, json!({ "id": visit }))
            .await
            .expect_code("SEALED");
    }

    // An inquiry is sealed a year after it was answered (or converted).
    let ask = "mutation($c: ID!) { askInquiry(input: { customerId: $c, channel: PHONE,
        question: \"How do I descale it?\" }) { id } }";
    let inquiry = app
        .gql(&w.agent.auth, ask, json!({ "c": w.customer.gid() }))
        .await
        .data()["askInquiry"]
        .clone();
    let answer =
        "mutation($id: ID!) { answerInquiry(id: $id, answer: \"Use citric acid\") { id } }";
    app.gql(&w.agent.auth, answer, json!({ "id": inquiry["id"] }))
        .await
        .data();
    moved_back(&app, "inquiries", "answered_at", &inquiry, 364).await;
    app.gql(&w.agent.auth, answer, json!({ "id": inquiry["id"] }))
        .await
        .expect_code("INVALID_TRANSITION");
    moved_back(&app, "inquiries", "answered_at", &inquiry, 366).await;
    app.gql(&w.agent.auth, answer, json!({ "id": inquiry["id"] }))
        .await
        .expect_code("SEALED");
    app.gql(
        &w.agent.auth,
        "mutation($id: ID!, $h: ID!) { passInquiry(id: $id, handlerId: $h) { id } }",
        json!({ "id": inquiry["id"], "h": w.supervisor.gid() }),
    )
    .await
    .expect_code("SEALED");
}

/// A return visit of the ticket, recorded or not: its id.
async fn visit_of(
    app: &TestApp,
    w: &RepairWorld,
    kind: TicketKind,
    id: i64,
    recorded: bool,
) -> String {
    use entity::return_visits;
    let now = app.clock_now();
    let visit = return_visits::ActiveModel {
        ticket_kind: Set(kind),
        ticket_id: Set(id),
        customer_id: Set(w.customer.id),
        service_centre_id: Set(w.centre),
        purpose: Set(return_visits::VisitPurpose::AfterClosure),
        attempt: Set(if recorded { 8 } else { 7 }),
        due_at: Set(now),
        customer_chose_time: Set(false),
        agent_id: Set(recorded.then_some(w.agent.id)),
        visited_at: Set(recorded.then_some(now)),
        answers: Set(recorded.then(|| "fine".to_owned())),
        outcome: Set(recorded.then_some(return_visits::VisitOutcome::Ok)),
        recorded_at: Set(recorded.then_some(now)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("visit");
    gid(NodeType::ReturnVisit, visit.id)
}

const DESTROYED: &str = "{ destructionRecords(first: 10) { edges { node { ticketKind ticketId retentionDays fields } } } }";

async fn read_order(app: &TestApp, auth: &Auth, order: &Value) -> Value {
    app.gql(
        auth,
        "query($id: ID!) { repairOrder(id: $id) { status serviceAddress contactPhone faultDescription } }",
        json!({ "id": order["id"] }),
    )
    .await
    .data()["repairOrder"]
        .clone()
}

/// Personal free text kept beside a ticket (R-PRV-6): a public and an internal timeline note,
/// a recorded return visit, a survey comment and a photo on the ticket and on the visit. The
/// photos' object keys.
async fn leave_traces(app: &TestApp, w: &RepairWorld, kind: TicketKind, id: i64) -> Vec<String> {
    use entity::{attachments, return_visits, surveys, ticket_events};
    let now = app.clock_now();
    for public in [true, false] {
        ticket_events::ActiveModel {
            ticket_kind: Set(kind),
            ticket_id: Set(id),
            actor_user_id: Set(Some(w.agent.id)),
            actor_role: Set("AGENT".into()),
            action: Set("note_added".into()),
            note: Set(Some(format!("Mrs Li, 12 Elm St, public {public}"))),
            public: Set(public),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .expect("note");
    }
    let visit = return_visits::ActiveModel {
        ticket_kind: Set(kind),
        ticket_id: Set(id),
        customer_id: Set(w.customer.id),
        service_centre_id: Set(w.centre),
        purpose: Set(return_visits::VisitPurpose::AfterClosure),
        attempt: Set(9),
        due_at: Set(now),
        customer_chose_time: Set(false),
        agent_id: Set(Some(w.agent.id)),
        visited_at: Set(Some(now)),
        improvement: Set(Some("Call my son on 139 0000 0000".into())),
        answers: Set(Some("Lives alone at 12 Elm St".into())),
        recorded_at: Set(Some(now)),
        review_note: Set(Some("Mrs Li sounded upset".into())),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("visit");
    let comment = "The technician saw my medicine cabinet";
    let updated = surveys::Entity::update_many()
        .col_expr(surveys::Column::Comment, Expr::value(comment))
        .filter(surveys::Column::TicketKind.eq(kind))
        .filter(surveys::Column::TicketId.eq(id))
        .exec(&app.db)
        .await
        .expect("survey comment");
    if updated.rows_affected == 0 {
        surveys::ActiveModel {
            ticket_kind: Set(kind),
            ticket_id: Set(id),
            customer_id: Set(w.customer.id),
            service_centre_id: Set(w.centre),
            expires_at: Set(now),
            submitted_at: Set(Some(now)),
            comment: Set(Some(comment.into())),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .expect("survey");
    }
    let mut keys = Vec::new();
    // A photo on the ticket, and one on its return visit.
    for (kind, id) in [(kind, id), (TicketKind::ReturnVisit, visit.id)] {
        let key = servicedesk::attachments::Storage::new_key();
        app.state
            .attachments
            .put(
                &key,
                b"\xff\xd8\xff photo of the customer's kitchen".to_vec(),
            )
            .await
            .expect("object");
        attachments::ActiveModel {
            ticket_kind: Set(Some(kind)),
            ticket_id: Set(Some(id)),
            uploader_user_id: Set(Some(w.customer.id)),
            object_key: Set(key.clone()),
            content_type: Set("image/jpeg".into()),
            file_name: Set("kitchen.jpg".into()),
            size_bytes: Set(40),
            sha256: Set("0".repeat(64)),
            created_at: Set(now),
            attached_at: Set(Some(now)),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .expect("attachment");
        keys.push(key);
    }
    keys
}

/// Whether each trace `leave_traces` left is still there: notes, visit answers, improvement,
/// review note, survey comment, attachment row, stored object.
async fn traces_kept(
    app: &TestApp,
    kind: TicketKind,
    id: i64,
    keys: &[String],
) -> Vec<(&'static str, bool)> {
    use entity::{attachments, return_visits, surveys, ticket_events};
    let removed = |text: &Option<String>| text.as_deref() == Some("[removed]");
    let notes = ticket_events::Entity::find()
        .filter(ticket_events::Column::TicketKind.eq(kind))
        .filter(ticket_events::Column::TicketId.eq(id))
        .filter(ticket_events::Column::Note.is_not_null())
        .all(&app.db)
        .await
        .expect("notes");
    let public: Vec<_> = notes.iter().filter(|e| e.public).collect();
    let internal: Vec<_> = notes.iter().filter(|e| !e.public).collect();
    let visit = return_visits::Entity::find()
        .filter(return_visits::Column::TicketKind.eq(kind))
        .filter(return_visits::Column::TicketId.eq(id))
        .filter(return_visits::Column::Attempt.eq(9))
        .one(&app.db)
        .await
        .expect("visit")
        .expect("the visit is kept");
    let survey = surveys::Entity::find()
        .filter(surveys::Column::TicketKind.eq(kind))
        .filter(surveys::Column::TicketId.eq(id))
        .one(&app.db)
        .await
        .expect("survey")
        .expect("the survey is kept");
    let files = attachments::Entity::find()
        .filter(attachments::Column::TicketKind.eq(kind))
        .filter(attachments::Column::TicketId.eq(id))
        .count(&app.db)
        .await
        .expect("attachments");
    let visit_files = attachments::Entity::find()
        .filter(attachments::Column::TicketKind.eq(TicketKind::ReturnVisit))
        .filter(attachments::Column::TicketId.eq(visit.id))
        .count(&app.db)
        .await
        .expect("attachments");
    let ticket_object = app.state.attachments.get(&keys[0]).await.is_ok();
    let visit_object = app.state.attachments.get(&keys[1]).await.is_ok();
    vec![
        (
            "public notes",
            !public.is_empty() && !public.iter().any(|e| removed(&e.note)),
        ),
        (
            "internal notes",
            !internal.is_empty() && !internal.iter().any(|e| removed(&e.note)),
        ),
        ("visit answers", !removed(&visit.answers)),
        ("visit improvement", !removed(&visit.improvement)),
        ("visit review note", !removed(&visit.review_note)),
        ("survey comment", !removed(&survey.comment)),
        ("attachment row", files > 0),
        ("stored object", ticket_object),
        ("visit's attachment row", visit_files > 0),
        ("visit's stored object", visit_object),
    ]
}

const TRACE_FIELDS: [&str; 6] = [
    "timeline.note",
    "returnVisit.answers",
    "returnVisit.improvement",
    "returnVisit.reviewNote",
    "survey.comment",
    "attachments",
];

async fn r_prv_6_the_retention_job_anonymizes_exactly_the_expired_tickets(app: TestApp) {
    let w = app.repair_world().await;
    let expired = app.order_in(&w, "CLOSED").await;
    let kept = app.order_in(&w, "CLOSED").await;
    let open = app.report(&w.customer, w.asset).await;
    let complaint = app.complaint_in(&w, &w.customer, "CLOSED").await;
    closed_days_ago(&app, "repair_orders", &expired, 1096).await;
    closed_days_ago(&app, "repair_orders", &kept, 1094).await;
    closed_days_ago(&app, "complaints", &complaint, 2000).await;
    let mut keys = Vec::new();
    for (kind, ticket) in [
        (TicketKind::RepairOrder, &expired),
        (TicketKind::RepairOrder, &kept),
        (TicketKind::RepairOrder, &open),
        (TicketKind::Complaint, &complaint),
    ] {
        keys.push(leave_traces(&app, &w, kind, key_of(&ticket["id"])).await);
    }
    let orders = count(&app, "SELECT count(*) AS n FROM repair_orders").await;

    let destroyed =
        servicedesk::jobs::retention::run(&app.db, &app.state.attachments, app.clock_now())
            .await
            .expect("retention pass");
    assert_eq!(destroyed, 2);
    let gone = read_order(&app, &w.agent.auth, &expired).await;
    assert_eq!(gone["serviceAddress"], "[removed]");
    assert_eq!(gone["contactPhone"], "[removed]");
    assert_eq!(gone["status"], "CLOSED", "the ticket stays for statistics");
    for order in [&kept, &open] {
        let here = read_order(&app, &w.agent.auth, order).await;
        assert_eq!(here["contactPhone"], "+8613812345678");
    }
    for (kind, ticket, key, destroyed) in [
        (TicketKind::RepairOrder, &expired, &keys[0], true),
        (TicketKind::RepairOrder, &kept, &keys[1], false),
        (TicketKind::RepairOrder, &open, &keys[2], false),
        (TicketKind::Complaint, &complaint, &keys[3], true),
    ] {
        for (trace, kept) in traces_kept(&app, kind, key_of(&ticket["id"]), key).await {
            assert_eq!(kept, !destroyed, "{trace} of {ticket}");
        }
    }
    let description = app
        .gql(
            &w.agent.auth,
            "query($id: ID!) { complaintById(id: $id) { description } }",
            json!({ "id": complaint["id"] }),
        )
        .await;
    assert_eq!(
        description.data()["complaintById"]["description"],
        "[removed]"
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM repair_orders").await,
        orders,
        "nothing is deleted (R-PRV-11)"
    );

    let records = app.gql(&w.admin.auth, DESTROYED, json!({})).await;
    let records = records.data()["destructionRecords"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(records.len(), 2);
    let order_record = records
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["ticketKind"] == "REPAIR_ORDER")
        .expect("the order's record");
    assert_eq!(order_record["ticketId"], expired["id"]);
    assert_eq!(order_record["retentionDays"], 1095);
    let mut fields = vec!["serviceAddress", "contactPhone"];
    fields.extend(TRACE_FIELDS);
    assert_eq!(order_record["fields"], json!(fields));
    let complaint_record = records
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["ticketKind"] == "COMPLAINT")
        .expect("the complaint's record");
    let mut fields = vec!["description"];
    fields.extend(TRACE_FIELDS);
    assert_eq!(complaint_record["fields"], json!(fields));
    let logged = audit_log(
        &app,
        &w.admin.auth,
        json!({ "action": "personal_data.destroyed" }),
    )
    .await;
    assert_eq!(logged.len(), 2);
    assert_eq!(logged[0]["actorRole"], "SYSTEM");
    app.gql(&w.supervisor.auth, DESTROYED, json!({}))
        .await
        .expect_code("FORBIDDEN");
    // Once only.
    let again = servicedesk::jobs::retention::run(&app.db, &app.state.attachments, app.clock_now())
        .await
        .expect("second pass");
    assert_eq!(again, 0);
}

async fn r_prv_6_inquiries_are_destroyed_after_their_retention_period(app: TestApp) {
    let w = app.repair_world().await;
    let set = "mutation { setRetentionPolicy(kind: INQUIRY, days: 400) { kind days } }";
    let set = app.gql(&w.admin.auth, set, json!({})).await;
    assert_eq!(set.data()["setRetentionPolicy"]["days"], 400);
    let ask = "mutation($c: ID!) { askInquiry(input: { customerId: $c, channel: PHONE,
        question: \"Mrs Li at 12 Elm St asks about her dishwasher\" }) { id } }";
    let answer = "mutation($id: ID!) { answerInquiry(id: $id, answer: \"Call her back on 139 0000 0000\") { id } }";
    let mut inquiries = Vec::new();
    for _ in 0..3 {
        let asked = app
            .gql(&w.agent.auth, ask, json!({ "c": w.customer.gid() }))
            .await
            .data()["askInquiry"]
            .clone();
        inquiries.push(asked);
    }
    let [expired, kept, open] = [&inquiries[0], &inquiries[1], &inquiries[2]];
    for inquiry in [expired, kept] {
        app.gql(&w.agent.auth, answer, json!({ "id": inquiry["id"] }))
            .await
            .data();
    }
    moved_back(&app, "inquiries", "answered_at", expired, 401).await;
    moved_back(&app, "inquiries", "answered_at", kept, 399).await;
    let mut keys = Vec::new();
    for inquiry in [expired, kept, open] {
        keys.push(leave_traces(&app, &w, TicketKind::Inquiry, key_of(&inquiry["id"])).await);
    }

    let destroyed =
        servicedesk::jobs::retention::run(&app.db, &app.state.attachments, app.clock_now())
            .await
            .expect("retention pass");
    assert_eq!(destroyed, 1);
    let read = "query($id: ID!) { inquiry(id: $id) { status question answer } }";
    let gone = app
        .gql(&w.agent.auth, read, json!({ "id": expired["id"] }))
        .await;
    let gone = &gone.data()["inquiry"];
    assert_eq!(gone["question"], "[removed]");
    assert_eq!(gone["answer"], "[removed]");
    assert_eq!(
        gone["status"], "ANSWERED",
        "the inquiry stays for statistics"
    );
    for inquiry in [kept, open] {
        let here = app
            .gql(&w.agent.auth, read, json!({ "id": inquiry["id"] }))
            .await;
        assert_eq!(
            here.data()["inquiry"]["question"],
            "Mrs Li at 12 Elm St asks about her dishwasher"
        );
    }
    for (inquiry, keys, destroyed) in [
        (expired, &keys[0], true),
        (kept, &keys[1], false),
        (open, &keys[2], false),
    ] {
        for (trace, kept) in
            traces_kept(&app, TicketKind::Inquiry, key_of(&inquiry["id"]), keys).await
        {
            assert_eq!(kept, !destroyed, "{trace} of {inquiry}");
        }
    }
    let records = app.gql(&w.admin.auth, DESTROYED, json!({})).await;
    let record = &records.data()["destructionRecords"]["edges"][0]["node"];
    assert_eq!(record["ticketKind"], "INQUIRY");
    assert_eq!(record["ticketId"], expired["id"]);
    let mut fields = vec!["question", "answer"];
    fields.extend(TRACE_FIELDS);
    assert_eq!(record["fields"], json!(fields));
}

async fn r_prv_6_a_legal_hold_stops_the_destruction(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "CLOSED").await;
    closed_days_ago(&app, "repair_orders", &order, 1200).await;
    let hold = "mutation($id: ID!) { placeLegalHold(ticketId: $id, reason: \"Police case 42\") { ticketId reason } }";
    let release = "mutation($id: ID!) { releaseLegalHold(ticketId: $id) }";
    app.gql(&w.agent.auth, hold, json!({ "id": order["id"] }))
        .await
        .expect_code("FORBIDDEN");
    let placed = app
        .gql(&w.supervisor.auth, hold, json!({ "id": order["id"] }))
        .await;
    assert_eq!(placed.data()["placeLegalHold"]["ticketId"], order["id"]);

    let destroyed =
        servicedesk::jobs::retention::run(&app.db, &app.state.attachments, app.clock_now())
            .await
            .expect("retention pass");
    assert_eq!(destroyed, 0, "held");
    assert_eq!(
        read_order(&app, &w.agent.auth, &order).await["contactPhone"],
        "+8613812345678"
    );

    let released = app
        .gql(&w.supervisor.auth, release, json!({ "id": order["id"] }))
        .await;
    assert_eq!(released.data()["releaseLegalHold"], 1);
    app.gql(&w.supervisor.auth, release, json!({ "id": order["id"] }))
        .await
        .expect_code("NOT_FOUND");
    let destroyed =
        servicedesk::jobs::retention::run(&app.db, &app.state.attachments, app.clock_now())
            .await
            .expect("retention pass");
    assert_eq!(destroyed, 1);
    let actions: Vec<String> = audit_log(
        &app,
        &w.admin.auth,
        json!({ "subjectKind": "REPAIR_ORDER" }),
    )
    .await
    .iter()
    .map(|e| e["action"].as_str().unwrap().to_owned())
    .collect();
    // Changes are written in their transactions, in order; the agent's read of the held order
    // (R-PRV-3) is queued and committed by the writer, so it may land among them.
    let (reads, changes): (Vec<_>, Vec<_>) =
        actions.iter().partition(|a| *a == "personal_data.read");
    assert_eq!(
        changes,
        [
            "personal_data.destroyed",
            "legal_hold.released",
            "legal_hold.placed"
        ]
    );
    assert_eq!(reads.len(), 1, "{actions:?}");
}

async fn r_prv_11_admin_changes_are_audited_with_old_and_new_values(app: TestApp) {
    let w = app.repair_world().await;
    let set = "mutation($d: Int!) { setRetentionPolicy(kind: COMPLAINT, days: $d) { kind days } }";
    let short = app.gql(&w.admin.auth, set, json!({ "d": 100 })).await;
    assert_eq!(short.expect_code("BAD_USER_INPUT")["field"], "days");
    app.gql(&w.supervisor.auth, set, json!({ "d": 2000 }))
        .await
        .expect_code("FORBIDDEN");
    let changed = app.gql(&w.admin.auth, set, json!({ "d": 2000 })).await;
    assert_eq!(changed.data()["setRetentionPolicy"]["days"], 2000);
    let entries = app
        .gql(
            &w.admin.auth,
            "{ auditLog(filter: { action: \"retention_policy.changed\" }) { edges { node { actorId detail } } } }",
            json!({}),
        )
        .await;
    let entries = entries.data()["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(entries.len(), 1, "the refused changes left no entry");
    assert_eq!(entries[0]["node"]["actorId"], w.admin.gid());
    let detail: Value =
        serde_json::from_str(entries[0]["node"]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(
        detail,
        json!({ "kind": "COMPLAINT", "old": { "retentionDays": 1095 }, "new": { "retentionDays": 2000 } })
    );
    let policies = app
        .gql(
            &w.admin.auth,
            "{ retentionPolicies { kind days } }",
            json!({}),
        )
        .await;
    assert_eq!(
        policies.data()["retentionPolicies"],
        json!([{ "kind": "COMPLAINT", "days": 2000 }, { "kind": "REPAIR_ORDER", "days": 1095 }])
    );
}

async fn r_prv_11_no_mutation_deletes_a_complaint_visit_or_event(app: TestApp) {
    let w = app.repair_world().await;
    let mutations = app
        .gql(
            &w.admin.auth,
            "{ __schema { mutationType { fields { name } } } }",
            json!({}),
        )
        .await;
    let removing: Vec<String> = mutations.data()["__schema"]["mutationType"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .filter(|name| {
            let lower = name.to_lowercase();
            ["delete", "remove", "destroy", "purge", "erase"]
                .iter()
                .any(|verb| lower.contains(verb))
        })
        .collect();
    assert_eq!(
        removing,
        ["deleteWebhookEndpoint"],
        "only configuration is deleted"
    );

    // The database refuses too, whoever asks.
    app.complaint_in(&w, &w.customer, "CLOSED").await;
    app.report(&w.customer, w.asset).await;
    app.gql(&w.agent.auth, PAGE, json!({})).await.data();
    audit_log(&app, &w.admin.auth, json!({})).await;
    for (sql, table) in [
        ("DELETE FROM complaints", "complaints"),
        ("DELETE FROM ticket_events", "ticket_events"),
        ("DELETE FROM return_visits", "return_visits"),
        ("DELETE FROM audit_log", "audit_log"),
        ("UPDATE audit_log SET action = 'nothing'", "audit_log"),
    ] {
        let before = count(&app, &format!("SELECT count(*) AS n FROM {table}")).await;
        let refused = app.db.execute_unprepared(sql).await;
        assert!(refused.is_err(), "{sql} must be refused");
        assert_eq!(
            count(&app, &format!("SELECT count(*) AS n FROM {table}")).await,
            before
        );
    }
    assert!(count(&app, "SELECT count(*) AS n FROM complaints").await > 0);
    assert!(count(&app, "SELECT count(*) AS n FROM audit_log").await > 0);
}

async fn r_prv_12_an_export_needs_a_second_supervisor_and_is_downloaded_once(app: TestApp) {
    let w = app.repair_world().await;
    let second = app
        .user(entity::users::Role::Supervisor, Some(w.centre), None)
        .await;
    app.report(&w.customer, w.asset).await;
    let request = "mutation { requestExport(kind: REPAIR_ORDERS) { id status requestedBy } }";
    let approve = "mutation($id: ID!) { approveExport(id: $id) { status approvedBy } }";
    let download = "mutation($id: ID!) { downloadExport(id: $id) }";
    let asked = app.gql(&w.agent.auth, request, json!({})).await;
    let export = asked.data()["requestExport"].clone();
    assert_eq!(export["status"], "REQUESTED");
    let id = json!({ "id": export["id"] });
    app.gql(&w.agent.auth, approve, id.clone())
        .await
        .expect_code("FORBIDDEN");
    app.gql(&w.other_agent.auth, approve, id.clone())
        .await
        .expect_code("NOT_FOUND");
    app.gql(&w.customer.auth, request, json!({}))
        .await
        .expect_code("FORBIDDEN");
    // A supervisor's own request needs another supervisor.
    let own = app.gql(&w.supervisor.auth, request, json!({})).await;
    let own = json!({ "id": own.data()["requestExport"]["id"] });
    app.gql(&w.supervisor.auth, approve, own.clone())
        .await
        .expect_code("FORBIDDEN");
    app.gql(&second.auth, approve, own).await.data();

    let approved = app.gql(&w.supervisor.auth, approve, id.clone()).await;
    assert_eq!(approved.data()["approveExport"]["status"], "APPROVED");
    app.gql(&second.auth, approve, id.clone())
        .await
        .expect_code("INVALID_TRANSITION");
    app.gql(&w.agent.auth, download, id.clone())
        .await
        .expect_code("INVALID_TRANSITION");
    let produced =
        servicedesk::jobs::exports::run(&app.db, app.clock_now(), chrono::Duration::hours(1))
            .await
            .expect("exports pass");
    assert_eq!(produced, 2);
    app.gql(&w.supervisor.auth, download, id.clone())
        .await
        .expect_code("NOT_FOUND");
    let file = app.gql(&w.agent.auth, download, id.clone()).await;
    let csv = file.data()["downloadExport"].as_str().unwrap().to_owned();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("number,status,reported_at,customer_name"));
    assert!(
        lines[1].contains("\"Room 1201, 88 Century Avenue, Pudong\""),
        "{csv}"
    );
    assert!(lines[1].contains("Test Customer"), "{csv}");
    app.gql(&w.agent.auth, download, id.clone())
        .await
        .expect_code("INVALID_TRANSITION");

    let actions: Vec<String> = audit_log(&app, &w.admin.auth, json!({ "subjectKind": "EXPORT" }))
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    for action in [
        "export.requested",
        "export.approved",
        "export.produced",
        "export.downloaded",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    let mine = app
        .gql(
            &w.customer.auth,
            "{ myDataAccess { edges { node { action operation } } } }",
            json!({}),
        )
        .await;
    assert!(
        mine.body.to_string().contains("export.produced"),
        "{}",
        mine.body
    );

    // Not downloaded in time: gone.
    let late = app.gql(&w.agent.auth, request, json!({})).await;
    let late = json!({ "id": late.data()["requestExport"]["id"] });
    app.gql(&w.supervisor.auth, approve, late.clone())
        .await
        .data();
    servicedesk::jobs::exports::run(&app.db, app.clock_now(), chrono::Duration::hours(1))
        .await
        .expect("exports pass");
    app.clock.advance(chrono::Duration::hours(2));
    app.gql(&w.agent.auth, download, late)
        .await
        .expect_code("INVALID_TRANSITION");
}

async fn r_prv_12_a_partner_gets_personal_data_it_filed_or_with_consent(app: TestApp) {
    let w = app.repair_world().await;
    // The dealer's customer reports in the app: the phone and address went to the company.
    let from_app = app.report(&w.partner_customer, w.partner_asset).await;
    let filed = partner_order(&app, &w).await;
    let (phone, address, name) = partner_view(&app, &w, &filed).await;
    assert_eq!(phone, "+8613711112222", "the partner supplied these itself");
    assert_eq!(address, "12 Dealer Road, Minhang");
    assert!(!name.contains('*'), "{name}");
    let masked = ("+86****5678".to_owned(), "Room 1****".to_owned());
    let (phone, address, name) = partner_view(&app, &w, &from_app).await;
    assert_eq!((phone, address), masked, "no consent: masked");
    assert!(name.ends_with('*'), "{name}");

    let consent = app
        .gql(
            &w.partner_customer.auth,
            CONSENT,
            json!({ "input": { "channel": "APP" } }),
        )
        .await;
    let consent = consent.data()["recordDisclosureConsent"].clone();
    assert_eq!(
        consent["organizationId"],
        gid(NodeType::Organization, w.org)
    );
    assert_eq!(consent["basis"], "CONSENT");
    assert_eq!(consent["inForce"], true);
    let (phone, address, _) = partner_view(&app, &w, &from_app).await;
    assert_eq!(phone, "+8613812345678");
    assert_eq!(address, "Room 1201, 88 Century Avenue, Pudong");
    // The consent names one organization: another partner still does not see the order.
    app.gql(
        &w.other_partner,
        "query($id: ID!) { node(id: $id) { id } }",
        json!({ "id": from_app["id"] }),
    )
    .await
    .expect_code("NOT_FOUND");

    let withdrawn = app
        .gql(
            &w.partner_customer.auth,
            "mutation($id: ID!) { withdrawDisclosureConsent(id: $id) { inForce withdrawnAt } }",
            json!({ "id": consent["id"] }),
        )
        .await;
    assert_eq!(
        withdrawn.data()["withdrawDisclosureConsent"]["inForce"],
        false
    );
    let (phone, address, _) = partner_view(&app, &w, &from_app).await;
    assert_eq!((phone, address), masked, "withdrawn: masked again");
    app.gql(
        &w.partner_customer.auth,
        "mutation($id: ID!) { withdrawDisclosureConsent(id: $id) { inForce } }",
        json!({ "id": consent["id"] }),
    )
    .await
    .expect_code("INVALID_TRANSITION");

    let trail = audit_log(&app, &w.admin.auth, json!({ "subjectKind": "USER" })).await;
    let actions: Vec<&str> = trail.iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"consent.recorded"), "{actions:?}");
    assert!(actions.contains(&"consent.withdrawn"), "{actions:?}");
}

async fn r_prv_12_consent_is_written_by_the_customer_or_staff_never_by_the_partner(app: TestApp) {
    let w = app.repair_world().await;
    let for_customer = |extra: Value| {
        let mut input = json!({ "customerId": w.partner_customer.gid(), "channel": "WRITTEN",
                                "reference": "Form 2026-118" });
        for (key, value) in extra.as_object().expect("object") {
            input[key] = value.clone();
        }
        json!({ "input": input })
    };
    for auth in [&w.partner, &w.admin.auth, &w.technician.auth] {
        app.gql(auth, CONSENT, for_customer(json!({})))
            .await
            .expect_code("FORBIDDEN");
    }
    let bad = [
        (&w.agent.auth, json!({ "reference": null }), "reference"),
        (&w.agent.auth, json!({ "channel": "APP" }), "channel"),
        (&w.agent.auth, json!({ "basis": "LEGAL_BASIS" }), "basis"),
        (&w.agent.auth, json!({ "reference": " " }), "reference"),
        (
            &w.agent.auth,
            json!({ "organizationId": gid(NodeType::Organization, 999_999) }),
            "organizationId",
        ),
        (
            &w.agent.auth,
            json!({ "customerId": w.customer.gid() }),
            "organizationId",
        ),
    ];
    for (auth, extra, field) in bad {
        let response = app.gql(auth, CONSENT, for_customer(extra.clone())).await;
        assert_eq!(
            response.expect_code("BAD_USER_INPUT")["field"],
            field,
            "{extra}"
        );
    }
    app.gql(
        &w.partner_customer.auth,
        CONSENT,
        json!({ "input": { "channel": "WRITTEN", "reference": "mine" } }),
    )
    .await
    .expect_code("BAD_USER_INPUT");
    app.gql(&w.other_agent.auth, CONSENT, for_customer(json!({})))
        .await
        .expect_code("NOT_FOUND");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM disclosure_consents").await,
        0,
        "nothing recorded by refused calls"
    );

    let recorded = app
        .gql(&w.agent.auth, CONSENT, for_customer(json!({})))
        .await;
    let recorded = &recorded.data()["recordDisclosureConsent"];
    assert_eq!(recorded["channel"], "WRITTEN");
    assert_eq!(recorded["reference"], "Form 2026-118");
    app.gql(&w.supervisor.auth, CONSENT, for_customer(json!({})))
        .await
        .expect_code("CONFLICT");
    // A supervisor may rely on a legal basis instead (here for another organization).
    let other_org = app.organization("Installers Ltd").await;
    let legal = app
        .gql(
            &w.supervisor.auth,
            CONSENT,
            for_customer(
                json!({ "basis": "LEGAL_BASIS", "reference": "Installation contract 7",
                                 "organizationId": gid(NodeType::Organization, other_org) }),
            ),
        )
        .await;
    assert_eq!(
        legal.data()["recordDisclosureConsent"]["basis"],
        "LEGAL_BASIS"
    );

    let list = "query($c: ID) { disclosureConsents(customerId: $c) { basis inForce } }";
    let own = app
        .gql(&w.partner_customer.auth, list, json!({ "c": null }))
        .await;
    assert_eq!(
        own.data()["disclosureConsents"].as_array().unwrap().len(),
        2
    );
    let staff = app
        .gql(
            &w.agent.auth,
            list,
            json!({ "c": w.partner_customer.gid() }),
        )
        .await;
    assert_eq!(
        staff.data()["disclosureConsents"].as_array().unwrap().len(),
        2
    );
    app.gql(
        &w.other_agent.auth,
        list,
        json!({ "c": w.partner_customer.gid() }),
    )
    .await
    .expect_code("NOT_FOUND");
    app.gql(&w.partner, list, json!({ "c": w.partner_customer.gid() }))
        .await
        .expect_code("FORBIDDEN");
    app.gql(
        &w.customer.auth,
        list,
        json!({ "c": w.partner_customer.gid() }),
    )
    .await
    .expect_code("NOT_FOUND");
}

async fn r_prv_3_one_order_read_by_id_or_number_is_recorded(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.report(&w.customer, w.asset).await;
    let filed = partner_order(&app, &w).await;
    let read = |auth: &Auth, query: &str, id: &Value| {
        let (auth, query, id) = (auth.clone(), query.to_owned(), id.clone());
        let app = &app;
        async move {
            app.gql(&auth, &query, json!({ "id": id, "ids": [id] }))
                .await
                .data()
                .clone()
        }
    };
    read(
        &w.agent.auth,
        "query($id: ID!) { repairOrder(id: $id) { contactPhone customer { name } } }",
        &order["id"],
    )
    .await;
    read(
        &w.agent.auth,
        "query($id: ID!) { node(id: $id) { ... on RepairOrder { serviceAddress } } }",
        &order["id"],
    )
    .await;
    read(
        &w.partner,
        "query($ids: [ID!]!) { nodes(ids: $ids) { ... on RepairOrder { contactPhone } } }",
        &filed["id"],
    )
    .await;
    // Not recorded: no personal field selected, the customer's own order.
    read(
        &w.agent.auth,
        "query($ids: [ID!]!) { nodes(ids: $ids) { ... on RepairOrder { status } } }",
        &order["id"],
    )
    .await;
    read(
        &w.customer.auth,
        "query($id: ID!) { repairOrder(id: $id) { contactPhone } }",
        &order["id"],
    )
    .await;

    let mut reads = audit_log(
        &app,
        &w.admin.auth,
        json!({ "action": "personal_data.read" }),
    )
    .await;
    reads.reverse();
    let seen: Vec<(Value, Value, Value, Value)> = reads
        .iter()
        .map(|e| {
            (
                e["actorRole"].clone(),
                e["operation"].clone(),
                e["fields"].clone(),
                e["rowCount"].clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                json!("AGENT"),
                json!("repairOrder"),
                json!(["customer.name", "contactPhone"]),
                json!(1)
            ),
            (
                json!("AGENT"),
                json!("node"),
                json!(["serviceAddress"]),
                json!(1)
            ),
            (
                json!("PARTNER"),
                json!("nodes"),
                json!(["contactPhone"]),
                json!(1)
            ),
        ]
    );
}

async fn r_prv_12_a_partner_reads_an_inquirys_words_it_asked_or_with_consent(app: TestApp) {
    let w = app.repair_world().await;
    let ask = "mutation($input: AskInquiryInput!) { askInquiry(input: $input) { id } }";
    let answer =
        "mutation($id: ID!) { answerInquiry(id: $id, answer: \"Yes, by two years.\") { id } }";
    let read = "query($id: ID!) { inquiry(id: $id) { question answer } }";
    let list = "{ inquiries(first: 10) { edges { node { id question answer } } } }";
    let asked_by_partner = app
        .gql(
            &w.partner,
            ask,
            json!({ "input": { "customerId": w.partner_customer.gid(),
                               "question": "Can I extend the warranty?" } }),
        )
        .await
        .data()["askInquiry"]["id"]
        .clone();
    let asked_by_phone = app
        .gql(
            &w.agent.auth,
            ask,
            json!({ "input": { "customerId": w.partner_customer.gid(), "channel": "PHONE",
                               "question": "Mrs Wang at 88 Century Avenue asks about a visit" } }),
        )
        .await
        .data()["askInquiry"]["id"]
        .clone();
    for id in [&asked_by_partner, &asked_by_phone] {
        app.gql(&w.agent.auth, answer, json!({ "id": id }))
            .await
            .data();
    }
    let partner_reads = |id: Value| {
        let app = &app;
        let partner = w.partner.clone();
        async move {
            let one = app.gql(&partner, read, json!({ "id": id })).await.data()["inquiry"].clone();
            let page = app.gql(&partner, list, json!({})).await;
            let listed = page.data()["inquiries"]["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"].clone())
                .find(|n| n["id"] == id)
                .expect("listed");
            assert_eq!(one["question"], listed["question"]);
            assert_eq!(one["answer"], listed["answer"]);
            (
                one["question"].as_str().expect("question").to_owned(),
                one["answer"].as_str().expect("answer").to_owned(),
            )
        }
    };
    let withheld = "[withheld: no disclosure consent]";
    assert_eq!(
        partner_reads(asked_by_partner.clone()).await,
        (
            "Can I extend the warranty?".into(),
            "Yes, by two years.".into()
        ),
        "the partner asked it itself"
    );
    assert_eq!(
        partner_reads(asked_by_phone.clone()).await,
        (withheld.into(), withheld.into()),
        "no consent: withheld"
    );
    // Staff and the customer read it in full.
    for auth in [&w.agent.auth, &w.partner_customer.auth] {
        let full = app.gql(auth, read, json!({ "id": asked_by_phone })).await;
        assert_eq!(
            full.data()["inquiry"]["question"],
            "Mrs Wang at 88 Century Avenue asks about a visit"
        );
    }
    app.gql(
        &w.partner_customer.auth,
        CONSENT,
        json!({ "input": { "channel": "APP" } }),
    )
    .await
    .data();
    assert_eq!(
        partner_reads(asked_by_phone.clone()).await.0,
        "Mrs Wang at 88 Century Avenue asks about a visit",
        "with the customer's consent"
    );
}

async fn r_prv_3_inquiry_reads_of_the_question_write_one_entry_per_page(app: TestApp) {
    let w = app.repair_world().await;
    let ask = "mutation($c: ID!) { askInquiry(input: { customerId: $c, channel: PHONE,
        question: \"Mrs Li at 12 Elm St asks\" }) { id } }";
    let mut ids = Vec::new();
    for _ in 0..3 {
        let asked = app
            .gql(&w.agent.auth, ask, json!({ "c": w.customer.gid() }))
            .await;
        ids.push(asked.data()["askInquiry"]["id"].clone());
    }
    let page = app
        .gql(
            &w.agent.auth,
            "{ inquiries(first: 10) { edges { node { question } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        page.data()["inquiries"]["edges"].as_array().unwrap().len(),
        3
    );
    app.gql(
        &w.agent.auth,
        "query($id: ID!) { inquiry(id: $id) { question answer } }",
        json!({ "id": ids[0] }),
    )
    .await
    .data();
    // Not recorded: no personal field selected, the customer's own inquiry.
    app.gql(
        &w.agent.auth,
        "{ inquiries(first: 10) { edges { node { status } } } }",
        json!({}),
    )
    .await
    .data();
    app.gql(
        &w.customer.auth,
        "query($id: ID!) { inquiry(id: $id) { question } }",
        json!({ "id": ids[0] }),
    )
    .await
    .data();

    let mut reads = audit_log(
        &app,
        &w.admin.auth,
        json!({ "action": "personal_data.read" }),
    )
    .await;
    reads.reverse();
    let seen: Vec<(Value, Value, Value, Value, Value)> = reads
        .iter()
        .map(|e| {
            (
                e["actorRole"].clone(),
                e["subjectKind"].clone(),
                e["operation"].clone(),
                e["fields"].clone(),
                e["rowCount"].clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                json!("AGENT"),
                json!("INQUIRY"),
                json!("inquiries"),
                json!(["question"]),
                json!(3)
            ),
            (
                json!("AGENT"),
                json!("INQUIRY"),
                json!("inquiry"),
                json!(["question", "answer"]),
                json!(1)
            ),
        ]
    );
}
