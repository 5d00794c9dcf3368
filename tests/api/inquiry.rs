//! Inquiries (咨询, R-SLA-11): a question not answered on the spot is passed to the person in
//! charge and answered within 30 minutes, or at the time the agent promised; answered on the
//! spot it runs no clock; one that turns out to be a fault or complaint becomes a repair order
//! or complaint, linked both ways. Bad inputs name their fields and write nothing; the
//! inquiry is seen like the other tickets.

use chrono::{DateTime, Duration, Utc};
use entity::{inquiries, ticket_events};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use servicedesk::jobs::sla_sweeper::sweep_once;
use servicedesk_tests::{
    Auth, GqlResponse, NodeType, RepairWorld, TestApp, TestUser, db_tests, gid,
};

db_tests!(
    r_sla_11_an_unanswered_inquiry_is_breached_after_30_minutes,
    r_sla_11_a_promised_reply_time_replaces_the_30_minutes,
    r_sla_11_an_inquiry_answered_on_the_spot_runs_no_clock,
    r_sla_11_an_inquiry_converted_into_a_complaint_is_linked_on_both,
    r_sla_11_an_inquiry_converted_into_a_repair_order_is_linked_on_both,
    r_sla_11_bad_inputs_name_their_fields_and_write_nothing,
    r_sla_11_inquiries_are_seen_like_tickets,
);

const FIELDS: &str = "id number status version channel question answer customerId \
    passedAt promisedReplyAt answeredAt convertedKind convertedId \
    slaClocks { metric state dueAt breachedAt metAt description }";

const STAFF_FIELDS: &str = "handlerId escalationLevel";

fn at(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a time"))
        .expect("rfc3339")
        .with_timezone(&Utc)
}

/// The inquiry's REPLY clock, the only one it has.
fn reply(inquiry: &Value) -> &Value {
    let clocks = inquiry["slaClocks"].as_array().expect("clocks");
    assert_eq!(clocks.len(), 1, "{inquiry}");
    assert_eq!(clocks[0]["metric"], "REPLY");
    &clocks[0]
}

async fn ask_as(app: &TestApp, auth: &Auth, input: Value) -> GqlResponse {
    let query = format!(
        "mutation($input: AskInquiryInput!) {{ askInquiry(input: $input) {{ {FIELDS} }} }}"
    );
    app.gql(auth, &query, json!({ "input": input })).await
}

/// The customer asks in the app.
async fn ask(app: &TestApp, customer: &TestUser) -> Value {
    ask_as(
        app,
        &customer.auth,
        json!({ "question": "Does the warranty cover the door seal?" }),
    )
    .await
    .data()["askInquiry"]
        .clone()
}

/// The world's agent takes a question on the phone.
async fn ask_by_phone(app: &TestApp, w: &RepairWorld) -> Value {
    let input = json!({ "customerId": w.customer.gid(), "channel": "PHONE",
                        "question": "How do I descale the dishwasher?" });
    ask_as(app, &w.agent.auth, input).await.data()["askInquiry"].clone()
}

async fn read(app: &TestApp, auth: &Auth, id: &Value) -> GqlResponse {
    let query = format!("query($id: ID!) {{ inquiry(id: $id) {{ {FIELDS} }} }}");
    app.gql(auth, &query, json!({ "id": id })).await
}

async fn read_staff(app: &TestApp, auth: &Auth, id: &Value) -> Value {
    let query = format!("query($id: ID!) {{ inquiry(id: $id) {{ {FIELDS} {STAFF_FIELDS} }} }}");
    app.gql(auth, &query, json!({ "id": id })).await.data()["inquiry"].clone()
}

async fn pass(
    app: &TestApp,
    auth: &Auth,
    id: &Value,
    handler: &str,
    promised: Option<DateTime<Utc>>,
) -> GqlResponse {
    let query = format!(
        "mutation($id: ID!, $handler: ID!, $promised: DateTime) {{ passInquiry(id: $id, \
         handlerId: $handler, promisedReplyAt: $promised) {{ {FIELDS} }} }}"
    );
    let promised = promised.map(|t| t.to_rfc3339());
    app.gql(
        auth,
        &query,
        json!({ "id": id, "handler": handler, "promised": promised }),
    )
    .await
}

