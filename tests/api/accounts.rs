//! Accounts (issue 14): sign-up with a one-time code, login by phone or e-mail, refresh-token
//! rotation and reuse detection, password reset and change, customers created and looked up
//! by agents and partners, and one phone normalization everywhere. Codes travel as they do in
//! production: `NOTIFIER=webhook` makes a `notification.sms` message for an internal webhook
//! endpoint, the real delivery worker sends it signed to a receiver on loopback (the SMS
//! gateway), and the test reads the code there. No API response ever carries a code.

use std::sync::{Arc, Mutex};

use chrono::Duration;
use entity::users::Role;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use servicedesk::jobs::webhooks::{self, Sender};
use servicedesk_tests::{
    Auth, GqlResponse, NodeType, RepairWorld, TestApp, db_tests, gid, key_of, test_config,
};

db_tests!(
    sign_up_verify_login_refresh_rotate_reuse_revokes_the_family,
    reset_by_code_ends_every_session_and_says_nothing_about_unknown_phones,
    codes_expire_are_single_use_allow_five_tries_and_are_rate_limited,
    change_password_needs_the_old_one_and_ends_other_sessions,
    r_prv_4_deactivation_revokes_refresh_tokens,
    r_prv_5_sign_up_and_reset_refuse_weak_passwords,
    an_agent_creates_a_walk_in_customer_reports_a_fault_and_sign_up_claims_the_account,
    r_prv_7_a_partner_creates_its_customer_and_cannot_find_another_organizations,
    r_prv_3_every_customer_lookup_is_recorded,
    phone_formats_find_the_same_customer_and_track_the_same_complaint,
    migration_000020_round_trip_keeps_phone_only_customers,
);

// ---------------------------------------------------------------------------------------------
// The SMS gateway
// ---------------------------------------------------------------------------------------------

/// An internal webhook endpoint's receiver: every notification body it got.
#[derive(Clone, Default)]
struct Gateway {
    received: Arc<Mutex<Vec<Value>>>,
    sender: Option<Sender>,
}

