//! Trace export over OpenTelemetry to a real OTLP/HTTP receiver on loopback. A test binary of
//! its own: the exporting subscriber is the default of this test's thread only, and spans'
//! interest is shared by the whole process, so other tests' traffic must not run beside it.

use serde_json::json;
use servicedesk_tests::{Auth, Backend, TestApp};

/// One OTLP/HTTP request as a collector receives it.
struct Export {
    path: String,
    content_type: String,
    body: Vec<u8>,
}

/// A collector on a loopback port, on a thread of its own (the exporter's flush blocks):
/// reads each POST and answers 200 with an empty protobuf message.
fn otlp_receiver() -> (String, std::sync::mpsc::Receiver<Export>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (sent, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            reader.read_line(&mut line).expect("request line");
            let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
            let (mut length, mut content_type) = (0, String::new());
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).expect("header");
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                let (name, value) = header.split_once(':').unwrap_or_default();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "content-type" => content_type = value.trim().to_owned(),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).expect("body");
            let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
            stream.write_all(answer.as_bytes()).expect("answer");
            if sent
                .send(Export {
                    path,
                    content_type,
                    body,
                })
                .is_err()
            {
                return;
            }
        }
    });
    (url, received)
}

/// With `OTEL_EXPORTER_OTLP_ENDPOINT` set, a request's HTTP span and its GraphQL operation's
/// span reach the collector. The server runs on this test's one thread, where the exporting
/// subscriber is the default (the process-wide one is the tests' log).
#[tokio::test(flavor = "current_thread")]
async fn otel_exports_the_spans_of_a_request() {
    use tracing_subscriber::layer::SubscriberExt;
    let (endpoint, exports) = otlp_receiver();
    let telemetry = servicedesk::telemetry::Telemetry::new(Some(&endpoint), "servicedesk-test")
        .expect("exporter")
        .expect("on with an endpoint");
    let subscriber = tracing_subscriber::registry().with(telemetry.layer());
    let _default = tracing::subscriber::set_default(subscriber);
    let app = TestApp::start(Backend::Sqlite).await;
    app.gql(&Auth::None, "query TracedPing { __typename }", json!({}))
        .await;
    telemetry.flush();
    let export = exports
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("an export");
    assert_eq!(export.path, "/v1/traces");
    assert_eq!(export.content_type, "application/x-protobuf");
    // Protobuf carries strings as they are: the service, the operation and the HTTP span.
    let has = |text: &str| {
        export
            .body
            .windows(text.len())
            .any(|w| w == text.as_bytes())
    };
    assert!(has("servicedesk-test"));
    assert!(has("graphql TracedPing"));
    assert!(has("POST"), "the HTTP request span");
    telemetry.shutdown();
}
