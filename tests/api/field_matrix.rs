//! Least privilege field by field (R-PRV-1): every object type of the schema is reviewed
//! against DESIGN.md's role table (who reads it), every field that holds personal data is
//! named with who sees it in full, and those fields are read by every caller of the role
//! matrix (`repair_access`) to check full / masked / not shown. A new type or a new field
//! that looks like personal data fails here until it is reviewed.

use std::collections::BTreeSet;

use entity::users::Role;
use serde_json::{Value, json};
use servicedesk_tests::{RepairWorld, TestApp, db_tests};

use crate::repair_access::{CALLERS, Owner, auth_of};

db_tests!(
    r_prv_1_every_type_and_personal_field_of_the_schema_is_reviewed,
    r_prv_1_personal_fields_for_every_role,
);

/// Every object type clients can read, and who reads it (the review against DESIGN.md's
/// role table; connections, edges and the roots are covered by their item types and by the
/// role matrix).
#[rustfmt::skip]
const TYPES: &[(&str, &str)] = &[
    ("ApiKey", "admins"),
    ("AppointmentWindow", "whoever sees its repair order"),
    ("Asset", "its customer, the centre's staff and its partner, through orders and registerAsset"),
    ("Attachment", "whoever sees its ticket; a pending upload only its uploader"),
    ("AuditEntry", "admins (auditLog)"),
    ("ChangeEvent", "the feed and subscriptions: whoever sees the ticket"),
    ("ChangeFeed", "the feed: each entry as its ticket allows"),
    ("Complaint", "its customer, the centre's agents and supervisors, its partner; the complainant hidden when anonymous (R-PRV-10)"),
    ("ComplaintDeadlines", "whoever sees the complaint"),
    ("ComplaintTracking", "the complainant by number and phone; no staff identities"),
    ("ConvertedInquiry", "whoever converts the inquiry (staff who see it)"),
    ("CreatedApiKey", "the admin who creates the key, once"),
    ("CustomerContact", "whoever sees the order, masked per role (below)"),
    ("DataAccess", "the customer whose data was read (myDataAccess)"),
    ("DestructionRecord", "admins"),
    ("DisclosureConsent", "the customer and the staff of the customer's centre"),
    ("Escalation", "the staff who see the ticket"),
    ("EscalationRoute", "admins"),
    ("Export", "the centre's agents and supervisors; the file only its requester"),
    ("FollowUpCase", "on each of its two tickets, for whoever sees the other one too (R-CMP-7)"),
    ("GroupCount", "supervisors and admins (metrics)"),
    ("Handler", "the complainant: a name and a masked phone"),
    ("Inquiry", "its customer, the centre's agents and supervisors, its partner, the technician it is passed to (R-SLA-11)"),
    ("LegalHold", "the centre's supervisors"),
    ("LevelCount", "supervisors and admins (metrics)"),
    ("LoginPayload", "the person who signed in"),
    ("ManagerDigest", "the centre's supervisors"),
    ("MonthlyComplaintReport", "supervisors and admins"),
    ("Organization", "admins and the organization's own partner"),
    ("PartsRequest", "whoever sees its repair order (R-REP-5)"),
    ("ProductModel", "everyone signed in (catalogue)"),
    ("RatioMetric", "supervisors and admins (metrics)"),
    ("RepairLine", "whoever sees its repair order"),
    ("RepairOrder", "its customer, its technician, the centre's agents and supervisors, its partner"),
    ("RequestedPart", "as its parts request"),
    ("RetentionPolicy", "admins"),
    ("ReturnVisit", "the centre's agents and supervisors"),
    ("ServiceCentre", "everyone (directory)"),
    ("ServiceMetrics", "supervisors and admins"),
    ("SlaClock", "the staff who see the ticket; customers and partners only the clocks that promise them something"),
    ("SlaPolicy", "admins"),
    ("SlaStatus", "whoever sees the order"),
    ("StaffComplaintAlert", "the supervisor it alerts"),
    ("StaffPenalty", "supervisors and admins"),
    ("Survey", "its customer and the centre's staff"),
    ("TechnicianContact", "whoever sees the order; the phone masked for customers and partners"),
    ("TimelineEvent", "whoever sees the ticket; internal entries staff only"),
    ("User", "the person themselves, admins, and the centre's agents and supervisors for its technicians"),
    ("Viewer", "the caller (me)"),
    ("WarrantyVisit", "agents and supervisors of the customer's centre (R-SLA-13)"),
    ("WebhookAttempt", "the endpoint's managers (its partner, admins)"),
    ("WebhookEndpoint", "its partner and admins"),
    ("WebhookEndpointSecret", "its partner and admins, when created or rotated"),
    ("WebhookMessage", "the endpoint's managers; the payload only to partners"),
];

