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
    /// the normal way: the agent's solution approved by a new top-level supervisor (R-ESC-5)
    /// before RESOLVED; CLOSED includes the supervisor's approval (R-ESC-4).
    pub async fn complaint_in(
        &self,
        world: &RepairWorld,
        customer: &TestUser,
        status: &str,
    ) -> Value {
        let input = json!({ "customerId": customer.gid(), "channel": "PHONE",
                            "category": "SERVICE_ATTITUDE", "description": "The agent was rude" });
        self.complaint_filed_as(world, input, status).await
    }

    /// Like `complaint_in`, filed by the world's agent with `input` (a `FileComplaintInput`).
    pub async fn complaint_filed_as(
        &self,
        world: &RepairWorld,
        input: Value,
        status: &str,
    ) -> Value {
        let query = format!(
            "mutation($input: FileComplaintInput!) {{ fileComplaint(input: $input) {{ {COMPLAINT_FIELDS} }} }}"
        );
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
        let top_level = self.general_manager(world).await;
        let steps: &[(&Auth, &str, &str)] = &[
            (&world.agent.auth, "acknowledgeComplaint", &acknowledge),
            (
                &world.agent.auth,
                "recordInvestigation",
                ", cause: \"Rushed call\", responsibleParty: \"Hotline\", justified: true",
            ),
            (
                &world.agent.auth,
                "proposeSolution",
                ", solution: \"We apologise\"",
            ),
            (&top_level.auth, "approveSolution", ""),
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

    /// A new top-level supervisor (general manager) of the world's centre, who approves
    /// solutions (R-ESC-5).
    pub async fn general_manager(&self, world: &RepairWorld) -> TestUser {
        let manager = self
            .user(entity::users::Role::Supervisor, Some(world.centre), None)
            .await;
        self.make_top_level(&manager).await;
        manager
    }

    /// Proposes `solution` as the world's agent and has a new general manager approve it
    /// (R-ESC-5): the complaint, INVESTIGATING, may then be resolved.
    pub async fn approved_solution(
        &self,
        world: &RepairWorld,
        complaint: &Value,
        solution: &str,
        compensation: Option<&str>,
    ) -> Value {
        let mut args = format!(", solution: {}", serde_json::to_string(solution).unwrap());
        if let Some(amount) = compensation {
            args.push_str(&format!(", compensation: \"{amount}\""));
        }
        let proposed = self
            .complaint_ok(&world.agent.auth, "proposeSolution", complaint, &args)
            .await;
        let manager = self.general_manager(world).await;
        self.complaint_ok(&manager.auth, "approveSolution", &proposed, "")
            .await
    }
}