async fn answer(app: &TestApp, auth: &Auth, id: &Value, text: &str) -> GqlResponse {
    let query = format!(
        "mutation($id: ID!, $answer: String!) {{ answerInquiry(id: $id, answer: $answer) \
         {{ {FIELDS} }} }}"
    );
    app.gql(auth, &query, json!({ "id": id, "answer": text }))
        .await
}

async fn convert(app: &TestApp, auth: &Auth, id: &Value, into: &str, input: Value) -> GqlResponse {
    let query = "mutation($id: ID!, $into: InquiryConversion!, $complaint: InquiryComplaintInput, \
                 $order: InquiryRepairOrderInput) { convertInquiry(id: $id, into: $into, \
                 complaint: $complaint, repairOrder: $order) { kind ticketId \
                 inquiry { id status convertedKind convertedId slaClocks { metric state } } } }";
    let (complaint, order) = match into {
        "COMPLAINT" => (input, Value::Null),
        _ => (Value::Null, input),
    };
    app.gql(
        auth,
        query,
        json!({ "id": id, "into": into, "complaint": complaint, "order": order }),
    )
    .await
}

/// The sweeper at the server's clock; how many tickets missed a deadline.
async fn sweep(app: &TestApp) -> usize {
    sweep_once(&app.db, app.clock_now())
        .await
        .map_err(|e| e.message())
        .expect("sweep")
}

async fn rows(app: &TestApp) -> (u64, u64) {
    let inquiries = inquiries::Entity::find().count(&app.db).await.unwrap();
    let events = ticket_events::Entity::find().count(&app.db).await.unwrap();
    (inquiries, events)
}

fn fields(response: &GqlResponse) -> Vec<String> {
    let mut fields: Vec<String> = response.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("errors expected: {}", response.body))
        .iter()
        .map(|e| {
            assert_eq!(e["extensions"]["code"], "BAD_USER_INPUT", "{e}");
            e["extensions"]["field"].as_str().expect("field").to_owned()
        })
        .collect();
    fields.sort();
    fields
}

fn actions(events: &Value) -> Vec<String> {
    events
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["action"].as_str().expect("action").to_owned())
        .collect()
}

async fn r_sla_11_an_unanswered_inquiry_is_breached_after_30_minutes(app: TestApp) {
    let w = app.repair_world().await;
    let asked_at = app.clock_now();
    let inquiry = ask(&app, &w.customer).await;
    assert_eq!(inquiry["status"], "OPEN");
    assert_eq!(inquiry["channel"], "APP");
    let clock = reply(&inquiry);
    assert_eq!(clock["state"], "RUNNING");
    assert_eq!(at(&clock["dueAt"]), asked_at + Duration::minutes(30));
    assert_eq!(clock["description"], "we answer your question");

    app.clock
        .set(asked_at + Duration::minutes(30) - Duration::seconds(30));
    assert_eq!(sweep(&app).await, 0);
    assert_eq!(
        reply(&read(&app, &w.agent.auth, &inquiry["id"]).await.data()["inquiry"])["state"],
        "RUNNING"
    );
    app.clock.set(asked_at + Duration::minutes(31));
    assert_eq!(sweep(&app).await, 1);
    let seen = read_staff(&app, &w.agent.auth, &inquiry["id"]).await;
    let clock = reply(&seen);
    assert_eq!(clock["state"], "BREACHED");
    assert_eq!(at(&clock["breachedAt"]), asked_at + Duration::minutes(30));
    // A missed reply climbs a level like any other missed clock (R-ESC-2).
    assert_eq!(seen["escalationLevel"], 2);
    let inbox = app
        .gql(
            &w.supervisor.auth,
            "{ escalationInbox { ticketKind ticketId toLevel reason } }",
            json!({}),
        )
        .await;
    let items = inbox.data()["escalationInbox"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["ticketKind"], "INQUIRY");
    assert_eq!(items[0]["ticketId"], inquiry["id"]);
    assert!(items[0]["reason"].as_str().unwrap().contains("REPLY"));
    // The customer sees the same breach on their own inquiry.
    let own = read(&app, &w.customer.auth, &inquiry["id"]).await;
    assert_eq!(reply(&own.data()["inquiry"])["state"], "BREACHED");
    // A late answer still reaches the customer; the clock stays breached.
    let answered = answer(&app, &w.agent.auth, &inquiry["id"], "Yes, for two years.").await;
    let answered = &answered.data()["answerInquiry"];
    assert_eq!(answered["status"], "ANSWERED");
    assert_eq!(reply(answered)["state"], "BREACHED");
}

