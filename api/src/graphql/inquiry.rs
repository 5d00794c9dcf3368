//! Inquiries over GraphQL (R-SLA-11): `askInquiry`, `passInquiry`, `answerInquiry`,
//! `convertInquiry`; `inquiry(id)`, `inquiries` for staff and partners, `myInquiries` for
//! customers. One type for everyone: internal fields are staff-only.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entity::complaints::{ComplaintCategory, ComplaintChannel, Severity};
use entity::inquiries::{self, InquiryChannel, InquiryStatus};
use entity::repair_orders::{Priority, RequestType};
use entity::ticket_events::TicketKind;
use entity::users::Role;

use super::loaders::{DisclosureKey, EscalationsKey, InquiryEventsKey, loaders};
use super::pagination::{KeysetConnection, PageRequest};
use super::repair::TimelineEvent;
use super::scalars::{NodeType, id, key};
use super::{RoleGuard, env, sla};
use crate::domain::identity::Principal;
use crate::domain::inquiry::sees_internals;
use crate::domain::privacy;
use crate::error::ApiError;
use crate::services::inquiries as service;
use crate::store::inquiries::{ListFilter, Scope};

/// Staff who read an inquiry's internal fields.
const STAFF: &[Role] = &[Role::Agent, Role::Supervisor, Role::Technician];

/// An inquiry as its readers see it.
pub struct Inquiry(pub inquiries::Model);

