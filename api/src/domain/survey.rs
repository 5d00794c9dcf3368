//! Satisfaction survey rules (R-SUR-1, R-CMP-4, R-CMP-6): who may answer, when, and what a
//! valid answer is.

use chrono::{DateTime, Utc};
use entity::surveys;
use entity::users::Role;

use crate::error::{ApiError, ApiResult, FieldErrors};

/// Longest survey comment, in characters.
pub const MAX_COMMENT: usize = 2000;
/// The lowest overall score that counts as satisfied in the satisfaction rate (R-SUR-1).
pub const SATISFIED_FROM: i16 = 4;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SurveyState {
    Pending,
    Submitted,
    Expired,
}

impl SurveyState {
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Submitted => "SUBMITTED",
            Self::Expired => "EXPIRED",
        }
    }
}

/// A survey is answered once; after its expiry it can no longer be.
pub fn state(survey: &surveys::Model, now: DateTime<Utc>) -> SurveyState {
    match survey.submitted_at {
        Some(_) => SurveyState::Submitted,
        None if now >= survey.expires_at => SurveyState::Expired,
        None => SurveyState::Pending,
    }
}

/// Only the ticket's customer answers (anyone else learns nothing: `NOT_FOUND`), once, before
/// expiry (`INVALID_TRANSITION` with the survey's state).
pub fn check_submittable(
    survey: &surveys::Model,
    customer_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if survey.customer_id != customer_id {
        return Err(ApiError::NotFound("survey"));
    }
    match state(survey, now) {
        SurveyState::Pending => Ok(()),
        other => Err(ApiError::InvalidTransition {
            action: "submit the survey",
            current: other.name().to_owned(),
        }),
    }
}

/// Who answered a survey (R-SUR-5): the customer, or a staff member entering what the customer
/// said on the phone, shown as "entered by <staff> on behalf".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnsweredBy {
    Customer(i64),
    OnBehalf { staff_id: i64 },
}

/// R-SUR-5: why staff may not enter a survey's answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnBehalfRefusal {
    /// The staff member worked on the ticket: rating it would be a self-filled rating, a
    /// violation that is recorded.
    SelfRating,
    /// Only agents and supervisors take answers by phone.
    Role,
}

/// R-SUR-5: agents and supervisors enter a customer's answers given by phone; nobody who worked
/// on the ticket (its technician, its handler, anyone on its timeline) rates it.
pub fn may_enter_on_behalf(role: Role, worked_on_ticket: bool) -> Result<(), OnBehalfRefusal> {
    if worked_on_ticket {
        return Err(OnBehalfRefusal::SelfRating);
    }
    match role {
        Role::Agent | Role::Supervisor => Ok(()),
        _ => Err(OnBehalfRefusal::Role),
    }
}

/// The customer's answers as submitted.
#[derive(Clone, Debug)]
pub struct Answers {
    pub timeliness: i32,
    pub attitude: i32,
    pub professionalism: i32,
    pub result: i32,
    pub overall: i32,
    pub comment: Option<String>,
    pub would_recommend: i32,
}

/// Answers checked and narrowed to their stored types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidAnswers {
    pub timeliness: i16,
    pub attitude: i16,
    pub professionalism: i16,
    pub result: i16,
    pub overall: i16,
    pub comment: Option<String>,
    pub would_recommend: i16,
}

fn in_range(field: &'static str, value: i32, low: i16, high: i16) -> ApiResult<i16> {
    i16::try_from(value)
        .ok()
        .filter(|v| (low..=high).contains(v))
        .ok_or_else(|| ApiError::bad_input(field, format!("{field} must be {low} to {high}")))
}

/// Scores 1–5, would-recommend 0–10, comment at most 2,000 characters (blank means none).
/// Every bad answer is reported at once.
pub fn validate(answers: Answers) -> ApiResult<ValidAnswers> {
    let mut errors = FieldErrors::default();
    let mut score = |field, value, low, high| errors.check(in_range(field, value, low, high));
    let timeliness = score("timeliness", answers.timeliness, 1, 5)?;
    let attitude = score("attitude", answers.attitude, 1, 5)?;
    let professionalism = score("professionalism", answers.professionalism, 1, 5)?;
    let result = score("result", answers.result, 1, 5)?;
    let overall = score("overall", answers.overall, 1, 5)?;
    let would_recommend = score("wouldRecommend", answers.would_recommend, 0, 10)?;
    let comment = answers
        .comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    let comment = errors.check(match comment {
        Some(c) if c.chars().count() > MAX_COMMENT => Err(ApiError::bad_input(
            "comment",
            format!("comment must be at most {MAX_COMMENT} characters"),
        )),
        c => Ok(c),
    })?;
    let (((((timeliness, attitude), professionalism), result), overall), would_recommend) = errors
        .values(
            timeliness
                .zip(attitude)
                .zip(professionalism)
                .zip(result)
                .zip(overall)
                .zip(would_recommend),
        )?;
    Ok(ValidAnswers {
        timeliness,
        attitude,
        professionalism,
        result,
        overall,
        comment: comment.flatten(),
        would_recommend,
    })
}