async fn r_sla_11_a_promised_reply_time_replaces_the_30_minutes(app: TestApp) {
    let w = app.repair_world().await;
    let asked_at = app.clock_now();
    // Later than 30 minutes: the promise holds, not the policy.
    let later = ask_by_phone(&app, &w).await;
    assert_eq!(later["channel"], "PHONE");
    let promised = asked_at + Duration::hours(2);
    let passed = pass(
        &app,
        &w.agent.auth,
        &later["id"],
        &w.technician.gid(),
        Some(promised),
    )
    .await;
    let passed = &passed.data()["passInquiry"];
    assert_eq!(passed["status"], "PASSED");
    assert_eq!(at(&passed["promisedReplyAt"]), promised);
    assert_eq!(at(&reply(passed)["dueAt"]), promised);
    // Earlier than 30 minutes: the promise holds too.
    let sooner = ask_by_phone(&app, &w).await;
    let soon = asked_at + Duration::minutes(10);
    let passed = pass(
        &app,
        &w.agent.auth,
        &sooner["id"],
        &w.supervisor.gid(),
        Some(soon),
    )
    .await;
    assert_eq!(at(&reply(&passed.data()["passInquiry"])["dueAt"]), soon);

    // A policy change moves unpromised clocks, not a promise.
    app.set_policy(&w.admin.auth, "INQUIRY", "REPLY", "ANY", 45)
        .await;
    let plain = ask(&app, &w.customer).await;
    assert_eq!(
        at(&reply(&plain)["dueAt"]),
        asked_at + Duration::minutes(45)
    );
    let seen = read(&app, &w.agent.auth, &later["id"]).await;
    assert_eq!(at(&reply(&seen.data()["inquiry"])["dueAt"]), promised);
    app.set_policy(&w.admin.auth, "INQUIRY", "REPLY", "ANY", 30)
        .await;
    answer(&app, &w.agent.auth, &plain["id"], "Yes.")
        .await
        .data();

    app.clock.set(asked_at + Duration::minutes(11));
    assert_eq!(sweep(&app).await, 1, "the sooner promise is missed");
    // The miss is the person in charge's (R-ESC-6).
    let penalties: Vec<(i64, String)> = entity::staff_penalties::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.user_id, p.deadline_kind))
        .collect();
    assert_eq!(penalties, vec![(w.supervisor.id, "REPLY".to_owned())]);
    app.clock.set(asked_at + Duration::minutes(31));
    let missed = sweep(&app).await;
    assert_eq!(missed, 0, "30 minutes mean nothing once promised");
    assert_eq!(
        reply(&read(&app, &w.agent.auth, &later["id"]).await.data()["inquiry"])["state"],
        "RUNNING"
    );
    // The technician in charge sees it and answers within the promise.
    app.clock.set(asked_at + Duration::hours(1));
    let seen = read_staff(&app, &w.technician.auth, &later["id"]).await;
    assert_eq!(seen["handlerId"], w.technician.gid());
    let answered = answer(
        &app,
        &w.technician.auth,
        &later["id"],
        "Use the descaler twice.",
    )
    .await;
    let answered = &answered.data()["answerInquiry"];
    assert_eq!(answered["status"], "ANSWERED");
    assert_eq!(reply(answered)["state"], "MET");
    // The missed promise, answered late, stays breached.
    let late = answer(
        &app,
        &w.supervisor.auth,
        &sooner["id"],
        "Soak it overnight.",
    )
    .await;
    assert_eq!(reply(&late.data()["answerInquiry"])["state"], "BREACHED");
    app.clock.set(asked_at + Duration::hours(3));
    assert_eq!(sweep(&app).await, 0);
    // The customer reads the answer in their list.
    let mine = app
        .gql(
            &w.customer.auth,
            "{ myInquiries { edges { node { id status answer } } } }",
            json!({}),
        )
        .await;
    let nodes = mine.data()["myInquiries"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(nodes.len(), 3);
    let node = nodes
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["id"] == later["id"])
        .expect("the answered inquiry");
    assert_eq!(node["answer"], "Use the descaler twice.");
}

