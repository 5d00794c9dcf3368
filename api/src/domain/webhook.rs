//! Webhook rules (issue 13), as plain functions: event type names and endpoint filters, the
//! versioned payload, Standard Webhooks signatures, the retry schedule and which target
//! addresses a server must never be made to call (SSRF).

use std::net::IpAddr;

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use entity::ticket_events::{self, TicketKind};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sea_orm::ActiveEnum;
use sha2::Sha256;
use url::Url;

use super::global_id::{NodeType, encode};

/// Version of `data` in the payload; a breaking change to its fields gets a new one.
/// 2: `eventId` and `ticketId` are the global ids the API uses.
pub const PAYLOAD_VERSION: u32 = 2;

/// Waits after the 1st, 2nd, … failed attempt (svix's schedule); after the last the message
/// has failed. About 28 hours from the first attempt to the last.
pub const RETRY_SCHEDULE: [Duration; 7] = [
    Duration::seconds(5),
    Duration::minutes(5),
    Duration::minutes(30),
    Duration::hours(2),
    Duration::hours(5),
    Duration::hours(10),
    Duration::hours(10),
];

/// An endpoint whose deliveries all failed for this long is disabled.
pub const DISABLE_AFTER: Duration = Duration::days(5);

/// Longest URL accepted: browsers' and servers' common limit.
pub const MAX_URL_LEN: usize = 2048;

/// Most entries of an endpoint's event-type filter, and the longest one.
pub const MAX_EVENT_TYPES: usize = 50;
const MAX_EVENT_TYPE_LEN: usize = 100;

/// Bytes of a response body kept in the delivery log.
pub const BODY_PREFIX_BYTES: usize = 1024;

/// Ticket kinds whose events are sent (a return visit's go on the ticket it visits).
const SENT_KINDS: [TicketKind; 3] = [
    TicketKind::RepairOrder,
    TicketKind::Complaint,
    TicketKind::Inquiry,
];

const SECRET_PREFIX: &str = "whsec_";

/// `repair_order.assigned`: the ticket kind and the timeline action, lower snake case.
pub fn event_type(kind: TicketKind, action: &str) -> String {
    format!(
        "{}.{}",
        kind.to_value().to_lowercase(),
        action.to_lowercase()
    )
}

/// Which event types an endpoint wants: exact types and `kind.*` prefixes; empty for all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter(Vec<String>);

impl EventFilter {
    /// The filter a client sent: each entry `kind.action` or `kind.*` of a ticket kind with
    /// events, in lower snake case.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        if entries.len() > MAX_EVENT_TYPES {
            return Err(format!("at most {MAX_EVENT_TYPES} event types"));
        }
        let mut types = Vec::with_capacity(entries.len());
        for entry in entries {
            let entry = entry.trim();
            let well_formed = entry.len() <= MAX_EVENT_TYPE_LEN
                && entry.split_once('.').is_some_and(|(kind, action)| {
                    (kind == NOTIFICATION_KIND
                        || SENT_KINDS
                            .iter()
                            .any(|k| k.to_value().to_lowercase() == kind))
                        && (action == "*"
                            || (!action.is_empty()
                                && action.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')))
                });
            if !well_formed {
                return Err(format!(
                    "{entry:?} is not an event type such as repair_order.assigned or repair_order.*"
                ));
            }
            if !types.iter().any(|t| t == entry) {
                types.push(entry.to_owned());
            }
        }
        Ok(Self(types))
    }

    /// Whether the endpoint asked for `event_type` by name or by its kind: notifications carry
    /// one-time codes, so an endpoint that takes "everything" does not get them.
    pub fn names(&self, event_type: &str) -> bool {
        !self.0.is_empty() && self.matches(event_type)
    }

    pub fn matches(&self, event_type: &str) -> bool {
        self.0.is_empty()
            || self.0.iter().any(|wanted| match wanted.strip_suffix('*') {
                Some(prefix) => event_type.starts_with(prefix),
                None => wanted == event_type,
            })
    }

    pub fn entries(&self) -> &[String] {
        &self.0
    }

    /// As stored: a JSON list.
    pub fn to_json(&self) -> String {
        serde_json::Value::from(self.0.clone()).to_string()
    }

    /// A stored filter; one that does not read matches nothing rather than everything.
    pub fn from_json(stored: &str) -> Self {
        serde_json::from_str(stored).map_or_else(|_| Self(vec![String::new()]), Self)
    }
}

