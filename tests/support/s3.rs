//! An S3-compatible server for the attachment tests: `moto` (PyPI `moto[server]`, pinned in
//! `tests/s3/requirements.txt`) started on a random loopback port, one per test, stopped when
//! dropped. `.ci/run` installs it into `tests/s3/.venv`; `MOTO_SERVER` may name another
//! `moto_server`. Without one the S3 tests are skipped with a note, except under CI.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use servicedesk::config::{AttachmentStoreKind, Config};

pub struct S3Server {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The bucket the test's attachments go to.
    pub bucket: String,
}

fn moto_server() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        return Some(PathBuf::from(path));
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("s3/.venv/bin/moto_server");
    if venv.exists() {
        return Some(venv);
    }
    let on_path = std::env::var_os("PATH")?;
    std::env::split_paths(&on_path)
        .map(|dir| dir.join("moto_server"))
        .find(|candidate| candidate.exists())
}

impl S3Server {
    /// Starts a server and waits until it answers; `None` (with a note) when none is
    /// installed. Under CI a missing server fails the test instead.
    pub async fn start() -> Option<Self> {
        let Some(program) = moto_server() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "moto_server is missing: run `.ci/run` or see tests/s3/requirements.txt"
            );
            eprintln!("moto_server not found (see tests/s3/requirements.txt): skipping the S3 run");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("starting {}: {err}", program.display()));
        let server = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: format!("sd-test-{}", uuid::Uuid::new_v4().simple()),
        };
        let http = reqwest::Client::new();
        for _ in 0..300 {
            if http.get(&server.endpoint).send().await.is_ok() {
                let created = http
                    .put(format!("{}/{}", server.endpoint, server.bucket))
                    .send()
                    .await
                    .expect("create bucket");
                assert!(created.status().is_success(), "create bucket: {created:?}");
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "moto_server did not answer on {} within 30 s",
            server.endpoint
        );
    }

    /// Points `config`'s attachment store at this server's bucket.
    pub fn use_in(&self, config: &mut Config) {
        let store = &mut config.attachments;
        store.attachment_store = AttachmentStoreKind::S3;
        store.attachment_s3_endpoint = Some(self.endpoint.clone());
        store.attachment_s3_bucket = Some(self.bucket.clone());
        store.attachment_s3_access_key_id = Some("testing".into());
        store.attachment_s3_secret_access_key = Some("testing".into());
        store.attachment_s3_allow_http = true;
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
