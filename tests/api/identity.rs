//! Login, tokens, account administration and partner keys (R-PRV-4, R-PRV-5, R-PRV-7).

use chrono::Duration;
use entity::users::Role;
use sea_orm::ActiveEnum;
use serde_json::{Value, json};
use servicedesk::store;
use servicedesk_tests::{Auth, Backend, TestApp, db_tests};
use servicedesk_tests::{NodeType, gid};

const LOGIN: &str = "mutation($email: String!, $password: String!) {
    login(email: $email, password: $password) { accessToken tokenType expiresAt user { id email role } }
}";
const ME: &str = "{ me { role user { id email role active } organization { id name } } }";

db_tests!(
    login_returns_a_token_that_authenticates,
    login_failures_look_the_same,
    token_expires,
    tampered_token_is_rejected,
    r_prv_4_deactivated_user_is_locked_out_at_once,
    role_change_applies_to_existing_tokens,
    r_prv_5_password_policy_rejects_and_writes_nothing,
    r_prv_5_password_hash_never_leaves_the_server,
    admin_creates_staff_and_customers,
    admin_cannot_lock_out_themselves,
    admin_mutations_are_guarded_for_every_role,
    r_prv_7_api_key_is_scoped_to_its_organization,
    revoked_and_unknown_api_keys_are_rejected,
    anonymous_me_is_unauthenticated,
);

async fn login(app: &TestApp, email: &str, password: &str) -> servicedesk_tests::GqlResponse {
    app.gql(
        &Auth::None,
        LOGIN,
        json!({ "email": email, "password": password }),
    )
    .await
}

async fn login_returns_a_token_that_authenticates(app: TestApp) {
    let centre = app.service_centre("North").await;
    let agent = app.user(Role::Agent, Some(centre), None).await;
    // Mixed-case e-mail still finds the account.
    let response = login(&app, &agent.email.to_uppercase(), &agent.password).await;
    let payload = &response.data()["login"];
    assert_eq!(payload["tokenType"], "Bearer");
    assert_eq!(payload["user"]["role"], "AGENT");
    let token = payload["accessToken"].as_str().unwrap().to_owned();

    let me = app.gql(&Auth::Bearer(token), ME, json!({})).await;
    assert_eq!(me.data()["me"]["user"]["id"], agent.gid());
    assert_eq!(me.data()["me"]["role"], "AGENT");
}

async fn login_failures_look_the_same(app: TestApp) {
    let user = app.user(Role::Customer, None, None).await;
    let wrong_password = login(&app, &user.email, "not the password at all").await;
    let unknown = login(&app, "nobody@example.test", "whatever-password").await;
    let malformed = login(&app, "not-an-email", "whatever-password").await;
    for response in [&wrong_password, &unknown, &malformed] {
        response.expect_code("UNAUTHENTICATED");
        assert_eq!(
            response.body["errors"][0]["message"],
            "invalid login or password"
        );
        assert_eq!(response.body["data"], Value::Null);
    }
}

async fn token_expires(app: TestApp) {
    let user = app.user(Role::Customer, None, None).await;
    let ttl = i64::from(servicedesk_tests::test_config().token_ttl_seconds);
    app.clock.advance(Duration::seconds(ttl - 1));
    assert_eq!(app.gql(&user.auth, ME, json!({})).await.status, 200);
    app.clock.advance(Duration::seconds(1));
    let expired = app.gql(&user.auth, ME, json!({})).await;
    assert_eq!(expired.status, 401);
    expired.expect_code("UNAUTHENTICATED");
}

async fn tampered_token_is_rejected(app: TestApp) {
    let user = app.user(Role::Customer, None, None).await;
    let Auth::Bearer(token) = &user.auth else {
        unreachable!()
    };
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[2] = parts[2].chars().rev().collect();
    let tampered = Auth::Bearer(parts.join("."));
    let response = app.gql(&tampered, ME, json!({})).await;
    assert_eq!(response.status, 401);
    response.expect_code("UNAUTHENTICATED");
    let garbage = app
        .gql(&Auth::Bearer("garbage".into()), ME, json!({}))
        .await;
    garbage.expect_code("UNAUTHENTICATED");
}

const DEACTIVATE: &str = "mutation($id: ID!) { deactivateUser(userId: $id) { id active } }";