/// Whether an endpoint may receive an event: an internal endpoint every one; a partner's only
/// the public entries of its organization's tickets (internal notes and staff entries never
/// leave to partners), as the change feed gives the partner.
pub fn visible_to(
    endpoint_organization: Option<i64>,
    event: &ticket_events::Model,
    ticket_organization: Option<i64>,
) -> bool {
    SENT_KINDS.contains(&event.ticket_kind)
        && match endpoint_organization {
            None => true,
            Some(organization) => event.public && ticket_organization == Some(organization),
        }
}

/// The body of a message (Standard Webhooks JSON): the event type, when it happened, and the
/// timeline entry with its change-feed `cursor`, from which a receiver can resume the feed.
pub fn payload(event: &ticket_events::Model, cursor: &str) -> String {
    let time = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    serde_json::json!({
        "type": event_type(event.ticket_kind, &event.action),
        "timestamp": time(event.created_at),
        "data": {
            "version": PAYLOAD_VERSION,
            "eventId": encode(NodeType::TimelineEvent, event.id),
            "cursor": cursor,
            "ticketKind": event.ticket_kind.to_value(),
            "ticketId": encode(NodeType::of_ticket(event.ticket_kind), event.ticket_id),
            "action": event.action,
            "fromStatus": event.from_status,
            "toStatus": event.to_status,
            "note": event.note,
            "actorRole": event.actor_role,
            "public": event.public,
            "createdAt": time(event.created_at),
        }
    })
    .to_string()
}

/// The kind of notification messages (`notification.sms`, `notification.email`): sent only to
/// internal endpoints that name them in their filter (an SMS or mail gateway).
pub const NOTIFICATION_KIND: &str = "notification";

/// One notification to send: its type, channel, destination and the one-time code.
pub struct Notification<'a> {
    pub event_type: &'a str,
    pub channel: &'a str,
    pub to: &'a str,
    pub purpose: &'a str,
    pub code: &'a str,
    pub text: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// The body of a notification message: where it goes, why, the one-time code and the text to
/// send.
pub fn notification_payload(n: &Notification<'_>, now: DateTime<Utc>) -> String {
    let time = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    serde_json::json!({
        "type": n.event_type,
        "timestamp": time(now),
        "data": {
            "version": 1,
            "channel": n.channel,
            "to": n.to,
            "purpose": n.purpose,
            "code": n.code,
            "text": n.text,
            "expiresAt": time(n.expires_at),
        }
    })
    .to_string()
}

/// A message's `webhook-id`, the same on every attempt.
pub fn message_id() -> String {
    format!("msg_{}", uuid::Uuid::new_v4().simple())
}