/// A customer's question, not a fault or complaint (咨询, R-SLA-11). Customers see their own,
/// agents and supervisors their centre's, partners their organization's customers', a
/// technician those passed to them; admins none (`NOT_FOUND`).
#[Object]
impl Inquiry {
    /// The inquiry's id (opaque global id, `Node`).
    pub(crate) async fn id(&self) -> ID {
        id(NodeType::Inquiry, self.0.id)
    }
    /// e.g. `IQ-20261211-000042`.
    async fn number(&self) -> &str {
        &self.0.number
    }
    /// OPEN (the reply clock runs), PASSED (to the person in charge), ANSWERED or CONVERTED.
    async fn status(&self) -> InquiryStatus {
        self.0.status
    }
    /// How the customer asked.
    async fn channel(&self) -> InquiryChannel {
        self.0.channel
    }
    /// The question in the customer's words. A partner reads `[withheld: no disclosure
    /// consent]` unless it asked the question itself or the customer's disclosure consent for
    /// its organization is in force (R-PRV-12).
    async fn question(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(if self.disclosed(ctx).await? {
            self.0.question.clone()
        } else {
            privacy::WITHHELD.to_owned()
        })
    }
    /// The reply the customer got; null until answered. Withheld from partners as `question`
    /// (R-PRV-12).
    async fn answer(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let Some(answer) = &self.0.answer else {
            return Ok(None);
        };
        Ok(Some(if self.disclosed(ctx).await? {
            answer.clone()
        } else {
            privacy::WITHHELD.to_owned()
        }))
    }
    /// The customer who asked.
    async fn customer_id(&self) -> ID {
        id(NodeType::User, self.0.customer_id)
    }
    /// The centre that answers it.
    async fn service_centre_id(&self) -> ID {
        id(NodeType::ServiceCentre, self.0.service_centre_id)
    }
    /// The person in charge it was passed to. Staff only (`FORBIDDEN` for customers and
    /// partners).
    #[graphql(guard = "RoleGuard(STAFF)")]
    async fn handler_id(&self) -> Option<ID> {
        self.0.handler_id.map(|k| id(NodeType::User, k))
    }
    /// When it was passed to the person in charge.
    async fn passed_at(&self) -> Option<DateTime<Utc>> {
        self.0.passed_at
    }
    /// The reply time the agent promised the customer; it replaces the 30-minute limit
    /// (R-SLA-11).
    async fn promised_reply_at(&self) -> Option<DateTime<Utc>> {
        self.0.promised_reply_at
    }
    /// When it was answered.
    async fn answered_at(&self) -> Option<DateTime<Utc>> {
        self.0.answered_at
    }
    /// The kind of ticket it was converted into: REPAIR_ORDER or COMPLAINT.
    async fn converted_kind(&self) -> Option<TicketKind> {
        self.0.converted_kind
    }
    /// The id of the repair order or complaint it was converted into (a `RepairOrder` or
    /// `Complaint` id).
    async fn converted_id(&self) -> Option<ID> {
        match (self.0.converted_kind, self.0.converted_id) {
            (Some(kind), Some(key)) => Some(id(NodeType::of_ticket(kind), key)),
            _ => None,
        }
    }
    /// When it was converted.
    async fn converted_at(&self) -> Option<DateTime<Utc>> {
        self.0.converted_at
    }
    /// 1 = agent, 2 = supervisor, 3 = top level: a missed reply climbs a level (R-ESC-2).
    /// Staff only.
    #[graphql(guard = "RoleGuard(STAFF)")]
    async fn escalation_level(&self) -> i32 {
        i32::from(self.0.escalation_level)
    }
    /// Its escalations, oldest first. Staff only.
    #[graphql(guard = "RoleGuard(STAFF)")]
    async fn escalations(&self, ctx: &Context<'_>) -> Result<Vec<super::complaint::Escalation>> {
        let rows = loaders(ctx)?
            .load_one(EscalationsKey(TicketKind::Inquiry, self.0.id))
            .await?
            .unwrap_or_default();
        Ok(rows
            .iter()
            .cloned()
            .map(super::complaint::Escalation::from)
            .collect())
    }
    /// Optimistic-concurrency version; every change moves it on.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When it was asked.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Last change.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Its reply clock (R-SLA-11): 30 minutes from the question, or the promised time; none
    /// when it was answered on the spot.
    async fn sla_clocks(&self, ctx: &Context<'_>) -> Result<Vec<sla::SlaClock>> {
        sla::clocks_of(ctx, TicketKind::Inquiry, self.0.id).await
    }
    /// The timeline: public entries for customers and partners; the clocks' own entries
    /// (`SLA_STARTED`, …, staff only) only with `sla: true`.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = false,
            desc = "Include the SLA clocks' own entries (staff only)."
        )]
        sla: bool,
    ) -> Result<Vec<TimelineEvent>> {
        let internal = sees_internals(super::principal(ctx));
        let rows = loaders(ctx)?
            .load_one(InquiryEventsKey(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(rows
            .iter()
            .filter(|e| internal || e.public)
            .filter(|e| sla || !crate::domain::sla::transitions::is_clock_event(&e.action))
            .cloned()
            .map(TimelineEvent::from)
            .collect())
    }
}

impl Inquiry {
    /// R-PRV-12: the viewer may read the customer's words. Everyone who sees the inquiry does,
    /// except a partner, which needs to have asked it itself or a consent in force for its
    /// organization (as for repair orders).
    async fn disclosed(&self, ctx: &Context<'_>) -> Result<bool> {
        let Principal::Partner {
            organization_id, ..
        } = super::principal(ctx)
        else {
            return Ok(true);
        };
        let filed_by_partner = self.0.channel == InquiryChannel::Partner;
        let basis_in_force = !filed_by_partner
            && loaders(ctx)?
                .load_one(DisclosureKey {
                    customer_id: self.0.customer_id,
                    organization_id: *organization_id,
                })
                .await?
                .is_some();
        Ok(privacy::partner_receives(filed_by_partner, basis_in_force))
    }
}

/// A question to record (R-SLA-11).
#[derive(InputObject)]
pub struct AskInquiryInput {
    /// Required for staff and partners; customers ask for themselves. Staff act for their own
    /// centre's customers, partners for their organization's.
    customer_id: Option<ID>,
    /// Staff record into their own centre; customers and partners into the customer's home
    /// centre unless they name one.
    service_centre_id: Option<ID>,
    /// How the customer asked: staff say it (PHONE by default; not APP or PARTNER); customers'
    /// are APP, partners' PARTNER.
    channel: Option<InquiryChannel>,
    /// The question (1–4,000 characters).
    question: String,
    /// An agent or supervisor who answers at once gives the answer (1–4,000 characters): the
    /// inquiry is ANSWERED on the spot and runs no clock. `BAD_USER_INPUT` from others.
    answer: Option<String>,
}

/// What an inquiry is converted into.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum InquiryConversion {
    /// A repair order (a fault, a return or exchange): give `repairOrder`.
    RepairOrder,
    /// A complaint: give `complaint`.
    Complaint,
}

