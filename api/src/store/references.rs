//! Rows created with a client reference, found by it (see `domain::reference`).

use sea_orm::{ConnectionTrait, Statement};

use crate::domain::reference::ClientReference;
use crate::error::ApiResult;

/// What carries client references.
#[derive(Clone, Copy, Debug)]
pub enum Referenced {
    RepairOrder,
    Complaint,
    Asset,
}

impl Referenced {
    fn table(self) -> &'static str {
        match self {
            Self::RepairOrder => "repair_orders",
            Self::Complaint => "complaints",
            Self::Asset => "assets",
        }
    }
}

/// The id of the row `reference` made, if its owner used it before.
pub async fn find(
    db: &impl ConnectionTrait,
    of: Referenced,
    reference: &ClientReference,
) -> ApiResult<Option<i64>> {
    let backend = db.get_database_backend();
    let placeholders = match backend {
        sea_orm::DbBackend::Postgres => ("$1", "$2"),
        _ => ("?", "?"),
    };
    let sql = format!(
        "SELECT id FROM {} WHERE reference_owner = {} AND external_reference = {}",
        of.table(),
        placeholders.0,
        placeholders.1
    );
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                reference.owner.clone().into(),
                reference.reference.clone().into(),
            ],
        ))
        .await?;
    Ok(row.map(|row| row.try_get::<i64>("", "id")).transpose()?)
}
