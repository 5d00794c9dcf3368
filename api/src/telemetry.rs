//! Trace export over OpenTelemetry when `OTEL_EXPORTER_OTLP_ENDPOINT` is set: the HTTP request
//! span of tower-http's `TraceLayer` and the GraphQL operation span of `metrics::Observe`, sent
//! in batches as OTLP/HTTP protobuf to `<endpoint>/v1/traces`. Unset, nothing is built and the
//! logs are as before.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::registry::LookupSpan;

/// The span exporter of this process.
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Telemetry {
    /// `None` without an endpoint. `endpoint` is the collector's base URL (plain HTTP, as a
    /// local agent or sidecar serves it), `http://127.0.0.1:4318` for a collector's default.
    pub fn new(endpoint: Option<&str>, service_name: &str) -> anyhow::Result<Option<Self>> {
        let Some(endpoint) = endpoint.map(str::trim).filter(|e| !e.is_empty()) else {
            return Ok(None);
        };
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
            .build()?;
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(
                Resource::builder()
                    .with_service_name(service_name.to_owned())
                    .build(),
            )
            .build();
        Ok(Some(Self { provider }))
    }

    /// The layer that turns spans into exported ones: the HTTP request spans and ours, not
    /// every library's, and no log events (those stay in the log).
    pub fn layer<S>(&self) -> impl Layer<S> + use<S>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        tracing_opentelemetry::layer()
            .with_tracer(self.provider.tracer("servicedesk"))
            .with_filter(filter_fn(|meta| {
                meta.is_span()
                    && (meta.target().starts_with("servicedesk")
                        || meta.target().starts_with("tower_http"))
            }))
    }

    /// Sends the spans still in the batch now; blocks until the collector answered or the
    /// export timed out.
    pub fn flush(&self) {
        if let Err(err) = self.provider.force_flush() {
            tracing::warn!(%err, "exporting traces failed");
        }
    }

    /// Flushes and stops the exporter (at the end of the process).
    pub fn shutdown(self) {
        if let Err(err) = self.provider.shutdown() {
            tracing::warn!(%err, "stopping the trace exporter failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_an_endpoint_nothing_is_exported() {
        assert!(Telemetry::new(None, "servicedesk").unwrap().is_none());
        assert!(Telemetry::new(Some(" "), "servicedesk").unwrap().is_none());
    }
}
