//! Who may see and change a repair order (R-PRV-1, R-PRV-7): every mutation as every kind of
//! caller, list scopes, partner reports, optimistic concurrency and refused transitions. Every
//! refused call is checked to have written nothing.

use std::sync::Arc;

use chrono::Duration;
use entity::users::Role;
use entity::{repair_orders, ticket_events};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use servicedesk_tests::{
    Auth, GqlResponse, ORDER_FIELDS, RepairWorld, TestApp, TestUser, db_tests,
};
use servicedesk_tests::{NodeType, gid, key_of};

db_tests!(
    role_matrix_every_mutation_every_role,
    r_prv_1_no_cross_customer_or_cross_organization_read,
    r_prv_7_partner_reports_only_for_own_customers,
    concurrent_assign_exactly_one_wins,
    concurrent_reports_get_distinct_numbers_embedding_their_keys,
    stale_version_is_conflict_and_writes_nothing,
    invalid_transition_names_status_and_writes_nothing,
);

// ---------------------------------------------------------------------------------------------
// Callers, owners and outcomes
// ---------------------------------------------------------------------------------------------

/// Everyone who may call, relative to one order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Caller {
    /// The customer the order belongs to.
    Owner,
    /// A customer of the same centre who does not own the order.
    OtherCustomer,
    /// `world.technician`: the order's technician once it is assigned.
    Assignee,
    /// A technician of the same centre who is not assigned to the order.
    OtherTechnician,
    /// An agent of the order's service centre.
    Agent,
    /// An agent of the other service centre.
    OtherAgent,
    /// The supervisor of the order's service centre.
    Supervisor,
    Admin,
    /// `world.partner`: API key of the organization `org`.
    Partner,
    /// API key of another organization.
    OtherPartner,
    Anonymous,
}

/// The column order of the tables below (and of `field_matrix`'s).
pub(crate) const CALLERS: [Caller; 11] = [
    Caller::Owner,
    Caller::OtherCustomer,
    Caller::Assignee,
    Caller::OtherTechnician,
    Caller::Agent,
    Caller::OtherAgent,
    Caller::Supervisor,
    Caller::Admin,
    Caller::Partner,
    Caller::OtherPartner,
    Caller::Anonymous,
];

/// Whose order it is. Both kinds are handled by the centre North.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    /// `world.customer`, reporting from the app; belongs to no partner organization, so no
    /// partner may see the order.
    AppCustomer,
    /// `world.partner_customer` of the organization `org`, reported for by `world.partner`.
    PartnerCustomer,
}

impl Owner {
    fn customer(self, w: &RepairWorld) -> &TestUser {
        match self {
            Self::AppCustomer => &w.customer,
            Self::PartnerCustomer => &w.partner_customer,
        }
    }
}

