//! Field guard by role: `#[graphql(guard = "RoleGuard(&[Role::Admin])")]`.

use async_graphql::{Context, Guard};
use entity::users::Role;

use super::principal;

/// Lets the field run only for the listed roles; `UNAUTHENTICATED` for anonymous callers,
/// `FORBIDDEN` for other roles.
pub struct RoleGuard(pub &'static [Role]);

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        principal(ctx).require(self.0)?;
        Ok(())
    }
}
