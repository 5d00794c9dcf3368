//! Inquiries (咨询, R-SLA-11): a question, not a fault or a complaint. One that cannot be
//! answered on the spot is passed to the person in charge at once, and the customer gets a
//! reply within the reply clock's limit (30 minutes by default) or at the time the agent
//! promised. An inquiry that turns out to be a fault or a complaint is converted into a repair
//! order or complaint. Who sees an inquiry, which action its status allows, what a promise may
//! be: plain functions.

use chrono::{DateTime, Duration, Utc};
use entity::inquiries::{InquiryChannel, InquiryStatus};
use entity::users::Role;

use super::identity::Principal;
use crate::domain::sla::transitions::ClockOps;
use crate::error::{ApiError, ApiResult};

/// A promise sooner than this is no promise: answer on the spot instead.
pub const MIN_PROMISE: Duration = Duration::minutes(1);
/// The latest reply time an agent may promise: a week ahead.
pub const MAX_PROMISE: Duration = Duration::days(7);

/// What an inquiry is about, as far as its visibility goes.
#[derive(Clone, Copy, Debug)]
pub struct InquiryParties {
    pub customer_id: i64,
    pub service_centre_id: i64,
    pub organization_id: Option<i64>,
    pub handler_id: Option<i64>,
}

impl From<&entity::inquiries::Model> for InquiryParties {
    fn from(inquiry: &entity::inquiries::Model) -> Self {
        Self {
            customer_id: inquiry.customer_id,
            service_centre_id: inquiry.service_centre_id,
            organization_id: inquiry.organization_id,
            handler_id: inquiry.handler_id,
        }
    }
}

/// Like complaints and repair orders (R-PRV-1/7): customers their own, agents and supervisors
/// their centre's, partners their organization's customers'; a technician only the inquiries
/// passed to them; admins none.
pub fn can_view(principal: &Principal, inquiry: &InquiryParties) -> bool {
    match principal {
        Principal::Anonymous => false,
        Principal::Partner {
            organization_id, ..
        } => inquiry.organization_id == Some(*organization_id),
        Principal::User(user) => match user.role {
            Role::Customer => inquiry.customer_id == user.id,
            Role::Agent | Role::Supervisor => {
                user.service_centre_id == Some(inquiry.service_centre_id)
            }
            Role::Technician => inquiry.handler_id == Some(user.id),
            Role::Admin | Role::Partner => false,
        },
    }
}

/// Internal timeline entries (clock rows, hand-overs' notes) are for staff who see it.
pub fn sees_internals(principal: &Principal) -> bool {
    matches!(
        principal.role(),
        Some(Role::Agent | Role::Supervisor | Role::Technician)
    )
}

/// What can happen to an inquiry.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum InquiryAction {
    /// To the person in charge (again, when it goes to someone else).
    Pass,
    Answer,
    Convert,
}

impl InquiryAction {
    /// Who may take the action on an inquiry they see: agents and supervisors of its centre;
    /// the person in charge (a technician too) answers.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Self::Pass | Self::Convert => &[Role::Agent, Role::Supervisor],
            Self::Answer => &[Role::Agent, Role::Supervisor, Role::Technician],
        }
    }

    /// The timeline action it writes.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pass => "PASSED",
            Self::Answer => "ANSWERED",
            Self::Convert => "CONVERTED",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Answer => "answer",
            Self::Convert => "convert",
        }
    }

    /// R-SLA-11: answering meets the reply clock; a conversion stops it (the repair order or
    /// complaint runs by its own clocks); passing leaves it running.
    pub fn clocks(self) -> ClockOps {
        use entity::sla_policies::SlaMetric::Reply;
        match self {
            Self::Pass => ClockOps::default(),
            Self::Answer => ClockOps {
                meet: &[Reply],
                stop_all: true,
                start: &[],
            },
            Self::Convert => ClockOps {
                meet: &[],
                stop_all: true,
                start: &[],
            },
        }
    }
}

/// `NOT_FOUND` when unseen, `FORBIDDEN` when the role may not take the action.
pub fn authorize(
    principal: &Principal,
    action: InquiryAction,
    inquiry: &InquiryParties,
) -> ApiResult<()> {
    if principal.role().is_none() {
        return Err(ApiError::Unauthenticated);
    }
    if !can_view(principal, inquiry) {
        return Err(ApiError::NotFound("inquiry"));
    }
    principal.require(action.roles()).map(|_| ())
}

/// The state machine: open and passed inquiries are passed, answered or converted; answered
/// and converted ones are done.
/// When the inquiry closed: answered or converted (R-PRV-9 seals it a year later, R-PRV-6
/// counts its retention period from then).
pub fn closed_at(inquiry: &entity::inquiries::Model) -> Option<chrono::DateTime<chrono::Utc>> {
    inquiry.answered_at.or(inquiry.converted_at)
}

pub fn next_status(action: InquiryAction, current: InquiryStatus) -> ApiResult<InquiryStatus> {
    use InquiryStatus::*;
    match current {
        Open | Passed => Ok(match action {
            InquiryAction::Pass => Passed,
            InquiryAction::Answer => Answered,
            InquiryAction::Convert => Converted,
        }),
        Answered | Converted => Err(ApiError::InvalidTransition {
            action: action.verb(),
            current: status_name(current),
        }),
    }
}

pub fn status_name(status: InquiryStatus) -> String {
    use sea_orm::ActiveEnum;
    status.to_value()
}

