//! User accounts.

use chrono::{DateTime, Utc};
use entity::users::{self, Role};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter,
    QueryOrder, Set, Statement,
};

use crate::domain::phone::Phone;
use crate::error::{ApiError, ApiResult};

pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<Option<users::Model>> {
    Ok(users::Entity::find_by_id(id).one(db).await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> ApiResult<users::Model> {
    find(db, id).await?.ok_or(ApiError::NotFound("user"))
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> ApiResult<Option<users::Model>> {
    Ok(users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(db)
        .await?)
}

/// The customer with this phone (unique among customers), active or not.
pub async fn find_customer_by_phone(
    db: &impl ConnectionTrait,
    phone: &Phone,
) -> ApiResult<Option<users::Model>> {
    Ok(users::Entity::find()
        .filter(users::Column::Role.eq(Role::Customer))
        .filter(users::Column::Phone.eq(phone.as_str()))
        .one(db)
        .await?)
}

pub struct NewUser {
    /// Normalized (`domain::identity::normalize_email`); none for a phone-only customer.
    pub email: Option<String>,
    pub name: String,
    pub phone: Option<Phone>,
    pub role: Role,
    pub password_hash: Option<String>,
    pub service_centre_id: Option<i64>,
    pub organization_id: Option<i64>,
    /// Top level (general manager): only for supervisors.
    pub top_level: bool,
}

/// Inserts a user; a taken e-mail, or a customer's phone another customer has, is a
/// `CONFLICT` (the unique indexes settle a race between two inserts the same way).
pub async fn insert(
    db: &impl ConnectionTrait,
    user: NewUser,
    now: DateTime<Utc>,
) -> ApiResult<users::Model> {
    if let Some(email) = &user.email
        && find_by_email(db, email).await?.is_some()
    {
        return Err(ApiError::Conflict(format!(
            "a user with e-mail {email} already exists"
        )));
    }
    if let Some(phone) = user.phone.as_ref().filter(|_| user.role == Role::Customer)
        && find_customer_by_phone(db, phone).await?.is_some()
    {
        return Err(ApiError::Conflict(format!(
            "a customer with phone {phone} already exists"
        )));
    }
    let model = users::ActiveModel {
        email: Set(user.email),
        name: Set(user.name),
        phone: Set(user.phone.map(Phone::into_string)),
        role: Set(user.role),
        password_hash: Set(user.password_hash),
        active: Set(true),
        service_centre_id: Set(user.service_centre_id),
        organization_id: Set(user.organization_id),
        top_level: Set(user.top_level),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    Ok(model.insert(db).await?)
}

/// The PostgreSQL channel on which user changes are announced to every server instance.
pub const CHANGES_CHANNEL: &str = "servicedesk_users";

/// Applies `change` to a user and stamps `updated_at`. On PostgreSQL the change is announced on
/// [`CHANGES_CHANNEL`] when the transaction commits, so cached principals go stale nowhere.
pub async fn update(
    db: &impl ConnectionTrait,
    user: users::Model,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut users::ActiveModel),
) -> ApiResult<users::Model> {
    let mut model: users::ActiveModel = user.into();
    change(&mut model);
    model.updated_at = Set(now);
    let user = model.update(db).await?;
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANGES_CHANNEL.into(), user.id.to_string().into()],
        ))
        .await?;
    }
    Ok(user)
}

pub async fn by_ids(db: &impl ConnectionTrait, ids: &[i64]) -> ApiResult<Vec<users::Model>> {
    Ok(users::Entity::find()
        .filter(users::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// The active technicians of a service centre, by name.
pub async fn technicians_of_centre(
    db: &impl ConnectionTrait,
    centre_id: i64,
) -> ApiResult<Vec<users::Model>> {
    Ok(users::Entity::find()
        .filter(users::Column::Role.eq(Role::Technician))
        .filter(users::Column::ServiceCentreId.eq(centre_id))
        .filter(users::Column::Active.eq(true))
        .order_by_asc(users::Column::Name)
        .order_by_asc(users::Column::Id)
        .all(db)
        .await?)
}

/// Users whose stored phone is not in E.164 yet (rows from before phones were normalized).
pub async fn with_unnormalized_phone(db: &impl ConnectionTrait) -> ApiResult<Vec<users::Model>> {
    Ok(users::Entity::find()
        .filter(users::Column::Phone.is_not_null())
        .filter(users::Column::Phone.not_like("+%"))
        .all(db)
        .await?)
}
