//! Shortcuts that drive complaints through the API.

use chrono::Duration;
use serde_json::{Value, json};

use crate::{Auth, GqlResponse, RepairWorld, TestApp, TestUser};

/// Fields the shortcuts read back from a complaint.
pub const COMPLAINT_FIELDS: &str = "id number version status resolvedAt closedAt";

impl TestApp {
    /// Runs a complaint mutation `name(id, version, <args>)` and returns the raw response.
    pub async fn complaint_op(
        &self,
        auth: &Auth,
        name: &str,
        complaint: &Value,
        args: &str,
    ) -> GqlResponse {
        let query = format!(
            "mutation($id: ID!, $version: Int!) {{ {name}(id: $id, version: $version{args}) {{ {COMPLAINT_FIELDS} }} }}"
        );
        self.gql(
            auth,
            &query,
            json!({ "id": complaint["id"], "version": complaint["version"] }),
        )
        .await
    }

    /// Like `complaint_op`, expecting success; returns the updated complaint.
    pub async fn complaint_ok(
        &self,
        auth: &Auth,
        name: &str,
        complaint: &Value,
        args: &str,
    ) -> Value {
        self.complaint_op(auth, name, complaint, args).await.data()[name].clone()
    }

    /// A GENERAL complaint the world's agent takes by phone from `customer`, driven to `status`
    /// the normal way; CLOSED includes the supervisor's approval (R-ESC-4).
    pub async fn complaint_in(
        &self,
        world: &RepairWorld,
        customer: &TestUser,
        status: &str,
    ) -> Value {
        let query = format!(
            "mutation($input: FileComplaintInput!) {{ fileComplaint(input: $input) {{ {COMPLAINT_FIELDS} }} }}"
        );
        let input = json!({ "customerId": customer.gid(), "channel": "PHONE",
                            "category": "SERVICE_ATTITUDE", "description": "The agent was rude" });
        let filed = self
            .gql(&world.agent.auth, &query, json!({ "input": input }))
            .await;
        let mut complaint = filed.data()["fileComplaint"].clone();
        let now = self.clock_now();
        let acknowledge = format!(
            ", promisedResolutionAt: \"{}\", nextContactAt: \"{}\"",
            (now + Duration::hours(8)).to_rfc3339(),
            (now + Duration::hours(2)).to_rfc3339()
        );
        let steps: &[(&Auth, &str, &str)] = &[
            (&world.agent.auth, "acknowledgeComplaint", &acknowledge),
            (
                &world.agent.auth,
                "recordInvestigation",
                ", cause: \"Rushed call\", responsibleParty: \"Hotline\", justified: true",
            ),
            (
                &world.agent.auth,
                "resolveComplaint",
                ", resolution: \"We apologised\"",
            ),
            (&world.supervisor.auth, "approveComplaintClosure", ""),
            (&world.agent.auth, "closeComplaint", ""),
        ];
        for (auth, name, args) in steps {
            if complaint["status"] == status {
                break;
            }
            complaint = self.complaint_ok(auth, name, &complaint, args).await;
        }
        assert_eq!(complaint["status"], status, "could not reach {status}");
        complaint
    }
}