/// A new signing secret: `whsec_` and 24 random bytes in base64, as Standard Webhooks
/// libraries read it.
pub fn generate_secret() -> String {
    let mut key = [0u8; 24];
    rand::rng().fill_bytes(&mut key);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` keyed with the secret's decoded
/// bytes; `None` for a secret that is not `whsec_<base64>`.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{msg_id}.{timestamp}.{body}").as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header: one signature per secret in use, space-separated, so a
/// receiver still on the previous secret verifies during a rotation's overlap.
pub fn signature_header(secrets: &[&str], msg_id: &str, timestamp: i64, body: &str) -> String {
    secrets
        .iter()
        .filter_map(|secret| sign(secret, msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The wait before the next attempt after `attempts` failed ones, or `None` when the schedule
/// is over. A `Retry-After` the receiver asked for is honoured when it is later than the
/// schedule, up to the schedule's longest wait.
pub fn next_attempt(attempts: u32, retry_after: Option<Duration>) -> Option<Duration> {
    let index = usize::try_from(attempts.checked_sub(1)?).ok()?;
    let scheduled = *RETRY_SCHEDULE.get(index)?;
    let longest = RETRY_SCHEDULE[RETRY_SCHEDULE.len() - 1];
    Some(retry_after.map_or(scheduled, |asked| scheduled.max(asked.min(longest))))
}

/// A `Retry-After` header value: seconds, or an HTTP date (then the time until it).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u32>() {
        return Some(Duration::seconds(i64::from(seconds)));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).max(Duration::zero()))
}

/// Whether a server may send requests to `ip`: not loopback, private, link-local,
/// unique-local, CGNAT, unspecified, broadcast or multicast (an address inside our own
/// network or on the host, which a webhook URL must not reach: SSRF).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                // CGNAT, 100.64.0.0/10.
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique local fc00::/7 and link-local fe80::/10.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// A webhook URL as a client sent it: http(s), a host, no credentials, at most
/// `MAX_URL_LEN`; with a literal IP host, a public one unless `allow_private`. Host names are
/// resolved and checked by the caller (and again at each delivery).
pub fn parse_url(raw: &str, allow_private: bool) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.len() > MAX_URL_LEN {
        return Err(format!("url must be at most {MAX_URL_LEN} characters"));
    }
    let url = Url::parse(raw).map_err(|err| format!("not a URL: {err}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("url must be http or https".into());
    }
    if url.as_str().len() > MAX_URL_LEN {
        return Err(format!("url must be at most {MAX_URL_LEN} characters"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("url must not contain credentials".into());
    }
    match url.host() {
        None => Err("url must name a host".into()),
        Some(host) => match literal_ip(&host) {
            Some(ip) if !allow_private && !is_public(ip) => {
                Err(format!("{ip} is a private, loopback or link-local address"))
            }
            _ => Ok(url),
        },
    }
}

/// The address of a URL host that is an IP literal.
pub fn literal_ip(host: &url::Host<&str>) -> Option<IpAddr> {
    match host {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(*v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(*v6)),
        url::Host::Domain(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn filter(entries: &[&str]) -> EventFilter {
        EventFilter::parse(&entries.iter().map(|e| (*e).to_owned()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn event_types_name_the_kind_and_the_action() {
        assert_eq!(
            event_type(TicketKind::RepairOrder, "ASSIGNED"),
            "repair_order.assigned"
        );
        assert_eq!(
            event_type(TicketKind::Complaint, "SLA_BREACHED"),
            "complaint.sla_breached"
        );
        assert_eq!(
            event_type(TicketKind::Inquiry, "ANSWERED"),
            "inquiry.answered"
        );
    }

    #[test]
    fn filters_take_exact_types_and_kind_prefixes_and_empty_takes_all() {
        assert!(filter(&[]).matches("complaint.received"));
        let wanted = filter(&["repair_order.*", "complaint.closed"]);
        assert!(wanted.matches("repair_order.assigned"));
        assert!(wanted.matches("complaint.closed"));
        assert!(!wanted.matches("complaint.received"));
        assert_eq!(
            EventFilter::from_json(&wanted.to_json()),
            wanted,
            "stored as JSON"
        );
        assert!(!EventFilter::from_json("garbage").matches("complaint.closed"));
        assert_eq!(
            filter(&["complaint.closed", "complaint.closed"])
                .entries()
                .len(),
            1
        );
        for bad in [
            "*",
            "repair_order",
            "repair.*",
            "REPAIR_ORDER.ASSIGNED",
            "complaint.",
            ".x",
        ] {
            assert!(EventFilter::parse(&[bad.to_owned()]).is_err(), "{bad}");
        }
        assert!(EventFilter::parse(&vec!["complaint.*".to_owned(); MAX_EVENT_TYPES + 1]).is_err());
    }

    #[test]
    fn partners_get_only_public_entries_of_their_organizations_tickets() {
        let event = |public: bool, kind: TicketKind| ticket_events::Model {
            id: 1,
            ticket_kind: kind,
            ticket_id: 2,
            actor_user_id: None,
            actor_api_key_id: None,
            actor_role: "AGENT".into(),
            action: "NOTE_ADDED".into(),
            from_status: None,
            to_status: None,
            note: Some("called the customer".into()),
            public,
            created_at: Utc::now(),
            commit_tx: 0,
        };
        let public = event(true, TicketKind::RepairOrder);
        let internal = event(false, TicketKind::Complaint);
        assert!(visible_to(Some(7), &public, Some(7)));
        assert!(!visible_to(Some(7), &public, Some(8)));
        assert!(!visible_to(Some(7), &public, None));
        assert!(!visible_to(Some(7), &internal, Some(7)));
        assert!(
            visible_to(None, &internal, None),
            "internal endpoints get everything"
        );
        assert!(!visible_to(
            None,
            &event(true, TicketKind::ReturnVisit),
            None
        ));
        let body: serde_json::Value = serde_json::from_str(&payload(&public, "c1")).unwrap();
        assert_eq!(body["type"], "repair_order.note_added");
        assert_eq!(body["data"]["version"], 2);
        assert_eq!(body["data"]["cursor"], "c1");
        assert_eq!(body["data"]["ticketId"], encode(NodeType::RepairOrder, 2));
    }

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert!(sign("no-prefix", "msg", 1, body).is_none());
        let other = generate_secret();
        let both = signature_header(&[secret, &other], "msg_1", 5, body);
        let parts: Vec<&str> = both.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1], sign(&other, "msg_1", 5, body).unwrap());
    }

    #[test]
    fn secrets_are_fresh_and_decodable() {
        let (a, b) = (generate_secret(), generate_secret());
        assert_ne!(a, b);
        assert_eq!(
            STANDARD
                .decode(a.strip_prefix("whsec_").unwrap())
                .unwrap()
                .len(),
            24
        );
    }

    #[test]
    fn retries_follow_the_schedule_then_stop_and_honour_a_later_retry_after() {
        assert_eq!(next_attempt(1, None), Some(Duration::seconds(5)));
        assert_eq!(next_attempt(2, None), Some(Duration::minutes(5)));
        assert_eq!(next_attempt(7, None), Some(Duration::hours(10)));
        assert_eq!(next_attempt(8, None), None);
        assert_eq!(next_attempt(0, None), None);
        let minute = Some(Duration::minutes(1));
        assert_eq!(next_attempt(1, minute), Some(Duration::minutes(1)));
        assert_eq!(next_attempt(2, minute), Some(Duration::minutes(5)));
        assert_eq!(
            next_attempt(1, Some(Duration::days(3))),
            Some(Duration::hours(10)),
            "capped"
        );
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        assert_eq!(parse_retry_after("120", now), Some(Duration::minutes(2)));
        assert_eq!(
            parse_retry_after("Mon, 02 Nov 2026 09:30:00 GMT", now),
            Some(Duration::minutes(30))
        );
        assert_eq!(
            parse_retry_after("Mon, 02 Nov 2026 08:00:00 GMT", now),
            Some(Duration::zero())
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn internal_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "100.128.0.1", "2606:4700::1111", "8.8.8.8"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn urls_are_http_without_credentials_and_not_too_long() {
        assert!(parse_url("https://hooks.example.com/in", false).is_ok());
        assert!(parse_url("http://127.0.0.1:9000/in", true).is_ok());
        for bad in [
            "ftp://example.com/",
            "https://user:pass@example.com/",
            "https://user@example.com/",
            "not a url",
            "http://127.0.0.1/",
            "http://[::1]/",
            "http://10.0.0.7/",
            "http://169.254.169.254/latest/meta-data",
            "http://0x7f.1/",
        ] {
            assert!(parse_url(bad, false).is_err(), "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(parse_url(&long, true).is_err());
    }
}
