//! Demo data for trying the API from GraphiQL: one service centre, one user per role, a partner
//! organization with an API key, a few customers, repair orders, complaints, an answered survey
//! and a return visit. Passwords and the key are random and
//! printed once (R-PRV-5: no default passwords); running it again issues fresh ones.

use chrono::{DateTime, Days, Utc};
use entity::complaints::{ComplaintCategory, ComplaintChannel};
use entity::repair_lines::RepairLineKind;
use entity::repair_orders::RequestType;
use entity::return_visits::{VisitChannel, VisitOutcome, VisitPurpose, VisitSatisfaction};
use entity::ticket_events::TicketKind;
use entity::users::Role;
use rand::distr::{Alphanumeric, SampleString};
use rust_decimal::Decimal;
use sea_orm::{DatabaseConnection, Set, TransactionTrait};

use crate::auth::{api_keys, passwords};
use crate::domain::identity::{Principal, UserPrincipal, check_password_policy};
use crate::domain::phone::{Phone, Region};
use crate::domain::repair::RepairAction;
use crate::domain::survey::{AnsweredBy, Answers};
use crate::error::{ApiError, ApiResult};
use crate::services::{
    Env, RuleSettings, assets, complaints, repair_orders, return_visits, surveys,
};
use crate::store;

/// What the demo seed created, to print for the person trying the API.
pub struct DemoCredentials {
    pub logins: Vec<(Role, String, String)>,
    pub partner_api_key: String,
}

const CENTRE: &str = "Shanghai Central Service Centre";
const PARTNER: &str = "Acme Appliance Dealers";

const PEOPLE: &[(Role, &str, &str, &str)] = &[
    (
        Role::Admin,
        "admin@servicedesk.demo",
        "Ada Admin",
        "13800000001",
    ),
    (
        Role::Supervisor,
        "supervisor@servicedesk.demo",
        "Sun Supervisor",
        "13800000002",
    ),
    (
        Role::Agent,
        "agent@servicedesk.demo",
        "Li Agent",
        "13800000003",
    ),
    (
        Role::Technician,
        "technician@servicedesk.demo",
        "Wang Technician",
        "13800000004",
    ),
    (
        Role::Supervisor,
        "manager@servicedesk.demo",
        "Gao General-Manager",
        "13800000005",
    ),
    (
        Role::Customer,
        "customer@servicedesk.demo",
        "Zhang Customer",
        "13912345678",
    ),
    (
        Role::Customer,
        "customer2@servicedesk.demo",
        "Chen Customer",
        "13987654321",
    ),
    (
        Role::Customer,
        "dealer.customer@servicedesk.demo",
        "Liu Dealer-Customer",
        "13711112222",
    ),
];

pub async fn seed_demo(
    db: &DatabaseConnection,
    settings: &RuleSettings,
    now: DateTime<Utc>,
) -> ApiResult<DemoCredentials> {
    let txn = db.begin().await?;
    let centre =
        store::directory::ensure_service_centre(&txn, CENTRE, "Asia/Shanghai", now).await?;
    let partner = store::directory::ensure_organization(&txn, PARTNER, now).await?;
    let mut logins = Vec::new();
    for &(role, email, name, phone) in PEOPLE {
        let password = Alphanumeric.sample_string(&mut rand::rng(), 16);
        check_password_policy(&[email, phone], &password)?;
        let hash = passwords::hash(password.clone()).await?;
        let organization_id = email.starts_with("dealer.").then_some(partner.id);
        match store::users::find_by_email(&txn, email).await? {
            Some(existing) => {
                store::users::update(&txn, existing, now, |m| {
                    m.password_hash = Set(Some(hash));
                    m.active = Set(true);
                })
                .await?;
            }
            None => {
                store::users::insert(
                    &txn,
                    store::users::NewUser {
                        email: Some(email.into()),
                        name: name.into(),
                        phone: Some(Phone::parse("phone", phone, Region::CN)?),
                        role,
                        password_hash: Some(hash),
                        service_centre_id: Some(centre.id),
                        organization_id,
                        top_level: email.starts_with("manager@"),
                    },
                    now,
                )
                .await?;
            }
        }
        logins.push((role, email.to_owned(), password));
    }
    let key = api_keys::generate();
    store::api_keys::insert(
        &txn,
        partner.id,
        "demo integration".into(),
        key.prefix,
        key.digest,
        now,
    )
    .await?;
    txn.commit().await?;
    seed_repair_orders(db, settings, now).await?;
    Ok(DemoCredentials {
        logins,
        partner_api_key: key.plaintext,
    })
}

