//! Content negotiation for GraphQL responses (GraphQL over HTTP, "Body"): the client's `Accept`
//! picks `application/graphql-response+json` or the legacy `application/json`; the two differ
//! in status codes (see `graphql::status_of`).

use axum::http::{HeaderMap, HeaderValue, header::ACCEPT};

/// A media type a GraphQL response can be sent as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseMedia {
    /// `application/graphql-response+json`: request errors get 4xx, since the body says it is
    /// a GraphQL response whatever the status.
    GraphqlResponse,
    /// `application/json`: every GraphQL response is 200, since a legacy client cannot tell our
    /// 4xx from a proxy's.
    Json,
}

impl ResponseMedia {
    pub fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        })
    }

    fn essence(self) -> &'static str {
        match self {
            Self::GraphqlResponse => "application/graphql-response+json",
            Self::Json => "application/json",
        }
    }
}

/// The media type to answer in, or `None` when the client accepts neither (406). No `Accept`
/// means `application/json`, as does `*/*`: the spec's default for clients that did not say.
/// An `Accept` with no readable range counts as none. Otherwise the type with the higher
/// quality wins; on a tie the one the client named first, and `application/json` when it
/// named neither (a wildcard matched both).
pub fn negotiate(headers: &HeaderMap) -> Option<ResponseMedia> {
    let ranges = ranges(headers);
    if ranges.is_empty() {
        return Some(ResponseMedia::Json);
    }
    let graphql = preference(&ranges, ResponseMedia::GraphqlResponse.essence());
    let json = preference(&ranges, ResponseMedia::Json.essence());
    match (graphql, json) {
        (None, None) => None,
        (Some(_), None) => Some(ResponseMedia::GraphqlResponse),
        (None, Some(_)) => Some(ResponseMedia::Json),
        (Some(g), Some(j)) if g.better_than(&j) => Some(ResponseMedia::GraphqlResponse),
        (Some(_), Some(_)) => Some(ResponseMedia::Json),
    }
}

/// Whether the client accepts HTML by name (a browser), not merely through `*/*`.
pub fn accepts_html(headers: &HeaderMap) -> bool {
    ranges(headers)
        .iter()
        .any(|range| range.essence == "text/html" && range.quality > 0.0)
}

/// One media range of an `Accept` header.
struct Range {
    /// `type/subtype` in lower case; either part may be `*`.
    essence: String,
    quality: f32,
    position: usize,
}

/// How much the client wants one media type: the quality of the most specific range that
/// matches it (RFC 9110 §12.5.1), whether that range names it exactly, and where.
struct Preference {
    quality: f32,
    named: bool,
    position: usize,
}

impl Preference {
    fn better_than(&self, other: &Preference) -> bool {
        if self.quality != other.quality {
            return self.quality > other.quality;
        }
        match (self.named, other.named) {
            (true, true) => self.position < other.position,
            (named, _) => named,
        }
    }
}

/// All ranges of all `Accept` headers; a range whose quality does not parse is left out.
fn ranges(headers: &HeaderMap) -> Vec<Range> {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|item| {
            let mut parts = item.split(';');
            let essence = parts.next()?.trim().to_ascii_lowercase();
            if essence.is_empty() {
                return None;
            }
            let mut quality = 1.0;
            for parameter in parts {
                if let Some((name, value)) = parameter.split_once('=')
                    && name.trim().eq_ignore_ascii_case("q")
                {
                    quality = value
                        .trim()
                        .parse::<f32>()
                        .ok()
                        .filter(|q| (0.0..=1.0).contains(q))?;
                }
            }
            Some((essence, quality))
        })
        .enumerate()
        .map(|(position, (essence, quality))| Range {
            essence,
            quality,
            position,
        })
        .collect()
}

/// `None` when no range matches `essence` or the most specific one gives it quality 0.
fn preference(ranges: &[Range], essence: &str) -> Option<Preference> {
    let (kind, _) = essence.split_once('/')?;
    let specificity = |range: &Range| {
        if range.essence == essence {
            Some(2)
        } else if range.essence.strip_suffix("/*") == Some(kind) {
            Some(1)
        } else if range.essence == "*/*" {
            Some(0)
        } else {
            None
        }
    };
    let (specificity, range) = ranges
        .iter()
        .filter_map(|range| specificity(range).map(|s| (s, range)))
        // The most specific; among equals the first.
        .min_by_key(|(specificity, range)| (std::cmp::Reverse(*specificity), range.position))?;
    (range.quality > 0.0).then_some(Preference {
        quality: range.quality,
        named: specificity == 2,
        position: range.position,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(ACCEPT, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn pick(value: &str) -> Option<ResponseMedia> {
        negotiate(&accept(&[value]))
    }

    use ResponseMedia::{GraphqlResponse, Json};

    #[test]
    fn absent_or_wildcard_means_json() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(Json));
        assert_eq!(pick("*/*"), Some(Json));
        assert_eq!(pick("application/*"), Some(Json));
        // Nothing readable in it: as if there were no `Accept` (the spec allows ignoring it).
        assert_eq!(pick("application/graphql-response+json;q=high"), Some(Json));
    }

    #[test]
    fn the_named_type_is_answered_in() {
        assert_eq!(
            pick("application/graphql-response+json"),
            Some(GraphqlResponse)
        );
        assert_eq!(pick("Application/JSON; charset=utf-8"), Some(Json));
        assert_eq!(
            pick("application/graphql-response+json, */*;q=0.1"),
            Some(GraphqlResponse)
        );
        assert_eq!(
            pick("*/*, application/graphql-response+json"),
            Some(GraphqlResponse)
        );
    }

    #[test]
    fn quality_then_order_decides() {
        assert_eq!(
            pick("application/graphql-response+json, application/json;q=0.9"),
            Some(GraphqlResponse)
        );
        assert_eq!(
            pick("application/graphql-response+json;q=0.5, application/json"),
            Some(Json)
        );
        assert_eq!(
            pick("application/json, application/graphql-response+json"),
            Some(Json)
        );
        assert_eq!(
            negotiate(&accept(&[
                "application/graphql-response+json",
                "application/json"
            ])),
            Some(GraphqlResponse)
        );
    }

    #[test]
    fn nothing_acceptable_is_none() {
        assert_eq!(pick("text/html"), None);
        assert_eq!(pick("application/xml, text/*"), None);
        assert_eq!(pick("application/json;q=0"), None);
        assert_eq!(
            pick("*/*, application/json;q=0"),
            Some(GraphqlResponse),
            "refused by name, accepted by wildcard"
        );
    }

    #[test]
    fn a_browser_is_told_by_html() {
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert!(accepts_html(&accept(&[browser])));
        assert_eq!(pick(browser), Some(Json));
        assert!(!accepts_html(&accept(&["*/*"])));
        assert!(!accepts_html(&accept(&["text/html;q=0"])));
    }
}