/// The complaint an inquiry becomes.
#[derive(InputObject)]
pub struct InquiryComplaintInput {
    /// What it is about; PROPERTY_DAMAGE and INJURY make it at least SERIOUS (R-CLS-2).
    category: ComplaintCategory,
    /// Defaults to GENERAL (R-CLS-1..3).
    severity: Option<Severity>,
    /// How the customer complained; defaults to the inquiry's channel (required for a
    /// partner's inquiry; not APP).
    channel: Option<ComplaintChannel>,
    /// The complaint (1–4,000 characters); the question when omitted.
    description: Option<String>,
}

/// The repair order an inquiry becomes; it is reported by phone (in person for a walk-in
/// inquiry), so its contact clock is met.
#[derive(InputObject)]
pub struct InquiryRepairOrderInput {
    /// The customer's product.
    asset_id: ID,
    /// REPAIR by default.
    request_type: Option<RequestType>,
    /// NORMAL by default.
    priority: Option<Priority>,
    /// Where the technician goes (1–500 characters).
    service_address: String,
    /// The phone to reach the customer on.
    contact_phone: String,
    /// The fault (1–2,000 characters); the question when omitted.
    fault_description: Option<String>,
}

/// Narrows an inquiry list; all given conditions must hold.
#[derive(InputObject, Default)]
pub struct InquiryFilter {
    /// Any of these statuses.
    status: Option<Vec<InquiryStatus>>,
    /// Inquiries whose reply clock runs past its due time.
    overdue: Option<bool>,
    /// Passed to this person in charge.
    handler_id: Option<ID>,
}

/// The result of `convertInquiry`.
pub struct ConvertedInquiry {
    inquiry: inquiries::Model,
    kind: TicketKind,
    ticket_id: i64,
}

/// An inquiry converted into a repair order or complaint (R-SLA-11), and what it became.
#[Object]
impl ConvertedInquiry {
    /// The inquiry, now CONVERTED.
    async fn inquiry(&self) -> Inquiry {
        Inquiry(self.inquiry.clone())
    }
    /// REPAIR_ORDER or COMPLAINT.
    async fn kind(&self) -> TicketKind {
        self.kind
    }
    /// The new repair order's or complaint's id.
    async fn ticket_id(&self) -> ID {
        id(NodeType::of_ticket(self.kind), self.ticket_id)
    }
}

#[derive(Default)]
pub struct InquiryQuery;

#[Object]
impl InquiryQuery {
    /// One inquiry by id, for whoever may see it (R-SLA-11). `NOT_FOUND` otherwise.
    async fn inquiry(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The inquiry's id.")] id: ID,
    ) -> Result<Inquiry> {
        let env = env(ctx)?;
        let inquiry = service::get(&env, key(&id, NodeType::Inquiry)?).await?;
        record_read(ctx, &[ctx.look_ahead()], &[inquiry.customer_id]).await?;
        Ok(Inquiry(inquiry))
    }