async fn r_sla_11_an_inquiry_answered_on_the_spot_runs_no_clock(app: TestApp) {
    let w = app.repair_world().await;
    let asked_at = app.clock_now();
    let input = json!({ "customerId": w.customer.gid(), "channel": "WALK_IN",
                        "question": "Opening hours?", "answer": "9 to 6, Monday to Saturday." });
    let response = ask_as(&app, &w.agent.auth, input).await;
    let inquiry = &response.data()["askInquiry"];
    assert_eq!(inquiry["status"], "ANSWERED");
    assert_eq!(inquiry["answer"], "9 to 6, Monday to Saturday.");
    assert_eq!(at(&inquiry["answeredAt"]), asked_at);
    assert_eq!(inquiry["slaClocks"], json!([]));
    app.clock.set(asked_at + Duration::hours(1));
    assert_eq!(sweep(&app).await, 0);
    // Done: it can be neither passed nor answered again.
    let again = answer(&app, &w.agent.auth, &inquiry["id"], "Again").await;
    again.expect_code("INVALID_TRANSITION");
    // The customer sees the answer and the timeline.
    let query = "query($id: ID!) { inquiry(id: $id) { answer events { action public } } }";
    let own = app
        .gql(&w.customer.auth, query, json!({ "id": inquiry["id"] }))
        .await;
    assert_eq!(
        own.data()["inquiry"]["answer"],
        "9 to 6, Monday to Saturday."
    );
    assert_eq!(
        actions(&own.data()["inquiry"]["events"]),
        vec!["ASKED", "ANSWERED"]
    );
}

