//! Accounts, partners and logging in (R-PRV-4, R-PRV-5, R-PRV-7).

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::users::Role;
use entity::{api_keys, organizations, service_centres, users};
use sea_orm::{Set, TransactionTrait};

use super::scalars::{NodeType, id, key};
use super::{RoleGuard, Services, client_ip, principal, services};
use crate::auth::{api_keys as keys, passwords};
use crate::domain::identity::{
    Principal, check_assignable_role, check_password_policy, is_staff, normalize_email,
};
use crate::domain::phone::Phone;
use crate::error::ApiError;
use crate::services::accounts;
use crate::store;

/// An account. Password hashes are not part of this type and never leave the server.
pub struct User(pub users::Model);

/// An account: a customer or a staff member. Password hashes never leave the server (R-PRV-5).
#[Object]
impl User {
    /// The user's id (opaque global id, `Node`).
    pub(crate) async fn id(&self) -> ID {
        id(NodeType::User, self.0.id)
    }
    /// Login e-mail, stored lower-case; null for a customer who signed up by phone or was
    /// created at the desk without one.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Contact phone in E.164, e.g. `+8613600000001`; null when none was given.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// What the account may do (see `Role`).
    async fn role(&self) -> Role {
        self.0.role
    }
    /// Deactivated accounts cannot log in, and their tokens stop working (R-PRV-4).
    async fn active(&self) -> bool {
        self.0.active
    }
    /// The customer's home service centre (reports and complaints go there by default), or
    /// the centre a staff member works for; null for admins, partners and customers without one.
    async fn service_centre_id(&self) -> Option<ID> {
        self.0
            .service_centre_id
            .map(|k| id(NodeType::ServiceCentre, k))
    }
    /// The partner organization that brought this customer; null otherwise.
    async fn organization_id(&self) -> Option<ID> {
        self.0
            .organization_id
            .map(|k| id(NodeType::Organization, k))
    }
    /// When the account was created (RFC 3339, UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Top-level supervisor (general manager).
    async fn top_level(&self) -> bool {
        self.0.top_level
    }
    /// A technician's skills (upper-case labels such as `REFRIGERATION`); empty when none are
    /// recorded. Set by admins (`setTechnicianProfile`).
    async fn skills(&self) -> Vec<String> {
        crate::domain::technician::skills(&self.0)
    }
    /// A technician's area within the centre, e.g. `Pudong`.
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }
}

/// Who may read an account as a `User` (`user(id)`, `node(id)`): admins any, everyone
/// themselves, agents and supervisors the active technicians of their centre (whom they
/// dispatch, as `technicians` lists them).
pub(super) fn may_read_user(actor: &Principal, user: &users::Model) -> bool {
    match actor {
        Principal::User(me) => {
            me.role == Role::Admin
                || me.id == user.id
                || (matches!(me.role, Role::Agent | Role::Supervisor)
                    && user.role == Role::Technician
                    && user.active
                    && user.service_centre_id.is_some()
                    && user.service_centre_id == me.service_centre_id)
        }
        Principal::Anonymous | Principal::Partner { .. } => false,
    }
}

/// A partner organization (dealer, installer) whose API keys act for its customers (R-PRV-7).
#[derive(SimpleObject)]
pub struct Organization {
    /// The organization's id (opaque).
    #[graphql(owned)]
    pub(crate) id: ID,
    /// Display name.
    name: String,
    /// When it was created (RFC 3339, UTC).
    created_at: DateTime<Utc>,
}

impl From<organizations::Model> for Organization {
    fn from(model: organizations::Model) -> Self {
        Self {
            id: id(NodeType::Organization, model.id),
            name: model.name,
            created_at: model.created_at,
        }
    }
}

/// A service centre: the unit whose staff handle the tickets of its customers, with its own
/// time zone, working hours, holidays and rest hours.
#[derive(SimpleObject)]
pub struct ServiceCentre {
    /// Opaque global id (`Node`).
    #[graphql(owned)]
    pub(crate) id: ID,
    /// Display name.
    name: String,
    /// IANA time zone, e.g. `Asia/Shanghai`.
    timezone: String,
}

impl From<service_centres::Model> for ServiceCentre {
    fn from(model: service_centres::Model) -> Self {
        Self {
            id: id(NodeType::ServiceCentre, model.id),
            name: model.name,
            timezone: model.timezone,
        }
    }
}

/// A partner API key as listed; the secret itself is only in `CreatedApiKey`.
#[derive(SimpleObject)]
pub struct ApiKey {
    /// The key's id (opaque), for `revokeApiKey`.
    #[graphql(owned)]
    pub(crate) id: ID,
    /// The organization the key acts for.
    organization_id: ID,
    /// A name the admin gave it, e.g. the integrating system.
    name: String,
    /// The first characters of the key, to tell keys apart.
    prefix: String,
    /// When it was issued (RFC 3339, UTC).
    created_at: DateTime<Utc>,
    /// When it was revoked; null while it works.
    revoked_at: Option<DateTime<Utc>>,
}

