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
use crate::error::ApiError;
use crate::store;

/// An account. Password hashes are not part of this type and never leave the server.
pub struct User(pub users::Model);

#[Object]
impl User {
    pub(crate) async fn id(&self) -> ID {
        id(NodeType::User, self.0.id)
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn role(&self) -> Role {
        self.0.role
    }
    /// Deactivated accounts cannot log in, and their tokens stop working (R-PRV-4).
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn service_centre_id(&self) -> Option<ID> {
        self.0
            .service_centre_id
            .map(|k| id(NodeType::ServiceCentre, k))
    }
    async fn organization_id(&self) -> Option<ID> {
        self.0
            .organization_id
            .map(|k| id(NodeType::Organization, k))
    }
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

#[derive(SimpleObject)]
pub struct Organization {
    id: ID,
    name: String,
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

#[derive(SimpleObject)]
pub struct ServiceCentre {
    /// Opaque global id (`Node`).
    #[graphql(owned)]
    pub(crate) id: ID,
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
            id: id(NodeType::ApiKey, model.id),
            organization_id: id(NodeType::Organization, model.organization_id),
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
    expires_at: DateTime<Utc>,
    user: User,
}

#[derive(InputObject)]
pub struct CreateUserInput {
    email: String,
    name: String,
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
        Ok(User(
            store::users::get(db, key(&id, NodeType::User)?).await?,
        ))
    }

    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn api_keys(&self, ctx: &Context<'_>, organization_id: ID) -> Result<Vec<ApiKey>> {
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
    /// Exchanges e-mail and password for an access token. Wrong e-mail, wrong password and a
    /// deactivated account all give the same `UNAUTHENTICATED` error. One `login` per
    /// operation; after repeated failures of an account or from an address, attempts are
    /// refused with `RATE_LIMITED` (and `retryAfter`) for a growing while, whatever the
    /// password.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> Result<LoginPayload> {
        let svc = services(ctx)?;
        let address = client_ip(ctx);
        let attempt = svc
            .login_throttle
            .attempt(&email, address, svc.clock.now())
            .inspect_err(|_| tracing::warn!(account = ?email, %address, "login throttled"))?;
        let user = match normalize_email(&email) {
            Ok(email) => store::users::find_by_email(&svc.db, &email).await?,
            Err(_) => None,
        };
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        let verified = passwords::verify(password, stored).await?;
        let Some(user) = user.filter(|u| verified && u.active) else {
            tracing::warn!(account = ?email, %address, "login failed");
            return Err(ApiError::InvalidCredentials.into());
        };
        svc.login_throttle.succeeded(attempt);
        let issued = svc.tokens.issue(&user, svc.clock.now())?;
        Ok(LoginPayload {
            access_token: issued.token,
            token_type: "Bearer".into(),
            expires_at: issued.expires_at,
            user: User(user),
        })
    }

    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<User> {
        let svc = services(ctx)?;
        let email = normalize_email(&input.email)?;
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
                check_password_policy(&email, &password)?;
                Some(passwords::hash(password).await?)
            }
            None => None,
        };
        let user = store::users::insert(
            &svc.db,
            store::users::NewUser {
                email,
                name,
                phone: input.phone,
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

    /// Disables an account at once: its tokens stop working on their next request (R-PRV-4).
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn deactivate_user(&self, ctx: &Context<'_>, user_id: ID) -> Result<User> {
        let svc = services(ctx)?;
        let user = target_other_user(ctx, &user_id).await?;
        Ok(User(
            change_user(svc, user, |m| m.active = Set(false)).await?,
        ))
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
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> Result<ApiKey> {
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