/// Fields that hold personal data (R-PRV-2: name, address, phone, e-mail, what a person said),
/// and who sees them in full. The ones on tickets and accounts are read by every role in
/// `r_prv_1_personal_fields_for_every_role`; the others are checked where named.
#[rustfmt::skip]
const PERSONAL: &[(&str, &str)] = &[
    ("RepairOrder.contactPhone", "customer, agents and supervisors (masked in lists), the technician while open, the partner on orders it filed or with consent (R-PRV-12)"),
    ("RepairOrder.serviceAddress", "as contactPhone"),
    ("CustomerContact.name", "as contactPhone, but names stay in staff lists"),
    ("CustomerContact.phone", "as contactPhone"),
    ("TechnicianContact.phone", "staff; masked for customers and partners"),
    ("TechnicianContact.name", "whoever sees the order (the customer is told who comes)"),
    ("Handler.name", "the complainant: who handles their complaint"),
    ("Handler.phone", "masked always"),
    ("User.name", "the person, admins; technicians also to their centre's staff"),
    ("User.phone", "as User.name"),
    ("User.email", "as User.name"),
    ("AuditEntry.clientAddress", "admins (auditLog, role matrix)"),
    ("DataAccess.actorName", "the customer whose data was read: who read it (R-PRV-3)"),
    ("StaffPenalty.name", "supervisors and admins (R-CMP-9)"),
    ("ReturnVisit.answers", "the centre's agents and supervisors (R-PRV-8, return_visit tests)"),
    ("ReturnVisit.improvement", "as answers"),
    ("Survey.comment", "its customer and the centre's staff"),
    ("Inquiry.question", "whoever sees the inquiry (inquiry tests: r_sla_11_inquiries_are_seen_like_tickets)"),
];

/// Fields whose names look personal but are not (names of things, not of people).
const NOT_PERSONAL: &[&str] = &[
    "ApiKey.name",
    "Attachment.fileName",
    "Organization.name",
    "ProductModel.name",
    "RequestedPart.name",
    "ServiceCentre.name",
];

fn looks_personal(field: &str) -> bool {
    let lower = field.to_lowercase();
    [
        "phone",
        "email",
        "address",
        "answers",
        "improvement",
        "comment",
    ]
    .iter()
    .any(|word| lower.contains(word))
        || field == "name"
        || field.ends_with("Name")
}

async fn r_prv_1_every_type_and_personal_field_of_the_schema_is_reviewed(app: TestApp) {
    let customer = app.user(Role::Customer, None, None).await;
    let response = app
        .gql(
            &customer.auth,
            "{ __schema { types { name kind fields { name } } } }",
            json!({}),
        )
        .await;
    let mut schema_types = BTreeSet::new();
    let mut unreviewed = Vec::new();
    let mut fields = BTreeSet::new();
    for ty in response.data()["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        let generated = ["Connection", "Edge"].iter().any(|end| name.ends_with(end))
            || ["PageInfo", "QueryRoot", "MutationRoot", "SubscriptionRoot"].contains(&name);
        if ty["kind"] != "OBJECT" || name.starts_with("__") || generated {
            continue;
        }
        schema_types.insert(name.to_owned());
        for field in ty["fields"].as_array().unwrap() {
            let field = field["name"].as_str().unwrap();
            let path = format!("{name}.{field}");
            let reviewed =
                PERSONAL.iter().any(|(p, _)| *p == path) || NOT_PERSONAL.contains(&path.as_str());
            if looks_personal(field) && !reviewed {
                unreviewed.push(path.clone());
            }
            fields.insert(path);
        }
    }
    let reviewed: BTreeSet<String> = TYPES.iter().map(|(t, _)| (*t).to_owned()).collect();
    let new: Vec<_> = schema_types.difference(&reviewed).collect();
    let gone: Vec<_> = reviewed.difference(&schema_types).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "review who reads each object type (R-PRV-1): not in TYPES {new:?}, no longer in the schema {gone:?}"
    );
    assert!(
        unreviewed.is_empty(),
        "fields that look like personal data, not in PERSONAL or NOT_PERSONAL: {unreviewed:?}"
    );
    let stale: Vec<_> = PERSONAL
        .iter()
        .map(|(p, _)| *p)
        .chain(NOT_PERSONAL.iter().copied())
        .filter(|p| !fields.contains(*p))
        .collect();
    assert!(
        stale.is_empty(),
        "reviewed fields not in the schema: {stale:?}"
    );
}

/// What a caller got for one field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    /// The value in full.
    F,
    /// Masked (`*` in it).
    M,
    /// Nothing: an error, null, or the record is not in the caller's list.
    N,
}
use Seen::{F, M, N};

/// Which record a probe reads.
#[derive(Clone, Copy, Debug)]
enum Subject {
    /// `world.customer`'s order, assigned to `world.technician`, open.
    OpenOrder,
    /// `world.customer`'s order, closed.
    ClosedOrder,
    /// `world.partner_customer`'s order from the app (no consent for the partner).
    PartnerCustomersOrder,
    /// `world.customer`'s account.
    CustomerAccount,
    /// `world.technician`'s account.
    TechnicianAccount,
}