impl From<api_keys::Model> for ApiKey {
    fn from(model: api_keys::Model) -> Self {
        Self {
            id: id(NodeType::ApiKey, model.id),
            organization_id: id(NodeType::Organization, model.organization_id),
            name: model.name,
            prefix: model.prefix,
            created_at: model.created_at,
            revoked_at: model.revoked_at,
        }
    }
}

/// A newly issued partner key with its secret, returned only by `createApiKey`.
#[derive(SimpleObject)]
pub struct CreatedApiKey {
    /// The key, shown this once: send it as `Authorization: ApiKey <key>`.
    key: String,
    /// The key as `apiKeys` lists it from now on (without the secret).
    api_key: ApiKey,
}

/// Who is calling: a user, or a partner system with its organization.
#[derive(SimpleObject)]
pub struct Viewer {
    /// The caller's role; `PARTNER` for an API key.
    role: Role,
    /// The caller's account; null for a partner key.
    user: Option<User>,
    /// The partner's organization; null for a user.
    organization: Option<Organization>,
}

/// An access token for the account that logged in.
#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Send as `Authorization: Bearer <accessToken>`.
    access_token: String,
    /// Always `Bearer`.
    token_type: String,
    /// When the access token expires (`TOKEN_TTL_SECONDS`, an hour by default).
    expires_at: DateTime<Utc>,
    /// Exchange with `refreshToken` for a new access token before or after it expires. Each
    /// use returns a new refresh token and uses this one up; keep only the newest. Presenting
    /// a used one again ends the session (`UNAUTHENTICATED`, `extensions.reason:
    /// REFRESH_TOKEN_REUSED`). Shown only here; store it like a password.
    refresh_token: String,
    /// When the refresh token expires (`REFRESH_TOKEN_TTL_DAYS`, 30 by default).
    refresh_token_expires_at: DateTime<Utc>,
    /// The account that logged in.
    user: User,
}

impl From<crate::services::accounts::Session> for LoginPayload {
    fn from(session: crate::services::accounts::Session) -> Self {
        Self {
            access_token: session.access.token,
            token_type: "Bearer".into(),
            expires_at: session.access.expires_at,
            refresh_token: session.refresh_token,
            refresh_token_expires_at: session.refresh_expires_at,
            user: User(session.user),
        }
    }
}

/// A new account, created by an admin.
#[derive(InputObject)]
pub struct CreateUserInput {
    /// Login e-mail, unique (`CONFLICT` when taken; `BAD_USER_INPUT` when malformed). Required
    /// for staff; a customer may have only a phone.
    email: Option<String>,
    /// Display name; must not be empty.
    name: String,
    /// Any common format; stored in E.164. Unique among customers (`CONFLICT`).
    phone: Option<String>,
    /// The account's role. PARTNER cannot be given (`BAD_USER_INPUT`): partners are API keys
    /// (`createApiKey`).
    role: Role,
    /// Optional: an account without a password cannot log in until one is set.
    password: Option<String>,
    /// Required for TECHNICIAN, AGENT and SUPERVISOR.
    service_centre_id: Option<ID>,
    /// For customers brought by a partner.
    organization_id: Option<ID>,
    /// Supervisors only: the top level (general manager) who signs off serious complaints and
    /// receives level-3 escalations.
    #[graphql(default = false)]
    top_level: bool,
}

#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// The caller: their role, and their account or (for an API key) their partner
    /// organization. `UNAUTHENTICATED` without credentials.
    async fn me(&self, ctx: &Context<'_>) -> Result<Viewer> {
        let db = &services(ctx)?.db;
        match principal(ctx) {
            Principal::Anonymous => Err(ApiError::Unauthenticated.into()),
            Principal::User(user) => Ok(Viewer {
                role: user.role,
                user: Some(User(store::users::get(db, user.id).await?)),
                organization: None,
            }),
            Principal::Partner {
                organization_id, ..
            } => Ok(Viewer {
                role: Role::Partner,
                user: None,
                organization: Some(
                    store::directory::get_organization(db, *organization_id)
                        .await?
                        .into(),
                ),
            }),
        }
    }

    /// Any account by id. Admins only (`FORBIDDEN` otherwise); `NOT_FOUND` when there is none.
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's id.")] id: ID,
    ) -> Result<User> {
        let db = &services(ctx)?.db;
        Ok(User(
            store::users::get(db, key(&id, NodeType::User)?).await?,
        ))
    }

    /// The API keys of an organization, revoked ones included. Admins only (`FORBIDDEN`
    /// otherwise).
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The partner organization.")] organization_id: ID,
    ) -> Result<Vec<ApiKey>> {
        let db = &services(ctx)?.db;
        let organization_id = key(&organization_id, NodeType::Organization)?;
        let keys = store::api_keys::list_for_organization(db, organization_id).await?;
        Ok(keys.into_iter().map(ApiKey::from).collect())
    }
}