async fn r_prv_4_deactivated_user_is_locked_out_at_once(app: TestApp) {
    let centre = app.service_centre("North").await;
    let admin = app.user(Role::Admin, None, None).await;
    let leaver = app.user(Role::Technician, Some(centre), None).await;
    assert_eq!(app.gql(&leaver.auth, ME, json!({})).await.status, 200);

    let response = app
        .gql(&admin.auth, DEACTIVATE, json!({ "id": leaver.gid() }))
        .await;
    assert_eq!(response.data()["deactivateUser"]["active"], false);

    let with_old_token = app.gql(&leaver.auth, ME, json!({})).await;
    assert_eq!(with_old_token.status, 401);
    with_old_token.expect_code("UNAUTHENTICATED");
    login(&app, &leaver.email, &leaver.password)
        .await
        .expect_code("UNAUTHENTICATED");
}

/// R-PRV-4 with several server instances: the one that did not make the change has the leaver's
/// account cached and must still lock them out. PostgreSQL only: SQLite serves one process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_prv_4_deactivation_reaches_every_instance() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = TestApp::start(backend).await;
    let other = app.another_instance().await;
    let centre = app.service_centre("North").await;
    let admin = app.user(Role::Admin, None, None).await;
    let leaver = app.user(Role::Technician, Some(centre), None).await;
    assert_eq!(other.gql(&leaver.auth, ME, json!({})).await.status, 200);

    app.gql(&admin.auth, DEACTIVATE, json!({ "id": leaver.gid() }))
        .await
        .data();
    // The announcement travels through PostgreSQL: allow it a moment, far below the cache's
    // time-to-live.
    let mut status = 200;
    for _ in 0..100 {
        status = other.gql(&leaver.auth, ME, json!({})).await.status;
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        status, 401,
        "the other instance still accepts the leaver's token"
    );
}

async fn role_change_applies_to_existing_tokens(app: TestApp) {
    let centre = app.service_centre("North").await;
    let admin = app.user(Role::Admin, None, None).await;
    let agent = app.user(Role::Agent, Some(centre), None).await;
    let change =
        "mutation($id: ID!, $role: Role!) { changeUserRole(userId: $id, role: $role) { role } }";
    let response = app
        .gql(
            &admin.auth,
            change,
            json!({ "id": agent.gid(), "role": "SUPERVISOR" }),
        )
        .await;
    assert_eq!(response.data()["changeUserRole"]["role"], "SUPERVISOR");
    let me = app.gql(&agent.auth, ME, json!({})).await;
    assert_eq!(me.data()["me"]["role"], "SUPERVISOR");

    let customer = app.user(Role::Customer, None, None).await;
    let to_staff = app
        .gql(
            &admin.auth,
            change,
            json!({ "id": customer.gid(), "role": "AGENT" }),
        )
        .await;
    to_staff.expect_code("BAD_USER_INPUT");
    let to_partner = app
        .gql(
            &admin.auth,
            change,
            json!({ "id": agent.gid(), "role": "PARTNER" }),
        )
        .await;
    to_partner.expect_code("BAD_USER_INPUT");
}

const CREATE_USER: &str = "mutation($input: CreateUserInput!) {
    createUser(input: $input) { id email role active serviceCentreId }
}";

async fn r_prv_5_password_policy_rejects_and_writes_nothing(app: TestApp) {
    let admin = app.user(Role::Admin, None, None).await;
    for password in ["short-pw1", "new.person@example.test", "NEW.PERSON"] {
        let input = json!({ "email": "new.person@example.test", "name": "New Person",
                            "role": "CUSTOMER", "password": password });
        let response = app
            .gql(&admin.auth, CREATE_USER, json!({ "input": input }))
            .await;
        let extensions = response.expect_code("BAD_USER_INPUT");
        assert_eq!(extensions["field"], "password", "password {password:?}");
    }
    let stored = store::users::find_by_email(&app.db, "new.person@example.test")
        .await
        .unwrap();
    assert!(stored.is_none(), "a rejected user must not be stored");

    let input = json!({ "email": "new.person@example.test", "name": "New Person",
                        "role": "CUSTOMER", "password": "Tq8vR2mXw9" });
    app.gql(&admin.auth, CREATE_USER, json!({ "input": input }))
        .await
        .data();
    assert_eq!(
        login(&app, "new.person@example.test", "Tq8vR2mXw9")
            .await
            .status,
        200
    );
}

async fn r_prv_5_password_hash_never_leaves_the_server(app: TestApp) {
    let admin = app.user(Role::Admin, None, None).await;
    let introspection = app
        .gql(
            &admin.auth,
            "{ __type(name: \"User\") { fields { name } } }",
            json!({}),
        )
        .await;
    let fields: Vec<&str> = introspection.data()["__type"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"email"));
    assert!(
        !fields.iter().any(|f| f.to_lowercase().contains("password")),
        "{fields:?}"
    );

    let input = json!({ "email": "x.person@example.test", "name": "X", "role": "CUSTOMER",
                        "password": "a long enough password" });
    let created = app
        .gql(&admin.auth, CREATE_USER, json!({ "input": input }))
        .await;
    let logged_in = login(&app, "x.person@example.test", "a long enough password").await;
    for body in [&created.body, &logged_in.body] {
        assert!(!body.to_string().contains("argon2"), "{body}");
    }
}

