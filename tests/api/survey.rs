//! Satisfaction surveys: one per finished ticket (R-SUR-1, R-CMP-4), answered once by the
//! customer before expiry, a low score opening a follow-up complaint (R-CMP-6), results for
//! partners without the author.

use chrono::{DateTime, Duration, Utc};
use entity::surveys;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use servicedesk_tests::key_of;
use servicedesk_tests::{
    Auth, GqlResponse, ORDER_FIELDS, RepairWorld, TestApp, TestUser, db_tests,
};
use servicedesk_tests::{NodeType, gid};

db_tests!(
    r_sur_1_confirmed_and_closed_repair_gets_exactly_one_survey,
    r_sur_1_only_the_customer_answers_once_before_expiry,
    r_sur_1_invalid_answers_store_nothing,
    r_sur_5_staff_enter_answers_on_behalf_never_for_their_own_ticket,
    r_cmp_4_resolved_complaint_asks_for_satisfaction_with_a_survey,
    r_cmp_6_low_survey_score_opens_a_survey_complaint_in_the_tickets_centre,
    partners_read_their_organizations_results_without_the_author,
);

const SURVEY_FIELDS: &str = "id ticketKind ticketId status issuedAt expiresAt submittedAt
    timeliness attitude professionalism result overall comment wouldRecommend followUpComplaintId";

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().expect("time"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

async fn my_surveys(app: &TestApp, customer: &TestUser) -> Vec<Value> {
    let query = format!("{{ mySurveys {{ {SURVEY_FIELDS} }} }}");
    app.gql(&customer.auth, &query, json!({})).await.data()["mySurveys"]
        .as_array()
        .expect("list")
        .clone()
}

fn answers(overall: i32) -> Value {
    json!({ "timeliness": 4, "attitude": 5, "professionalism": 4, "result": 3,
            "overall": overall, "comment": "Fixed, but late", "wouldRecommend": 7 })
}

async fn submit(app: &TestApp, auth: &Auth, survey: &Value, answers: Value) -> GqlResponse {
    let query = format!(
        "mutation($id: ID!, $answers: SurveyAnswersInput!) {{ submitSurvey(id: $id, answers: $answers) {{ {SURVEY_FIELDS} }} }}"
    );
    app.gql(
        auth,
        &query,
        json!({ "id": survey["id"], "answers": answers }),
    )
    .await
}

async fn survey_count(app: &TestApp) -> u64 {
    surveys::Entity::find()
        .count(&app.db)
        .await
        .expect("count surveys")
}

/// The world's customer's repair, confirmed: its survey is waiting.
async fn surveyed_repair(app: &TestApp, w: &RepairWorld) -> (Value, Value) {
    let order = app.order_in(w, "CONFIRMED").await;
    let survey = my_surveys(app, &w.customer).await[0].clone();
    (order, survey)
}

async fn r_sur_1_confirmed_and_closed_repair_gets_exactly_one_survey(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "COMPLETED").await;
    assert!(my_surveys(&app, &w.customer).await.is_empty());
    let confirmed = app
        .repair_ok(&w.customer.auth, "confirmRepair", &order, "")
        .await;
    let pending = my_surveys(&app, &w.customer).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["ticketKind"], "REPAIR_ORDER");
    assert_eq!(pending[0]["ticketId"], order["id"]);
    assert_eq!(pending[0]["status"], "PENDING");
    assert_eq!(
        time(&pending[0]["expiresAt"]),
        app.clock_now() + Duration::days(14)
    );
    app.clock.advance(Duration::hours(1));
    app.repair_ok(&w.agent.auth, "closeRepair", &confirmed, "")
        .await;
    assert_eq!(
        survey_count(&app).await,
        1,
        "closing issues no second survey"
    );
    assert_eq!(
        my_surveys(&app, &w.customer).await[0]["id"],
        pending[0]["id"]
    );
    assert!(my_surveys(&app, &w.other_customer).await.is_empty());
}

