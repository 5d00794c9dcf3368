//! Authentication under attack: password guessing (many logins in one request, many requests)
//! and weak passwords (R-PRV-5).

use std::time::{Duration, Instant};

use entity::users::Role;
use serde_json::{Value, json};
use servicedesk::store;
use servicedesk_tests::{Auth, GqlResponse, TestApp, db_tests, test_config};

db_tests!(
    login_aliases_are_refused_before_any_password_is_checked,
    login_aliases_in_fragments_are_refused,
    failed_logins_of_an_account_wait_longer_and_longer,
    failed_logins_from_one_address_are_throttled_over_all_accounts,
    r_prv_5_common_and_low_entropy_passwords_are_refused,
);

const LOGIN: &str = "mutation($email: String!, $password: String!) {
    login(email: $email, password: $password) { accessToken }
}";

async fn login(app: &TestApp, email: &str, password: &str) -> GqlResponse {
    app.gql(
        &Auth::None,
        LOGIN,
        json!({ "email": email, "password": password }),
    )
    .await
}

/// `n` aliased logins for `email`, the right password among the wrong ones.
/// `n` logins of the account in `$e`, the right password in the middle; compact, so that 200
/// of them stay under the document size limit and reach the one-login rule.
fn aliased_logins(right: &str, n: usize) -> String {
    (0..n)
        .map(|i| {
            let password = if i == n / 2 {
                right.to_owned()
            } else {
                format!("g{i}")
            };
            format!("a{i}:login(email:$e,password:{password:?}){{accessToken}}\n")
        })
        .collect()
}

fn assert_refused_without_token(response: &GqlResponse, started: Instant) {
    let extensions = response.expect_code("BAD_USER_INPUT");
    assert_eq!(extensions["field"], "login");
    assert_eq!(response.body["data"], Value::Null);
    assert!(!response.body.to_string().contains("accessToken"));
    // 200 password hashes take seconds; refusing the document takes nothing.
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
}

async fn login_aliases_are_refused_before_any_password_is_checked(app: TestApp) {
    let user = app.user(Role::Customer, None, None).await;
    let query = format!(
        "mutation($e: String!) {{ {} }}",
        aliased_logins(&user.password, 200)
    );
    let started = Instant::now();
    let response = app
        .gql(&Auth::None, &query, json!({ "e": user.email }))
        .await;
    assert_refused_without_token(&response, started);
    // No password was tried: 199 wrong ones would have locked the account.
    login(&app, &user.email, &user.password).await.data();
}

async fn login_aliases_in_fragments_are_refused(app: TestApp) {
    let user = app.user(Role::Customer, None, None).await;
    let query = format!(
        "mutation($e: String!) {{ ...Guesses ... on MutationRoot {{ {} }} }}
         fragment Guesses on MutationRoot {{ ...More ...More }}
         fragment More on MutationRoot {{ {} }}",
        aliased_logins("wrong", 1).replace("a0:", "first:"),
        aliased_logins(&user.password, 100)
    );
    let started = Instant::now();
    let response = app
        .gql(&Auth::None, &query, json!({ "e": user.email }))
        .await;
    assert_refused_without_token(&response, started);
    login(&app, &user.email, &user.password).await.data();
}

fn expect_rate_limited(response: &GqlResponse) -> u64 {
    let extensions = response.expect_code("RATE_LIMITED");
    assert_eq!(response.status, 429, "{}", response.body);
    let header: u64 = response.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert_eq!(extensions["retryAfter"], header);
    assert_eq!(response.body["data"], Value::Null);
    header
}

async fn failed_logins_of_an_account_wait_longer_and_longer(app: TestApp) {
    let config = test_config();
    let user = app.user(Role::Customer, None, None).await;
    for _ in 0..config.login_account_free_failures {
        login(&app, &user.email, "not the password at all")
            .await
            .expect_code("UNAUTHENTICATED");
    }
    // Locked: the right password is refused exactly like a wrong one, so it reveals nothing.
    let right = login(&app, &user.email, &user.password).await;
    let wrong = login(&app, &user.email, "not the password either").await;
    let first_wait = expect_rate_limited(&right);
    assert_eq!(expect_rate_limited(&wrong), first_wait);
    assert_eq!(right.body, wrong.body);
    assert_eq!(first_wait, u64::from(config.login_delay_seconds));

    // After the wait, one more failure doubles it.
    app.clock
        .advance(chrono::Duration::seconds(first_wait as i64));
    login(&app, &user.email, "still guessing")
        .await
        .expect_code("UNAUTHENTICATED");
    let second_wait = expect_rate_limited(&login(&app, &user.email, &user.password).await);
    assert_eq!(second_wait, 2 * first_wait);

    // The owner gets in once the wait is over, and starts afresh.
    app.clock
        .advance(chrono::Duration::seconds(second_wait as i64));
    login(&app, &user.email, &user.password).await.data();
    login(&app, &user.email, "a typo")
        .await
        .expect_code("UNAUTHENTICATED");
    login(&app, &user.email, &user.password).await.data();
}

async fn failed_logins_from_one_address_are_throttled_over_all_accounts(app: TestApp) {
    let config = test_config();
    let user = app.user(Role::Customer, None, None).await;
    // A few guesses on each of many accounts, never enough to lock one of them.
    for i in 0..config.login_address_free_failures {
        login(
            &app,
            &format!("victim{}@example.test", i / 2),
            "Summer2026!",
        )
        .await
        .expect_code("UNAUTHENTICATED");
    }
    expect_rate_limited(&login(&app, &user.email, &user.password).await);
}

const CREATE_USER: &str = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";

async fn r_prv_5_common_and_low_entropy_passwords_are_refused(app: TestApp) {
    let admin = app.user(Role::Admin, None, None).await;
    for password in ["aaaaaaaaaa", "1234567890", "password12", "qwertyuiop1"] {
        let input = json!({ "email": "weak@example.test", "name": "Weak", "role": "CUSTOMER",
                            "password": password });
        let response = app
            .gql(&admin.auth, CREATE_USER, json!({ "input": input }))
            .await;
        let extensions = response.expect_code("BAD_USER_INPUT");
        assert_eq!(extensions["field"], "password", "{password:?}");
        let message = response.body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.starts_with("password is too easy to guess.") && message.len() > 40,
            "{password:?}: {message}"
        );
    }
    assert!(
        store::users::find_by_email(&app.db, "weak@example.test")
            .await
            .unwrap()
            .is_none(),
        "a refused user must not be stored"
    );
    let input = json!({ "email": "weak@example.test", "name": "Weak", "role": "CUSTOMER",
                        "password": "violet tractor under moonlight" });
    app.gql(&admin.auth, CREATE_USER, json!({ "input": input }))
        .await
        .data();
}
