//! Accounts (issue 14): customers sign up with their phone and a one-time code, log in by
//! phone or e-mail, keep a session with rotating refresh tokens, change or reset their password;
//! agents, supervisors and partners create customers and look them up (recorded, R-PRV-3).
//!
//! Mechanisms, one place each: codes (`auth::codes`, `store::codes`), refresh-token families
//! (`auth::refresh`, `store::refresh_tokens`), phones (`domain::phone`), sending codes
//! (`notify`), the audit log (`store::audit`).

use std::net::IpAddr;
use std::num::NonZeroU32;

use chrono::{DateTime, Duration, Utc};
use entity::users::{self, Role};
use governor::DefaultKeyedRateLimiter;
use sea_orm::{DatabaseTransaction, Set};

use super::{Env, required_text};
use crate::auth::codes::{self, CodeHasher, CodePurpose};
use crate::auth::throttle::LoginThrottle;
use crate::auth::tokens::{IssuedToken, TokenIssuer};
use crate::auth::{passwords, refresh};
use crate::domain::identity::{Principal, check_password_policy, normalize_email};
use crate::domain::phone::Phone;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::notify::{Channel, CodeMessage, Notifier};
use crate::store;

/// Settings of codes and sessions (`CODE_*`, `REFRESH_TOKEN_TTL_DAYS`).
#[derive(Clone, Debug)]
pub struct AccountSettings {
    pub code_ttl: Duration,
    pub code_max_attempts: u32,
    /// Codes per phone or e-mail address per hour.
    pub code_rate_per_destination: u32,
    /// Code requests per client address per hour.
    pub code_rate_per_address: u32,
    pub refresh_ttl: Duration,
}

/// The account machinery of a process: settings, the code key, the notifier and the
/// per-address limit of code requests.
pub struct Accounts {
    pub settings: AccountSettings,
    codes: CodeHasher,
    notifier: Box<dyn Notifier>,
    address_limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl Accounts {
    pub fn new(
        settings: AccountSettings,
        server_secret: &str,
        notifier: Box<dyn Notifier>,
    ) -> Self {
        let per_hour = NonZeroU32::new(settings.code_rate_per_address).unwrap_or(NonZeroU32::MIN);
        Self {
            address_limiter: governor::RateLimiter::keyed(governor::Quota::per_hour(per_hour)),
            codes: CodeHasher::new(server_secret),
            notifier,
            settings,
        }
    }
}

/// How a person names their account: an e-mail address or a phone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginName {
    Email(String),
    Phone(Phone),
}

impl LoginName {
    /// Exactly one of `email` and `phone`, normalized.
    pub fn parse(env: &Env<'_>, email: Option<&str>, phone: Option<&str>) -> ApiResult<Self> {
        match (email, phone) {
            (Some(email), None) => Ok(Self::Email(normalize_email(email)?)),
            (None, Some(phone)) => Ok(Self::Phone(Phone::parse(
                "phone",
                phone,
                env.settings.phone_region,
            )?)),
            _ => Err(ApiError::bad_input("phone", "give either email or phone")),
        }
    }

    /// Where codes go and what throttles and code rows key on.
    pub fn destination(&self) -> &str {
        match self {
            Self::Email(email) => email,
            Self::Phone(phone) => phone.as_str(),
        }
    }

    fn channel(&self) -> Channel {
        match self {
            Self::Email(_) => Channel::Email,
            Self::Phone(_) => Channel::Sms,
        }
    }

    /// The account it names: by e-mail any user, by phone a customer (phones are unique among
    /// customers only).
    async fn account(&self, db: &impl sea_orm::ConnectionTrait) -> ApiResult<Option<users::Model>> {
        match self {
            Self::Email(email) => store::users::find_by_email(db, email).await,
            Self::Phone(phone) => store::users::find_customer_by_phone(db, phone).await,
        }
    }
}

/// A logged-in session: the access token and the refresh token that renews it.
pub struct Session {
    pub access: IssuedToken,
    /// Shown to the app once; only its digest is stored.
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
    pub user: users::Model,
}

// ---------------------------------------------------------------------------------------------
// One-time codes
// ---------------------------------------------------------------------------------------------