async fn r_sla_11_an_inquiry_converted_into_a_complaint_is_linked_on_both(app: TestApp) {
    let w = app.repair_world().await;
    let asked_at = app.clock_now();
    let inquiry = ask(&app, &w.customer).await;
    let converted = convert(
        &app,
        &w.agent.auth,
        &inquiry["id"],
        "COMPLAINT",
        json!({ "category": "SERVICE_ATTITUDE", "channel": "PHONE" }),
    )
    .await;
    let converted = &converted.data()["convertInquiry"];
    assert_eq!(converted["kind"], "COMPLAINT");
    let complaint_id = converted["ticketId"].clone();
    let source = &converted["inquiry"];
    assert_eq!(source["status"], "CONVERTED");
    assert_eq!(source["convertedKind"], "COMPLAINT");
    assert_eq!(source["convertedId"], complaint_id);
    assert_eq!(source["slaClocks"][0]["state"], "STOPPED");
    // The complaint names the inquiry, and its timeline says where it came from.
    let query = "query($id: ID!) { complaintById(id: $id) { status description channel \
                 inquiry { id } events { action } slaClocks { metric } } }";
    let complaint = app
        .gql(&w.agent.auth, query, json!({ "id": complaint_id }))
        .await;
    let complaint = &complaint.data()["complaintById"];
    assert_eq!(complaint["status"], "RECEIVED");
    assert_eq!(
        complaint["description"],
        "Does the warranty cover the door seal?"
    );
    assert_eq!(complaint["channel"], "PHONE");
    assert_eq!(complaint["inquiry"]["id"], inquiry["id"]);
    assert!(actions(&complaint["events"]).contains(&"CONVERTED_FROM_INQUIRY".to_owned()));
    assert!(!complaint["slaClocks"].as_array().unwrap().is_empty());
    // The customer sees the link from their side too.
    let tracking = app
        .gql(
            &w.customer.auth,
            "{ myComplaints { edges { node { id inquiry { id status } } } } }",
            json!({}),
        )
        .await;
    let node = &tracking.data()["myComplaints"]["edges"][0]["node"];
    assert_eq!(node["id"], complaint_id);
    assert_eq!(node["inquiry"]["status"], "CONVERTED");
    // The inquiry's clock no longer runs: nothing is missed at 31 minutes.
    app.clock.set(asked_at + Duration::minutes(31));
    assert_eq!(sweep(&app).await, 0);
    // Converted once: not again.
    let again = convert(
        &app,
        &w.agent.auth,
        &inquiry["id"],
        "COMPLAINT",
        json!({ "category": "SERVICE_ATTITUDE", "channel": "PHONE" }),
    )
    .await;
    again.expect_code("INVALID_TRANSITION");
}

async fn r_sla_11_an_inquiry_converted_into_a_repair_order_is_linked_on_both(app: TestApp) {
    let w = app.repair_world().await;
    let inquiry = ask_by_phone(&app, &w).await;
    let input = json!({ "assetId": gid(NodeType::Asset, w.asset),
                        "serviceAddress": "Room 1201, 88 Century Avenue, Pudong",
                        "contactPhone": "13812345678" });
    let converted = convert(
        &app,
        &w.supervisor.auth,
        &inquiry["id"],
        "REPAIR_ORDER",
        input,
    )
    .await;
    let converted = &converted.data()["convertInquiry"];
    assert_eq!(converted["kind"], "REPAIR_ORDER");
    assert_eq!(converted["inquiry"]["status"], "CONVERTED");
    assert_eq!(converted["inquiry"]["convertedId"], converted["ticketId"]);
    assert_eq!(converted["inquiry"]["slaClocks"][0]["state"], "STOPPED");
    let query = "query($id: ID!) { repairOrder(id: $id) { status channel faultDescription \
                 inquiry { id status } events { action } } }";
    for auth in [&w.agent.auth, &w.customer.auth] {
        let order = app
            .gql(auth, query, json!({ "id": converted["ticketId"] }))
            .await;
        let order = &order.data()["repairOrder"];
        assert_eq!(order["status"], "SUBMITTED");
        assert_eq!(order["channel"], "PHONE");
        assert_eq!(
            order["faultDescription"],
            "How do I descale the dishwasher?"
        );
        assert_eq!(order["inquiry"]["id"], inquiry["id"]);
        assert_eq!(order["inquiry"]["status"], "CONVERTED");
        let actions = actions(&order["events"]);
        assert!(
            actions.contains(&"CONVERTED_FROM_INQUIRY".to_owned()),
            "{actions:?}"
        );
    }
    // A product of another customer is not theirs: nothing is written.
    let other = ask_by_phone(&app, &w).await;
    let before = rows(&app).await;
    let input = json!({ "assetId": gid(NodeType::Asset, w.partner_asset),
                        "serviceAddress": "Room 1", "contactPhone": "13812345678" });
    convert(&app, &w.agent.auth, &other["id"], "REPAIR_ORDER", input)
        .await
        .expect_code("NOT_FOUND");
    assert_eq!(rows(&app).await, before);
    let seen = read(&app, &w.agent.auth, &other["id"]).await;
    assert_eq!(seen.data()["inquiry"]["status"], "OPEN");
}

