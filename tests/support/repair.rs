//! A populated service world for repair-order tests, and shortcuts that drive orders through
//! the API.

use chrono::{Duration, NaiveDate};
use entity::users::Role;
use sea_orm::{ConnectionTrait, Database, DatabaseTransaction, TransactionTrait};
use serde_json::{Value, json};
use servicedesk::store;

use crate::{Auth, GqlResponse, NodeType, TestApp, TestUser, gid};

/// Everyone a repair order can meet, in two centres and two partner organizations.
pub struct RepairWorld {
    pub centre: i64,
    pub other_centre: i64,
    pub org: i64,
    pub customer: TestUser,
    pub other_customer: TestUser,
    /// Customer of the partner organization `org`, at home in `centre`.
    pub partner_customer: TestUser,
    pub technician: TestUser,
    pub other_technician: TestUser,
    pub agent: TestUser,
    pub other_agent: TestUser,
    pub supervisor: TestUser,
    pub admin: TestUser,
    pub partner: Auth,
    pub other_partner: Auth,
    /// The customer's product, in warranty.
    pub asset: i64,
    /// The customer's product whose warranty has ended.
    pub old_asset: i64,
    pub partner_asset: i64,
}

/// Fields every test reads back from an order.
pub const ORDER_FIELDS: &str = "id number status version inWarranty totalAmount channel
    slaStatus { deadline remainingSeconds breached customerRequested }";

impl TestApp {
    pub async fn repair_world(&self) -> RepairWorld {
        let centre = self.service_centre("North").await;
        let other_centre = self.service_centre("South").await;
        let org = self.organization("Acme Dealers").await;
        let other_org = self.organization("Other Dealers").await;
        let customer = self.user(Role::Customer, Some(centre), None).await;
        let partner_customer = self.user(Role::Customer, Some(centre), Some(org)).await;
        let today = self.clock_now().date_naive();
        let asset = self.asset(customer.id, today + Duration::days(200)).await;
        let old_asset = self.asset(customer.id, today - Duration::days(1)).await;
        let partner_asset = self
            .asset(partner_customer.id, today + Duration::days(30))
            .await;
        RepairWorld {
            centre,
            other_centre,
            org,
            other_customer: self.user(Role::Customer, Some(centre), None).await,
            technician: self.user(Role::Technician, Some(centre), None).await,
            other_technician: self.user(Role::Technician, Some(centre), None).await,
            agent: self.user(Role::Agent, Some(centre), None).await,
            other_agent: self.user(Role::Agent, Some(other_centre), None).await,
            supervisor: self.user(Role::Supervisor, Some(centre), None).await,
            admin: self.user(Role::Admin, None, None).await,
            partner: self.api_key(org).await.1,
            other_partner: self.api_key(other_org).await.1,
            customer,
            partner_customer,
            asset,
            old_asset,
            partner_asset,
        }
    }

    /// A product whose warranty staff have verified.
    pub async fn asset(&self, customer_id: i64, warranty_ends_on: NaiveDate) -> i64 {
        let asset = store::assets::NewAsset {
            customer_id,
            model: "Frost 300 fridge".into(),
            product_model_id: None,
            serial_number: format!("SN-{}", uuid::Uuid::new_v4().simple()),
            purchase_date: warranty_ends_on - Duration::days(365),
            warranty_ends_on,
            warranty_verified_at: Some(self.clock_now()),
            reference: None,
        };
        store::assets::insert(&self.db, asset, self.clock_now())
            .await
            .expect("insert asset")
            .id
    }

    /// The customer reports a fault on `asset` from the app.
    pub async fn report(&self, customer: &TestUser, asset: i64) -> Value {
        let query = format!(
            "mutation($input: ReportFaultInput!) {{ reportFault(input: $input) {{ {ORDER_FIELDS} }} }}"
        );
        let input = json!({ "assetId": gid(NodeType::Asset, asset), "faultDescription": "Not cooling",
                            "serviceAddress": "Room 1201, 88 Century Avenue, Pudong",
                            "contactPhone": "13812345678" });
        let response = self
            .gql(&customer.auth, &query, json!({ "input": input }))
            .await;
        response.data()["reportFault"].clone()
    }

    /// Runs a repair mutation `name(id, version, <args>)` and returns the raw response.
    pub async fn repair_op(
        &self,
        auth: &Auth,
        name: &str,
        order: &Value,
        args: &str,
    ) -> GqlResponse {
        let query = format!(
            "mutation($id: ID!, $version: Int!) {{ {name}(id: $id, version: $version{args}) {{ {ORDER_FIELDS} }} }}"
        );
        self.gql(
            auth,
            &query,
            json!({ "id": order["id"], "version": order["version"] }),
        )
        .await
    }

    /// Like `repair_op`, expecting success; returns the updated order.
    pub async fn repair_ok(&self, auth: &Auth, name: &str, order: &Value, args: &str) -> Value {
        self.repair_op(auth, name, order, args).await.data()[name].clone()
    }

    /// Commits out of order on purpose: a writer of the test's own writes a `LATE_NOTE` event on
    /// `order` (an action the schema does not name, so the API gives it as `OTHER`) and holds its transaction open (commit it to let it land); then the server
    /// writes and commits `ASSIGNED`, whose event has the higher id.
    pub async fn late_writer(&self, world: &RepairWorld, order: &Value) -> DatabaseTransaction {
        let other = Database::connect(self.database_url())
            .await
            .expect("connect");
        let late = other.begin().await.expect("begin");
        late.execute_unprepared(&format!(
            "INSERT INTO ticket_events (ticket_kind, ticket_id, actor_role, action, public, \
             created_at) VALUES ('REPAIR_ORDER', {}, 'SYSTEM', 'LATE_NOTE', TRUE, now())",
            crate::key_of(&order["id"])
        ))
        .await
        .expect("insert");
        let tech = format!(", technicianId: \"{}\"", world.technician.gid());
        self.repair_ok(&world.agent.auth, "assignTechnician", order, &tech)
            .await;
        late
    }

    /// Reports an order for the world's customer and drives it to `status` the normal way.
    pub async fn order_in(&self, world: &RepairWorld, status: &str) -> Value {
        let mut order = self.report(&world.customer, world.asset).await;
        let tech = format!(", technicianId: \"{}\"", world.technician.gid());
        let steps: &[(&Auth, &str, &str)] = &[
            (&world.agent.auth, "assignTechnician", &tech),
            (&world.technician.auth, "acceptRepair", ""),
            (&world.technician.auth, "startTravel", ""),
            (&world.technician.auth, "markArrived", ""),
            (
                &world.technician.auth,
                "completeRepair",
                ", workDone: \"Replaced the fan\"",
            ),
            (&world.customer.auth, "confirmRepair", ""),
            (&world.agent.auth, "closeRepair", ""),
        ];
        let walk_to = match status {
            "REOPENED" => "COMPLETED",
            "CANCELLED" => "SUBMITTED",
            other => other,
        };
        for (auth, name, args) in steps {
            if order["status"] == walk_to {
                break;
            }
            order = self.repair_ok(auth, name, &order, args).await;
        }
        if status == "REOPENED" {
            order = self
                .repair_ok(
                    &world.customer.auth,
                    "rejectRepair",
                    &order,
                    ", reason: \"Still warm\"",
                )
                .await;
        }
        if status == "CANCELLED" {
            order = self
                .repair_ok(
                    &world.customer.auth,
                    "cancelRepair",
                    &order,
                    ", reason: \"Fixed itself\"",
                )
                .await;
        }
        assert_eq!(order["status"], status, "could not reach {status}");
        order
    }
}
