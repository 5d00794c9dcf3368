//! The change feed (issue 13): every reader gets the events of the tickets it may see, in
//! commit order, pages that join without gaps or repeats, and a position that never skips an
//! event whose transaction commits late.

use serde_json::{Value, json};
use servicedesk_tests::key_of;
use servicedesk_tests::{Auth, Backend, TestApp, db_tests};

db_tests!(
    the_feed_gives_each_reader_the_events_it_may_see_in_order,
    pages_of_the_feed_join_without_gaps_and_polling_goes_on,
);

const CHANGES: &str = "query($after: String, $first: Int, $kinds: [TicketKind!]) {
    changes(after: $after, first: $first, kinds: $kinds) {
        edges { cursor node { id ticketKind ticketId action toStatus public } }
        endCursor endOfStream } }";

async fn changes(app: &TestApp, auth: &Auth, after: Option<&Value>, first: i32) -> Value {
    let vars = json!({ "after": after, "first": first });
    app.gql(auth, CHANGES, vars).await.data()["changes"].clone()
}

/// Every event the reader gets from the start, following `endCursor` page by page.
async fn all_changes(app: &TestApp, auth: &Auth) -> Vec<Value> {
    app.log_caught_up().await;
    let mut events = Vec::new();
    let mut after: Option<Value> = None;
    loop {
        let page = changes(app, auth, after.as_ref(), 50).await;
        events.extend(
            page["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"].clone()),
        );
        if page["endOfStream"] == true {
            return events;
        }
        after = Some(page["endCursor"].clone());
    }
}

fn of_ticket<'e>(events: &'e [Value], ticket: &Value) -> Vec<&'e Value> {
    events
        .iter()
        .filter(|e| e["ticketKind"] == "REPAIR_ORDER" && e["ticketId"] == ticket["id"])
        .collect()
}

async fn the_feed_gives_each_reader_the_events_it_may_see_in_order(app: TestApp) {
    let w = app.repair_world().await;
    let mine = app.order_in(&w, "CLOSED").await;
    // Another customer's order, reported through the partner organization.
    let partners = app.report(&w.partner_customer, w.partner_asset).await;

    // The customer: their order's whole happy path, public entries only, in order.
    let seen = all_changes(&app, &w.customer.auth).await;
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|e| e["public"] == true), "{seen:?}");
    assert!(of_ticket(&seen, &partners).is_empty());
    let statuses: Vec<&str> = of_ticket(&seen, &mine)
        .into_iter()
        .filter_map(|e| e["toStatus"].as_str())
        .filter(|s| *s != "SUBMITTED")
        .collect();
    assert_eq!(
        statuses,
        [
            "ASSIGNED",
            "ACCEPTED",
            "EN_ROUTE",
            "ON_SITE",
            "COMPLETED",
            "CONFIRMED",
            "CLOSED"
        ]
    );
    let ids: Vec<i64> = seen.iter().map(|e| key_of(&e["id"])).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "in the order they happened");

    // Surveys issued reach the customer; scheduled return visits are staff work.
    let actions = |events: &[&Value]| -> Vec<String> {
        events
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    };
    let customer_actions = actions(&of_ticket(&seen, &mine));
    assert!(customer_actions.contains(&"SURVEY_ISSUED".to_owned()));
    assert!(!customer_actions.contains(&"RETURN_VISIT_SCHEDULED".to_owned()));

    // The agent: the centre's orders with internal entries; another centre's agent: none.
    let staff = all_changes(&app, &w.agent.auth).await;
    let staff_actions = actions(&of_ticket(&staff, &mine));
    assert_eq!(
        staff_actions
            .iter()
            .filter(|a| *a == "RETURN_VISIT_SCHEDULED")
            .count(),
        2,
        "after closure and at 30 days"
    );
    assert_eq!(
        staff_actions
            .iter()
            .filter(|a| *a == "SURVEY_ISSUED")
            .count(),
        1,
        "one survey though confirming and closing both ask for it"
    );
    assert!(staff.len() > seen.len());
    assert!(staff.iter().any(|e| e["public"] == false));
    assert!(!of_ticket(&staff, &partners).is_empty());
    let elsewhere = all_changes(&app, &w.other_agent.auth).await;
    assert!(of_ticket(&elsewhere, &mine).is_empty());

    // The partner: its organization's order only, public entries only.
    let partner = all_changes(&app, &w.partner).await;
    assert!(!of_ticket(&partner, &partners).is_empty());
    assert!(of_ticket(&partner, &mine).is_empty());
    assert!(partner.iter().all(|e| e["public"] == true));
    let other_partner = all_changes(&app, &w.other_partner).await;
    assert!(of_ticket(&other_partner, &partners).is_empty());

    // Complaints come too, unless the reader narrows the kinds.
    app.complaint_in(&w, &w.customer, "ACKNOWLEDGED").await;
    let all = all_changes(&app, &w.customer.auth).await;
    assert!(all.iter().any(|e| e["ticketKind"] == "COMPLAINT"));
    let repairs = app
        .gql(
            &w.customer.auth,
            CHANGES,
            json!({ "first": 50, "kinds": ["REPAIR_ORDER"] }),
        )
        .await;
    let repairs = repairs.data()["changes"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        repairs
            .iter()
            .all(|e| e["node"]["ticketKind"] == "REPAIR_ORDER")
    );

    // Admins read no tickets (R-PRV-1); nobody reads without a principal.
    app.gql(&w.admin.auth, CHANGES, json!({}))
        .await
        .expect_code("FORBIDDEN");
    app.gql(&Auth::None, CHANGES, json!({}))
        .await
        .expect_code("UNAUTHENTICATED");
}