pub(crate) fn auth_of(w: &RepairWorld, owner: Owner, caller: Caller) -> Auth {
    match caller {
        Caller::Owner => owner.customer(w).auth.clone(),
        Caller::OtherCustomer => w.other_customer.auth.clone(),
        Caller::Assignee => w.technician.auth.clone(),
        Caller::OtherTechnician => w.other_technician.auth.clone(),
        Caller::Agent => w.agent.auth.clone(),
        Caller::OtherAgent => w.other_agent.auth.clone(),
        Caller::Supervisor => w.supervisor.auth.clone(),
        Caller::Admin => w.admin.auth.clone(),
        Caller::Partner => w.partner.clone(),
        Caller::OtherPartner => w.other_partner.clone(),
        Caller::Anonymous => Auth::None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Ok,
    Forbidden,
    NotFound,
    Unauthenticated,
    BadInput,
    /// Answered without an error, the requested entry null.
    Null,
    /// Allowed, but the record's state refuses it.
    InvalidTransition,
}

/// Done.
const OK: Outcome = Outcome::Ok;
/// `FORBIDDEN`: the caller sees the order, but the role may not take the action.
const FB: Outcome = Outcome::Forbidden;
/// `NOT_FOUND`: the caller may not see the order (it looks the same as a missing one).
const NF: Outcome = Outcome::NotFound;
/// `UNAUTHENTICATED`: no credentials.
const UA: Outcome = Outcome::Unauthenticated;
/// `BAD_USER_INPUT`: let through to the checks of the input (a wrong code or password).
const BI: Outcome = Outcome::BadInput;
/// No error; the entry is null.
const NL: Outcome = Outcome::Null;
/// `INVALID_TRANSITION`: allowed to ask, refused by the record's state.
const IT: Outcome = Outcome::InvalidTransition;

impl Outcome {
    fn code(self) -> Option<&'static str> {
        match self {
            Self::Ok | Self::Null => None,
            Self::Forbidden => Some("FORBIDDEN"),
            Self::NotFound => Some("NOT_FOUND"),
            Self::Unauthenticated => Some("UNAUTHENTICATED"),
            Self::BadInput => Some("BAD_USER_INPUT"),
            Self::InvalidTransition => Some("INVALID_TRANSITION"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shortcuts
// ---------------------------------------------------------------------------------------------

/// What a refused call must leave untouched: seen by the centre's agent.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    version: i64,
    status: String,
    events: Vec<String>,
}

async fn snapshot(app: &TestApp, w: &RepairWorld, id: &Value) -> Snapshot {
    let query = "query($id: ID!) { repairOrder(id: $id) { version status events { action } } }";
    let response = app.gql(&w.agent.auth, query, json!({ "id": id })).await;
    let order = &response.data()["repairOrder"];
    Snapshot {
        version: order["version"].as_i64().expect("version"),
        status: order["status"].as_str().expect("status").to_owned(),
        events: actions(order),
    }
}

fn actions(order: &Value) -> Vec<String> {
    order["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["action"].as_str().expect("action").to_owned())
        .collect()
}

fn has_errors(response: &GqlResponse) -> bool {
    response.body.get("errors").is_some_and(|e| !e.is_null())
}

/// `reportFault` with `input` (customer, asset, ...) plus a fault, address and phone.
async fn report_fault(app: &TestApp, auth: &Auth, input: Value) -> GqlResponse {
    let query = format!(
        "mutation($input: ReportFaultInput!) {{ reportFault(input: $input) {{ {ORDER_FIELDS} \
         serviceCentreId customer {{ id }} }} }}"
    );
    let mut full = json!({ "faultDescription": "Ice maker leaks",
                           "serviceAddress": "Room 502, 7 Nanjing Road, Huangpu",
                           "contactPhone": "13900001111" });
    for (field, value) in input.as_object().expect("input object") {
        full[field] = value.clone();
    }
    app.gql(auth, &query, json!({ "input": full })).await
}

/// The partner reports a fault for its organization's customer, to be handled by North.
async fn partner_report(app: &TestApp, w: &RepairWorld) -> Value {
    let input = json!({ "customerId": w.partner_customer.gid(),
                        "assetId": gid(NodeType::Asset, w.partner_asset),
                        "serviceCentreId": gid(NodeType::ServiceCentre, w.centre) });
    report_fault(app, &w.partner, input).await.data()["reportFault"].clone()
}

/// A fresh order of `owner` driven to `status` the normal way (agent assigns
/// `world.technician`, who does the field work; the owner confirms).
async fn order_for(app: &TestApp, w: &RepairWorld, owner: Owner, status: &str) -> Value {
    let mut order = match owner {
        Owner::AppCustomer => app.report(&w.customer, w.asset).await,
        Owner::PartnerCustomer => partner_report(app, w).await,
    };
    let tech = format!(", technicianId: \"{}\"", w.technician.gid());
    let steps: [(&Auth, &str, &str); 6] = [
        (&w.agent.auth, "assignTechnician", &tech),
        (&w.technician.auth, "acceptRepair", ""),
        (&w.technician.auth, "startTravel", ""),
        (&w.technician.auth, "markArrived", ""),
        (
            &w.technician.auth,
            "completeRepair",
            ", workDone: \"Replaced the valve\"",
        ),
        (&owner.customer(w).auth, "confirmRepair", ""),
    ];
    for (auth, name, args) in steps {
        if order["status"] == status {
            break;
        }
        order = app.repair_ok(auth, name, &order, args).await;
    }
    assert_eq!(order["status"], status, "could not reach {status}");
    order
}

/// Valid arguments of `mutation` beyond `id` and `version`.
fn args(app: &TestApp, w: &RepairWorld, mutation: &str, order: &Value) -> String {
    match mutation {
        // A first dispatch sends `technician`; a re-dispatch moves the order to the other one.
        "assignTechnician" if order["status"] == "SUBMITTED" => {
            format!(", technicianId: \"{}\"", w.technician.gid())
        }
        "assignTechnician" => format!(", technicianId: \"{}\"", w.other_technician.gid()),
        "addRepairLine" => ", input: { kind: PART, description: \"Valve\", partCode: \"V-2\", \
                            quantity: \"1\", unitPrice: \"35.00\" }"
            .to_owned(),
        "completeRepair" => ", workDone: \"Replaced the valve\"".to_owned(),
        "diagnoseRepair" => {
            ", input: { diagnosis: \"Worn valve\", cause: QUALITY, solution: REPAIR }".to_owned()
        }
        "rejectRepair" => ", reason: \"Still leaking\"".to_owned(),
        "cancelRepair" => ", reason: \"No longer needed\"".to_owned(),
        "scheduleAppointment" => {
            // Inside the arrival limit, so no deadline moves and one event is written.
            let start = app.clock_now() + Duration::hours(1);
            let end = start + Duration::hours(2);
            format!(
                ", start: \"{}\", end: \"{}\"",
                start.to_rfc3339(),
                end.to_rfc3339()
            )
        }
        _ => String::new(),
    }
}

/// Mutations that add a timeline entry and change neither status nor version.
const NOTES: [&str; 2] = ["addRepairNote", "addCustomerNote"];

/// Runs `mutation` on `order` with valid arguments.
async fn call(
    app: &TestApp,
    w: &RepairWorld,
    auth: &Auth,
    mutation: &str,
    order: &Value,
) -> GqlResponse {
    if mutation == "addRepairNote" {
        let query = "mutation($id: ID!) { addRepairNote(id: $id, note: \"Called the customer\", \
                     public: true) { id status version } }";
        return app.gql(auth, query, json!({ "id": order["id"] })).await;
    }
    if mutation == "addCustomerNote" {
        let query = "mutation($id: ID!, $version: Int) { addCustomerNote(id: $id, \
                     version: $version, note: \"Gate code 4711\") { id status version } }";
        let variables = json!({ "id": order["id"], "version": order["version"] });
        return app.gql(auth, query, variables).await;
    }
    let args = args(app, w, mutation, order);
    app.repair_op(auth, mutation, order, &args).await
}

/// `repairOrders` or `myRepairOrders`: ids listed, or the error code.
async fn list_ids(app: &TestApp, auth: &Auth, field: &str) -> Result<Vec<Value>, String> {
    let query = format!("{{ {field}(first: 100) {{ nodes {{ id }} }} }}");
    let response = app.gql(auth, &query, json!({})).await;
    if has_errors(&response) {
        return Err(response.code().to_owned());
    }
    let ids = response.body["data"][field]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|node| node["id"].clone())
        .collect();
    Ok(sorted(ids))
}

/// Ids in key order.
fn sorted(mut ids: Vec<Value>) -> Vec<Value> {
    ids.sort_by_key(|id| id.as_str().unwrap_or_default().to_owned());
    ids
}

async fn row_counts(app: &TestApp) -> (u64, u64) {
    let orders = repair_orders::Entity::find()
        .count(&app.db)
        .await
        .expect("count orders");
    let events = ticket_events::Entity::find()
        .filter(ticket_events::Column::Action.not_like("SLA_%"))
        .count(&app.db)
        .await
        .expect("count events");
    (orders, events)
}

// ---------------------------------------------------------------------------------------------
// 1. Every mutation as every caller
// ---------------------------------------------------------------------------------------------

/// Expected outcome of each mutation for each caller, on an order of the partner's organization
/// (`Owner::PartnerCustomer`) in the `from` state. On `world.customer`'s orders
/// (`Owner::AppCustomer`, no organization) the table is the same except that the partner gets
/// `NOT_FOUND` everywhere.
///
/// Columns (the order of `CALLERS`): own = the order's customer, cus = another customer,
/// asg = `world.technician`, the assignee (not yet assigned while SUBMITTED), tec = another
/// technician of the centre, agt = the centre's agent, ag2 = the other centre's agent,
/// sup = supervisor, adm = admin, prt = partner of the customer's organization, pr2 = another
/// organization's partner, ano = anonymous.
#[rustfmt::skip]
const MATRIX: &[(&str, &str, &str, [Outcome; 11])] = &[
    // mutation             from         to            own cus asg tec agt ag2 sup adm prt pr2 ano
    ("assignTechnician",    "SUBMITTED", "ASSIGNED",  [FB, NF, NF, NF, OK, NF, OK, NF, FB, NF, UA]),
    ("assignTechnician",    "ASSIGNED",  "ASSIGNED",  [FB, NF, FB, NF, OK, NF, OK, NF, FB, NF, UA]),
    ("acceptRepair",        "ASSIGNED",  "ACCEPTED",  [FB, NF, OK, NF, FB, NF, FB, NF, FB, NF, UA]),
    ("startTravel",         "ACCEPTED",  "EN_ROUTE",  [FB, NF, OK, NF, FB, NF, FB, NF, FB, NF, UA]),
    ("markArrived",         "EN_ROUTE",  "ON_SITE",   [FB, NF, OK, NF, FB, NF, FB, NF, FB, NF, UA]),
    ("addRepairLine",       "ON_SITE",   "ON_SITE",   [FB, NF, OK, NF, FB, NF, FB, NF, FB, NF, UA]),
    ("diagnoseRepair",      "ON_SITE",   "ON_SITE",   [FB, NF, OK, NF, FB, NF, FB, NF, FB, NF, UA]),
    ("completeRepair",      "ON_SITE",   "COMPLETED", [FB, NF, OK, NF, FB, NF, FB, NF, FB, NF, UA]),
    ("confirmRepair",       "COMPLETED", "CONFIRMED", [OK, NF, FB, NF, FB, NF, FB, NF, FB, NF, UA]),
    ("rejectRepair",        "COMPLETED", "REOPENED",  [OK, NF, FB, NF, FB, NF, FB, NF, FB, NF, UA]),
    ("cancelRepair",        "SUBMITTED", "CANCELLED", [OK, NF, NF, NF, OK, NF, OK, NF, OK, NF, UA]),
    ("cancelRepair",        "ACCEPTED",  "CANCELLED", [OK, NF, FB, NF, OK, NF, OK, NF, OK, NF, UA]),
    ("closeRepair",         "CONFIRMED", "CLOSED",    [FB, NF, FB, NF, OK, NF, OK, NF, FB, NF, UA]),
    ("scheduleAppointment", "ASSIGNED",  "ASSIGNED",  [OK, NF, FB, NF, OK, NF, OK, NF, FB, NF, UA]),
    ("addRepairNote",       "ON_SITE",   "ON_SITE",   [FB, NF, OK, NF, OK, NF, OK, NF, FB, NF, UA]),
    ("addCustomerNote",     "ON_SITE",   "ON_SITE",   [OK, NF, FB, NF, FB, NF, FB, NF, FB, NF, UA]),
];

async fn role_matrix_every_mutation_every_role(app: TestApp) {
    let w = app.repair_world().await;
    let mut failures = report_fault_matrix(&app, &w).await;
    failures.extend(orderless_matrix(&app, &w).await);
    failures.extend(parts_and_outcome_matrix(&app, &w).await);
    failures.extend(follow_up_matrix(&app, &w).await);
    for &(mutation, from, to, expected) in MATRIX {
        for owner in [Owner::PartnerCustomer, Owner::AppCustomer] {
            // A call that succeeds uses the order up; the next caller gets a fresh one.
            let mut order = None;
            for (caller, expected) in CALLERS.into_iter().zip(expected) {
                let expected = match (owner, caller) {
                    (Owner::AppCustomer, Caller::Partner) => NF,
                    _ => expected,
                };
                let current = match order.take() {
                    Some(current) => current,
                    None => order_for(&app, &w, owner, from).await,
                };
                let case = format!("{mutation} on a {owner:?} order in {from} as {caller:?}");
                let before = snapshot(&app, &w, &current["id"]).await;
                let auth = auth_of(&w, owner, caller);
                let response = call(&app, &w, &auth, mutation, &current).await;
                let after = snapshot(&app, &w, &current["id"]).await;
                match expected.code() {
                    None if has_errors(&response) => {
                        failures.push(format!("{case}: expected success, got {}", response.body));
                        order = Some(current);
                    }
                    None => {
                        let done = &response.body["data"][mutation];
                        // A note changes neither status nor version; every other action both.
                        let bump = i64::from(!NOTES.contains(&mutation));
                        if done["status"] != to || done["version"] != before.version + bump {
                            failures.push(format!("{case}: unexpected result {done}"));
                        }
                        // Its own entry; confirming and closing also issue the survey and
                        // schedule the return visits, each with an entry of its own.
                        let own = |events: &[String]| {
                            events
                                .iter()
                                .filter(|a| {
                                    !["SURVEY_ISSUED", "RETURN_VISIT_SCHEDULED"]
                                        .contains(&a.as_str())
                                })
                                .count()
                        };
                        if own(&after.events) != own(&before.events) + 1 {
                            failures.push(format!(
                                "{case}: expected one new event, timeline {:?} -> {:?}",
                                before.events, after.events
                            ));
                        }
                    }
                    Some(code) => {
                        let got = has_errors(&response).then(|| response.code().to_owned());
                        if got.as_deref() != Some(code) {
                            failures
                                .push(format!("{case}: expected {code}, got {}", response.body));
                        }
                        if after != before {
                            failures.push(format!(
                                "{case}: a refused call changed the order: {before:?} -> {after:?}"
                            ));
                        }
                        order = Some(current);
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells of the access matrix are wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The operations that change no order (issue 14): accounts, with arguments that change
/// nothing when refused (a wrong code, a wrong current password, an unknown token); the
/// directories; reads by global id or number of an unassigned order of `world.customer`
/// (`@ID`), and the privacy operations on it (issue 17).
/// `NL`: answered, but the entry for the order is null (`nodes` hides what `node` refuses).
#[rustfmt::skip]
const ORDERLESS_MATRIX: &[(&str, [Outcome; 11])] = &[
    // operation                                                                          own cus asg tec agt ag2 sup adm prt pr2 ano
    ("mutation { createCustomer(input: { name: \"New\", phone: \"@PHONE\" }) { id } }",     [FB, FB, FB, FB, OK, OK, OK, FB, OK, OK, UA]),
    ("query { findCustomer(phone: \"@CUSTOMER\") { id } }",                                   [FB, FB, FB, FB, OK, OK, OK, FB, OK, OK, UA]),
    ("mutation { changePassword(oldPassword: \"not the password\", newPassword: \"amber lantern drifts east\") { accessToken } }",
                                                                                              [BI, BI, BI, BI, BI, BI, BI, BI, FB, FB, UA]),
    ("mutation { requestVerificationCode(purpose: PASSWORD_RESET, phone: \"@PHONE\") }", [OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
    ("mutation { resetPassword(phone: \"13600000099\", code: \"000000\", newPassword: \"amber lantern drifts east\") }",
                                                                                              [BI, BI, BI, BI, BI, BI, BI, BI, BI, BI, BI]),
    ("mutation { registerCustomer(input: { phone: \"13600000099\", code: \"000000\", password: \"amber lantern drifts east\", name: \"N\" }) { accessToken } }",
                                                                                              [BI, BI, BI, BI, BI, BI, BI, BI, BI, BI, BI]),
    ("mutation { refreshToken(refreshToken: \"sdr_unknown\") { accessToken } }",            [UA, UA, UA, UA, UA, UA, UA, UA, UA, UA, UA]),
    ("mutation { logout(refreshToken: \"sdr_unknown\") }",                                   [OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
    ("query { serviceCentres { id } }",                                                       [OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
    ("query { technicians { id } }",                                                          [FB, FB, FB, FB, OK, OK, OK, FB, FB, FB, UA]),
    ("mutation { setTechnicianProfile(userId: \"@TECHNICIAN\", skills: [\"COOLING\"]) { id } }",
                                                                                              [FB, FB, FB, FB, FB, FB, FB, OK, FB, FB, UA]),
    ("query { node(id: \"@ID\") { id } }",                                                 [OK, NF, NF, NF, OK, NF, OK, NF, NF, NF, NF]),
    ("query { nodes(ids: [\"@ID\"]) { id } }",                                             [OK, NL, NL, NL, OK, NL, OK, NL, NL, NL, NL]),
    ("query { repairOrder(number: \"@NUMBER\") { id } }",                                     [OK, NF, NF, NF, OK, NF, OK, NF, NF, NF, UA]),
    ("query { myComplaints { edges { node { id } } } }",                                      [OK, OK, FB, FB, FB, FB, FB, FB, FB, FB, UA]),
    // inquiries (R-SLA-11), on an OPEN inquiry of world.customer (`@INQUIRY`); the refused
    // and the `BI` calls change nothing
    ("mutation { askInquiry(input: { question: \"Opening hours?\" }) { status } }",           [OK, OK, FB, FB, BI, BI, BI, FB, BI, BI, UA]),
    ("query { inquiries { edges { node { id } } } }",                                         [FB, FB, OK, OK, OK, OK, OK, FB, OK, OK, UA]),
    ("query { myInquiries { edges { node { id } } } }",                                       [OK, OK, FB, FB, FB, FB, FB, FB, FB, FB, UA]),
    ("query { inquiry(id: \"@INQUIRY\") { id } }",                                            [OK, NF, NF, NF, OK, NF, OK, NF, NF, NF, UA]),
    ("mutation { passInquiry(id: \"@INQUIRY\", handlerId: \"@OWNER\") { id } }",               [FB, NF, NF, NF, BI, NF, BI, NF, NF, NF, UA]),
    ("mutation { answerInquiry(id: \"@INQUIRY\", answer: \" \") { id } }",                     [FB, NF, NF, NF, BI, NF, BI, NF, NF, NF, UA]),
    ("mutation { convertInquiry(id: \"@INQUIRY\", into: COMPLAINT) { kind } }",               [FB, NF, NF, NF, BI, NF, BI, NF, NF, NF, UA]),
    // privacy (issue 17); the supervisor's hold is what the supervisor's release releases
    ("mutation { revealContact(repairOrderId: \"@ID\", field: CONTACT_PHONE) }",          [FB, NF, NF, NF, OK, NF, OK, NF, NF, NF, UA]),
    ("mutation { placeLegalHold(ticketId: \"@ID\", reason: \"dispute\") { reason } }",  [FB, FB, FB, FB, FB, FB, OK, FB, FB, FB, UA]),
    ("mutation { releaseLegalHold(ticketId: \"@ID\") }",                                 [FB, FB, FB, FB, FB, FB, OK, FB, FB, FB, UA]),
    ("mutation { requestExport(kind: REPAIR_ORDERS) { status } }",                           [FB, FB, FB, FB, OK, OK, OK, FB, FB, FB, UA]),
    // @EXPORT and @EXPORT2 were asked for by the agent; neither is approved before its row
    ("mutation { approveExport(id: \"@EXPORT\") { status } }",                              [FB, FB, FB, FB, FB, NF, OK, FB, FB, FB, UA]),
    ("mutation { downloadExport(id: \"@EXPORT2\") }",                                       [FB, FB, FB, FB, IT, NF, NF, FB, FB, FB, UA]),
    // consents (R-PRV-12): only the customer consents in the app; @CONSENT is withdrawn already
    ("mutation { recordDisclosureConsent(input: { customerId: \"@OWNER\", organizationId: \"@ORG\", channel: APP }) { id } }",
                                                                                              [OK, NF, FB, FB, BI, BI, BI, FB, FB, FB, UA]),
    ("mutation { withdrawDisclosureConsent(id: \"@CONSENT\") { inForce } }",                [IT, NF, FB, FB, IT, NF, IT, FB, FB, FB, UA]),
    ("query { disclosureConsents(customerId: \"@OWNER\") { inForce } }",               [OK, NF, FB, FB, OK, NF, OK, FB, FB, FB, UA]),
    ("mutation { setRetentionPolicy(kind: REPAIR_ORDER, days: 1095) { days } }",             [FB, FB, FB, FB, FB, FB, FB, OK, FB, FB, UA]),
    ("query { auditLog(first: 1) { edges { node { action } } } }",                            [FB, FB, FB, FB, FB, FB, FB, OK, FB, FB, UA]),
    ("query { myDataAccess(first: 1) { edges { node { action } } } }",                        [OK, OK, FB, FB, FB, FB, FB, FB, FB, FB, UA]),
    ("query { warrantyVisitsDue { id } }",                                                  [FB, FB, FB, FB, OK, OK, OK, FB, FB, FB, UA]),
    ("query { retentionPolicies { days } }",                                                  [FB, FB, FB, FB, FB, FB, FB, OK, FB, FB, UA]),
    ("query { destructionRecords(first: 1) { edges { node { fields } } } }",                  [FB, FB, FB, FB, FB, FB, FB, OK, FB, FB, UA]),
];

async fn orderless_matrix(app: &TestApp, w: &RepairWorld) -> Vec<String> {
    let order = app.report(&w.customer, w.asset).await;
    let export = || async {
        let asked = app
            .gql(
                &w.agent.auth,
                "mutation { requestExport(kind: REPAIR_ORDERS) { id } }",
                json!({}),
            )
            .await;
        asked.data()["requestExport"]["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let (first_export, second_export) = (export().await, export().await);
    let org = gid(NodeType::Organization, w.org);
    let consent = app
        .gql(
            &w.supervisor.auth,
            "mutation($input: RecordDisclosureConsentInput!) { recordDisclosureConsent(input: $input) { id } }",
            json!({ "input": { "customerId": w.customer.gid(), "organizationId": org,
                               "basis": "LEGAL_BASIS", "channel": "WRITTEN", "reference": "contract 1" } }),
        )
        .await;
    let consent = consent.data()["recordDisclosureConsent"]["id"].clone();
    app.gql(
        &w.supervisor.auth,
        "mutation($id: ID!) { withdrawDisclosureConsent(id: $id) { inForce } }",
        json!({ "id": consent }),
    )
    .await
    .data();
    let inquiry = app
        .gql(
            &w.customer.auth,
            "mutation { askInquiry(input: { question: \"Is it covered?\" }) { id } }",
            json!({}),
        )
        .await
        .data()["askInquiry"]["id"]
        .clone();
    let mut failures = Vec::new();
    for (row, &(operation, expected)) in ORDERLESS_MATRIX.iter().enumerate() {
        for (column, (caller, expected)) in CALLERS.into_iter().zip(expected).enumerate() {
            let document = operation
                .replace("@PHONE", &format!("1360000{row:02}{column:02}"))
                .replace("@CUSTOMER", &w.customer.phone)
                .replace("@TECHNICIAN", &w.technician.gid())
                .replace("@OWNER", &w.customer.gid())
                .replace("@INQUIRY", inquiry.as_str().expect("inquiry id"))
                .replace("@ID", order["id"].as_str().expect("id"))
                .replace("@NUMBER", order["number"].as_str().expect("number"))
                .replace("@EXPORT2", &second_export)
                .replace("@EXPORT", &first_export)
                .replace("@ORG", &org)
                .replace("@CONSENT", consent.as_str().expect("consent id"));
            let auth = auth_of(w, Owner::AppCustomer, caller);
            let response = app.gql(&auth, &document, json!({})).await;
            let got = has_errors(&response).then(|| response.code().to_owned());
            // Every answer has exactly one field; `NL` wants its only entry null.
            let nulled = response.body["data"]
                .as_object()
                .and_then(|data| data.values().next())
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_null));
            if got.as_deref() != expected.code() || (expected == NL) != (got.is_none() && nulled) {
                failures.push(format!(
                    "{operation} as {caller:?}: expected {expected:?}, got {}",
                    response.body
                ));
            }
        }
    }
    failures
}

/// R-REP-5 parts requests and the R-REP-2 return outcome, on a partner customer's order: the
/// request in the state given (asked for by the centre's agent), or, for
/// `recordReturnOutcome`, an ON_SITE order whose diagnosis chose RETURN.
#[rustfmt::skip]
const PARTS_MATRIX: &[(&str, &str, [Outcome; 11])] = &[
    // mutation               request        own cus asg tec agt ag2 sup adm prt pr2 ano
    ("requestParts",          "",           [FB, NF, OK, NF, OK, NF, OK, NF, FB, NF, UA]),
    ("approvePartsRequest",   "REQUESTED",  [FB, NF, FB, NF, FB, NF, OK, NF, FB, NF, UA]),
    ("rejectPartsRequest",    "REQUESTED",  [FB, NF, FB, NF, FB, NF, OK, NF, FB, NF, UA]),
    ("fillPartsRequest",      "APPROVED",   [FB, NF, FB, NF, OK, NF, OK, NF, FB, NF, UA]),
    ("receiveParts",          "FILLED",     [FB, NF, OK, NF, OK, NF, OK, NF, FB, NF, UA]),
    ("recordReturnOutcome",   "",           [FB, NF, OK, NF, OK, NF, OK, NF, FB, NF, UA]),
];

/// A fresh order (and parts request) for a row of `PARTS_MATRIX`: the order and the request.
async fn parts_case(
    app: &TestApp,
    w: &RepairWorld,
    mutation: &str,
    request: &str,
) -> (Value, Value) {
    if mutation == "recordReturnOutcome" {
        let order = order_for(app, w, Owner::PartnerCustomer, "ON_SITE").await;
        let returned = ", input: { diagnosis: \"Wrong colour\", cause: QUALITY, solution: RETURN }";
        let order = app
            .repair_ok(&w.technician.auth, "diagnoseRepair", &order, returned)
            .await;
        return (order, Value::Null);
    }
    let order = order_for(app, w, Owner::PartnerCustomer, "ASSIGNED").await;
    if request.is_empty() {
        return (order, Value::Null);
    }
    let ask = "mutation($id: ID!) { requestParts(orderId: $id, parts: [{ code: \"V-2\", name: \"Valve\" }]) { id } }";
    let asked = app
        .gql(&w.agent.auth, ask, json!({ "id": order["id"] }))
        .await;
    let id = asked.data()["requestParts"]["id"].clone();
    let steps: [(&Auth, &str, &str); 2] = [
        (&w.supervisor.auth, "approvePartsRequest", ""),
        (&w.agent.auth, "fillPartsRequest", ", source: STOCK"),
    ];
    let wanted = match request {
        "REQUESTED" => 0,
        "APPROVED" => 1,
        _ => 2,
    };
    for (auth, name, args) in steps.into_iter().take(wanted) {
        let query = format!("mutation($id: ID!) {{ {name}(id: $id{args}) {{ id }} }}");
        app.gql(auth, &query, json!({ "id": id })).await.data();
    }
    (order, id)
}

async fn parts_and_outcome_matrix(app: &TestApp, w: &RepairWorld) -> Vec<String> {
    let mut failures = Vec::new();
    for &(mutation, request, expected) in PARTS_MATRIX {
        let mut case = None;
        for (caller, expected) in CALLERS.into_iter().zip(expected) {
            let (order, id) = match case.take() {
                Some(case) => case,
                None => parts_case(app, w, mutation, request).await,
            };
            let query = match mutation {
                "requestParts" => "mutation($order: ID!) { requestParts(orderId: $order, parts: \
                                   [{ code: \"F-1\", name: \"Fan\" }]) { status } }"
                    .to_owned(),
                "recordReturnOutcome" => "mutation($order: ID!, $version: Int!) { \
                                          recordReturnOutcome(id: $order, version: $version, \
                                          outcome: RETURNED, note: \"Taken back\") { status } }"
                    .to_owned(),
                "rejectPartsRequest" => "mutation($id: ID!) { rejectPartsRequest(id: $id, \
                                         reason: \"Not needed\") { status } }"
                    .to_owned(),
                "fillPartsRequest" => "mutation($id: ID!) { fillPartsRequest(id: $id, \
                                       source: PURCHASE) { status } }"
                    .to_owned(),
                other => format!("mutation($id: ID!) {{ {other}(id: $id) {{ status }} }}"),
            };
            let variables = json!({ "order": order["id"], "version": order["version"], "id": id });
            let before = snapshot(app, w, &order["id"]).await;
            let auth = auth_of(w, Owner::PartnerCustomer, caller);
            let response = app.gql(&auth, &query, variables).await;
            let after = snapshot(app, w, &order["id"]).await;
            let got = has_errors(&response).then(|| response.code().to_owned());
            let label = format!("{mutation} ({request}) as {caller:?}");
            if got.as_deref() != expected.code() {
                failures.push(format!(
                    "{label}: expected {expected:?}, got {}",
                    response.body
                ));
            }
            if got.is_some() {
                if after != before {
                    failures.push(format!("{label}: a refused call changed the order"));
                }
                case = Some((order, id));
            }
        }
    }
    failures
}

/// `openFollowUpCase` (R-CMP-7) on a return visit of a closed order of `world.customer`.
async fn follow_up_matrix(app: &TestApp, w: &RepairWorld) -> Vec<String> {
    #[rustfmt::skip]
    //                                     own cus asg tec agt ag2 sup adm prt pr2 ano
    const EXPECTED: [Outcome; 11] =       [FB, FB, FB, FB, OK, NF, OK, FB, FB, FB, UA];
    let mut order = app.report(&w.customer, w.asset).await;
    let tech = format!(", technicianId: \"{}\"", w.technician.gid());
    let steps: [(&Auth, &str, &str); 7] = [
        (&w.agent.auth, "assignTechnician", &tech),
        (&w.technician.auth, "acceptRepair", ""),
        (&w.technician.auth, "startTravel", ""),
        (&w.technician.auth, "markArrived", ""),
        (&w.technician.auth, "completeRepair", ", workDone: \"Done\""),
        (&w.customer.auth, "confirmRepair", ""),
        (&w.agent.auth, "closeRepair", ""),
    ];
    for (auth, name, args) in steps {
        order = app.repair_ok(auth, name, &order, args).await;
    }
    let visits = app
        .gql(
            &w.agent.auth,
            "{ returnVisitsDue { id ticketId } }",
            json!({}),
        )
        .await;
    let visit = visits.data()["returnVisitsDue"]
        .as_array()
        .expect("visits")
        .iter()
        .find(|v| v["ticketId"] == order["id"])
        .expect("a visit")["id"]
        .clone();
    let query = "mutation($id: ID!) { openFollowUpCase(returnVisitId: $id, input: { \
                 kind: REPAIR_ORDER, description: \"The door squeaks\" }) { kind } }";
    let mut failures = Vec::new();
    // R-SLA-13: a warranty-end visit of the partner's customer's product, recorded with a
    // blank note, so that who may record it gets as far as the note.
    #[rustfmt::skip]
    //                                     own cus asg tec agt ag2 sup adm prt pr2 ano
    const WARRANTY: [Outcome; 11] =       [FB, FB, FB, FB, BI, NF, BI, FB, FB, FB, UA];
    servicedesk::jobs::warranty_visits::run(&app.db, app.clock_now())
        .await
        .expect("schedule");
    let due = app
        .gql(&w.agent.auth, "{ warrantyVisitsDue { id } }", json!({}))
        .await;
    let warranty = due.data()["warrantyVisitsDue"][0]["id"].clone();
    let record = "mutation($id: ID!) { recordWarrantyVisit(id: $id, channel: PHONE, \
                  reached: true, note: \" \") { id } }";
    for (caller, expected) in CALLERS.into_iter().zip(WARRANTY) {
        let auth = auth_of(w, Owner::AppCustomer, caller);
        let response = app.gql(&auth, record, json!({ "id": warranty })).await;
        let got = has_errors(&response).then(|| response.code().to_owned());
        if got.as_deref() != expected.code() {
            failures.push(format!(
                "recordWarrantyVisit as {caller:?}: expected {expected:?}, got {}",
                response.body
            ));
        }
    }
    for (caller, expected) in CALLERS.into_iter().zip(EXPECTED) {
        let auth = auth_of(w, Owner::AppCustomer, caller);
        let response = app.gql(&auth, query, json!({ "id": visit })).await;
        let got = has_errors(&response).then(|| response.code().to_owned());
        if got.as_deref() != expected.code() {
            failures.push(format!(
                "openFollowUpCase as {caller:?}: expected {expected:?}, got {}",
                response.body
            ));
        }
    }
    failures
}

/// `reportFault` has no order yet: who may report for whom.
async fn report_fault_matrix(app: &TestApp, w: &RepairWorld) -> Vec<String> {
    let own = json!({ "assetId": gid(NodeType::Asset, w.asset), "serviceCentreId": gid(NodeType::ServiceCentre, w.centre) });
    let for_customer = json!({ "customerId": w.customer.gid(),
                               "assetId": gid(NodeType::Asset, w.asset) });
    let for_partners = json!({ "customerId": w.partner_customer.gid(),
                               "assetId": gid(NodeType::Asset, w.partner_asset),
                               "serviceCentreId": gid(NodeType::ServiceCentre, w.centre) });
    let for_other = json!({ "customerId": w.other_customer.gid(),
                            "assetId": gid(NodeType::Asset, w.asset) });
    let (customer, agent, other_agent) = (&w.customer.auth, &w.agent.auth, &w.other_agent.auth);
    let (technician, supervisor, admin) = (&w.technician.auth, &w.supervisor.auth, &w.admin.auth);
    let (partner, other_partner) = (&w.partner, &w.other_partner);
    // (who, credentials, input, Ok(channel) or Err(code))
    #[rustfmt::skip]
    let cases: [(&str, &Auth, &Value, Result<&str, &str>); 12] = [
        ("customer for themselves",        customer,      &own,          Ok("APP")),
        ("customer for another customer",  customer,      &for_other,    Err("FORBIDDEN")),
        ("agent for a customer",           agent,         &for_customer, Ok("PHONE")),
        ("agent without customerId",       agent,         &own,          Err("BAD_USER_INPUT")),
        ("other centre's agent",           other_agent,   &for_customer, Err("NOT_FOUND")),
        ("supervisor for a customer",      supervisor,    &for_customer, Ok("PHONE")),
        ("technician",                     technician,    &for_customer, Err("FORBIDDEN")),
        ("admin",                          admin,         &for_customer, Err("FORBIDDEN")),
        ("partner for its customer",       partner,       &for_partners, Ok("PARTNER")),
        ("partner for another customer",   partner,       &for_customer, Err("NOT_FOUND")),
        ("other org's partner",            other_partner, &for_partners, Err("NOT_FOUND")),
        ("anonymous",                      &Auth::None,   &own,          Err("UNAUTHENTICATED")),
    ];
    let mut failures = Vec::new();
    for (who, auth, input, expected) in cases {
        let before = row_counts(app).await;
        let response = report_fault(app, auth, input.clone()).await;
        let after = row_counts(app).await;
        match expected {
            Ok(channel) => {
                let channel_got = &response.body["data"]["reportFault"]["channel"];
                if has_errors(&response) || channel_got != channel {
                    failures.push(format!(
                        "reportFault as {who}: expected {channel}, got {}",
                        response.body
                    ));
                }
                if after != (before.0 + 1, before.1 + 1) {
                    failures.push(format!(
                        "reportFault as {who}: expected +1 order, +1 event: {before:?} -> {after:?}"
                    ));
                }
            }
            Err(code) => {
                let got = has_errors(&response).then(|| response.code().to_owned());
                if got.as_deref() != Some(code) {
                    failures.push(format!(
                        "reportFault as {who}: expected {code}, got {}",
                        response.body
                    ));
                }
                if after != before {
                    failures.push(format!(
                        "reportFault as {who}: refused but wrote {before:?} -> {after:?}"
                    ));
                }
            }
        }
    }
    failures
}

// ---------------------------------------------------------------------------------------------
// 2. Reading
// ---------------------------------------------------------------------------------------------

async fn r_prv_1_no_cross_customer_or_cross_organization_read(app: TestApp) {
    let w = app.repair_world().await;
    // North: world.customer's order, assigned to world.technician; the partner's order for its
    // customer, not yet assigned. South: an order of a South customer, taken by the South agent.
    let own = order_for(&app, &w, Owner::AppCustomer, "ASSIGNED").await;
    let partners = order_for(&app, &w, Owner::PartnerCustomer, "SUBMITTED").await;
    let south_customer = app.user(Role::Customer, Some(w.other_centre), None).await;
    let south_asset = app
        .asset(
            south_customer.id,
            app.clock_now().date_naive() + Duration::days(90),
        )
        .await;
    let input =
        json!({ "customerId": south_customer.gid(), "assetId": gid(NodeType::Asset, south_asset) });
    let south = report_fault(&app, &w.other_agent.auth, input).await.data()["reportFault"].clone();
    assert_eq!(
        south["serviceCentreId"],
        gid(NodeType::ServiceCentre, w.other_centre)
    );

    // repairOrder(id): V the order, NF NOT_FOUND, UA UNAUTHENTICATED; columns as in `MATRIX`.
    const V: Outcome = OK;
    #[rustfmt::skip]
    let expected: [(Owner, &Value, [Outcome; 11]); 2] = [
        //                                  own cus asg tec agt ag2 sup adm prt pr2 ano
        (Owner::AppCustomer,     &own,      [V,  NF, V,  NF, V,  NF, V,  NF, NF, NF, UA]),
        (Owner::PartnerCustomer, &partners, [V,  NF, NF, NF, V,  NF, V,  NF, V,  NF, UA]),
    ];
    let query = "query($id: ID!) { repairOrder(id: $id) { id status customer { id } } }";
    let mut failures = Vec::new();
    for (owner, order, row) in expected {
        for (caller, outcome) in CALLERS.into_iter().zip(row) {
            let auth = auth_of(&w, owner, caller);
            let response = app.gql(&auth, query, json!({ "id": order["id"] })).await;
            let case = format!("repairOrder of {owner:?} as {caller:?}");
            match outcome.code() {
                None => {
                    if has_errors(&response)
                        || response.body["data"]["repairOrder"]["id"] != order["id"]
                    {
                        failures.push(format!("{case}: expected the order, got {}", response.body));
                    }
                }
                Some(code) => {
                    let got = has_errors(&response).then(|| response.code().to_owned());
                    if got.as_deref() != Some(code) || !response.body["data"].is_null() {
                        failures.push(format!("{case}: expected {code}, got {}", response.body));
                    }
                }
            }
        }
    }
    // The South order is invisible to everyone in North and to both partners.
    for (who, auth) in [
        ("customer", &w.customer.auth),
        ("technician", &w.technician.auth),
        ("agent", &w.agent.auth),
        ("supervisor", &w.supervisor.auth),
        ("partner", &w.partner),
        ("other partner", &w.other_partner),
    ] {
        let response = app.gql(auth, query, json!({ "id": south["id"] })).await;
        let got = has_errors(&response).then(|| response.code().to_owned());
        if got.as_deref() != Some("NOT_FOUND") {
            failures.push(format!(
                "South order as North {who}: expected NOT_FOUND, got {}",
                response.body
            ));
        }
    }

    // Lists: exactly the orders the caller may see, or the error code.
    type Listed = Result<Vec<Value>, String>;
    let ids = |orders: &[&Value]| -> Listed {
        Ok(sorted(orders.iter().map(|o| o["id"].clone()).collect()))
    };
    let refused = |code: &str| -> Listed { Err(code.to_owned()) };
    let (own, partners, south) = (&own, &partners, &south);
    let (all, mine) = ("repairOrders", "myRepairOrders");
    #[rustfmt::skip]
    let lists: [(&str, &Auth, &str, Listed); 20] = [
        ("agent",                &w.agent.auth,            all,  ids(&[own, partners])),
        ("supervisor",           &w.supervisor.auth,       all,  ids(&[own, partners])),
        ("other centre's agent", &w.other_agent.auth,      all,  ids(&[south])),
        ("partner",              &w.partner,               all,  ids(&[partners])),
        ("other partner",        &w.other_partner,         all,  ids(&[])),
        ("customer",             &w.customer.auth,         all,  refused("FORBIDDEN")),
        ("technician",           &w.technician.auth,       all,  refused("FORBIDDEN")),
        ("admin",                &w.admin.auth,            all,  refused("FORBIDDEN")),
        ("anonymous",            &Auth::None,              all,  refused("UNAUTHENTICATED")),
        ("customer",             &w.customer.auth,         mine, ids(&[own])),
        ("other customer",       &w.other_customer.auth,   mine, ids(&[])),
        ("partner's customer",   &w.partner_customer.auth, mine, ids(&[partners])),
        ("South customer",       &south_customer.auth,     mine, ids(&[south])),
        ("technician",           &w.technician.auth,       mine, ids(&[own])),
        ("other technician",     &w.other_technician.auth, mine, ids(&[])),
        ("agent",                &w.agent.auth,            mine, refused("FORBIDDEN")),
        ("supervisor",           &w.supervisor.auth,       mine, refused("FORBIDDEN")),
        ("partner",              &w.partner,               mine, refused("FORBIDDEN")),
        ("admin",                &w.admin.auth,            mine, refused("FORBIDDEN")),
        ("anonymous",            &Auth::None,              mine, refused("UNAUTHENTICATED")),
    ];
    for (who, auth, field, expected) in lists {
        let got = list_ids(&app, auth, field).await;
        if got != expected {
            failures.push(format!(
                "{field} as {who}: expected {expected:?}, got {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} read checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Partners
// ---------------------------------------------------------------------------------------------

async fn r_prv_7_partner_reports_only_for_own_customers(app: TestApp) {
    let w = app.repair_world().await;

    // Its own organization's customer: accepted, marked as coming from the partner.
    let order = partner_report(&app, &w).await;
    assert_eq!(order["status"], "SUBMITTED");
    assert_eq!(order["channel"], "PARTNER");
    assert_eq!(order["customer"]["id"], w.partner_customer.gid());
    let seen = snapshot(&app, &w, &order["id"]).await;
    assert_eq!(seen.events, ["REPORTED"]);
    let query = "query($id: ID!) { repairOrder(id: $id) { id channel } }";
    let read = app
        .gql(&w.partner, query, json!({ "id": order["id"] }))
        .await;
    assert_eq!(read.data()["repairOrder"]["id"], order["id"]);

    // Another organization's partner neither reads nor lists nor touches it.
    app.gql(&w.other_partner, query, json!({ "id": order["id"] }))
        .await
        .expect_code("NOT_FOUND");
    assert_eq!(
        list_ids(&app, &w.other_partner, "repairOrders").await,
        Ok(vec![])
    );
    app.repair_op(
        &w.other_partner,
        "cancelRepair",
        &order,
        ", reason: \"Test\"",
    )
    .await
    .expect_code("NOT_FOUND");
    assert_eq!(snapshot(&app, &w, &order["id"]).await, seen);

    // Writing for anyone outside the organization is refused as if the customer (or asset) did
    // not exist, and nothing is written.
    let before = row_counts(&app).await;
    let refused = [
        (
            "a customer of no organization",
            &w.partner,
            json!({ "customerId": w.customer.gid(), "assetId": gid(NodeType::Asset, w.asset),
                    "serviceCentreId": gid(NodeType::ServiceCentre, w.centre) }),
        ),
        (
            "its own customer with someone else's asset",
            &w.partner,
            json!({ "customerId": w.partner_customer.gid(),
                    "assetId": gid(NodeType::Asset, w.asset), "serviceCentreId": gid(NodeType::ServiceCentre, w.centre) }),
        ),
        (
            "another organization's customer",
            &w.other_partner,
            json!({ "customerId": w.partner_customer.gid(),
                    "assetId": gid(NodeType::Asset, w.partner_asset),
                    "serviceCentreId": gid(NodeType::ServiceCentre, w.centre) }),
        ),
    ];
    for (case, auth, input) in refused {
        let response = report_fault(&app, auth, input).await;
        assert_eq!(
            response.code(),
            "NOT_FOUND",
            "partner reporting for {case}: {}",
            response.body
        );
        assert!(response.body["data"].is_null(), "{case}: {}", response.body);
    }
    assert_eq!(
        row_counts(&app).await,
        before,
        "a refused partner report wrote rows"
    );
    // The agent's list holds only the partner's one order.
    assert_eq!(
        list_ids(&app, &w.agent.auth, "repairOrders").await,
        Ok(vec![order["id"].clone()])
    );

    // Nor may the partner look up other customers' products.
    let assets = "query($c: ID!) { assets(customerId: $c) { id } }";
    app.gql(&w.partner, assets, json!({ "c": w.customer.gid() }))
        .await
        .expect_code("NOT_FOUND");
    let mine = app
        .gql(&w.partner, assets, json!({ "c": w.partner_customer.gid() }))
        .await;
    assert_eq!(
        mine.data()["assets"],
        json!([{ "id": gid(NodeType::Asset, w.partner_asset) }])
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Concurrency
// ---------------------------------------------------------------------------------------------

/// The key is taken before the insert (the number embeds it): concurrent reports must still
/// get distinct keys, each number naming its own.
async fn concurrent_reports_get_distinct_numbers_embedding_their_keys(app: TestApp) {
    let w = app.repair_world().await;
    let (asset, customer) = (w.asset, Arc::new(w.customer));
    let app = Arc::new(app);
    const CALLS: usize = 16;
    let barrier = Arc::new(tokio::sync::Barrier::new(CALLS));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CALLS {
        let (app, customer, barrier) = (app.clone(), customer.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            app.report(&customer, asset).await
        });
    }
    let mut numbers = std::collections::BTreeSet::new();
    while let Some(joined) = tasks.join_next().await {
        let order = joined.expect("task");
        let id = key_of(&order["id"]);
        let number = order["number"].as_str().expect("number");
        assert!(
            number.ends_with(&format!("-{:0>6}", id)),
            "{number} embeds {id}"
        );
        numbers.insert(number.to_owned());
    }
    assert_eq!(numbers.len(), CALLS);
}

async fn concurrent_assign_exactly_one_wins(app: TestApp) {
    let w = app.repair_world().await;
    let order = order_for(&app, &w, Owner::AppCustomer, "SUBMITTED").await;
    let version = order["version"].as_i64().expect("version");
    let query = "mutation($id: ID!, $version: Int!, $tech: ID!) { \
                 assignTechnician(id: $id, version: $version, technicianId: $tech) { \
                 id status version technician { id } } }";

    const CALLS: usize = 20;
    let barrier = Arc::new(tokio::sync::Barrier::new(CALLS));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..CALLS {
        let technician = if i % 2 == 0 {
            &w.technician
        } else {
            &w.other_technician
        };
        let staff = if i % 4 < 2 { &w.agent } else { &w.supervisor };
        let Auth::Bearer(token) = staff.auth.clone() else {
            panic!("staff use bearer tokens");
        };
        let body = json!({ "query": query,
                           "variables": { "id": order["id"], "version": version,
                                          "tech": technician.gid() } });
        let request = app
            .http
            .post(format!("{}/graphql", app.base_url))
            .bearer_auth(token)
            .json(&body);
        let barrier = barrier.clone();
        let technician = technician.id;
        tasks.spawn(async move {
            barrier.wait().await;
            let response = request.send().await.expect("send");
            let body: Value = response.json().await.expect("JSON body");
            (technician, body)
        });
    }
    let mut winners = Vec::new();
    let mut conflicts = 0;
    while let Some(joined) = tasks.join_next().await {
        let (technician, body) = joined.expect("task");
        if body.get("errors").is_some_and(|e| !e.is_null()) {
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "CONFLICT",
                "{body}"
            );
            conflicts += 1;
        } else {
            winners.push((technician, body["data"]["assignTechnician"].clone()));
        }
    }
    assert_eq!(winners.len(), 1, "exactly one assignment wins: {winners:?}");
    assert_eq!(conflicts, CALLS - 1);
    let (technician, won) = &winners[0];
    assert_eq!(won["version"], version + 1);
    assert_eq!(won["technician"]["id"], gid(NodeType::User, *technician));

    let query = "query($id: ID!) { repairOrder(id: $id) { \
                 status version technician { id } events { action } } }";
    let now = app
        .gql(&w.agent.auth, query, json!({ "id": order["id"] }))
        .await;
    let now = &now.data()["repairOrder"];
    assert_eq!(now["status"], "ASSIGNED");
    assert_eq!(now["version"], version + 1);
    assert_eq!(now["technician"]["id"], gid(NodeType::User, *technician));
    assert_eq!(actions(now), ["REPORTED", "ASSIGNED"]);
}

// ---------------------------------------------------------------------------------------------
// 5. Stale versions and refused transitions
// ---------------------------------------------------------------------------------------------

async fn stale_version_is_conflict_and_writes_nothing(app: TestApp) {
    let w = app.repair_world().await;
    let order = order_for(&app, &w, Owner::AppCustomer, "ASSIGNED").await;
    let version = order["version"].as_i64().expect("version");
    let before = snapshot(&app, &w, &order["id"]).await;
    let at = |v: i64| {
        let mut copy = order.clone();
        copy["version"] = json!(v);
        copy
    };
    let reassign = format!(", technicianId: \"{}\"", w.other_technician.gid());
    let (tech, agent, owner, stranger) = (
        &w.technician.auth,
        &w.agent.auth,
        &w.customer.auth,
        &w.other_customer.auth,
    );
    let (older, newer, reason) = (version - 1, version + 1, ", reason: \"x\"");
    // (who, credentials, mutation, version sent, extra arguments, expected code). Visibility and
    // role are checked before the version: a caller who may not act learns nothing about it.
    #[rustfmt::skip]
    let cases: [(&str, &Auth, &str, i64, &str, &str); 6] = [
        ("assignee, older version",  tech,     "acceptRepair",     older, "",        "CONFLICT"),
        ("assignee, newer version",  tech,     "acceptRepair",     newer, "",        "CONFLICT"),
        ("agent, older version",     agent,    "assignTechnician", older, &reassign, "CONFLICT"),
        ("owner, older version",     owner,    "cancelRepair",     older, reason,    "CONFLICT"),
        ("stranger, older version",  stranger, "cancelRepair",     older, reason,    "NOT_FOUND"),
        ("wrong role, older version", owner,   "acceptRepair",     older, "",        "FORBIDDEN"),
    ];
    for (who, auth, mutation, sent, extra, code) in cases {
        let response = app.repair_op(auth, mutation, &at(sent), extra).await;
        assert_eq!(
            response.code(),
            code,
            "{mutation} as {who}: {}",
            response.body
        );
        assert!(response.body["data"].is_null(), "{who}: {}", response.body);
        assert_eq!(
            snapshot(&app, &w, &order["id"]).await,
            before,
            "{mutation} as {who} wrote"
        );
    }

    // The current version goes through, and the one just used is then stale.
    let accepted = app
        .repair_ok(&w.technician.auth, "acceptRepair", &order, "")
        .await;
    assert_eq!(accepted["version"], version + 1);
    app.repair_op(&w.technician.auth, "startTravel", &order, "")
        .await
        .expect_code("CONFLICT");
    let after = snapshot(&app, &w, &order["id"]).await;
    assert_eq!(after.status, "ACCEPTED");
    assert_eq!(after.version, version + 1);
    assert_eq!(after.events, ["REPORTED", "ASSIGNED", "ACCEPTED"]);
}

async fn invalid_transition_names_status_and_writes_nothing(app: TestApp) {
    let w = app.repair_world().await;
    let (customer, technician, agent) = (&w.customer.auth, &w.technician.auth, &w.agent.auth);
    // (order state, caller, mutation, extra arguments): each caller may act, the state is wrong.
    #[rustfmt::skip]
    let cases: [(&str, &Auth, &str, &str); 8] = [
        ("SUBMITTED", customer,   "confirmRepair",  ""),
        ("SUBMITTED", agent,      "closeRepair",    ""),
        ("ASSIGNED",  technician, "startTravel",    ""),
        ("ACCEPTED",  technician, "markArrived",    ""),
        ("EN_ROUTE",  customer,   "cancelRepair",   ", reason: \"Too late\""),
        ("ON_SITE",   agent,      "closeRepair",    ""),
        ("COMPLETED", technician, "completeRepair", ", workDone: \"Again\""),
        ("CONFIRMED", customer,   "rejectRepair",   ", reason: \"Changed my mind\""),
    ];
    for (status, auth, mutation, extra) in cases {
        let order = order_for(&app, &w, Owner::AppCustomer, status).await;
        let before = snapshot(&app, &w, &order["id"]).await;
        let response = app.repair_op(auth, mutation, &order, extra).await;
        let extensions = response.expect_code("INVALID_TRANSITION");
        assert_eq!(
            extensions["status"], status,
            "{mutation} on {status}: {}",
            response.body
        );
        let message = response.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            message.contains(status),
            "{mutation} on {status}: {message}"
        );
        assert!(response.body["data"].is_null(), "{}", response.body);
        assert_eq!(
            snapshot(&app, &w, &order["id"]).await,
            before,
            "{mutation} on {status} wrote"
        );
    }

    // A note cannot be added to a closed order; nothing is appended.
    let closed = order_for(&app, &w, Owner::AppCustomer, "CONFIRMED").await;
    let closed = app
        .repair_ok(&w.agent.auth, "closeRepair", &closed, "")
        .await;
    let before = snapshot(&app, &w, &closed["id"]).await;
    let response = call(&app, &w, &w.agent.auth, "addRepairNote", &closed).await;
    assert_eq!(
        response.expect_code("INVALID_TRANSITION")["status"],
        "CLOSED"
    );
    assert_eq!(snapshot(&app, &w, &closed["id"]).await, before);

    // Authorization comes first: the wrong role on a wrong state is FORBIDDEN, not a hint
    // about the state.
    let submitted = order_for(&app, &w, Owner::AppCustomer, "SUBMITTED").await;
    app.repair_op(&w.agent.auth, "confirmRepair", &submitted, "")
        .await
        .expect_code("FORBIDDEN");
}