impl Gateway {
    /// Starts a receiver and registers it, as an admin would, for `notification.*`.
    async fn start(app: &TestApp) -> Self {
        let gateway = Self {
            sender: Some(Sender::new(&test_config().webhook_settings()).expect("sender")),
            ..Self::default()
        };
        let received = gateway.received.clone();
        let router = axum::Router::new().route(
            "/sms",
            axum::routing::post(move |body: String| {
                let received = received.clone();
                async move {
                    received
                        .lock()
                        .unwrap()
                        .push(serde_json::from_str(&body).expect("JSON body"));
                    axum::http::StatusCode::NO_CONTENT
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/sms", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, router).await.expect("gateway") });
        let admin = app.user(Role::Admin, None, None).await;
        let created = app
            .gql(
                &admin.auth,
                "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }",
                json!({ "input": { "url": url, "internal": true,
                                   "eventTypes": ["notification.*"] } }),
            )
            .await;
        created.data();
        gateway
    }

    /// Runs the delivery pass and returns the newest code sent to `to` (E.164 or e-mail).
    async fn code_for(&self, app: &TestApp, to: &str) -> String {
        self.deliver(app).await;
        let received = self.received.lock().unwrap();
        let message = received
            .iter()
            .rev()
            .find(|m| m["data"]["to"] == to)
            .unwrap_or_else(|| panic!("no code for {to} in {received:?}"));
        assert_eq!(
            message["type"],
            "notification.sms".replace("sms", if to.contains('@') { "email" } else { "sms" },)
        );
        message["data"]["code"].as_str().expect("code").to_owned()
    }

    async fn deliver(&self, app: &TestApp) {
        webhooks::run(
            &app.db,
            self.sender.as_ref().expect("sender"),
            app.clock_now(),
        )
        .await
        .expect("delivery pass");
    }

    /// Messages delivered so far.
    async fn count(&self, app: &TestApp) -> usize {
        self.deliver(app).await;
        self.received.lock().unwrap().len()
    }
}

// ---------------------------------------------------------------------------------------------
// Shortcuts
// ---------------------------------------------------------------------------------------------

const PASSWORD: &str = "violet kettle hums at noon";
const SESSION: &str = "accessToken refreshToken refreshTokenExpiresAt user { id phone email }";

async fn request_code(app: &TestApp, purpose: &str, phone: &str) -> GqlResponse {
    app.gql(
        &Auth::None,
        "mutation($purpose: CodePurpose!, $phone: String) { requestVerificationCode(purpose: $purpose, phone: $phone) }",
        json!({ "purpose": purpose, "phone": phone }),
    )
    .await
}

async fn register(
    app: &TestApp,
    phone: &str,
    code: &str,
    password: &str,
    centre: i64,
) -> GqlResponse {
    app.gql(
        &Auth::None,
        &format!("mutation($input: RegisterCustomerInput!) {{ registerCustomer(input: $input) {{ {SESSION} }} }}"),
        json!({ "input": { "phone": phone, "code": code, "password": password,
                           "name": "Chen Jing", "serviceCentreId": gid(NodeType::ServiceCentre, centre) } }),
    )
    .await
}

/// A customer signed up through the app; returns the first session.
async fn signed_up(app: &TestApp, gateway: &Gateway, phone: &str, centre: i64) -> Value {
    request_code(app, "SIGN_UP", phone).await.data();
    let e164 = e164(phone);
    let code = gateway.code_for(app, &e164).await;
    let done = register(app, phone, &code, PASSWORD, centre).await;
    done.data()["registerCustomer"].clone()
}

fn e164(phone: &str) -> String {
    servicedesk::domain::phone::Phone::parse("phone", phone, servicedesk::domain::phone::Region::CN)
        .expect("phone")
        .into_string()
}

async fn login_phone(app: &TestApp, phone: &str, password: &str) -> GqlResponse {
    app.gql(
        &Auth::None,
        &format!("mutation($phone: String, $password: String!) {{ login(phone: $phone, password: $password) {{ {SESSION} }} }}"),
        json!({ "phone": phone, "password": password }),
    )
    .await
}

async fn refresh(app: &TestApp, token: &Value) -> GqlResponse {
    app.gql(
        &Auth::None,
        &format!("mutation($t: String!) {{ refreshToken(refreshToken: $t) {{ {SESSION} }} }}"),
        json!({ "t": token }),
    )
    .await
}

fn bearer(session: &Value) -> Auth {
    Auth::Bearer(session["accessToken"].as_str().expect("token").to_owned())
}

async fn me(app: &TestApp, auth: &Auth) -> GqlResponse {
    app.gql(auth, "{ me { user { id phone } } }", json!({}))
        .await
}

// ---------------------------------------------------------------------------------------------
// Sign-up and sessions
// ---------------------------------------------------------------------------------------------

async fn sign_up_verify_login_refresh_rotate_reuse_revokes_the_family(app: TestApp) {
    let gateway = Gateway::start(&app).await;
    let centre = app.service_centre("North").await;
    let asked = request_code(&app, "SIGN_UP", "+86 136 0000 0001").await;
    assert_eq!(asked.data()["requestVerificationCode"], true);
    let code = gateway.code_for(&app, "+8613600000001").await;
    assert!(
        !asked.body.to_string().contains(&code),
        "codes never come back in the API"
    );
    let wrong = if code == "000000" { "111111" } else { "000000" };
    register(&app, "13600000001", wrong, PASSWORD, centre)
        .await
        .expect_code("BAD_USER_INPUT");
    let signed = register(&app, "136-0000-0001", &code, PASSWORD, centre).await;
    let first = signed.data()["registerCustomer"].clone();
    assert_eq!(first["user"]["phone"], "+8613600000001");
    assert_eq!(first["user"]["email"], Value::Null);
    assert_eq!(
        me(&app, &bearer(&first)).await.data()["me"]["user"]["id"],
        first["user"]["id"]
    );
    // The code is used up.
    register(&app, "13600000001", &code, PASSWORD, centre)
        .await
        .expect_code("BAD_USER_INPUT");

    // Login by phone, in another format.
    let logged = login_phone(&app, "+86 136-0000-0001", PASSWORD).await;
    let session = logged.data()["login"].clone();
    assert_eq!(session["user"]["id"], first["user"]["id"]);

    // Rotate twice; each token works once.
    let r1 = session["refreshToken"].clone();
    let second = refresh(&app, &r1).await.data()["refreshToken"].clone();
    let r2 = second["refreshToken"].clone();
    assert_ne!(r1, r2);
    me(&app, &bearer(&second)).await.data();
    let third = refresh(&app, &r2).await.data()["refreshToken"].clone();
    let r3 = third["refreshToken"].clone();

    // r1 again: reuse detected, the whole family (r3 too) is revoked.
    let reused = refresh(&app, &r1).await;
    let ext = reused.expect_code("UNAUTHENTICATED");
    assert_eq!(ext["reason"], "REFRESH_TOKEN_REUSED");
    refresh(&app, &r3).await.expect_code("UNAUTHENTICATED");
    // The other session (the sign-up's family) lives on, until it logs out.
    let other = refresh(&app, &first["refreshToken"]).await.data()["refreshToken"].clone();
    let logout = app
        .gql(
            &Auth::None,
            "mutation($t: String!) { logout(refreshToken: $t) }",
            json!({ "t": other["refreshToken"] }),
        )
        .await;
    assert_eq!(logout.data()["logout"], true);
    refresh(&app, &other["refreshToken"])
        .await
        .expect_code("UNAUTHENTICATED");
    refresh(&app, &json!("sdr_not-a-token"))
        .await
        .expect_code("UNAUTHENTICATED");

    // Refresh tokens expire.
    let late = login_phone(&app, "13600000001", PASSWORD).await.data()["login"].clone();
    app.clock.advance(Duration::days(31));
    refresh(&app, &late["refreshToken"])
        .await
        .expect_code("UNAUTHENTICATED");
    // Only digests are stored.
    let rows = entity::refresh_tokens::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    let token = late["refreshToken"].as_str().unwrap();
    assert!(
        rows.iter()
            .all(|row| row.token_hash != token && row.token_hash.len() == 64)
    );
}

async fn reset_by_code_ends_every_session_and_says_nothing_about_unknown_phones(app: TestApp) {
    let gateway = Gateway::start(&app).await;
    let centre = app.service_centre("North").await;
    let session = signed_up(&app, &gateway, "13600000001", centre).await;
    let before = gateway.count(&app).await;

    // An unknown phone gets the same answer and no message.
    let unknown = request_code(&app, "PASSWORD_RESET", "13600000009").await;
    assert_eq!(unknown.data()["requestVerificationCode"], true);
    assert_eq!(
        gateway.count(&app).await,
        before,
        "nothing is sent to a phone without account"
    );

    request_code(&app, "PASSWORD_RESET", "136 0000 0001")
        .await
        .data();
    let code = gateway.code_for(&app, "+8613600000001").await;
    let reset = |phone: &'static str, code: String, password: &'static str| {
        let app = &app;
        async move {
            app.gql(
                &Auth::None,
                "mutation($p: String, $c: String!, $n: String!) { resetPassword(phone: $p, code: $c, newPassword: $n) }",
                json!({ "p": phone, "c": code, "n": password }),
            )
            .await
        }
    };
    // A sign-up code is not a reset code, and another phone's code is nothing.
    reset("13600000009", code.clone(), "amber lantern drifts east")
        .await
        .expect_code("BAD_USER_INPUT");
    let done = reset("+8613600000001", code.clone(), "amber lantern drifts east").await;
    assert_eq!(done.data()["resetPassword"], true);
    login_phone(&app, "13600000001", PASSWORD)
        .await
        .expect_code("UNAUTHENTICATED");
    login_phone(&app, "13600000001", "amber lantern drifts east")
        .await
        .data();
    refresh(&app, &session["refreshToken"])
        .await
        .expect_code("UNAUTHENTICATED");
    // Single use.
    reset("13600000001", code, "another lantern drifts west")
        .await
        .expect_code("BAD_USER_INPUT");
}

async fn codes_expire_are_single_use_allow_five_tries_and_are_rate_limited(app: TestApp) {
    let gateway = Gateway::start(&app).await;
    let centre = app.service_centre("North").await;
    request_code(&app, "SIGN_UP", "13600000001").await.data();
    let code = gateway.code_for(&app, "+8613600000001").await;
    app.clock.advance(Duration::minutes(11));
    let expired = register(&app, "13600000001", &code, PASSWORD, centre).await;
    assert_eq!(expired.expect_code("BAD_USER_INPUT")["field"], "code");

    // Five wrong tries void the code, even for the right one after them.
    request_code(&app, "SIGN_UP", "13600000001").await.data();
    let code = gateway.code_for(&app, "+8613600000001").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        register(&app, "13600000001", wrong, PASSWORD, centre)
            .await
            .expect_code("BAD_USER_INPUT");
    }
    register(&app, "13600000001", &code, PASSWORD, centre)
        .await
        .expect_code("BAD_USER_INPUT");

    // Five codes per phone an hour (two asked so far); the sixth is refused.
    for _ in 0..3 {
        request_code(&app, "SIGN_UP", "13600000001").await.data();
    }
    request_code(&app, "SIGN_UP", "13600000001")
        .await
        .expect_code("RATE_LIMITED");
    // Only hashes are stored.
    let rows = entity::one_time_codes::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    assert_eq!(rows.len(), 5);
    assert!(
        rows.iter()
            .all(|row| row.code_hash.len() == 64 && row.code_hash != code)
    );
    app.clock.advance(Duration::minutes(61));
    request_code(&app, "SIGN_UP", "13600000001").await.data();
    let code = gateway.code_for(&app, "+8613600000001").await;
    register(&app, "13600000001", &code, PASSWORD, centre)
        .await
        .data();
}

async fn change_password_needs_the_old_one_and_ends_other_sessions(app: TestApp) {
    let gateway = Gateway::start(&app).await;
    let centre = app.service_centre("North").await;
    let first = signed_up(&app, &gateway, "13600000001", centre).await;
    let change = |old: &'static str, new: &'static str| {
        let app = &app;
        let auth = bearer(&first);
        async move {
            app.gql(
                &auth,
                &format!("mutation($o: String!, $n: String!) {{ changePassword(oldPassword: $o, newPassword: $n) {{ {SESSION} }} }}"),
                json!({ "o": old, "n": new }),
            )
            .await
        }
    };
    let wrong = change("not my password at all", "amber lantern drifts east").await;
    assert_eq!(wrong.expect_code("BAD_USER_INPUT")["field"], "oldPassword");
    let weak = change(PASSWORD, "1234567890").await;
    assert_eq!(weak.expect_code("BAD_USER_INPUT")["field"], "newPassword");
    let changed = change(PASSWORD, "amber lantern drifts east").await;
    let fresh = changed.data()["changePassword"].clone();
    refresh(&app, &first["refreshToken"])
        .await
        .expect_code("UNAUTHENTICATED");
    refresh(&app, &fresh["refreshToken"]).await.data();
    login_phone(&app, "13600000001", "amber lantern drifts east")
        .await
        .data();
    let (_, partner) = app.api_key(app.organization("Acme").await).await;
    let refused = app
        .gql(
            &partner,
            "mutation { changePassword(oldPassword: \"x\", newPassword: \"y\") { accessToken } }",
            json!({}),
        )
        .await;
    refused.expect_code("FORBIDDEN");
}

async fn r_prv_4_deactivation_revokes_refresh_tokens(app: TestApp) {
    let gateway = Gateway::start(&app).await;
    let centre = app.service_centre("North").await;
    let session = signed_up(&app, &gateway, "13600000001", centre).await;
    let admin = app.user(Role::Admin, None, None).await;
    app.gql(
        &admin.auth,
        "mutation($id: ID!) { deactivateUser(userId: $id) { active } }",
        json!({ "id": session["user"]["id"] }),
    )
    .await
    .data();
    refresh(&app, &session["refreshToken"])
        .await
        .expect_code("UNAUTHENTICATED");
    me(&app, &bearer(&session))
        .await
        .expect_code("UNAUTHENTICATED");
    let rows = entity::refresh_tokens::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    assert!(rows.iter().all(|row| row.revoked_at.is_some()));
}

async fn r_prv_5_sign_up_and_reset_refuse_weak_passwords(app: TestApp) {
    let gateway = Gateway::start(&app).await;
    let centre = app.service_centre("North").await;
    request_code(&app, "SIGN_UP", "13600000001").await.data();
    let code = gateway.code_for(&app, "+8613600000001").await;
    for weak in ["password12", "13600000001", "8613600000001", "short"] {
        let refused = register(&app, "13600000001", &code, weak, centre).await;
        assert_eq!(
            refused.expect_code("BAD_USER_INPUT")["field"],
            "password",
            "{weak}"
        );
    }
    // The refusals used neither the code nor a try of it.
    register(&app, "13600000001", &code, PASSWORD, centre)
        .await
        .data();
}

// ---------------------------------------------------------------------------------------------
// Customers at the desk and at partners
// ---------------------------------------------------------------------------------------------

async fn create_customer(app: &TestApp, auth: &Auth, input: Value) -> GqlResponse {
    app.gql(
        auth,
        "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id phone email serviceCentreId organizationId } }",
        json!({ "input": input }),
    )
    .await
}

async fn find(app: &TestApp, auth: &Auth, phone: &str) -> GqlResponse {
    app.gql(
        auth,
        "query($p: String) { findCustomer(phone: $p) { id name phone } }",
        json!({ "p": phone }),
    )
    .await
}

async fn an_agent_creates_a_walk_in_customer_reports_a_fault_and_sign_up_claims_the_account(
    app: TestApp,
) {
    let gateway = Gateway::start(&app).await;
    let w: RepairWorld = app.repair_world().await;
    let created = create_customer(
        &app,
        &w.agent.auth,
        json!({ "name": "Walk-in Wang", "phone": "+86 136 0000 0002" }),
    )
    .await;
    let customer = created.data()["createCustomer"].clone();
    assert_eq!(customer["phone"], "+8613600000002");
    assert_eq!(
        customer["serviceCentreId"],
        gid(NodeType::ServiceCentre, w.centre)
    );
    let asset = app
        .gql(
            &w.agent.auth,
            "mutation($input: RegisterAssetInput!) { registerAsset(input: $input) { id } }",
            json!({ "input": { "customerId": customer["id"], "model": "Unlisted heater",
                    "serialNumber": "SN-WALK-1", "purchaseDate": "2026-10-01",
                    "warrantyEndsOn": "2027-09-30" } }),
        )
        .await;
    let asset = asset.data()["registerAsset"]["id"].clone();
    let reported = app
        .gql(
            &w.agent.auth,
            "mutation($input: ReportFaultInput!) { reportFault(input: $input) { id channel contactPhone } }",
            json!({ "input": { "customerId": customer["id"], "assetId": asset,
                    "faultDescription": "No heat", "serviceAddress": "1 Walk-in Road",
                    "contactPhone": "136-0000-0002", "channel": "WALK_IN" } }),
        )
        .await;
    let order = reported.data()["reportFault"].clone();
    assert_eq!(order["channel"], "WALK_IN");
    assert_eq!(order["contactPhone"], "+8613600000002");
    // The same phone again is the same customer: CONFLICT, not a second account.
    create_customer(
        &app,
        &w.agent.auth,
        json!({ "name": "Wang again", "phone": "13600000002" }),
    )
    .await
    .expect_code("CONFLICT");
    // Walk-in customers cannot log in until they sign up.
    login_phone(&app, "13600000002", PASSWORD)
        .await
        .expect_code("UNAUTHENTICATED");
    // Signing up with that phone claims the account, with its order, in its centre.
    let session = signed_up(&app, &gateway, "136 0000 0002", w.other_centre).await;
    assert_eq!(session["user"]["id"], customer["id"]);
    let mine = app
        .gql(
            &bearer(&session),
            "{ myRepairOrders(first: 5) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine.data()["myRepairOrders"]["edges"][0]["node"]["id"],
        order["id"]
    );
    // A second sign-up for a phone with a password is CONFLICT.
    request_code(&app, "SIGN_UP", "13600000002").await.data();
    let code = gateway.code_for(&app, "+8613600000002").await;
    register(&app, "13600000002", &code, PASSWORD, w.centre)
        .await
        .expect_code("CONFLICT");
    // The claimed customer reports from the app into the home centre the desk gave them.
    let own = app
        .gql(
            &bearer(&session),
            "mutation($input: ReportFaultInput!) { reportFault(input: $input) { id } }",
            json!({ "input": { "assetId": asset, "faultDescription": "Still no heat",
                    "serviceAddress": "1 Walk-in Road", "contactPhone": "13600000002" } }),
        )
        .await;
    own.data();
    // Other roles may not create customers.
    for auth in [&w.customer.auth, &w.technician.auth, &w.admin.auth] {
        create_customer(&app, auth, json!({ "name": "X", "phone": "13600000003" }))
            .await
            .expect_code("FORBIDDEN");
    }
    create_customer(
        &app,
        &Auth::None,
        json!({ "name": "X", "phone": "13600000003" }),
    )
    .await
    .expect_code("UNAUTHENTICATED");
    let bad = create_customer(&app, &w.agent.auth, json!({ "name": "X", "phone": "555" })).await;
    assert_eq!(bad.expect_code("BAD_USER_INPUT")["field"], "phone");
}

async fn r_prv_7_a_partner_creates_its_customer_and_cannot_find_another_organizations(
    app: TestApp,
) {
    let w: RepairWorld = app.repair_world().await;
    let created = create_customer(
        &app,
        &w.partner,
        json!({ "name": "Dealer Customer", "phone": "136-0000-0005",
                "serviceCentreId": gid(NodeType::ServiceCentre, w.centre) }),
    )
    .await;
    let customer = created.data()["createCustomer"].clone();
    assert_eq!(
        customer["organizationId"],
        gid(NodeType::Organization, w.org)
    );
    for phone in ["+86 136 0000 0005", "136-0000-0005", "13600000005"] {
        let found = find(&app, &w.partner, phone).await;
        assert_eq!(
            found.data()["findCustomer"]["id"],
            customer["id"],
            "{phone}"
        );
    }
    // Another organization's partner: nothing, by any format.
    for phone in ["+86 136 0000 0005", "13600000005"] {
        let other = find(&app, &w.other_partner, phone).await;
        assert_eq!(other.data()["findCustomer"], Value::Null);
    }
    // Nor the app customer of the centre, who belongs to no organization.
    assert_eq!(
        find(&app, &w.partner, &w.customer.phone).await.data()["findCustomer"],
        Value::Null
    );
    // Agents find their centre's customers only.
    assert_eq!(
        find(&app, &w.agent.auth, &w.customer.phone).await.data()["findCustomer"]["id"],
        w.customer.gid()
    );
    assert_eq!(
        find(&app, &w.other_agent.auth, &w.customer.phone)
            .await
            .data()["findCustomer"],
        Value::Null
    );
    let by_email = app
        .gql(
            &w.supervisor.auth,
            "query($e: String) { findCustomer(email: $e) { id } }",
            json!({ "e": w.customer.email.to_uppercase() }),
        )
        .await;
    assert_eq!(by_email.data()["findCustomer"]["id"], w.customer.gid());
    // A partner reports for its new customer with the customer's id.
    let asset = app
        .gql(
            &w.partner,
            "mutation($input: RegisterAssetInput!) { registerAsset(input: $input) { id } }",
            json!({ "input": { "customerId": customer["id"], "model": "Unlisted heater",
                    "serialNumber": "SN-DEALER-1", "purchaseDate": "2026-10-01",
                    "warrantyEndsOn": "2027-09-30" } }),
        )
        .await;
    asset.data();
    // The other organization cannot create a customer with that phone either, and learns
    // only that the phone is taken.
    create_customer(
        &app,
        &w.other_partner,
        json!({ "name": "Same phone", "phone": "13600000005" }),
    )
    .await
    .expect_code("CONFLICT");
    for auth in [&w.customer.auth, &w.technician.auth, &w.admin.auth] {
        find(&app, auth, "13600000005")
            .await
            .expect_code("FORBIDDEN");
    }
    find(&app, &Auth::None, "13600000005")
        .await
        .expect_code("UNAUTHENTICATED");
    let neither = app
        .gql(&w.agent.auth, "{ findCustomer { id } }", json!({}))
        .await;
    neither.expect_code("BAD_USER_INPUT");
}

async fn r_prv_3_every_customer_lookup_is_recorded(app: TestApp) {
    let w: RepairWorld = app.repair_world().await;
    find(&app, &w.agent.auth, &w.customer.phone).await.data();
    find(&app, &w.other_partner, &w.customer.phone).await.data();
    find(&app, &w.technician.auth, &w.customer.phone)
        .await
        .expect_code("FORBIDDEN");
    let rows = entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::Action.eq("customer.lookup"))
        .all(&app.db)
        .await
        .expect("audit rows");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].actor_user_id, Some(w.agent.id));
    assert_eq!(rows[0].actor_role, "AGENT");
    assert_eq!(rows[0].subject_id, Some(w.customer.id));
    assert_eq!(rows[0].client_address.as_deref(), Some("127.0.0.1"));
    let detail: Value = serde_json::from_str(rows[0].detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail, json!({ "by": "phone", "found": true }));
    assert_eq!(rows[1].actor_role, "PARTNER");
    assert!(rows[1].actor_api_key_id.is_some());
    assert_eq!(rows[1].subject_id, None);
}