async fn admin_creates_staff_and_customers(app: TestApp) {
    let centre = app.service_centre("North").await;
    let org = app.organization("Dealer").await;
    let admin = app.user(Role::Admin, None, None).await;

    let staff = json!({ "email": "Tech.One@Example.test", "name": " Tech One ", "role": "TECHNICIAN",
                        "password": "a long enough password", "serviceCentreId": gid(NodeType::ServiceCentre, centre) });
    let response = app
        .gql(&admin.auth, CREATE_USER, json!({ "input": staff }))
        .await;
    let created = &response.data()["createUser"];
    assert_eq!(created["email"], "tech.one@example.test");
    assert_eq!(created["active"], true);
    assert_eq!(
        created["serviceCentreId"],
        gid(NodeType::ServiceCentre, centre)
    );

    let duplicate = app
        .gql(&admin.auth, CREATE_USER, json!({ "input": staff }))
        .await;
    duplicate.expect_code("CONFLICT");

    let no_centre = json!({ "email": "t2@example.test", "name": "T2", "role": "AGENT" });
    let response = app
        .gql(&admin.auth, CREATE_USER, json!({ "input": no_centre }))
        .await;
    assert_eq!(
        response.expect_code("BAD_USER_INPUT")["field"],
        "serviceCentreId"
    );

    let partner_user = json!({ "email": "p@example.test", "name": "P", "role": "PARTNER" });
    app.gql(&admin.auth, CREATE_USER, json!({ "input": partner_user }))
        .await
        .expect_code("BAD_USER_INPUT");

    let top_agent = json!({ "email": "ta@example.test", "name": "TA", "role": "AGENT",
                            "serviceCentreId": gid(NodeType::ServiceCentre, centre), "topLevel": true });
    let response = app
        .gql(&admin.auth, CREATE_USER, json!({ "input": top_agent }))
        .await;
    assert_eq!(response.expect_code("BAD_USER_INPUT")["field"], "topLevel");

    let bad_email = json!({ "email": "nope", "name": "N", "role": "CUSTOMER" });
    let response = app
        .gql(&admin.auth, CREATE_USER, json!({ "input": bad_email }))
        .await;
    assert_eq!(response.expect_code("BAD_USER_INPUT")["field"], "email");

    let customer = json!({ "email": "c@example.test", "name": "C", "role": "CUSTOMER",
                           "organizationId": gid(NodeType::Organization, org) });
    app.gql(&admin.auth, CREATE_USER, json!({ "input": customer }))
        .await
        .data();
    let stored = store::users::find_by_email(&app.db, "c@example.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.organization_id, Some(org));
    assert_eq!(stored.password_hash, None);
}

async fn admin_cannot_lock_out_themselves(app: TestApp) {
    let admin = app.user(Role::Admin, None, None).await;
    let response = app
        .gql(&admin.auth, DEACTIVATE, json!({ "id": admin.gid() }))
        .await;
    response.expect_code("BAD_USER_INPUT");
    assert_eq!(app.gql(&admin.auth, ME, json!({})).await.status, 200);
    let missing = app
        .gql(&admin.auth, DEACTIVATE, json!({ "id": "999999" }))
        .await;
    missing.expect_code("NOT_FOUND");
}

/// Every admin-only operation, with variables that would succeed for an admin.
fn admin_operations(user_id: i64, org: i64, key_id: i64) -> Vec<(&'static str, Value)> {
    vec![
        (
            "query($u: ID!) { user(id: $u) { id } }",
            json!({ "u": gid(NodeType::User, user_id) }),
        ),
        (
            "query($o: ID!) { apiKeys(organizationId: $o) { id } }",
            json!({ "o": gid(NodeType::Organization, org) }),
        ),
        (
            CREATE_USER,
            json!({ "input": { "email": "guarded@example.test", "name": "G", "role": "CUSTOMER" } }),
        ),
        (
            "mutation($id: ID!) { changeUserRole(userId: $id, role: CUSTOMER) { id } }",
            json!({ "id": gid(NodeType::User, user_id) }),
        ),
        (DEACTIVATE, json!({ "id": gid(NodeType::User, user_id) })),
        (
            "mutation { createOrganization(name: \"O\") { id } }",
            json!({}),
        ),
        (
            "mutation { createServiceCentre(name: \"S\", timezone: \"Asia/Shanghai\") { id } }",
            json!({}),
        ),
        (
            "mutation($o: ID!) { createApiKey(organizationId: $o, name: \"k\") { key } }",
            json!({ "o": gid(NodeType::Organization, org) }),
        ),
        (
            "mutation($id: ID!) { revokeApiKey(id: $id) { id } }",
            json!({ "id": gid(NodeType::ApiKey, key_id) }),
        ),
    ]
}

async fn admin_mutations_are_guarded_for_every_role(app: TestApp) {
    let centre = app.service_centre("North").await;
    let org = app.organization("Dealer").await;
    let (key_id, partner) = app.api_key(org).await;
    let target = app.user(Role::Customer, None, None).await;
    let mut callers = vec![("PARTNER".to_owned(), partner)];
    for role in [
        Role::Customer,
        Role::Technician,
        Role::Agent,
        Role::Supervisor,
    ] {
        let user = app.user(role, Some(centre), None).await;
        callers.push((role.to_value(), user.auth));
    }
    for (query, variables) in admin_operations(target.id, org, key_id) {
        let anonymous = app.gql(&Auth::None, query, variables.clone()).await;
        assert_eq!(anonymous.code(), "UNAUTHENTICATED", "anonymous: {query}");
        for (name, auth) in &callers {
            let response = app.gql(auth, query, variables.clone()).await;
            assert_eq!(response.code(), "FORBIDDEN", "{name}: {query}");
        }
    }
    // Nothing the refused calls asked for happened.
    let stored = store::users::get(&app.db, target.id).await.unwrap();
    assert!(stored.active);
    assert_eq!(stored.role, Role::Customer);
    assert!(
        store::users::find_by_email(&app.db, "guarded@example.test")
            .await
            .unwrap()
            .is_none()
    );

    let admin = app.user(Role::Admin, None, None).await;
    for (query, variables) in admin_operations(target.id, org, key_id) {
        let response = app.gql(&admin.auth, query, variables).await;
        response.data();
    }
}

async fn r_prv_7_api_key_is_scoped_to_its_organization(app: TestApp) {
    let admin = app.user(Role::Admin, None, None).await;
    let acme = app.organization("Acme").await;
    let other = app.organization("Other").await;
    let created = app
        .gql(
            &admin.auth,
            "mutation($o: ID!) { createApiKey(organizationId: $o, name: \"erp\") { key apiKey { prefix organizationId } } }",
            json!({ "o": gid(NodeType::Organization, acme) }),
        )
        .await;
    let created = &created.data()["createApiKey"];
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with(created["apiKey"]["prefix"].as_str().unwrap()));
    assert_eq!(
        created["apiKey"]["organizationId"],
        gid(NodeType::Organization, acme)
    );

    let me = app.gql(&Auth::ApiKey(key.clone()), ME, json!({})).await;
    assert_eq!(me.data()["me"]["role"], "PARTNER");
    assert_eq!(
        me.data()["me"]["organization"]["id"],
        gid(NodeType::Organization, acme)
    );
    assert_ne!(
        me.data()["me"]["organization"]["id"],
        gid(NodeType::Organization, other)
    );
    assert_eq!(me.data()["me"]["user"], Value::Null);

    // The key itself is never listed again.
    let listed = app
        .gql(
            &admin.auth,
            "query($o: ID!) { apiKeys(organizationId: $o) { prefix } }",
            json!({ "o": gid(NodeType::Organization, acme) }),
        )
        .await;
    assert!(!listed.body.to_string().contains(&key));
}

async fn revoked_and_unknown_api_keys_are_rejected(app: TestApp) {
    let admin = app.user(Role::Admin, None, None).await;
    let org = app.organization("Acme").await;
    let (key_id, partner) = app.api_key(org).await;
    assert_eq!(app.gql(&partner, ME, json!({})).await.status, 200);
    app.gql(
        &admin.auth,
        "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }",
        json!({ "id": gid(NodeType::ApiKey, key_id) }),
    )
    .await
    .data();
    let revoked = app.gql(&partner, ME, json!({})).await;
    assert_eq!(revoked.status, 401);
    revoked.expect_code("UNAUTHENTICATED");
    let unknown = app
        .gql(&Auth::ApiKey("sdk_not_a_real_key".into()), ME, json!({}))
        .await;
    unknown.expect_code("UNAUTHENTICATED");
}

async fn anonymous_me_is_unauthenticated(app: TestApp) {
    let response = app.gql(&Auth::None, ME, json!({})).await;
    response.expect_code("UNAUTHENTICATED");
}
