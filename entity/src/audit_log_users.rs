//! The people (customers, mostly) whose personal data an audit entry touched (R-PRV-3): one row per person
//! of the entry, so a customer's own access history (`myDataAccess`) is a range of the key. No foreign key:
//! only `store::audit` writes it, right after the entry (a key check per person cost more than
//! the entry itself, migration 000044).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log_users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub audit_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