    /// The centre's inquiries (agents, supervisors), the organization's (partners) or those
    /// passed to the technician, newest first (R-SLA-11).
    /// `FORBIDDEN` for other roles; `BAD_USER_INPUT` for a bad `first` or `after`.
    #[graphql(
        guard = "RoleGuard(&[Role::Agent, Role::Supervisor, Role::Technician, Role::Partner])",
        complexity = "crate::graphql::pagination::page_cost(first, child_complexity)"
    )]
    async fn inquiries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only inquiries matching this filter.")] filter: Option<InquiryFilter>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; omit for the first page.")]
        after: Option<String>,
    ) -> Result<KeysetConnection<Inquiry>> {
        let env = env(ctx)?;
        let scope = match env.actor {
            Principal::Partner {
                organization_id, ..
            } => Scope::Organization(*organization_id),
            Principal::User(user) if user.role == Role::Technician => Scope::Handler(user.id),
            Principal::User(user) => {
                Scope::ServiceCentre(user.service_centre_id.ok_or(ApiError::Forbidden)?)
            }
            Principal::Anonymous => return Err(ApiError::Unauthenticated.into()),
        };
        let filter = filter.unwrap_or_default();
        let filter = ListFilter {
            statuses: filter.status.unwrap_or_default(),
            overdue: filter.overdue,
            handler_id: filter
                .handler_id
                .map(|h| key(&h, NodeType::User))
                .transpose()?,
        };
        let page = PageRequest::parse(first, after)?;
        let rows = crate::store::inquiries::list(
            env.db,
            scope,
            &filter,
            page.after,
            page.limit(),
            env.now,
        )
        .await?;
        let connection = page.connection(rows, |row| (row.created_at, row.id), Inquiry);
        let people: Vec<i64> = connection
            .edges
            .iter()
            .map(|edge| edge.node.0.customer_id)
            .collect();
        let page = ctx.look_ahead();
        let selected = [page.field("edges").field("node"), page.field("nodes")];
        record_read(ctx, &selected, &people).await?;
        Ok(connection)
    }

    /// The customer's own inquiries, newest first, with their answers (R-SLA-11).
    /// Customers only (`FORBIDDEN` otherwise).
    #[graphql(
        guard = "RoleGuard(&[Role::Customer])",
        complexity = "crate::graphql::pagination::page_cost(first, child_complexity)"
    )]
    async fn my_inquiries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<KeysetConnection<Inquiry>> {
        let env = env(ctx)?;
        let page = PageRequest::parse(first, after)?;
        let rows = crate::store::inquiries::of_customer(
            env.db,
            env.actor.user()?.id,
            page.after,
            page.limit(),
        )
        .await?;
        Ok(page.connection(rows, |row| (row.created_at, row.id), Inquiry))
    }
}

#[derive(Default)]
pub struct InquiryMutation;

#[Object]
impl InquiryMutation {
    /// Records a question from any channel (R-SLA-11): customers (app) for themselves, agents
    /// and supervisors for their centre's customers (say the channel), partners for their
    /// organization's. An agent who answers at once passes `answer`: the inquiry is ANSWERED on
    /// the spot and no clock runs; otherwise it is OPEN and the reply clock starts (30 minutes,
    /// policy INQUIRY/REPLY). `UNAUTHENTICATED` anonymously, `FORBIDDEN` for technicians and
    /// admins, `NOT_FOUND` for a customer the caller cannot act for, `BAD_USER_INPUT` (with
    /// `field`) for invalid fields.
    async fn ask_inquiry(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The question.")] input: AskInquiryInput,
    ) -> Result<Inquiry> {
        let env = env(ctx)?;
        let asked = service::ask(
            &env,
            service::AskInquiry {
                customer_id: input
                    .customer_id
                    .map(|c| key(&c, NodeType::User))
                    .transpose()?,
                service_centre_id: input
                    .service_centre_id
                    .map(|c| key(&c, NodeType::ServiceCentre))
                    .transpose()?,
                channel: input.channel,
                question: input.question,
                answer: input.answer,
            },
        )
        .await?;
        Ok(Inquiry(asked))
    }