async fn r_sur_1_only_the_customer_answers_once_before_expiry(app: TestApp) {
    let w = app.repair_world().await;
    let (_, survey) = surveyed_repair(&app, &w).await;
    submit(&app, &w.other_customer.auth, &survey, answers(4))
        .await
        .expect_code("NOT_FOUND");
    submit(&app, &w.agent.auth, &survey, answers(4))
        .await
        .expect_code("FORBIDDEN");
    let done = submit(&app, &w.customer.auth, &survey, answers(4)).await;
    let done = &done.data()["submitSurvey"];
    assert_eq!(done["status"], "SUBMITTED");
    assert_eq!(done["overall"], 4);
    assert_eq!(done["wouldRecommend"], 7);
    assert_eq!(done["comment"], "Fixed, but late");
    assert_eq!(time(&done["submittedAt"]), app.clock_now());
    assert!(done["followUpComplaintId"].is_null());
    let again = submit(&app, &w.customer.auth, &survey, answers(1)).await;
    assert_eq!(
        again.expect_code("INVALID_TRANSITION")["status"],
        "SUBMITTED"
    );
    assert!(my_surveys(&app, &w.customer).await.is_empty());

    // A second repair's survey expires after 14 days.
    let (_, late) = surveyed_repair(&app, &w).await;
    app.clock.advance(Duration::days(14));
    assert!(my_surveys(&app, &w.customer).await.is_empty());
    let expired = submit(&app, &w.customer.auth, &late, answers(5)).await;
    assert_eq!(
        expired.expect_code("INVALID_TRANSITION")["status"],
        "EXPIRED"
    );
    let stored = surveys::Entity::find_by_id(key_of(&late["id"]))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.submitted_at.is_none());
}

/// R-SUR-5: answers given by phone are entered by staff "on behalf", visible as such and
/// counted apart; whoever worked on the ticket is refused and the attempt is recorded.
async fn r_sur_5_staff_enter_answers_on_behalf_never_for_their_own_ticket(app: TestApp) {
    let w = app.repair_world().await;
    let start = app.clock_now();
    // The agent dispatched the order and the technician repaired it; the supervisor did not
    // touch it.
    let (_, survey) = surveyed_repair(&app, &w).await;
    let enter = |auth: Auth| {
        let app = &app;
        let id = survey["id"].clone();
        async move {
            let query = format!(
                "mutation($id: ID!, $answers: SurveyAnswersInput!) {{ \
                 enterSurveyAnswers(id: $id, answers: $answers) {{ {SURVEY_FIELDS} \
                 enteredOnBehalf enteredById }} }}"
            );
            app.gql(&auth, &query, json!({ "id": id, "answers": answers(5) }))
                .await
        }
    };
    let violations = || async {
        entity::audit_log::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .filter(|row| row.action == "survey.self_rating_refused")
            .map(|row| row.actor_user_id)
            .collect::<Vec<_>>()
    };
    enter(w.agent.auth.clone()).await.expect_code("FORBIDDEN");
    enter(w.technician.auth.clone())
        .await
        .expect_code("FORBIDDEN");
    assert_eq!(
        violations().await,
        [Some(w.agent.id), Some(w.technician.id)],
        "both self-ratings are recorded"
    );
    enter(w.other_technician.auth.clone())
        .await
        .expect_code("FORBIDDEN");
    enter(w.customer.auth.clone())
        .await
        .expect_code("FORBIDDEN");
    enter(w.admin.auth.clone()).await.expect_code("FORBIDDEN");
    enter(w.partner.clone()).await.expect_code("FORBIDDEN");
    enter(Auth::None).await.expect_code("UNAUTHENTICATED");
    enter(w.other_agent.auth.clone())
        .await
        .expect_code("NOT_FOUND");
    assert_eq!(
        violations().await.len(),
        2,
        "only self-ratings are violations"
    );
    assert_eq!(
        my_surveys(&app, &w.customer).await.len(),
        1,
        "nothing answered"
    );

    let entered = enter(w.supervisor.auth.clone()).await;
    let entered = &entered.data()["enterSurveyAnswers"];
    assert_eq!(entered["status"], "SUBMITTED");
    assert_eq!(entered["enteredOnBehalf"], true);
    assert_eq!(entered["enteredById"], w.supervisor.gid());
    submit(&app, &w.customer.auth, &survey, answers(4))
        .await
        .expect_code("INVALID_TRANSITION");

    // The customer answers another survey themselves: metrics tell the two apart.
    let (_, own) = surveyed_repair(&app, &w).await;
    let done = submit(&app, &w.customer.auth, &own, answers(4)).await;
    assert!(!done.data()["submitSurvey"]["submittedAt"].is_null());
    let query = "query($from: DateTime!, $to: DateTime!, $centre: ID) { \
                 serviceMetrics(from: $from, to: $to, serviceCentreId: $centre) { \
                 surveyOnBehalfShare { numerator denominator } } }";
    let period = json!({ "from": start.to_rfc3339(),
                         "to": (app.clock_now() + Duration::hours(1)).to_rfc3339(),
                         "centre": gid(NodeType::ServiceCentre, w.centre) });
    let metrics = app.gql(&w.supervisor.auth, query, period).await;
    assert_eq!(
        metrics.data()["serviceMetrics"]["surveyOnBehalfShare"],
        json!({ "numerator": 1, "denominator": 2 })
    );
}

