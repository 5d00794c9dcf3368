//! Registering customers' products and verifying their warranty (R-REP-1, R-REP-4).

use chrono::NaiveDate;
use entity::assets;
use entity::users::Role;

use super::{Env, required_text};
use crate::domain::identity::{Principal, UserPrincipal};
use crate::domain::reference::client_reference;
use crate::domain::repair;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::store;
use crate::store::references::Referenced;

pub struct RegisterAsset {
    pub customer_id: Option<i64>,
    /// A catalogue code, or the name of a model not listed.
    pub model: String,
    pub serial_number: String,
    pub purchase_date: NaiveDate,
    /// Only for a model not in the catalogue.
    pub warranty_ends_on: Option<NaiveDate>,
    /// The client's own id for the asset; a repeat returns the first asset (issue 13).
    pub external_reference: Option<String>,
}

/// Registers a product with its warranty unverified: the end comes from the product model's
/// warranty length, or, for a model not listed, as stated; either way the purchase date is the
/// caller's word until staff verify it. One asset per model and serial number (`CONFLICT`).
pub async fn register(env: &Env<'_>, input: RegisterAsset) -> ApiResult<assets::Model> {
    let customer = acting_for_customer(env, input.customer_id).await?;
    let reference = client_reference(env.actor, input.external_reference.as_deref())?;
    if let Some(id) = super::created_before(env.db, Referenced::Asset, reference.as_ref()).await? {
        return store::assets::find(env.db, id)
            .await?
            .ok_or(ApiError::NotFound("asset"));
    }
    let mut errors = FieldErrors::default();
    let model = errors.check(required_text("model", &input.model, 200))?;
    let serial_number = errors.check(required_text("serialNumber", &input.serial_number, 100))?;
    let purchase = errors.check(repair::check_purchase_date(input.purchase_date, env.now))?;
    // Every field error of the input at once.
    let ((model, serial_number), ()) = errors.values(model.zip(serial_number).zip(purchase))?;
    let serial_number = serial_number.to_uppercase();
    let listed = store::product_models::find_by_code(env.db, &model.to_uppercase()).await?;
    let warranty_ends_on = warranty(listed.as_ref(), input.purchase_date, input.warranty_ends_on)?;
    let asset = store::assets::NewAsset {
        customer_id: customer.id,
        model: listed.as_ref().map_or(model, |m| m.code.clone()),
        product_model_id: listed.map(|m| m.id),
        serial_number,
        purchase_date: input.purchase_date,
        warranty_ends_on,
        warranty_verified_at: None,
        reference,
    };
    store::assets::insert(env.db, asset, env.now).await
}

/// The warranty end: the listed model's length from the purchase, or the stated end of a model
/// not in the catalogue, within `repair::MAX_WARRANTY_MONTHS`.
fn warranty(
    listed: Option<&entity::product_models::Model>,
    purchase_date: NaiveDate,
    stated: Option<NaiveDate>,
) -> ApiResult<NaiveDate> {
    match (listed, stated) {
        (Some(_), Some(_)) => Err(ApiError::bad_input(
            "warrantyEndsOn",
            "the warranty of a listed model comes from the product catalogue",
        )),
        (Some(listed), None) => {
            let months = repair::check_warranty_months(listed.warranty_months)?;
            repair::warranty_end(purchase_date, months)
        }
        (None, Some(ends_on)) => {
            repair::check_warranty_end(purchase_date, ends_on)?;
            Ok(ends_on)
        }
        (None, None) => Err(ApiError::bad_input(
            "warrantyEndsOn",
            "state the warranty end of a model not in the product catalogue",
        )),
    }
}

/// Staff checked the proof of purchase of one of their customers' products: the purchase date
/// as it shows, the warranty end from the catalogue (or, for a model not listed, as the proof
/// shows). From now on the warranty makes repairs free (R-REP-1) and returns in the window
/// reason-free (R-REP-4).
pub async fn verify_warranty(
    env: &Env<'_>,
    asset_id: i64,
    purchase_date: NaiveDate,
    warranty_ends_on: Option<NaiveDate>,
) -> ApiResult<assets::Model> {
    env.actor.require(&[Role::Agent, Role::Supervisor])?;
    let staff = env.actor.user()?.id;
    let asset = store::assets::find(env.db, asset_id)
        .await?
        .ok_or(ApiError::NotFound("asset"))?;
    acting_for_customer(env, Some(asset.customer_id))
        .await
        .map_err(|err| match err {
            ApiError::NotFound(_) => ApiError::NotFound("asset"),
            other => other,
        })?;
    repair::check_purchase_date(purchase_date, env.now)?;
    let listed = match asset.product_model_id {
        Some(id) => store::product_models::find(env.db, id).await?,
        None => None,
    };
    let ends_on = warranty(listed.as_ref(), purchase_date, warranty_ends_on)?;
    store::assets::verify(env.db, asset, purchase_date, ends_on, staff, env.now).await
}

/// The customer a caller acts for: customers for themselves (their verified principal, no
/// read), agents and supervisors for their own service centre's customers (phone, walk-in;
/// R-PRV-1), partners for their organization's customers only (R-PRV-7). Anyone else is
/// `FORBIDDEN`; a customer the caller may not act for is `NOT_FOUND`, exactly like one that
/// does not exist, so ids cannot be probed.
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
            Principal::User(staff) => {
                staff.service_centre_id.is_some()
                    && user.service_centre_id == staff.service_centre_id
            }
            Principal::Anonymous => false,
        });
    customer
        .map(|user| UserPrincipal::from(&user))
        .ok_or(ApiError::NotFound("customer"))
}