/// Sends a code for `purpose` to `name`. The answer is the same whether or not an account
/// exists (a reset code goes only to an active account; a sign-up code only to a phone), and
/// the limits count every request alike, so nothing can be learned about who has an account.
pub async fn request_code(
    env: &Env<'_>,
    accounts: &Accounts,
    purpose: CodePurpose,
    name: &LoginName,
    address: IpAddr,
) -> ApiResult<()> {
    accounts
        .address_limiter
        .check_key(&address)
        .map_err(|not_until| ApiError::rate_limited(&not_until))?;
    if purpose == CodePurpose::SignUp && name.channel() != Channel::Sms {
        return Err(ApiError::bad_input(
            "phone",
            "sign-up is verified by a code sent to the phone",
        ));
    }
    let destination = name.destination();
    let txn = store::begin_write(env.db).await?;
    let hour_ago = env.now - Duration::hours(1);
    let sent = store::codes::sent_since(&txn, destination, hour_ago).await?;
    if sent >= u64::from(accounts.settings.code_rate_per_destination) {
        tracing::warn!(%address, "one-time codes to one destination rate-limited");
        return Err(ApiError::RateLimited {
            retry_after_secs: 3600,
        });
    }
    let code = codes::generate();
    let expires_at = env.now + accounts.settings.code_ttl;
    store::codes::insert(
        &txn,
        store::codes::NewCode {
            purpose: purpose.as_str(),
            destination,
            code_hash: accounts.codes.hash(purpose, destination, &code),
            client_address: address.to_string(),
            expires_at,
        },
        env.now,
    )
    .await?;
    let deliver = match purpose {
        CodePurpose::SignUp => true,
        CodePurpose::PasswordReset => name.account(&txn).await?.is_some_and(|user| user.active),
    };
    if deliver {
        let message = CodeMessage {
            channel: name.channel(),
            to: destination,
            purpose: purpose.as_str(),
            code: &code,
            expires_at,
        };
        accounts.notifier.send(&txn, &message, env.now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The one answer for a code that does not verify, whatever the reason.
fn wrong_code() -> ApiError {
    ApiError::bad_input("code", "wrong or expired code: ask for a new one")
}

/// Checks `typed` against the open code of `destination` in `txn` and uses it up. `Ok(false)`
/// for a wrong code, after counting the attempt: the caller commits that and answers
/// [`wrong_code`]. A code is void after its expiry, its use, a newer code, or too many wrong
/// attempts.
async fn take_code(
    txn: &DatabaseTransaction,
    accounts: &Accounts,
    purpose: CodePurpose,
    destination: &str,
    typed: &str,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let Some(open) = store::codes::open(txn, purpose.as_str(), destination, now).await? else {
        return Ok(false);
    };
    let attempts = u32::try_from(open.attempts).unwrap_or(u32::MAX);
    if attempts >= accounts.settings.code_max_attempts {
        return Ok(false);
    }
    let matches = codes::parse(typed)
        .is_some_and(|code| accounts.codes.hash(purpose, destination, &code) == open.code_hash);
    if !matches {
        store::codes::failed_attempt(txn, open.id).await?;
        return Ok(false);
    }
    store::codes::consume(txn, open.id, now).await
}

// ---------------------------------------------------------------------------------------------
// Sign-up, login, sessions
// ---------------------------------------------------------------------------------------------

pub struct SignUp {
    pub phone: String,
    pub code: String,
    pub password: String,
    pub name: String,
    pub email: Option<String>,
    pub service_centre_id: Option<i64>,
}

/// A customer signs up with the code sent to their phone. A customer an agent or partner
/// created with that phone (walk-in, no password) is that person: the sign-up claims the
/// account, with its tickets, instead of making a second one. A phone with a password already
/// is `CONFLICT` (log in, or reset the password).
pub async fn register_customer(
    env: &Env<'_>,
    accounts: &Accounts,
    tokens: &TokenIssuer,
    input: SignUp,
) -> ApiResult<Session> {
    let (phone, email, name) =
        customer_fields(env, &input.phone, input.email.as_deref(), &input.name)?;
    let mut words = vec![phone.as_str()];
    words.extend(email.as_deref());
    check_password_policy(&words, &input.password)?;
    let password_hash = passwords::hash(input.password).await?;
    let txn = store::begin_write(env.db).await?;
    if !take_code(
        &txn,
        accounts,
        CodePurpose::SignUp,
        phone.as_str(),
        &input.code,
        env.now,
    )
    .await?
    {
        txn.commit().await?;
        return Err(wrong_code());
    }
    if let Some(email) = &email
        && store::users::find_by_email(&txn, email).await?.is_some()
    {
        return Err(ApiError::Conflict(
            "this e-mail address belongs to another account".into(),
        ));
    }
    let user = match store::users::find_customer_by_phone(&txn, &phone).await? {
        Some(user) if user.password_hash.is_some() || !user.active => {
            return Err(ApiError::Conflict(
                "this phone has an account already: log in, or reset the password".into(),
            ));
        }
        Some(walk_in) => {
            let centre = match walk_in.service_centre_id {
                Some(centre) => Some(centre),
                None => home_centre(&txn, input.service_centre_id).await?,
            };
            let claimed = store::users::update(&txn, walk_in, env.now, |user| {
                user.password_hash = Set(Some(password_hash));
                user.name = Set(name);
                if email.is_some() {
                    user.email = Set(email);
                }
                user.service_centre_id = Set(centre);
            })
            .await?;
            tracing::info!(
                user = claimed.id,
                "sign-up claimed a customer created by staff"
            );
            claimed
        }
        None => {
            let centre = home_centre(&txn, input.service_centre_id).await?;
            store::users::insert(
                &txn,
                store::users::NewUser {
                    email,
                    name,
                    phone: Some(phone),
                    role: Role::Customer,
                    password_hash: Some(password_hash),
                    service_centre_id: centre,
                    organization_id: None,
                    top_level: false,
                },
                env.now,
            )
            .await?
        }
    };
    let session = start_session(&txn, accounts, tokens, user, None, env.now).await?;
    txn.commit().await?;
    Ok(session)
}

/// A new customer's phone, e-mail and name, every bad one reported at once.
fn customer_fields(
    env: &Env<'_>,
    phone: &str,
    email: Option<&str>,
    name: &str,
) -> ApiResult<(Phone, Option<String>, String)> {
    let mut errors = FieldErrors::default();
    let phone = errors.check(Phone::parse("phone", phone, env.settings.phone_region))?;
    let email = errors.check(email.map(normalize_email).transpose())?;
    let name = errors.check(required_text("name", name, 200))?;
    let ((phone, email), name) = errors.values(phone.zip(email).zip(name))?;
    Ok((phone, email, name))
}

/// The home centre a customer chose at sign-up: it must exist; reports and complaints go
/// there by default.
async fn home_centre(txn: &DatabaseTransaction, chosen: Option<i64>) -> ApiResult<Option<i64>> {
    let Some(chosen) = chosen else {
        return Err(ApiError::bad_input(
            "serviceCentreId",
            "choose your service centre (serviceCentres lists them)",
        ));
    };
    let centre = store::directory::get_service_centre(txn, chosen)
        .await
        .map_err(|err| err.missing_as_bad_input("serviceCentreId", "no such service centre"))?;
    Ok(Some(centre.id))
}

/// Password login by e-mail or phone. Unknown account, wrong password, no password yet and a
/// deactivated account all answer `UNAUTHENTICATED` alike; failures are throttled per account
/// and address (`LoginThrottle`).
pub async fn login(
    env: &Env<'_>,
    accounts: &Accounts,
    tokens: &TokenIssuer,
    throttle: &LoginThrottle,
    name: Result<LoginName, String>,
    password: String,
    address: IpAddr,
) -> ApiResult<Session> {
    // A malformed name is throttled like a wrong one, as typed.
    let key = match &name {
        Ok(name) => name.destination().to_owned(),
        Err(typed) => typed.clone(),
    };
    let attempt = throttle
        .attempt(&key, address, env.now)
        .inspect_err(|_| tracing::warn!(account = ?key, %address, "login throttled"))?;
    let user = match &name {
        Ok(name) => name.account(env.db).await?,
        Err(_) => None,
    };
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let verified = passwords::verify(password, stored).await?;
    let Some(user) = user.filter(|u| verified && u.active) else {
        tracing::warn!(account = ?key, %address, "login failed");
        return Err(ApiError::InvalidCredentials);
    };
    throttle.succeeded(attempt);
    let txn = store::begin_write(env.db).await?;
    let session = start_session(&txn, accounts, tokens, user, None, env.now).await?;
    txn.commit().await?;
    Ok(session)
}

/// An access token and a refresh token for `user`, in `family` or a new one.
async fn start_session(
    txn: &DatabaseTransaction,
    accounts: &Accounts,
    tokens: &TokenIssuer,
    user: users::Model,
    family: Option<&str>,
    now: DateTime<Utc>,
) -> ApiResult<Session> {
    let access = tokens.issue(&user, now)?;
    let new = refresh::generate();
    let family = family.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let refresh_expires_at = now + accounts.settings.refresh_ttl;
    store::refresh_tokens::insert(txn, user.id, &family, new.digest, now, refresh_expires_at)
        .await?;
    Ok(Session {
        access,
        refresh_token: new.plaintext,
        refresh_expires_at,
        user,
    })
}

/// Exchanges a refresh token for a new access token and a new refresh token of the same
/// family; the old one is used up. A used-up token that comes back means a copy exists: the
/// whole family is revoked and the answer is `UNAUTHENTICATED` (`RefreshTokenReused`), so the
/// thief's copy dies with the owner's session. Expired, revoked or unknown tokens, and those of
/// deactivated accounts, are `UNAUTHENTICATED`.
pub async fn refresh_session(
    env: &Env<'_>,
    accounts: &Accounts,
    tokens: &TokenIssuer,
    token: &str,
) -> ApiResult<Session> {
    let digest = refresh::digest(token.trim());
    let txn = store::begin_write(env.db).await?;
    let Some(row) = store::refresh_tokens::find_by_hash(&txn, &digest).await? else {
        return Err(ApiError::Unauthenticated);
    };
    if row.revoked_at.is_some() || row.expires_at <= env.now {
        return Err(ApiError::Unauthenticated);
    }
    if row.rotated_at.is_some() || !store::refresh_tokens::rotate(&txn, row.id, env.now).await? {
        store::refresh_tokens::revoke_family(&txn, &row.family_id, env.now).await?;
        txn.commit().await?;
        tracing::warn!(user = row.user_id, family = %row.family_id,
            "refresh token reused: session revoked");
        return Err(ApiError::RefreshTokenReused);
    }
    let Some(user) = store::users::find(&txn, row.user_id)
        .await?
        .filter(|user| user.active)
    else {
        return Err(ApiError::Unauthenticated);
    };
    let session =
        start_session(&txn, accounts, tokens, user, Some(&row.family_id), env.now).await?;
    txn.commit().await?;
    Ok(session)
}

/// Ends the session the refresh token belongs to (its whole family). Unknown tokens are
/// ignored: the answer says nothing about them.
pub async fn logout(env: &Env<'_>, token: &str) -> ApiResult<()> {
    let digest = refresh::digest(token.trim());
    let txn = store::begin_write(env.db).await?;
    if let Some(row) = store::refresh_tokens::find_by_hash(&txn, &digest).await? {
        store::refresh_tokens::revoke_family(&txn, &row.family_id, env.now).await?;
    }
    txn.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Passwords
// ---------------------------------------------------------------------------------------------

/// The caller changes their password, giving the current one (throttled like a login). Every
/// other session ends (all refresh tokens are revoked); a new session is returned.
pub async fn change_password(
    env: &Env<'_>,
    accounts: &Accounts,
    tokens: &TokenIssuer,
    throttle: &LoginThrottle,
    old_password: String,
    new_password: String,
    address: IpAddr,
) -> ApiResult<Session> {
    let me = env.actor.user()?;
    let user = store::users::get(env.db, me.id).await?;
    let attempt = throttle.attempt(&format!("user:{}", user.id), address, env.now)?;
    if !passwords::verify(old_password, user.password_hash.clone()).await? {
        tracing::warn!(user = user.id, %address, "password change with a wrong password");
        return Err(ApiError::bad_input(
            "oldPassword",
            "the current password is wrong",
        ));
    }
    throttle.succeeded(attempt);
    let words: Vec<&str> = user
        .email
        .iter()
        .chain(user.phone.iter())
        .map(String::as_str)
        .collect();
    check_password_policy(&words, &new_password)?;
    let hash = passwords::hash(new_password).await?;
    let txn = store::begin_write(env.db).await?;
    let user =
        store::users::update(&txn, user, env.now, |u| u.password_hash = Set(Some(hash))).await?;
    store::refresh_tokens::revoke_user(&txn, user.id, env.now).await?;
    let session = start_session(&txn, accounts, tokens, user, None, env.now).await?;
    txn.commit().await?;
    Ok(session)
}

/// Sets a new password with a reset code sent to the account's phone or e-mail. Every session
/// of the account ends. A wrong code and an unknown account answer alike.
pub async fn reset_password(
    env: &Env<'_>,
    accounts: &Accounts,
    name: &LoginName,
    code: &str,
    new_password: String,
) -> ApiResult<()> {
    check_password_policy(&[name.destination()], &new_password)?;
    let hash = passwords::hash(new_password).await?;
    let txn = store::begin_write(env.db).await?;
    let destination = name.destination();
    if !take_code(
        &txn,
        accounts,
        CodePurpose::PasswordReset,
        destination,
        code,
        env.now,
    )
    .await?
    {
        txn.commit().await?;
        return Err(wrong_code());
    }
    let Some(user) = name.account(&txn).await?.filter(|user| user.active) else {
        return Err(wrong_code());
    };
    let user =
        store::users::update(&txn, user, env.now, |u| u.password_hash = Set(Some(hash))).await?;
    store::refresh_tokens::revoke_user(&txn, user.id, env.now).await?;
    txn.commit().await?;
    Ok(())
}

/// R-PRV-4: a deactivated account's sessions end with it (its refresh tokens are revoked; its
/// access tokens stop through the principal cache).
pub async fn deactivate(env: &Env<'_>, user: users::Model) -> ApiResult<users::Model> {
    let txn = store::begin_write(env.db).await?;
    let user = store::users::update(&txn, user, env.now, |u| u.active = Set(false)).await?;
    store::refresh_tokens::revoke_user(&txn, user.id, env.now).await?;
    txn.commit().await?;
    Ok(user)
}

// ---------------------------------------------------------------------------------------------
// Customers created and looked up by staff and partners
// ---------------------------------------------------------------------------------------------

pub struct NewCustomer {
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub service_centre_id: Option<i64>,
}

/// An agent or supervisor creates a customer of their centre (a phone call, a walk-in); a
/// partner one of its organization, optionally with a home centre. The customer has no
/// password: signing up with the same phone later claims the account. Recorded in the audit
/// log.
pub async fn create_customer(
    env: &Env<'_>,
    input: NewCustomer,
    address: IpAddr,
) -> ApiResult<users::Model> {
    let role = env
        .actor
        .require(&[Role::Agent, Role::Supervisor, Role::Partner])?;
    let (phone, email, name) =
        customer_fields(env, &input.phone, input.email.as_deref(), &input.name)?;
    let (centre, organization) = match env.actor {
        Principal::Partner {
            organization_id, ..
        } => (input.service_centre_id, Some(*organization_id)),
        _ => {
            let own = env.actor.centre()?;
            if input.service_centre_id.is_some_and(|asked| asked != own) {
                return Err(ApiError::bad_input(
                    "serviceCentreId",
                    "staff create customers of their own centre",
                ));
            }
            (Some(own), None)
        }
    };
    let txn = store::begin_write(env.db).await?;
    if let Some(centre) = centre {
        store::directory::get_service_centre(&txn, centre)
            .await
            .map_err(|err| err.missing_as_bad_input("serviceCentreId", "no such service centre"))?;
    }
    let customer = store::users::insert(
        &txn,
        store::users::NewUser {
            email,
            name,
            phone: Some(phone),
            role: Role::Customer,
            password_hash: None,
            service_centre_id: centre,
            organization_id: organization,
            top_level: false,
        },
        env.now,
    )
    .await?;
    store::audit::record(
        &txn,
        store::audit::Entry {
            action: "customer.created",
            subject_kind: "USER",
            subject_id: Some(customer.id),
            detail: serde_json::json!({ "by": role_name(role) }),
            actor: env.actor,
            client_address: address,
        },
        env.now,
    )
    .await?;
    txn.commit().await?;
    Ok(customer)
}

/// Whether the caller may see and act for `customer`: agents and supervisors the customers of
/// their centre, partners their organization's (R-PRV-7).
pub fn in_scope(actor: &Principal, customer: &users::Model) -> bool {
    customer.role == Role::Customer
        && match actor {
            Principal::Partner {
                organization_id, ..
            } => customer.organization_id == Some(*organization_id),
            Principal::User(staff) if matches!(staff.role, Role::Agent | Role::Supervisor) => {
                staff.service_centre_id.is_some()
                    && customer.service_centre_id == staff.service_centre_id
            }
            _ => false,
        }
}

/// Finds a customer by exact phone or e-mail (after normalization) among those the caller may
/// see; `None` when there is none. Every lookup is recorded: who, role, when, from where, by
/// what, whom (R-PRV-3).
pub async fn find_customer(
    env: &Env<'_>,
    name: &LoginName,
    address: IpAddr,
) -> ApiResult<Option<users::Model>> {
    env.actor
        .require(&[Role::Agent, Role::Supervisor, Role::Partner])?;
    let found = match name {
        LoginName::Phone(phone) => store::users::find_customer_by_phone(env.db, phone).await?,
        LoginName::Email(email) => store::users::find_by_email(env.db, email).await?,
    }
    .filter(|customer| in_scope(env.actor, customer));
    let by = match name {
        LoginName::Phone(_) => "phone",
        LoginName::Email(_) => "email",
    };
    let txn = store::begin_write(env.db).await?;
    store::audit::record(
        &txn,
        store::audit::Entry {
            action: "customer.lookup",
            subject_kind: "USER",
            subject_id: found.as_ref().map(|c| c.id),
            detail: serde_json::json!({ "by": by, "found": found.is_some() }),
            actor: env.actor,
            client_address: address,
        },
        env.now,
    )
    .await?;
    txn.commit().await?;
    Ok(found)
}

fn role_name(role: Role) -> String {
    sea_orm::ActiveEnum::to_value(&role)
}

// ---------------------------------------------------------------------------------------------
// Stored phones
// ---------------------------------------------------------------------------------------------

/// Rewrites phones stored before normalization in E.164 (run at start, after the migrations).
/// A phone that does not parse, or that would give a customer another customer's number, is
/// left as it is and logged for an operator. Returns (rewritten, left).
pub async fn normalize_stored_phones(
    db: &sea_orm::DatabaseConnection,
    region: crate::domain::phone::Region,
    now: DateTime<Utc>,
) -> ApiResult<(usize, usize)> {
    let (mut rewritten, mut left) = (0, 0);
    for user in store::users::with_unnormalized_phone(db).await? {
        let stored = user.phone.clone().unwrap_or_default();
        let Ok(phone) = Phone::parse("phone", &stored, region) else {
            tracing::warn!(
                user = user.id,
                "stored phone is not a valid number; left as it is"
            );
            left += 1;
            continue;
        };
        let txn = store::begin_write(db).await?;
        if user.role == Role::Customer
            && store::users::find_customer_by_phone(&txn, &phone)
                .await?
                .is_some_and(|other| other.id != user.id)
        {
            tracing::warn!(
                user = user.id,
                "stored phone is another customer's; left as it is"
            );
            left += 1;
            continue;
        }
        store::users::update(&txn, user, now, |u| {
            u.phone = Set(Some(phone.into_string()))
        })
        .await?;
        txn.commit().await?;
        rewritten += 1;
    }
    Ok((rewritten, left))
}