async fn r_sur_1_invalid_answers_store_nothing(app: TestApp) {
    let w = app.repair_world().await;
    let (_, survey) = surveyed_repair(&app, &w).await;
    for (field, value) in [
        ("timeliness", json!(0)),
        ("attitude", json!(6)),
        ("professionalism", json!(-1)),
        ("result", json!(9)),
        ("overall", json!(0)),
        ("wouldRecommend", json!(11)),
        ("comment", json!("x".repeat(2001))),
    ] {
        let mut bad = answers(1);
        bad[field] = value;
        let response = submit(&app, &w.customer.auth, &survey, bad).await;
        assert_eq!(response.expect_code("BAD_USER_INPUT")["field"], field);
    }
    let pending = my_surveys(&app, &w.customer).await;
    assert_eq!(pending[0]["status"], "PENDING");
    assert!(pending[0]["overall"].is_null());
    let complaints = app
        .gql(
            &w.customer.auth,
            "{ myComplaints { nodes { number } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        complaints.data()["myComplaints"]["nodes"],
        json!([]),
        "no follow-up"
    );
}

async fn r_cmp_4_resolved_complaint_asks_for_satisfaction_with_a_survey(app: TestApp) {
    let w = app.repair_world().await;
    let fields = "id version status";
    let filed = app
        .gql(
            &w.agent.auth,
            &format!("mutation($input: FileComplaintInput!) {{ fileComplaint(input: $input) {{ {fields} }} }}"),
            json!({ "input": { "customerId": w.customer.gid(), "channel": "PHONE",
                               "category": "SERVICE_ATTITUDE", "description": "Rude" } }),
        )
        .await;
    let mut complaint = filed.data()["fileComplaint"].clone();
    let now = app.clock_now();
    for (name, args) in [
        (
            "acknowledgeComplaint",
            format!(
                ", promisedResolutionAt: \"{}\", nextContactAt: \"{}\"",
                (now + Duration::hours(20)).to_rfc3339(),
                (now + Duration::hours(4)).to_rfc3339()
            ),
        ),
        (
            "recordInvestigation",
            ", cause: \"Rushed\", responsibleParty: \"Field team\", justified: true".into(),
        ),
        ("resolveComplaint", ", resolution: \"We apologised\"".into()),
    ] {
        assert!(my_surveys(&app, &w.customer).await.is_empty());
        if name == "resolveComplaint" {
            complaint = app
                .approved_solution(&w, &complaint, "We apologise", None)
                .await;
        }
        let query = format!(
            "mutation($id: ID!, $version: Int!) {{ {name}(id: $id, version: $version{args}) {{ {fields} }} }}"
        );
        let vars = json!({ "id": complaint["id"], "version": complaint["version"] });
        complaint = app.gql(&w.agent.auth, &query, vars).await.data()[name].clone();
    }
    assert_eq!(complaint["status"], "RESOLVED");
    let pending = my_surveys(&app, &w.customer).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["ticketKind"], "COMPLAINT");
    assert_eq!(pending[0]["ticketId"], complaint["id"]);
}