    /// Passes an OPEN or PASSED inquiry at once to the person in charge (an active agent,
    /// supervisor or technician of its centre), who holds its reply clock (R-SLA-11). A
    /// `promisedReplyAt` (at least a minute, at most 7 days ahead) replaces the 30-minute
    /// limit. Agents and supervisors of its centre. Errors: `NOT_FOUND`, `FORBIDDEN`,
    /// `INVALID_TRANSITION` (answered or converted), `BAD_USER_INPUT` (`handlerId`,
    /// `promisedReplyAt`, all at once).
    async fn pass_inquiry(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The inquiry's id.")] id: ID,
        #[graphql(desc = "The person in charge (a user id).")] handler_id: ID,
        #[graphql(desc = "The reply time promised to the customer.")] promised_reply_at: Option<
            DateTime<Utc>,
        >,
    ) -> Result<Inquiry> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Inquiry)?;
        let handler = key(&handler_id, NodeType::User)
            .map_err(|_| ApiError::bad_input("handlerId", "no such staff member in this centre"))?;
        Ok(Inquiry(
            service::pass(&env, id, handler, promised_reply_at).await?,
        ))
    }

    /// Answers an OPEN or PASSED inquiry (R-SLA-11): the customer sees the answer; the reply
    /// clock is met (late past its due time). Agents and supervisors of its centre and the
    /// technician it was passed to. Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_TRANSITION`,
    /// `BAD_USER_INPUT` (`answer`: 1–4,000 characters).
    async fn answer_inquiry(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The inquiry's id.")] id: ID,
        #[graphql(desc = "The reply to the customer (1–4,000 characters).")] answer: String,
    ) -> Result<Inquiry> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Inquiry)?;
        Ok(Inquiry(service::answer(&env, id, answer).await?))
    }

    /// Converts an OPEN or PASSED inquiry that turned out to be a fault or a complaint
    /// (R-SLA-11): in one transaction the repair order or complaint is raised by its own rules
    /// (checks, timeline, clocks), both are linked (`Inquiry.convertedId`, and
    /// `RepairOrder.inquiry` / `Complaint.inquiry`), the inquiry ends CONVERTED and its reply
    /// clock stops. Agents and supervisors of its centre. Errors: `NOT_FOUND`, `FORBIDDEN`,
    /// `INVALID_TRANSITION`, `BAD_USER_INPUT` (the input matching `into` missing, or its
    /// fields).
    async fn convert_inquiry(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The inquiry's id.")] id: ID,
        #[graphql(desc = "What it becomes.")] into: InquiryConversion,
        #[graphql(desc = "The complaint, for `into: COMPLAINT`.")] complaint: Option<
            InquiryComplaintInput,
        >,
        #[graphql(desc = "The repair order, for `into: REPAIR_ORDER`.")] repair_order: Option<
            InquiryRepairOrderInput,
        >,
    ) -> Result<ConvertedInquiry> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::Inquiry)?;
        // Checked after the caller is authorized: a missing input is theirs to hear about only
        // when they may convert.
        let conversion = match into {
            InquiryConversion::Complaint => complaint
                .ok_or_else(|| {
                    ApiError::bad_input("complaint", "describe the complaint it becomes")
                })
                .map(|input| service::Conversion::Complaint {
                    category: input.category,
                    severity: input.severity,
                    channel: input.channel,
                    description: input.description,
                }),
            InquiryConversion::RepairOrder => repair_order
                .ok_or_else(|| {
                    ApiError::bad_input("repairOrder", "describe the repair order it becomes")
                })
                .and_then(|input| {
                    Ok(service::Conversion::RepairOrder {
                        asset_id: key(&input.asset_id, NodeType::Asset)?,
                        request_type: input.request_type.unwrap_or(RequestType::Repair),
                        priority: input.priority,
                        service_address: input.service_address,
                        contact_phone: input.contact_phone,
                        fault_description: input.fault_description,
                    })
                }),
        };
        let (inquiry, kind, ticket_id) = service::convert(&env, id, conversion).await?;
        Ok(ConvertedInquiry {
            inquiry,
            kind,
            ticket_id,
        })
    }
}

/// Records a read of inquiries of `people` in the audit log when the query selects their
/// words (R-PRV-3): one entry per page or single read, as for repair orders. `nodes` are where
/// the query selects the inquiry's fields.
async fn record_read(
    ctx: &Context<'_>,
    nodes: &[async_graphql::Lookahead<'_>],
    people: &[i64],
) -> Result<(), ApiError> {
    let fields = ["question", "answer"]
        .into_iter()
        .filter(|field| nodes.iter().any(|node| node.field(field).exists()))
        .collect();
    super::privacy::record_page(
        ctx,
        super::privacy::PageRead {
            subject_kind: "INQUIRY",
            fields,
            people,
        },
    )
    .await
}