/// The channel an inquiry came by: customers ask in the app, partners over the API; staff say
/// how the customer reached them (a phone call by default).
pub fn channel_for(
    role: Option<Role>,
    requested: Option<InquiryChannel>,
) -> Result<InquiryChannel, (&'static str, String)> {
    match role {
        Some(Role::Customer) => Ok(InquiryChannel::App),
        Some(Role::Partner) | None => Ok(InquiryChannel::Partner),
        _ => match requested.unwrap_or(InquiryChannel::Phone) {
            InquiryChannel::App | InquiryChannel::Partner => Err((
                "channel",
                "staff record PHONE, SMS, CHAT, EMAIL or WALK_IN inquiries".into(),
            )),
            channel => Ok(channel),
        },
    }
}

/// R-SLA-11: a reply time the agent promises is at least a minute and at most a week ahead.
pub fn check_promise(
    promised: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, (&'static str, String)> {
    if promised < now + MIN_PROMISE {
        Err((
            "promisedReplyAt",
            "a promised reply time lies at least a minute ahead".into(),
        ))
    } else if promised > now + MAX_PROMISE {
        Err((
            "promisedReplyAt",
            "a promised reply time lies at most 7 days ahead".into(),
        ))
    } else {
        Ok(promised)
    }
}

/// e.g. `IQ-20261211-000042`: the day asked and the key.
pub fn inquiry_number(asked_at: DateTime<Utc>, id: i64) -> String {
    format!("IQ-{}-{id:06}", asked_at.format("%Y%m%d"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::identity::UserPrincipal;

    #[test]
    fn r_prv_9_an_inquiry_closes_when_answered_or_converted() {
        let at = |h: i64| chrono::DateTime::from_timestamp(h * 3600, 0).unwrap();
        let open = entity::inquiries::Model {
            id: 1,
            number: "IQ-1".into(),
            customer_id: 1,
            service_centre_id: 1,
            organization_id: None,
            channel: InquiryChannel::Phone,
            question: "?".into(),
            answer: None,
            status: InquiryStatus::Open,
            handler_id: None,
            passed_at: None,
            promised_reply_at: None,
            answered_at: None,
            answered_by: None,
            converted_kind: None,
            converted_id: None,
            converted_at: None,
            escalation_level: 1,
            version: 1,
            created_at: at(0),
            updated_at: at(0),
        };
        assert_eq!(closed_at(&open), None);
        let answered = entity::inquiries::Model {
            answered_at: Some(at(2)),
            ..open.clone()
        };
        assert_eq!(closed_at(&answered), Some(at(2)));
        let converted = entity::inquiries::Model {
            converted_at: Some(at(3)),
            ..open
        };
        assert_eq!(closed_at(&converted), Some(at(3)));
    }

    fn user(role: Role, id: i64, centre: Option<i64>) -> Principal {
        Principal::User(UserPrincipal {
            id,
            role,
            service_centre_id: centre,
            organization_id: None,
            sla_tier: None,
        })
    }

    const PARTIES: InquiryParties = InquiryParties {
        customer_id: 1,
        service_centre_id: 10,
        organization_id: Some(20),
        handler_id: Some(5),
    };

    #[test]
    fn r_sla_11_visibility_follows_the_ticket_rules_and_the_handler() {
        assert!(can_view(&user(Role::Customer, 1, None), &PARTIES));
        assert!(!can_view(&user(Role::Customer, 2, None), &PARTIES));
        assert!(can_view(&user(Role::Agent, 3, Some(10)), &PARTIES));
        assert!(!can_view(&user(Role::Agent, 3, Some(11)), &PARTIES));
        assert!(can_view(&user(Role::Technician, 5, Some(10)), &PARTIES));
        assert!(!can_view(&user(Role::Technician, 6, Some(10)), &PARTIES));
        assert!(!can_view(&user(Role::Admin, 7, None), &PARTIES));
        let partner = |organization_id| Principal::Partner {
            organization_id,
            api_key_id: 1,
        };
        assert!(can_view(&partner(20), &PARTIES));
        assert!(!can_view(&partner(21), &PARTIES));
    }

    #[test]
    fn r_sla_11_a_promise_lies_between_a_minute_and_a_week_ahead() {
        let now = Utc::now();
        assert!(check_promise(now, now).is_err());
        assert!(check_promise(now - Duration::hours(1), now).is_err());
        assert!(check_promise(now + Duration::minutes(1), now).is_ok());
        assert!(check_promise(now + Duration::days(7), now).is_ok());
        assert!(check_promise(now + Duration::days(8), now).is_err());
    }

    #[test]
    fn r_sla_11_answered_and_converted_inquiries_are_done() {
        use InquiryStatus::*;
        for action in [
            InquiryAction::Pass,
            InquiryAction::Answer,
            InquiryAction::Convert,
        ] {
            assert!(next_status(action, Open).is_ok());
            assert!(next_status(action, Passed).is_ok());
            assert!(next_status(action, Answered).is_err());
            assert!(next_status(action, Converted).is_err());
        }
        assert_eq!(next_status(InquiryAction::Pass, Passed).unwrap(), Passed);
        assert_eq!(
            InquiryAction::Answer.clocks().meet,
            &[entity::sla_policies::SlaMetric::Reply]
        );
    }

    #[test]
    fn staff_say_the_channel_customers_and_partners_have_theirs() {
        assert_eq!(
            channel_for(Some(Role::Customer), Some(InquiryChannel::Phone)),
            Ok(InquiryChannel::App)
        );
        assert_eq!(
            channel_for(Some(Role::Partner), None),
            Ok(InquiryChannel::Partner)
        );
        assert_eq!(
            channel_for(Some(Role::Agent), None),
            Ok(InquiryChannel::Phone)
        );
        assert!(channel_for(Some(Role::Agent), Some(InquiryChannel::App)).is_err());
    }
}