async fn pages_of_the_feed_join_without_gaps_and_polling_goes_on(app: TestApp) {
    let w = app.repair_world().await;
    app.order_in(&w, "COMPLETED").await;
    let whole = all_changes(&app, &w.agent.auth).await;
    app.log_caught_up().await;
    let mut paged = Vec::new();
    let mut after: Option<Value> = None;
    loop {
        let page = changes(&app, &w.agent.auth, after.as_ref(), 3).await;
        let edges = page["edges"].as_array().unwrap().clone();
        assert!(edges.len() <= 3);
        if let Some(last) = edges.last() {
            assert_eq!(last["cursor"], page["endCursor"]);
        }
        paged.extend(edges.iter().map(|e| e["node"].clone()));
        after = Some(page["endCursor"].clone());
        if page["endOfStream"] == true {
            break;
        }
    }
    assert_eq!(paged, whole);

    // Polling at the end: nothing, the same cursor; a new event then shows up once.
    let idle = changes(&app, &w.agent.auth, after.as_ref(), 3).await;
    assert_eq!(idle["edges"], json!([]));
    assert_eq!(idle["endCursor"], *after.as_ref().unwrap());
    assert_eq!(idle["endOfStream"], true);
    let order = app.report(&w.customer, w.asset).await;
    app.log_caught_up().await;
    let next = changes(&app, &w.agent.auth, after.as_ref(), 50).await;
    let new: Vec<&Value> = next["edges"].as_array().unwrap().iter().collect();
    assert!(!new.is_empty());
    assert!(new.iter().all(|e| e["node"]["ticketId"] == order["id"]));

    for (vars, field) in [
        (json!({ "after": "bm90LWEtY3Vyc29y" }), "after"),
        (json!({ "after": "!" }), "after"),
        (json!({ "first": 0 }), "first"),
        (json!({ "first": 101 }), "first"),
    ] {
        let query = "query($after: String, $first: Int) {
            changes(after: $after, first: $first) { endOfStream } }";
        let refused = app.gql(&w.agent.auth, query, vars).await;
        assert_eq!(refused.expect_code("BAD_USER_INPUT")["field"], field);
    }
}

/// PostgreSQL: a transaction that took its event id first but commits last is not skipped. A
/// plain `id > cursor` read returns the later event first and moves past the earlier id for
/// good; the feed holds the later event back until the earlier transaction ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_never_skips_an_event_that_commits_late() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = TestApp::start(backend).await;
    let w = app.repair_world().await;
    let order = app.report(&w.customer, w.asset).await;
    app.log_caught_up().await;
    let start = changes(&app, &w.agent.auth, None, 50).await["endCursor"].clone();

    let late = app.late_writer(&w, &order).await;
    let held = changes(&app, &w.agent.auth, Some(&start), 50).await;
    assert_eq!(
        held["edges"],
        json!([]),
        "held back behind the open transaction"
    );
    assert_eq!(held["endCursor"], start);

    late.commit().await.expect("commit");
    app.log_caught_up().await;
    let seen = changes(&app, &w.agent.auth, Some(&start), 50).await;
    let actions: Vec<&str> = seen["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    // `LATE_NOTE` is no action the schema names: clients read it as OTHER.
    assert_eq!(actions.first(), Some(&"OTHER"), "{actions:?}");
    assert!(actions.contains(&"ASSIGNED"), "{actions:?}");
}
