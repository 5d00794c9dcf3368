//! Fixtures written straight to the test database through the server's own store functions.

use entity::users::Role;
use servicedesk::auth::{api_keys, passwords};
use servicedesk::domain::phone::{Phone, Region};
use servicedesk::store;

use crate::{Auth, TestApp};

pub struct TestUser {
    pub id: i64,
    pub email: String,
    /// E.164: staff share `+8613812345678`; each customer has a phone of its own (phones are
    /// unique among customers).
    pub phone: String,
    pub password: String,
    pub auth: Auth,
}

impl TestUser {
    /// The user's id in the API.
    pub fn gid(&self) -> String {
        crate::gid(crate::NodeType::User, self.id)
    }
}

impl TestApp {
    pub async fn service_centre(&self, name: &str) -> i64 {
        store::directory::insert_service_centre(
            &self.db,
            name.into(),
            "Asia/Shanghai".into(),
            self.clock_now(),
        )
        .await
        .expect("insert centre")
        .id
    }

    pub async fn organization(&self, name: &str) -> i64 {
        store::directory::insert_organization(&self.db, name.into(), self.clock_now())
            .await
            .expect("insert organization")
            .id
    }

    /// A user with a password (hashed as the server does) and a valid token.
    pub async fn user(
        &self,
        role: Role,
        service_centre_id: Option<i64>,
        organization_id: Option<i64>,
    ) -> TestUser {
        let email = format!(
            "{}-{}@example.test",
            format!("{role:?}").to_lowercase(),
            uuid::Uuid::new_v4().simple()
        );
        let password = "correct horse battery staple".to_owned();
        let phone = if role == Role::Customer {
            static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            format!("+86139{:08}", 10_000_000 + n % 90_000_000)
        } else {
            "+8613812345678".to_owned()
        };
        let hash = passwords::hash(password.clone()).await.expect("hash");
        let model = store::users::insert(
            &self.db,
            store::users::NewUser {
                email: Some(email.clone()),
                name: format!("Test {role:?}"),
                phone: Some(Phone::parse("phone", &phone, Region::CN).expect("test phone")),
                role,
                password_hash: Some(hash),
                service_centre_id,
                organization_id,
                top_level: false,
            },
            self.clock_now(),
        )
        .await
        .expect("insert user");
        let token = self
            .state
            .tokens
            .issue(&model, self.clock_now())
            .expect("issue token")
            .token;
        TestUser {
            id: model.id,
            email,
            phone,
            password,
            auth: Auth::Bearer(token),
        }
    }

    /// A partner API key for `organization_id`, as the partner would send it.
    pub async fn api_key(&self, organization_id: i64) -> (i64, Auth) {
        let key = api_keys::generate();
        let stored = store::api_keys::insert(
            &self.db,
            organization_id,
            "test".into(),
            key.prefix,
            key.digest,
            self.clock_now(),
        )
        .await
        .expect("insert key");
        (stored.id, Auth::ApiKey(key.plaintext))
    }

    /// Sets a policy's limit as an admin would (`updateSlaPolicy`), so a test can let one
    /// clock run out alone.
    pub async fn set_policy(
        &self,
        admin: &Auth,
        kind: &str,
        metric: &str,
        scope: &str,
        minutes: i32,
    ) {
        let mutation = format!(
            "mutation {{ updateSlaPolicy(ticketKind: {kind}, metric: {metric}, scope: \"{scope}\", \
             durationMinutes: {minutes}) {{ durationMinutes }} }}"
        );
        let done = self.gql(admin, &mutation, serde_json::json!({})).await;
        assert_eq!(
            done.data()["updateSlaPolicy"]["durationMinutes"],
            minutes,
            "{kind}/{metric}/{scope}"
        );
    }

    /// Only `metric` of the complaints of `severity` runs out at 24 h; the others get a week.
    pub async fn only_complaint_clock(&self, admin: &Auth, severity: &str, metric: &str) {
        for other in [
            "FIRST_RESPONSE",
            "FIRST_CONTACT",
            "PROGRESS_UPDATE",
            "RESOLUTION",
        ] {
            let minutes = if other == metric {
                24 * 60
            } else {
                7 * 24 * 60
            };
            self.set_policy(admin, "COMPLAINT", other, severity, minutes)
                .await;
        }
    }

    /// Makes a supervisor the top level (general manager), as an operator does in the database.
    pub async fn make_top_level(&self, user: &TestUser) {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        entity::users::Entity::update_many()
            .col_expr(entity::users::Column::TopLevel, Expr::value(true))
            .filter(entity::users::Column::Id.eq(user.id))
            .exec(&self.db)
            .await
            .expect("set top_level");
    }

    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use servicedesk::domain::clock::Clock;
        self.clock.now()
    }
}
