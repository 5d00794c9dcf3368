//! Registering customers' products.

use chrono::NaiveDate;
use entity::assets;
use entity::users::Role;

use super::{Env, required_text};
use crate::domain::identity::{Principal, UserPrincipal};
use crate::error::{ApiError, ApiResult};
use crate::store;

pub struct RegisterAsset {
    pub customer_id: Option<i64>,
    pub model: String,
    pub serial_number: String,
    pub purchase_date: NaiveDate,
    pub warranty_ends_on: NaiveDate,
}

pub async fn register(env: &Env<'_>, input: RegisterAsset) -> ApiResult<assets::Model> {
    let customer = acting_for_customer(env, input.customer_id).await?;
    if input.warranty_ends_on < input.purchase_date {
        return Err(ApiError::bad_input(
            "warrantyEndsOn",
            "the warranty cannot end before the purchase",
        ));
    }
    let asset = store::assets::NewAsset {
        customer_id: customer.id,
        model: required_text("model", &input.model, 200)?,
        serial_number: required_text("serialNumber", &input.serial_number, 100)?,
        purchase_date: input.purchase_date,
        warranty_ends_on: input.warranty_ends_on,
    };
    store::assets::insert(env.db, asset, env.now).await
}

/// The customer a caller acts for: customers for themselves (their verified principal, no
/// read), agents and supervisors for any customer (phone, walk-in), partners for their
/// organization's customers only (R-PRV-7). Anyone else, or a customer the caller may not act
/// for, is `NOT_FOUND`/`FORBIDDEN`.
pub async fn acting_for_customer(
    env: &Env<'_>,
    customer_id: Option<i64>,
) -> ApiResult<UserPrincipal> {
    let role =
        env.actor
            .require(&[Role::Customer, Role::Agent, Role::Supervisor, Role::Partner])?;
    let wanted = match (env.actor, customer_id) {
        (Principal::User(user), wanted) if role == Role::Customer => {
            return match wanted {
                Some(id) if id != user.id => Err(ApiError::Forbidden),
                _ => Ok(user.clone()),
            };
        }
        (_, Some(id)) => id,
        (_, None) => {
            return Err(ApiError::bad_input(
                "customerId",
                "name the customer you act for",
            ));
        }
    };
    let customer = store::users::find(env.db, wanted)
        .await?
        .filter(|user| user.role == Role::Customer && user.active)
        .filter(|user| match env.actor {
            Principal::Partner {
                organization_id, ..
            } => user.organization_id == Some(*organization_id),
            _ => true,
        });
    customer
        .map(|user| UserPrincipal::from(&user))
        .ok_or(ApiError::NotFound("customer"))
}