/// (what, whose, query with `$id`, JSON pointer into `data`, per caller in `CALLERS` order).
/// A list shows the caller's newest order: the partner's is its customer's app order.
#[rustfmt::skip]
const PROBES: &[(&str, Subject, &str, &str, [Seen; 11])] = &[
    //                                                                                                        own cus asg tec agt ag2 sup adm prt pr2 ano
    ("contactPhone", Subject::OpenOrder, "node(id: $id) { ... on RepairOrder { contactPhone } }", "/node/contactPhone", [F, N, F, N, F, N, F, N, N, N, N]),
    ("serviceAddress", Subject::OpenOrder, "node(id: $id) { ... on RepairOrder { serviceAddress } }", "/node/serviceAddress", [F, N, F, N, F, N, F, N, N, N, N]),
    ("customer.name", Subject::OpenOrder, "node(id: $id) { ... on RepairOrder { customer { name } } }", "/node/customer/name", [F, N, F, N, F, N, F, N, N, N, N]),
    ("customer.phone", Subject::OpenOrder, "node(id: $id) { ... on RepairOrder { customer { phone } } }", "/node/customer/phone", [F, N, F, N, F, N, F, N, N, N, N]),
    ("technician.phone", Subject::OpenOrder, "node(id: $id) { ... on RepairOrder { technician { phone } } }", "/node/technician/phone", [M, N, F, N, F, N, F, N, N, N, N]),
    ("contactPhone in a list", Subject::OpenOrder, "repairOrders(first: 1) { edges { node { contactPhone } } }", "/repairOrders/edges/0/node/contactPhone", [N, N, N, N, M, N, M, N, M, N, N]),
    ("customer.name in a list", Subject::OpenOrder, "repairOrders(first: 1) { edges { node { customer { name } } } }", "/repairOrders/edges/0/node/customer/name", [N, N, N, N, F, N, F, N, M, N, N]),
    ("contactPhone when closed", Subject::ClosedOrder, "node(id: $id) { ... on RepairOrder { contactPhone } }", "/node/contactPhone", [F, N, M, N, F, N, F, N, N, N, N]),
    ("customer.name when closed", Subject::ClosedOrder, "node(id: $id) { ... on RepairOrder { customer { name } } }", "/node/customer/name", [F, N, M, N, F, N, F, N, N, N, N]),
    ("partner: contactPhone", Subject::PartnerCustomersOrder, "node(id: $id) { ... on RepairOrder { contactPhone } }", "/node/contactPhone", [F, N, N, N, F, N, F, N, M, N, N]),
    ("partner: customer.name", Subject::PartnerCustomersOrder, "node(id: $id) { ... on RepairOrder { customer { name } } }", "/node/customer/name", [F, N, N, N, F, N, F, N, M, N, N]),
    ("customer's User.phone", Subject::CustomerAccount, "node(id: $id) { ... on User { phone } }", "/node/phone", [F, N, N, N, N, N, N, F, N, N, N]),
    ("customer's User.email", Subject::CustomerAccount, "node(id: $id) { ... on User { email } }", "/node/email", [F, N, N, N, N, N, N, F, N, N, N]),
    ("technician's User.phone", Subject::TechnicianAccount, "node(id: $id) { ... on User { phone } }", "/node/phone", [N, N, F, N, F, N, F, F, N, N, N]),
];

async fn r_prv_1_personal_fields_for_every_role(app: TestApp) {
    let w: RepairWorld = app.repair_world().await;
    let closed = app.order_in(&w, "CLOSED").await;
    let open = app.order_in(&w, "ASSIGNED").await;
    let partners = app.report(&w.partner_customer, w.partner_asset).await;
    let mut failures = Vec::new();
    for (what, subject, selection, pointer, expected) in PROBES {
        let (id, owner) = match subject {
            Subject::OpenOrder => (open["id"].clone(), Owner::AppCustomer),
            Subject::ClosedOrder => (closed["id"].clone(), Owner::AppCustomer),
            Subject::PartnerCustomersOrder => (partners["id"].clone(), Owner::PartnerCustomer),
            Subject::CustomerAccount => (json!(w.customer.gid()), Owner::AppCustomer),
            Subject::TechnicianAccount => (json!(w.technician.gid()), Owner::AppCustomer),
        };
        let query = if selection.contains("$id") {
            format!("query($id: ID!) {{ {selection} }}")
        } else {
            format!("{{ {selection} }}")
        };
        for (caller, expected) in CALLERS.into_iter().zip(expected) {
            let auth = auth_of(&w, owner, caller);
            let response = app.gql(&auth, &query, json!({ "id": id })).await;
            let got = seen(&response.body, pointer);
            if got != *expected {
                failures.push(format!(
                    "{what} as {caller:?}: expected {expected:?}, got {got:?}: {}",
                    response.body
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells of the field matrix are wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn seen(body: &Value, pointer: &str) -> Seen {
    if body.get("errors").is_some_and(|e| !e.is_null()) {
        return N;
    }
    match body["data"].pointer(pointer).and_then(Value::as_str) {
        None => N,
        Some(text) if text.contains('*') => M,
        Some(_) => F,
    }
}
