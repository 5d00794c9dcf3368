//! Opaque, type-tagged ids (Relay Global Object Identification): what a client sees of a
//! database key. An id is base64url (no padding) of `Type:key`; decoding checks the tag, so
//! an id of one type never names a record of another (`"3"` was an order, an asset, a
//! complaint and a survey at once).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::ticket_events::TicketKind;

/// Every kind of record a client gets an id for. The tag is the GraphQL type name, so it
/// never changes once published (clients may store ids).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeType {
    RepairOrder,
    Complaint,
    Asset,
    ProductModel,
    RepairLine,
    TimelineEvent,
    User,
    ServiceCentre,
    Organization,
    ApiKey,
    Survey,
    ReturnVisit,
    WebhookEndpoint,
    WebhookMessage,
    SlaClock,
    Escalation,
    Attachment,
    StaffComplaintAlert,
    AuditEntry,
    Export,
    DisclosureConsent,
    Inquiry,
    PartsRequest,
    WarrantyVisit,
}

impl NodeType {
    pub const ALL: [NodeType; 24] = [
        Self::RepairOrder,
        Self::Complaint,
        Self::Asset,
        Self::ProductModel,
        Self::RepairLine,
        Self::TimelineEvent,
        Self::User,
        Self::ServiceCentre,
        Self::Organization,
        Self::ApiKey,
        Self::Survey,
        Self::ReturnVisit,
        Self::WebhookEndpoint,
        Self::WebhookMessage,
        Self::SlaClock,
        Self::Escalation,
        Self::Attachment,
        Self::StaffComplaintAlert,
        Self::AuditEntry,
        Self::Export,
        Self::DisclosureConsent,
        Self::Inquiry,
        Self::PartsRequest,
        Self::WarrantyVisit,
    ];

    /// The tag inside the id: the GraphQL type name.
    pub fn tag(self) -> &'static str {
        match self {
            Self::RepairOrder => "RepairOrder",
            Self::Complaint => "Complaint",
            Self::Asset => "Asset",
            Self::ProductModel => "ProductModel",
            Self::RepairLine => "RepairLine",
            Self::TimelineEvent => "TimelineEvent",
            Self::User => "User",
            Self::ServiceCentre => "ServiceCentre",
            Self::Organization => "Organization",
            Self::ApiKey => "ApiKey",
            Self::Survey => "Survey",
            Self::ReturnVisit => "ReturnVisit",
            Self::WebhookEndpoint => "WebhookEndpoint",
            Self::WebhookMessage => "WebhookMessage",
            Self::SlaClock => "SlaClock",
            Self::Escalation => "Escalation",
            Self::Attachment => "Attachment",
            Self::StaffComplaintAlert => "StaffComplaintAlert",
            Self::AuditEntry => "AuditEntry",
            Self::Export => "Export",
            Self::DisclosureConsent => "DisclosureConsent",
            Self::Inquiry => "Inquiry",
            Self::PartsRequest => "PartsRequest",
            Self::WarrantyVisit => "WarrantyVisit",
        }
    }

    /// How error messages name it (`NOT_FOUND`: "repair order not found").
    pub fn what(self) -> &'static str {
        match self {
            Self::RepairOrder => "repair order",
            Self::Complaint => "complaint",
            Self::Asset => "asset",
            Self::ProductModel => "product model",
            Self::RepairLine => "repair line",
            Self::TimelineEvent => "timeline event",
            Self::User => "user",
            Self::ServiceCentre => "service centre",
            Self::Organization => "organization",
            Self::ApiKey => "API key",
            Self::Survey => "survey",
            Self::ReturnVisit => "return visit",
            Self::WebhookEndpoint => "webhook endpoint",
            Self::WebhookMessage => "webhook message",
            Self::SlaClock => "SLA clock",
            Self::Escalation => "escalation",
            Self::Attachment => "attachment",
            Self::StaffComplaintAlert => "staff complaint alert",
            Self::AuditEntry => "audit entry",
            Self::Export => "export",
            Self::DisclosureConsent => "disclosure consent",
            Self::Inquiry => "inquiry",
            Self::PartsRequest => "parts request",
            Self::WarrantyVisit => "warranty visit",
        }
    }

    fn from_tag(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.tag() == tag)
    }

    /// The type of a ticket's id (timeline entries, clocks and escalations name their ticket
    /// by kind and key).
    pub fn of_ticket(kind: TicketKind) -> Self {
        match kind {
            TicketKind::RepairOrder => Self::RepairOrder,
            TicketKind::Complaint => Self::Complaint,
            TicketKind::ReturnVisit => Self::ReturnVisit,
            TicketKind::Inquiry => Self::Inquiry,
        }
    }
}

/// The client's id of record `key` of type `node`.
pub fn encode(node: NodeType, key: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{key}", node.tag()))
}

/// The type and key an id names; `None` for anything this server did not hand out.
pub fn decode(id: &str) -> Option<(NodeType, i64)> {
    // Longest tag, a colon and an i64: anything longer is not an id of ours.
    if id.len() > 64 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(id).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let (tag, key) = text.split_once(':')?;
    let node = NodeType::from_tag(tag)?;
    // Only the canonical spelling: no sign, no leading zeros, so one record has one id.
    let key: i64 = key.parse().ok()?;
    (key > 0 && key.to_string() == text[tag.len() + 1..]).then_some((node, key))
}

/// The key `id` names if it is an id of type `node`.
pub fn decode_as(id: &str, node: NodeType) -> Option<i64> {
    decode(id).filter(|(t, _)| *t == node).map(|(_, key)| key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_for_every_type_and_name_no_other_type() {
        for node in NodeType::ALL {
            let id = encode(node, 42);
            assert_eq!(decode(&id), Some((node, 42)), "{id}");
            assert!(!id.contains('='), "no padding");
            for other in NodeType::ALL.into_iter().filter(|o| *o != node) {
                assert_eq!(decode_as(&id, other), None);
            }
        }
        assert_eq!(
            decode_as(&encode(NodeType::User, i64::MAX), NodeType::User),
            Some(i64::MAX)
        );
    }

    #[test]
    fn anything_not_handed_out_decodes_to_nothing() {
        let b = |s: &str| URL_SAFE_NO_PAD.encode(s);
        for bad in [
            "".to_owned(),
            "3".to_owned(),
            "!!".to_owned(),
            b("RepairOrder"),
            b("RepairOrder:"),
            b("RepairOrder:0"),
            b("RepairOrder:-1"),
            b("RepairOrder:+1"),
            b("RepairOrder:01"),
            b("RepairOrder:1:2"),
            b("Nope:1"),
            b("repairorder:1"),
            b(&format!("RepairOrder:{}", u64::MAX)),
            "x".repeat(1000),
        ] {
            assert_eq!(decode(&bad), None, "{bad}");
        }
    }
}