async fn r_sla_11_bad_inputs_name_their_fields_and_write_nothing(app: TestApp) {
    let w = app.repair_world().await;
    let before = rows(&app).await;
    // Asking: an empty question, staff naming the APP channel; a customer's answer.
    let bad = ask_as(
        &app,
        &w.agent.auth,
        json!({ "customerId": w.customer.gid(), "channel": "APP", "question": "  " }),
    )
    .await;
    assert_eq!(fields(&bad), vec!["channel", "question"]);
    let bad = ask_as(
        &app,
        &w.customer.auth,
        json!({ "question": "Why?", "answer": "Because." }),
    )
    .await;
    assert_eq!(fields(&bad), vec!["answer"]);
    let long = "x".repeat(4001);
    let bad = ask_as(&app, &w.customer.auth, json!({ "question": long })).await;
    assert_eq!(fields(&bad), vec!["question"]);
    let bad = ask_as(
        &app,
        &w.customer.auth,
        json!({ "question": "nul \u{0000} inside" }),
    )
    .await;
    bad.expect_code("BAD_USER_INPUT");
    assert_eq!(rows(&app).await, before);

    let inquiry = ask(&app, &w.customer).await;
    let before = rows(&app).await;
    let now = app.clock_now();
    // Passing: a customer is no person in charge and a promise in the past is none, both
    // reported; a promise a month ahead is absurd; staff of another centre are not in charge.
    let bad = pass(
        &app,
        &w.agent.auth,
        &inquiry["id"],
        &w.customer.gid(),
        Some(now - Duration::minutes(5)),
    )
    .await;
    assert_eq!(fields(&bad), vec!["handlerId", "promisedReplyAt"]);
    let bad = pass(
        &app,
        &w.agent.auth,
        &inquiry["id"],
        &w.technician.gid(),
        Some(now + Duration::days(30)),
    )
    .await;
    assert_eq!(fields(&bad), vec!["promisedReplyAt"]);
    let bad = pass(
        &app,
        &w.agent.auth,
        &inquiry["id"],
        &w.other_agent.gid(),
        None,
    )
    .await;
    assert_eq!(fields(&bad), vec!["handlerId"]);
    // Answering with nothing; converting without saying into what, or as the app.
    let bad = answer(&app, &w.agent.auth, &inquiry["id"], "   ").await;
    assert_eq!(fields(&bad), vec!["answer"]);
    let bad = convert(
        &app,
        &w.agent.auth,
        &inquiry["id"],
        "COMPLAINT",
        Value::Null,
    )
    .await;
    assert_eq!(fields(&bad), vec!["complaint"]);
    let bad = convert(
        &app,
        &w.agent.auth,
        &inquiry["id"],
        "REPAIR_ORDER",
        Value::Null,
    )
    .await;
    assert_eq!(fields(&bad), vec!["repairOrder"]);
    let bad = convert(
        &app,
        &w.agent.auth,
        &inquiry["id"],
        "COMPLAINT",
        json!({ "category": "SERVICE_ATTITUDE", "channel": "APP", "description": "" }),
    )
    .await;
    assert_eq!(fields(&bad), vec!["channel", "description"]);
    assert_eq!(rows(&app).await, before);
    let seen = read_staff(&app, &w.agent.auth, &inquiry["id"]).await;
    assert_eq!(seen["status"], "OPEN");
    assert_eq!(seen["version"], 1);
    assert_eq!(seen["handlerId"], Value::Null);
    assert_eq!(at(&reply(&seen)["dueAt"]), now + Duration::minutes(30));
}