/// Demo repair orders in several states, created through the same use cases as the API. Only
/// on the first run: later runs find the demo customer's products and leave the data alone.
async fn seed_repair_orders(
    db: &DatabaseConnection,
    settings: &RuleSettings,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let person = |email: &'static str| async move {
        let user = store::users::find_by_email(db, email)
            .await?
            .ok_or(ApiError::NotFound("demo user"))?;
        Ok::<_, ApiError>(Principal::User(UserPrincipal::from(&user)))
    };
    let customer = person("customer@servicedesk.demo").await?;
    let agent = person("agent@servicedesk.demo").await?;
    let technician = person("technician@servicedesk.demo").await?;
    let customer_id = customer.user()?.id;
    let technician_id = technician.user()?.id;
    if !store::assets::of_customer(db, customer_id)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let env = |actor| Env {
        db,
        now,
        actor,
        settings,
    };
    let today = now.date_naive();
    // The catalogue the warranties come from; the customer registers, the agent verifies.
    for (code, name, months) in [
        ("FROST-300", "Frost 300 fridge", 12),
        ("AQUAPURE-7", "AquaPure washer", 24),
    ] {
        store::product_models::insert(db, code.into(), name.into(), months, now).await?;
    }
    let (env_of, owner, verifier) = (&env, &customer, &agent);
    let own = |model: &'static str, serial_number: &'static str, days_ago: u64| async move {
        let purchase_date = today - Days::new(days_ago);
        let asset = assets::register(
            &env_of(owner),
            assets::RegisterAsset {
                customer_id: None,
                model: model.into(),
                serial_number: serial_number.into(),
                purchase_date,
                warranty_ends_on: None,
                external_reference: None,
            },
        )
        .await?;
        assets::verify_warranty(&env_of(verifier), asset.id, purchase_date, None).await
    };
    let fridge = own("FROST-300", "FR300-000117", 100).await?;
    let washer = own("AQUAPURE-7", "AP7-004410", 3 * 365).await?;
    let report = |asset: i64, fault: &str| repair_orders::ReportFault {
        customer_id: None,
        asset_id: asset,
        service_centre_id: None,
        request_type: RequestType::Repair,
        fault_description: Some(fault.into()),
        service_address: "Room 1201, 88 Century Avenue, Pudong, Shanghai".into(),
        contact_phone: "13912345678".into(),
        priority: None,
        channel: None,
        external_reference: None,
    };
    // Submitted, waiting for dispatch.
    repair_orders::report_fault(&env(&customer), report(fridge.id, "Fridge is not cooling"))
        .await?;
    // Assigned to the technician.
    let order =
        repair_orders::report_fault(&env(&customer), report(fridge.id, "Ice maker leaks")).await?;
    repair_orders::assign_technician(
        &env(&agent),
        order.id,
        order.version,
        technician_id,
        None,
        false,
    )
    .await?;
    // On site, out of warranty, with parts and labour.
    let order =
        repair_orders::report_fault(&env(&customer), report(washer.id, "Drum does not spin"))
            .await?;
    let mut order = repair_orders::assign_technician(
        &env(&agent),
        order.id,
        order.version,
        technician_id,
        None,
        false,
    )
    .await?;
    for action in [RepairAction::Accept, RepairAction::StartTravel] {
        order = repair_orders::advance(&env(&technician), order.id, order.version, action, None)
            .await?;
    }
    order = repair_orders::mark_arrived(&env(&technician), order.id, order.version).await?;
    for (kind, description, quantity, price) in [
        (
            RepairLineKind::Part,
            "Drive belt",
            Decimal::ONE,
            Decimal::new(8950, 2),
        ),
        (
            RepairLineKind::Labour,
            "Labour (hours)",
            Decimal::new(15, 1),
            Decimal::new(12000, 2),
        ),
    ] {
        let line = repair_orders::NewLine {
            kind,
            description: description.into(),
            part_code: None,
            quantity,
            unit_price: price,
        };
        order = repair_orders::add_line(&env(&technician), order.id, order.version, line).await?;
    }
    // Done, confirmed by the customer and closed.
    let order =
        repair_orders::report_fault(&env(&customer), report(fridge.id, "Door seal torn")).await?;
    let mut order = repair_orders::assign_technician(
        &env(&agent),
        order.id,
        order.version,
        technician_id,
        None,
        false,
    )
    .await?;
    for action in [RepairAction::Accept, RepairAction::StartTravel] {
        order = repair_orders::advance(&env(&technician), order.id, order.version, action, None)
            .await?;
    }
    order = repair_orders::mark_arrived(&env(&technician), order.id, order.version).await?;
    order = repair_orders::complete(
        &env(&technician),
        order.id,
        order.version,
        "Replaced the door seal".into(),
    )
    .await?;
    order = repair_orders::advance(
        &env(&customer),
        order.id,
        order.version,
        RepairAction::Confirm,
        None,
    )
    .await?;
    let order = repair_orders::advance(
        &env(&agent),
        order.id,
        order.version,
        RepairAction::Close,
        None,
    )
    .await?;
    // The customer answers its survey; the agent makes the call after closure (R-SLA-7).
    for survey in surveys::pending(&env(&customer)).await? {
        let answers = Answers {
            timeliness: 4,
            attitude: 5,
            professionalism: 5,
            result: 4,
            overall: 4,
            comment: Some("Quick and tidy".into()),
            would_recommend: 9,
        };
        let by = AnsweredBy::Customer(survey.customer_id);
        surveys::submit(&env(&customer), survey.id, answers, by).await?;
    }
    let after_closure = return_visits::due(&env(&agent), None)
        .await?
        .into_iter()
        .filter(|v| {
            (v.ticket_kind, v.ticket_id) == (TicketKind::RepairOrder, order.id)
                && v.purpose == VisitPurpose::AfterClosure
        });
    for visit in after_closure {
        let call = return_visits::RecordVisit {
            visited_at: now,
            channel: VisitChannel::Phone,
            satisfaction: Some(VisitSatisfaction::Satisfied),
            improvement: None,
            answers: "The door closes tightly again; satisfied with the technician".into(),
            outcome: VisitOutcome::Ok,
            retry_at: None,
            retry_customer_chosen: false,
            complaint: None,
        };
        return_visits::record(&env(&agent), visit.id, call).await?;
    }
    // Two complaints: a GENERAL one with the agent, a SERIOUS one in the supervisors' inbox.
    for (category, description) in [
        (
            ComplaintCategory::Delay,
            "The technician came two hours late",
        ),
        (
            ComplaintCategory::PropertyDamage,
            "The leaking ice maker damaged the kitchen floor",
        ),
    ] {
        let complaint = complaints::FileComplaint {
            customer_id: Some(customer_id),
            repair_order_id: Some(order.id),
            service_centre_id: None,
            channel: Some(ComplaintChannel::Phone),
            category,
            severity: None,
            description: description.into(),
            external_reference: None,
            details: Default::default(),
        };
        complaints::file(&env(&agent), complaint).await?;
    }
    Ok(())
}
