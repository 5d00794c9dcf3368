//! Demo data for trying the API from GraphiQL: one service centre, one user per role, a partner
//! organization with an API key, and a few customers. Passwords and the key are random and
//! printed once (R-PRV-5: no default passwords); running it again issues fresh ones.

use chrono::{DateTime, Utc};
use entity::users::Role;
use rand::distr::{Alphanumeric, SampleString};
use sea_orm::{DatabaseConnection, Set, TransactionTrait};

use crate::auth::{api_keys, passwords};
use crate::error::ApiResult;
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

pub async fn seed_demo(db: &DatabaseConnection, now: DateTime<Utc>) -> ApiResult<DemoCredentials> {
    let txn = db.begin().await?;
    let centre =
        store::directory::ensure_service_centre(&txn, CENTRE, "Asia/Shanghai", now).await?;
    let partner = store::directory::ensure_organization(&txn, PARTNER, now).await?;
    let mut logins = Vec::new();
    for &(role, email, name, phone) in PEOPLE {
        let password = Alphanumeric.sample_string(&mut rand::rng(), 16);
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
                        email: email.into(),
                        name: name.into(),
                        phone: Some(phone.into()),
                        role,
                        password_hash: Some(hash),
                        service_centre_id: Some(centre.id),
                        organization_id,
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
    Ok(DemoCredentials {
        logins,
        partner_api_key: key.plaintext,
    })
}