async fn r_sla_11_inquiries_are_seen_like_tickets(app: TestApp) {
    let w = app.repair_world().await;
    let own = ask(&app, &w.customer).await;
    let partners = ask_as(
        &app,
        &w.partner,
        json!({ "customerId": w.partner_customer.gid(), "question": "Is a service plan available?" }),
    )
    .await
    .data()["askInquiry"]
        .clone();
    assert_eq!(partners["channel"], "PARTNER");
    // Technicians and admins do not ask; nobody asks anonymously.
    for (auth, code) in [
        (&w.technician.auth, "FORBIDDEN"),
        (&w.admin.auth, "FORBIDDEN"),
        (&Auth::None, "UNAUTHENTICATED"),
    ] {
        let input = json!({ "customerId": w.customer.gid(), "question": "?" });
        ask_as(&app, auth, input).await.expect_code(code);
    }
    // inquiry(id): Y seen, N NOT_FOUND.
    let callers: [(&str, &Auth); 10] = [
        ("customer", &w.customer.auth),
        ("other customer", &w.other_customer.auth),
        ("partner customer", &w.partner_customer.auth),
        ("technician", &w.technician.auth),
        ("agent", &w.agent.auth),
        ("other agent", &w.other_agent.auth),
        ("supervisor", &w.supervisor.auth),
        ("admin", &w.admin.auth),
        ("partner", &w.partner),
        ("other partner", &w.other_partner),
    ];
    const Y: bool = true;
    const N: bool = false;
    #[rustfmt::skip]
    let expected: [(&Value, [bool; 10]); 2] = [
        //                cus cu2 pcu tec agt ag2 sup adm prt pr2
        (&own,           [Y,  N,  N,  N,  Y,  N,  Y,  N,  N,  N]),
        (&partners,      [N,  N,  Y,  N,  Y,  N,  Y,  N,  Y,  N]),
    ];
    let mut failures = Vec::new();
    for (inquiry, row) in expected {
        for ((who, auth), seen) in callers.iter().zip(row) {
            let response = read(&app, auth, &inquiry["id"]).await;
            let ok = response.body.get("errors").is_none_or(Value::is_null);
            let right = if seen {
                ok && response.body["data"]["inquiry"]["id"] == inquiry["id"]
            } else {
                !ok && response.code() == "NOT_FOUND"
            };
            if !right {
                failures.push(format!(
                    "inquiry {} as {who}: {}",
                    inquiry["number"], response.body
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Customers, partners and technicians (not in charge) may not pass; others do not see it.
    let id = &own["id"];
    for (auth, code) in [
        (&w.customer.auth, "FORBIDDEN"),
        (&w.technician.auth, "NOT_FOUND"),
        (&w.other_agent.auth, "NOT_FOUND"),
        (&w.admin.auth, "NOT_FOUND"),
        (&w.partner, "NOT_FOUND"),
    ] {
        pass(&app, auth, id, &w.technician.gid(), None)
            .await
            .expect_code(code);
        answer(&app, auth, id, "No.").await.expect_code(code);
    }
    pass(&app, &w.partner, &partners["id"], &w.technician.gid(), None)
        .await
        .expect_code("FORBIDDEN");
    // Passed to the technician, it is theirs to read and answer, not to pass or convert.
    pass(&app, &w.agent.auth, id, &w.technician.gid(), None)
        .await
        .data();
    assert!(read(&app, &w.technician.auth, id).await.body["errors"].is_null());
    assert_eq!(
        read(&app, &w.other_technician.auth, id).await.code(),
        "NOT_FOUND"
    );
    pass(
        &app,
        &w.technician.auth,
        id,
        &w.other_technician.gid(),
        None,
    )
    .await
    .expect_code("FORBIDDEN");
    let complaint = json!({ "category": "SERVICE_ATTITUDE", "channel": "PHONE" });
    convert(&app, &w.technician.auth, id, "COMPLAINT", complaint)
        .await
        .expect_code("FORBIDDEN");
    // Lists: the centre's for its staff, the organization's for partners, the technician's
    // own, the customer's own.
    let list = "{ inquiries { edges { node { id } } } }";
    let ids = |response: GqlResponse, field: &str| -> Vec<Value> {
        response.data()[field]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].clone())
            .collect()
    };
    let both = vec![partners["id"].clone(), own["id"].clone()];
    assert_eq!(
        ids(app.gql(&w.agent.auth, list, json!({})).await, "inquiries"),
        both
    );
    assert!(
        ids(
            app.gql(&w.other_agent.auth, list, json!({})).await,
            "inquiries"
        )
        .is_empty()
    );
    assert_eq!(
        ids(app.gql(&w.partner, list, json!({})).await, "inquiries"),
        vec![partners["id"].clone()]
    );
    assert_eq!(
        ids(
            app.gql(&w.technician.auth, list, json!({})).await,
            "inquiries"
        ),
        vec![own["id"].clone()]
    );
    for auth in [&w.customer.auth, &w.admin.auth] {
        app.gql(auth, list, json!({}))
            .await
            .expect_code("FORBIDDEN");
    }
    let mine = "{ myInquiries { edges { node { id } } } }";
    assert_eq!(
        ids(
            app.gql(&w.customer.auth, mine, json!({})).await,
            "myInquiries"
        ),
        vec![own["id"].clone()]
    );
    app.gql(&w.agent.auth, mine, json!({}))
        .await
        .expect_code("FORBIDDEN");
    // node(id) follows the same rule.
    let node = "query($id: ID!) { node(id: $id) { id ... on Inquiry { status } } }";
    let seen = app.gql(&w.customer.auth, node, json!({ "id": id })).await;
    assert_eq!(seen.data()["node"]["status"], "PASSED");
    let hidden = app
        .gql(&w.other_customer.auth, node, json!({ "id": id }))
        .await;
    hidden.expect_code("NOT_FOUND");
    // Customers and partners do not read who is in charge.
    let query = "query($id: ID!) { inquiry(id: $id) { handlerId } }";
    app.gql(&w.customer.auth, query, json!({ "id": id }))
        .await
        .expect_code("FORBIDDEN");
    // The change feed (which subscriptions and webhooks share) by the same rule.
    app.log_caught_up().await;
    let feed = "{ changes(first: 100, kinds: [INQUIRY]) { edges { node { ticketKind ticketId \
                action } } } }";
    let seen = |response: GqlResponse| -> (Vec<Value>, Vec<String>) {
        let edges = response.data()["changes"]["edges"]
            .as_array()
            .unwrap()
            .clone();
        let mut tickets: Vec<Value> = edges
            .iter()
            .map(|e| e["node"]["ticketId"].clone())
            .collect();
        tickets.sort_by_key(|t| t.as_str().unwrap_or_default().to_owned());
        tickets.dedup();
        assert!(edges.iter().all(|e| e["node"]["ticketKind"] == "INQUIRY"));
        let actions = edges
            .iter()
            .map(|e| e["node"]["action"].as_str().unwrap().to_owned())
            .collect();
        (tickets, actions)
    };
    let mut both = both;
    both.sort_by_key(|t| t.as_str().unwrap_or_default().to_owned());
    assert_eq!(seen(app.gql(&w.agent.auth, feed, json!({})).await).0, both);
    let (tickets, actions) = seen(app.gql(&w.partner, feed, json!({})).await);
    assert_eq!(tickets, vec![partners["id"].clone()]);
    assert_eq!(actions, vec!["ASKED"]);
    let (tickets, actions) = seen(app.gql(&w.customer.auth, feed, json!({})).await);
    assert_eq!(tickets, vec![own["id"].clone()]);
    assert!(actions.contains(&"PASSED".to_owned()), "{actions:?}");
    assert!(
        !actions.iter().any(|a| a.starts_with("SLA_")),
        "{actions:?}"
    );
    assert_eq!(
        seen(app.gql(&w.technician.auth, feed, json!({})).await).0,
        vec![own["id"].clone()]
    );
    assert!(
        seen(app.gql(&w.other_technician.auth, feed, json!({})).await)
            .0
            .is_empty()
    );
    assert!(
        seen(app.gql(&w.other_partner, feed, json!({})).await)
            .0
            .is_empty()
    );
}