async fn r_cmp_6_low_survey_score_opens_a_survey_complaint_in_the_tickets_centre(app: TestApp) {
    let w = app.repair_world().await;
    let (order, survey) = surveyed_repair(&app, &w).await;
    let done = submit(&app, &w.customer.auth, &survey, answers(2)).await;
    let complaint_id = done.data()["submitSurvey"]["followUpComplaintId"].clone();
    assert!(complaint_id.is_string(), "overall 2 opens a complaint");
    let query = "query($id: ID!) { complaintById(id: $id) {
        channel status repairOrderId serviceCentreId customerId description } }";
    let complaint = app
        .gql(&w.agent.auth, query, json!({ "id": complaint_id }))
        .await;
    let complaint = &complaint.data()["complaintById"];
    assert_eq!(complaint["channel"], "SURVEY");
    assert_eq!(complaint["status"], "RECEIVED");
    assert_eq!(complaint["repairOrderId"], order["id"]);
    assert_eq!(
        complaint["serviceCentreId"],
        gid(NodeType::ServiceCentre, w.centre)
    );
    assert_eq!(complaint["customerId"], w.customer.gid());
    assert!(
        complaint["description"]
            .as_str()
            .unwrap()
            .contains("Fixed, but late")
    );

    // Overall 3 is above the threshold: no complaint.
    let (_, fine) = surveyed_repair(&app, &w).await;
    let done = submit(&app, &w.customer.auth, &fine, answers(3)).await;
    assert!(done.data()["submitSurvey"]["followUpComplaintId"].is_null());
    let mine = app
        .gql(
            &w.customer.auth,
            "{ myComplaints { nodes { number } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine.data()["myComplaints"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn partner_order_confirmed(app: &TestApp, w: &RepairWorld) -> Value {
    let report = format!(
        "mutation($input: ReportFaultInput!) {{ reportFault(input: $input) {{ {ORDER_FIELDS} }} }}"
    );
    let input = json!({ "customerId": w.partner_customer.gid(),
                        "assetId": gid(NodeType::Asset, w.partner_asset), "serviceCentreId": gid(NodeType::ServiceCentre, w.centre),
                        "faultDescription": "Noisy", "serviceAddress": "12 Dealer Road, Minhang",
                        "contactPhone": "13711112222" });
    let mut order = app
        .gql(&w.partner, &report, json!({ "input": input }))
        .await
        .data()["reportFault"]
        .clone();
    let tech = format!(", technicianId: \"{}\"", w.technician.gid());
    let steps: [(&Auth, &str, &str); 6] = [
        (&w.agent.auth, "assignTechnician", &tech),
        (&w.technician.auth, "acceptRepair", ""),
        (&w.technician.auth, "startTravel", ""),
        (&w.technician.auth, "markArrived", ""),
        (&w.technician.auth, "completeRepair", ", workDone: \"Fan\""),
        (&w.partner_customer.auth, "confirmRepair", ""),
    ];
    for (auth, name, args) in steps {
        order = app.repair_ok(auth, name, &order, args).await;
    }
    order
}

async fn partners_read_their_organizations_results_without_the_author(app: TestApp) {
    let w = app.repair_world().await;
    let order = partner_order_confirmed(&app, &w).await;
    let survey = my_surveys(&app, &w.partner_customer).await[0].clone();
    submit(&app, &w.partner_customer.auth, &survey, answers(5))
        .await
        .data();
    // Another organization's customer answers too; the partner must not see it.
    let (_, own) = surveyed_repair(&app, &w).await;
    submit(&app, &w.customer.auth, &own, answers(4))
        .await
        .data();

    let query = "{ surveyResults { edges { node { ticketId overall comment } } } }";
    let seen = app.gql(&w.partner, query, json!({})).await;
    let edges = seen.data()["surveyResults"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["ticketId"], order["id"]);
    assert_eq!(edges[0]["node"]["overall"], 5);
    let other = app.gql(&w.other_partner, query, json!({})).await;
    assert_eq!(other.data()["surveyResults"]["edges"], json!([]));
    // The centre's staff see both.
    let staff = app.gql(&w.agent.auth, query, json!({})).await;
    assert_eq!(
        staff.data()["surveyResults"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Results name no author: the type has no customer field at all.
    let author = app
        .gql(
            &w.partner,
            "{ surveyResults { edges { node { customerId } } } }",
            json!({}),
        )
        .await;
    assert!(
        author.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("customerId")
    );
    app.gql(&w.customer.auth, query, json!({}))
        .await
        .expect_code("FORBIDDEN");
}
