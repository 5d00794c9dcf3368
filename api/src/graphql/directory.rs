//! Who works where: the service centres (public) and the technicians an agent dispatches.

use async_graphql::{Context, ID, InputObject, Object, Result};
use entity::users::Role;
use sea_orm::Set;

use super::identity::{ServiceCentre, User, change_user};
use super::scalars::{NodeType, key};
use super::{RoleGuard, env, services};
use crate::domain::technician::{Wanted, parse_region, parse_skills};
use crate::error::ApiError;
use crate::store;

/// Which technicians to list; every given condition must hold.
#[derive(InputObject, Default)]
pub struct TechnicianFilter {
    /// Technicians having every one of these skills (case-insensitive).
    skills: Option<Vec<String>>,
    /// Technicians of this region (case-insensitive).
    region: Option<String>,
    /// true: only technicians with no order to work on (none ASSIGNED, ACCEPTED, EN_ROUTE,
    /// ON_SITE, REOPENED or waiting); false: only busy ones.
    available: Option<bool>,
}

#[derive(Default)]
pub struct DirectoryQuery;

#[Object]
impl DirectoryQuery {
    /// Every service centre: id, name and time zone (nothing private), for anyone, signed in
    /// or not (a customer picks a home centre when signing up).
    async fn service_centres(&self, ctx: &Context<'_>) -> Result<Vec<ServiceCentre>> {
        let db = &services(ctx)?.db;
        let centres = store::directory::service_centres(db).await?;
        Ok(centres.into_iter().map(ServiceCentre::from).collect())
    }

    /// The active technicians of the caller's service centre, by name, to pick whom to
    /// dispatch (`assignTechnician`). Agents and supervisors only (`FORBIDDEN` otherwise);
    /// `BAD_USER_INPUT` for a malformed skill or region.
    #[graphql(guard = "RoleGuard(&[Role::Agent, Role::Supervisor])")]
    async fn technicians(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Optional narrowing by skills and region; all of the centre's technicians without it."
        )]
        filter: Option<TechnicianFilter>,
    ) -> Result<Vec<User>> {
        let env = env(ctx)?;
        let centre = env
            .actor
            .user()?
            .service_centre_id
            .ok_or(ApiError::Forbidden)?;
        let filter = filter.unwrap_or_default();
        let wanted = Wanted {
            skills: parse_skills("filter.skills", &filter.skills.unwrap_or_default())?,
            region: filter
                .region
                .as_deref()
                .map(parse_region)
                .transpose()?
                .flatten(),
        };
        let mut technicians: Vec<_> = store::users::technicians_of_centre(env.db, centre)
            .await?
            .into_iter()
            .filter(|t| wanted.matches(t))
            .collect();
        if let Some(available) = filter.available {
            let ids: Vec<i64> = technicians.iter().map(|t| t.id).collect();
            let busy = store::repair_orders::busy_technicians(env.db, &ids).await?;
            technicians.retain(|t| busy.contains(&t.id) != available);
        }
        Ok(technicians.into_iter().map(User).collect())
    }
}

#[derive(Default)]
pub struct DirectoryMutation;

#[Object]
impl DirectoryMutation {
    /// Admins record a technician's skills and region (what `technicians(filter)` matches).
    /// `skills` replaces the list (at most 20 labels of 1–40 letters, digits, `_`, `-`;
    /// stored upper-case); an empty `region` clears it. `NOT_FOUND` for an unknown user,
    /// `BAD_USER_INPUT` (`userId`) for one who is not a technician.
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn set_technician_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The technician's user id (another role: `BAD_USER_INPUT`).")] user_id: ID,
        #[graphql(desc = "The skills the technician has; replaces the previous list.")] skills: Vec<
            String,
        >,
        #[graphql(desc = "The region the technician covers; empty clears it.")] region: Option<
            String,
        >,
    ) -> Result<User> {
        let svc = services(ctx)?;
        let user = store::users::get(&svc.db, key(&user_id, NodeType::User)?).await?;
        let skills = parse_skills("skills", &skills)?;
        let region = region.as_deref().map(parse_region).transpose()?.flatten();
        if user.role != Role::Technician {
            return Err(ApiError::bad_input("userId", "not a technician").into());
        }
        let skills =
            serde_json::to_string(&skills).map_err(|err| ApiError::Internal(err.to_string()))?;
        let changed = change_user(svc, user, |m| {
            m.skills = Set(Some(skills));
            m.region = Set(region);
        })
        .await?;
        Ok(User(changed))
    }
}