#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Exchanges an e-mail address or a phone (customers; any common format, read in
    /// `PHONE_DEFAULT_REGION`) and the password for an access token and a refresh token. Give
    /// exactly one of `email` and `phone`. Unknown account, wrong password, an account without a
    /// password yet and a deactivated account all give the same `UNAUTHENTICATED` error. One
    /// `login` per operation; after repeated failures of an account or from an address,
    /// attempts are refused with `RATE_LIMITED` (and `retryAfter`) for a growing while,
    /// whatever the password.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's e-mail (any case); give this or `phone`.")] email: Option<
            String,
        >,
        #[graphql(desc = "A customer's phone in any common format; give this or `email`.")]
        phone: Option<String>,
        #[graphql(desc = "The account's password; never logged.")] password: String,
    ) -> Result<LoginPayload> {
        let svc = services(ctx)?;
        let env = super::env(ctx)?;
        let typed = email.clone().or_else(|| phone.clone()).unwrap_or_default();
        let name =
            accounts::LoginName::parse(&env, email.as_deref(), phone.as_deref()).map_err(|_| typed);
        let session = accounts::login(
            &env,
            &svc.accounts,
            &svc.tokens,
            &svc.login_throttle,
            name,
            password,
            client_ip(ctx),
        )
        .await?;
        Ok(session.into())
    }

    /// Creates an account. Admins only (`FORBIDDEN` otherwise). A password must score at least 3
    /// in zxcvbn (common, repetitive or e-mail-like passwords are `BAD_USER_INPUT` with the reason;
    /// R-PRV-5); staff need `serviceCentreId`; an e-mail in use is `CONFLICT`.
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account to create.")] input: CreateUserInput,
    ) -> Result<User> {
        let svc = services(ctx)?;
        let email = input.email.as_deref().map(normalize_email).transpose()?;
        if email.is_none() && input.role != Role::Customer {
            return Err(ApiError::bad_input("email", "staff log in by e-mail: give one").into());
        }
        let phone = input
            .phone
            .as_deref()
            .map(|phone| Phone::parse("phone", phone, svc.settings.phone_region))
            .transpose()?;
        check_assignable_role(input.role)?;
        let name = required("name", &input.name)?;
        let service_centre_id = match &input.service_centre_id {
            Some(centre) => Some(
                store::directory::get_service_centre(
                    &svc.db,
                    key(centre, NodeType::ServiceCentre)?,
                )
                .await
                .map_err(|err| {
                    err.missing_as_bad_input("serviceCentreId", "no such service centre")
                })?
                .id,
            ),
            None if is_staff(input.role) => {
                return Err(ApiError::bad_input(
                    "serviceCentreId",
                    "staff must belong to a service centre",
                )
                .into());
            }
            None => None,
        };
        let organization_id = match &input.organization_id {
            Some(org) => Some(
                store::directory::get_organization(&svc.db, key(org, NodeType::Organization)?)
                    .await
                    .map_err(|err| {
                        err.missing_as_bad_input("organizationId", "no such organization")
                    })?
                    .id,
            ),
            None => None,
        };
        if input.top_level && input.role != Role::Supervisor {
            return Err(
                ApiError::bad_input("topLevel", "only supervisors can be the top level").into(),
            );
        }
        let password_hash = match input.password {
            Some(password) => {
                let words: Vec<&str> = email
                    .iter()
                    .map(String::as_str)
                    .chain(phone.as_ref().map(Phone::as_str))
                    .collect();
                check_password_policy(&words, &password)?;
                Some(passwords::hash(password).await?)
            }
            None => None,
        };
        let user = store::users::insert(
            &svc.db,
            store::users::NewUser {
                email,
                name,
                phone,
                role: input.role,
                password_hash,
                service_centre_id,
                organization_id,
                top_level: input.top_level,
            },
            svc.clock.now(),
        )
        .await?;
        Ok(User(user))
    }

    /// Gives another user a new role. Admins only (`FORBIDDEN` otherwise); not on oneself
    /// (`BAD_USER_INPUT`); PARTNER cannot be given, and staff roles need the user to
    /// belong to a service centre (`BAD_USER_INPUT`). Applies from the user's next request.
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn change_user_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user to change (not the caller).")] user_id: ID,
        #[graphql(desc = "The new role.")] role: Role,
    ) -> Result<User> {
        let svc = services(ctx)?;
        check_assignable_role(role)?;
        let user = target_other_user(ctx, &user_id).await?;
        if is_staff(role) && user.service_centre_id.is_none() {
            return Err(ApiError::bad_input(
                "role",
                "staff must belong to a service centre; this user has none",
            )
            .into());
        }
        Ok(User(change_user(svc, user, |m| m.role = Set(role)).await?))
    }

    /// Disables an account at once: its access tokens stop working on their next request and
    /// its refresh tokens are revoked (R-PRV-4).
    /// Admins only (`FORBIDDEN` otherwise); not on oneself (`BAD_USER_INPUT`).
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn deactivate_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user to deactivate (not the caller).")] user_id: ID,
    ) -> Result<User> {
        let svc = services(ctx)?;
        let user = target_other_user(ctx, &user_id).await?;
        let user = accounts::deactivate(&super::env(ctx)?, user).await?;
        svc.principals.changed(user.id);
        Ok(User(user))
    }

    /// Creates a partner organization. Admins only (`FORBIDDEN` otherwise).
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn create_organization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Display name; must not be empty.")] name: String,
    ) -> Result<Organization> {
        let svc = services(ctx)?;
        let name = required("name", &name)?;
        Ok(
            store::directory::insert_organization(&svc.db, name, svc.clock.now())
                .await?
                .into(),
        )
    }

    /// Creates a service centre. Admins only (`FORBIDDEN` otherwise); an unknown time zone is
    /// `BAD_USER_INPUT`. Without `setBusinessHours` it works Mon–Fri 09:00–18:00 local time.
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn create_service_centre(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Display name; must not be empty.")] name: String,
        #[graphql(desc = "IANA time zone, e.g. Asia/Shanghai")] timezone: String,
    ) -> Result<ServiceCentre> {
        let svc = services(ctx)?;
        let name = required("name", &name)?;
        if timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err(ApiError::bad_input("timezone", "not an IANA time zone name").into());
        }
        let centre =
            store::directory::insert_service_centre(&svc.db, name, timezone, svc.clock.now())
                .await?;
        Ok(centre.into())
    }

    /// Issues a partner key scoped to one organization (R-PRV-7).
    /// Admins only (`FORBIDDEN` otherwise); `NOT_FOUND` for an unknown organization.
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization the key acts for.")] organization_id: ID,
        #[graphql(desc = "A name to tell the key apart, e.g. the integrating system.")]
        name: String,
    ) -> Result<CreatedApiKey> {
        let svc = services(ctx)?;
        let organization = store::directory::get_organization(
            &svc.db,
            key(&organization_id, NodeType::Organization)?,
        )
        .await?;
        let name = required("name", &name)?;
        let new_key = keys::generate();
        let stored = store::api_keys::insert(
            &svc.db,
            organization.id,
            name,
            new_key.prefix,
            new_key.digest,
            svc.clock.now(),
        )
        .await?;
        Ok(CreatedApiKey {
            key: new_key.plaintext,
            api_key: stored.into(),
        })
    }

    /// Revokes a partner key; requests with it fail from now on.
    /// Admins only (`FORBIDDEN` otherwise); `NOT_FOUND` for an unknown key.
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The key's id (from `apiKeys`).")] id: ID,
    ) -> Result<ApiKey> {
        let svc = services(ctx)?;
        let revoked =
            store::api_keys::revoke(&svc.db, key(&id, NodeType::ApiKey)?, svc.clock.now()).await?;
        svc.principals.key_revoked(revoked.id);
        Ok(revoked.into())
    }
}

/// The user an admin acts on; admins cannot change or lock out themselves.
/// Changes a user in one transaction, then evicts the cached principal, so the change applies to
/// the user's very next request (R-PRV-4).
pub(super) async fn change_user(
    svc: &Services,
    user: users::Model,
    change: impl FnOnce(&mut users::ActiveModel),
) -> Result<users::Model, ApiError> {
    let txn = svc.db.begin().await?;
    let user = store::users::update(&txn, user, svc.clock.now(), change).await?;
    txn.commit().await?;
    svc.principals.changed(user.id);
    Ok(user)
}

async fn target_other_user(ctx: &Context<'_>, user_id: &ID) -> Result<users::Model, ApiError> {
    let user_id = key(user_id, NodeType::User)?;
    if principal(ctx).user()?.id == user_id {
        return Err(ApiError::bad_input(
            "userId",
            "admins cannot change their own role or deactivate themselves",
        ));
    }
    store::users::get(&services(ctx)?.db, user_id).await
}

fn required(field: &'static str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        Err(ApiError::bad_input(
            field,
            format!("{field} must not be empty"),
        ))
    } else {
        Ok(value.to_owned())
    }
}