async fn phone_formats_find_the_same_customer_and_track_the_same_complaint(app: TestApp) {
    let w: RepairWorld = app.repair_world().await;
    let created = create_customer(
        &app,
        &w.agent.auth,
        json!({ "name": "Phone Caller", "phone": "13600000001" }),
    )
    .await;
    let customer = created.data()["createCustomer"].clone();
    let filed = app
        .gql(
            &w.agent.auth,
            "mutation($input: FileComplaintInput!) { fileComplaint(input: $input) { number } }",
            json!({ "input": { "customerId": customer["id"], "channel": "PHONE",
                    "category": "SERVICE_ATTITUDE", "description": "Nobody called back" } }),
        )
        .await;
    let number = filed.data()["fileComplaint"]["number"].clone();
    for phone in ["+86 136 0000 0001", "136-0000-0001", "13600000001"] {
        let tracked = app
            .gql(
                &Auth::None,
                "query($n: String!, $p: String!) { trackComplaint(number: $n, phone: $p) { number } }",
                json!({ "n": number, "p": phone }),
            )
            .await;
        assert_eq!(
            tracked.data()["trackComplaint"]["number"],
            number,
            "{phone}"
        );
        assert_eq!(
            find(&app, &w.agent.auth, phone).await.data()["findCustomer"]["id"],
            customer["id"],
            "{phone}"
        );
    }
    let wrong = app
        .gql(
            &Auth::None,
            "query($n: String!) { trackComplaint(number: $n, phone: \"13600000009\") { number } }",
            json!({ "n": number }),
        )
        .await;
    wrong.expect_code("NOT_FOUND");
}

async fn migration_000020_round_trip_keeps_phone_only_customers(app: TestApp) {
    let w: RepairWorld = app.repair_world().await;
    let customer = create_customer(
        &app,
        &w.agent.auth,
        json!({ "name": "Phone Only", "phone": "13600000001" }),
    )
    .await
    .data()["createCustomer"]
        .clone();
    app.migrate_round_trip_from("m20261208_000020").await;
    let user = entity::users::Entity::find_by_id(key_of(&customer["id"]))
        .one(&app.db)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(
        user.email.as_deref(),
        Some(format!("user-{}@phone.invalid", user.id).as_str())
    );
    // E-mail may be empty again, and the phone index is back.
    create_customer(
        &app,
        &w.agent.auth,
        json!({ "name": "Phone Only Too", "phone": "13600000002" }),
    )
    .await
    .data();
    create_customer(
        &app,
        &w.agent.auth,
        json!({ "name": "Same phone", "phone": "13600000002" }),
    )
    .await
    .expect_code("CONFLICT");
}
