//! Ticket lists by last change (issue 13: `orderBy: UPDATED_AT_*`, `updatedSince`): one
//! index per list scope on `(scope, updated_at, id)`, so a page reads its rows in order from
//! the cursor on instead of sorting the scope's tickets.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index, table, scope column) for every list scope.
const INDEXES: [(&str, &str, &str); 6] = [
    (
        "idx_repair_orders_centre_updated",
        "repair_orders",
        "service_centre_id",
    ),
    (
        "idx_repair_orders_organization_updated",
        "repair_orders",
        "organization_id",
    ),
    (
        "idx_repair_orders_customer_updated",
        "repair_orders",
        "customer_id",
    ),
    (
        "idx_repair_orders_technician_updated",
        "repair_orders",
        "technician_id",
    ),
    (
        "idx_complaints_centre_updated",
        "complaints",
        "service_centre_id",
    ),
    (
        "idx_complaints_organization_updated",
        "complaints",
        "organization_id",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, scope) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Alias::new(table))
                        .col(Alias::new(scope))
                        .col(Alias::new("updated_at"))
                        .col(Alias::new("id"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