/// R-CMP-6: an overall score at or below the threshold opens a follow-up complaint.
pub fn needs_follow_up(overall: i16, threshold: i16) -> bool {
    overall <= threshold
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use entity::ticket_events::TicketKind;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
    }

    fn survey() -> surveys::Model {
        surveys::Model {
            id: 1,
            ticket_kind: TicketKind::RepairOrder,
            ticket_id: 7,
            customer_id: 5,
            service_centre_id: 1,
            organization_id: None,
            expires_at: now() + Duration::days(14),
            submitted_at: None,
            timeliness: None,
            attitude: None,
            professionalism: None,
            result: None,
            overall: None,
            comment: None,
            would_recommend: None,
            follow_up_complaint_id: None,
            entered_by: None,
            created_at: now(),
        }
    }

    fn answers() -> Answers {
        Answers {
            timeliness: 5,
            attitude: 4,
            professionalism: 3,
            result: 2,
            overall: 1,
            comment: Some("  ok  ".into()),
            would_recommend: 0,
        }
    }

    fn bad_field(answers: Answers) -> &'static str {
        match validate(answers) {
            Err(ApiError::BadUserInput { field, .. }) => field,
            other => panic!("expected bad input, got {other:?}"),
        }
    }

    #[test]
    fn r_sur_1_only_the_customer_answers_once_before_expiry() {
        let mut s = survey();
        assert!(check_submittable(&s, 5, now()).is_ok());
        assert!(matches!(
            check_submittable(&s, 6, now()),
            Err(ApiError::NotFound(_))
        ));
        assert!(matches!(
            check_submittable(&s, 5, s.expires_at),
            Err(ApiError::InvalidTransition { current, .. }) if current == "EXPIRED"
        ));
        s.submitted_at = Some(now());
        assert!(matches!(
            check_submittable(&s, 5, now()),
            Err(ApiError::InvalidTransition { current, .. }) if current == "SUBMITTED"
        ));
        assert_eq!(state(&s, s.expires_at), SurveyState::Submitted);
    }

    #[test]
    fn r_sur_1_scores_and_comment_are_checked() {
        let valid = validate(answers()).unwrap();
        assert_eq!(valid.comment.as_deref(), Some("ok"));
        assert_eq!((valid.overall, valid.would_recommend), (1, 0));
        assert_eq!(
            validate(Answers {
                comment: Some("   ".into()),
                would_recommend: 10,
                ..answers()
            })
            .unwrap()
            .comment,
            None
        );
        assert_eq!(
            bad_field(Answers {
                timeliness: 0,
                ..answers()
            }),
            "timeliness"
        );
        assert_eq!(
            bad_field(Answers {
                overall: 6,
                ..answers()
            }),
            "overall"
        );
        assert_eq!(
            bad_field(Answers {
                would_recommend: 11,
                ..answers()
            }),
            "wouldRecommend"
        );
        assert_eq!(
            bad_field(Answers {
                comment: Some("x".repeat(MAX_COMMENT + 1)),
                ..answers()
            }),
            "comment"
        );
        assert!(
            validate(Answers {
                comment: Some("字".repeat(MAX_COMMENT)),
                ..answers()
            })
            .is_ok()
        );
    }

    #[test]
    fn r_cmp_6_low_overall_score_needs_a_follow_up() {
        assert!(needs_follow_up(1, 2));
        assert!(needs_follow_up(2, 2));
        assert!(!needs_follow_up(3, 2));
    }

    #[test]
    fn r_sur_5_staff_enter_answers_on_behalf_but_never_for_their_own_ticket() {
        assert_eq!(may_enter_on_behalf(Role::Agent, false), Ok(()));
        assert_eq!(may_enter_on_behalf(Role::Supervisor, false), Ok(()));
        for role in [Role::Agent, Role::Supervisor, Role::Technician] {
            assert_eq!(
                may_enter_on_behalf(role, true),
                Err(OnBehalfRefusal::SelfRating)
            );
        }
        assert_eq!(
            may_enter_on_behalf(Role::Technician, false),
            Err(OnBehalfRefusal::Role)
        );
    }
}
