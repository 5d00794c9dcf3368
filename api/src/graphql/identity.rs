//! Accounts, partners and logging in (R-PRV-4, R-PRV-5, R-PRV-7).

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::users::Role;
use entity::{api_keys, organizations, service_centres, users};
use sea_orm::{Set, TransactionTrait};

use super::scalars::{id, key};
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

#[Object]
impl User {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// Lower-cased; none for a customer who signed up by phone or was created at the desk
    /// without one.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// E.164, e.g. `+8613600000001`.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// The customer's home service centre (reports and complaints go there by default), or
    /// the centre a staff member works for.
    async fn role(&self) -> Role {
        self.0.role
    }
    /// Deactivated accounts cannot log in, and their tokens stop working (R-PRV-4).
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn service_centre_id(&self) -> Option<ID> {
        self.0.service_centre_id.map(id)
    }
    async fn organization_id(&self) -> Option<ID> {
        self.0.organization_id.map(id)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Top-level supervisor (general manager).
    async fn top_level(&self) -> bool {
        self.0.top_level
    }
}

#[derive(SimpleObject)]
pub struct Organization {
    id: ID,
    name: String,
    created_at: DateTime<Utc>,
}

impl From<organizations::Model> for Organization {
    fn from(model: organizations::Model) -> Self {
        Self {
            id: id(model.id),
            name: model.name,
            created_at: model.created_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct ServiceCentre {
    id: ID,
    name: String,
    /// IANA time zone, e.g. `Asia/Shanghai`.
    timezone: String,
}

impl From<service_centres::Model> for ServiceCentre {
    fn from(model: service_centres::Model) -> Self {
        Self {
            id: id(model.id),
            name: model.name,
            timezone: model.timezone,
        }
    }
}

/// A partner API key as listed; the secret itself is only in `CreatedApiKey`.
#[derive(SimpleObject)]
pub struct ApiKey {
    id: ID,
    organization_id: ID,
    name: String,
    /// The first characters of the key, to tell keys apart.
    prefix: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<api_keys::Model> for ApiKey {
    fn from(model: api_keys::Model) -> Self {
        Self {
            id: id(model.id),
            organization_id: id(model.organization_id),
            name: model.name,
            prefix: model.prefix,
            created_at: model.created_at,
            revoked_at: model.revoked_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct CreatedApiKey {
    /// The key, shown this once: send it as `Authorization: ApiKey <key>`.
    key: String,
    api_key: ApiKey,
}

/// Who is calling: a user, or a partner system with its organization.
#[derive(SimpleObject)]
pub struct Viewer {
    role: Role,
    user: Option<User>,
    organization: Option<Organization>,
}

#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Send as `Authorization: Bearer <accessToken>`.
    access_token: String,
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

#[derive(InputObject)]
pub struct CreateUserInput {
    /// Required for staff; a customer may have only a phone.
    email: Option<String>,
    name: String,
    /// Any common format; stored in E.164. Unique among customers (`CONFLICT`).
    phone: Option<String>,
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
    /// The caller.
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

    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        let db = &services(ctx)?.db;
        Ok(User(store::users::get(db, key(&id, "user")?).await?))
    }

    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn api_keys(&self, ctx: &Context<'_>, organization_id: ID) -> Result<Vec<ApiKey>> {
        let db = &services(ctx)?.db;
        let organization_id = key(&organization_id, "organization")?;
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
        email: Option<String>,
        phone: Option<String>,
        password: String,
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

    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<User> {
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
                store::directory::get_service_centre(&svc.db, key(centre, "service centre")?)
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
                store::directory::get_organization(&svc.db, key(org, "organization")?)
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

    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn change_user_role(&self, ctx: &Context<'_>, user_id: ID, role: Role) -> Result<User> {
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
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn deactivate_user(&self, ctx: &Context<'_>, user_id: ID) -> Result<User> {
        let svc = services(ctx)?;
        let user = target_other_user(ctx, &user_id).await?;
        let user = accounts::deactivate(&super::env(ctx)?, user).await?;
        svc.principals.changed(user.id);
        Ok(User(user))
    }

    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn create_organization(&self, ctx: &Context<'_>, name: String) -> Result<Organization> {
        let svc = services(ctx)?;
        let name = required("name", &name)?;
        Ok(
            store::directory::insert_organization(&svc.db, name, svc.clock.now())
                .await?
                .into(),
        )
    }

    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn create_service_centre(
        &self,
        ctx: &Context<'_>,
        name: String,
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
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        name: String,
    ) -> Result<CreatedApiKey> {
        let svc = services(ctx)?;
        let organization =
            store::directory::get_organization(&svc.db, key(&organization_id, "organization")?)
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
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> Result<ApiKey> {
        let svc = services(ctx)?;
        let revoked =
            store::api_keys::revoke(&svc.db, key(&id, "API key")?, svc.clock.now()).await?;
        svc.principals.key_revoked(revoked.id);
        Ok(revoked.into())
    }
}

/// The user an admin acts on; admins cannot change or lock out themselves.
/// Changes a user in one transaction, then evicts the cached principal, so the change applies to
/// the user's very next request (R-PRV-4).
async fn change_user(
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
    let user_id = key(user_id, "user")?;
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
