//! A customer's product. Its warranty decides the arrival limit and whether repair is free.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub customer_id: i64,
    /// The catalogue code when the model is listed; with `serial_number`, unique.
    pub model: String,
    /// Upper-cased.
    pub serial_number: String,
    pub purchase_date: Date,
    /// Last day covered by the warranty, inclusive: from the product model's warranty length,
    /// or as stated for a model not listed. It counts only once verified.
    pub warranty_ends_on: Date,
    pub created_at: DateTimeUtc,
    pub product_model_id: Option<i64>,
    /// When staff checked the proof of purchase; until then the warranty is a claim that makes
    /// nothing free (R-REP-1, R-REP-4).
    pub warranty_verified_at: Option<DateTimeUtc>,
    /// Who verified it; `None` for assets loaded as verified (seed, fixtures).
    pub warranty_verified_by: Option<i64>,
    /// The creating client's own id for it, unique per `reference_owner` (issue 13).
    pub external_reference: Option<String>,
    /// `org:<id>` for a partner organization, `user:<id>` for a user.
    pub reference_owner: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::CustomerId",
        to = "super::users::Column::Id"
    )]
    Customer,
}

impl ActiveModelBehavior for ActiveModel {}
