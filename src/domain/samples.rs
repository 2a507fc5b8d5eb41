//! A realistic sample payload for every event, sent by "Test". Shapes follow the REST API's
//! entities (Clockify's), so a receiver can be built against the test before the real thing.

use serde_json::{json, Value};

use super::EventType;

/// The sample for `event` in the workspace with this public id.
pub fn sample_payload(event: EventType, workspace: &str) -> Value {
    use EventType as E;
    let user = json!({"id": "5f6c023d6bf23143e1a97822", "name": "Sample User", "email": "sample.user@example.com"});
    let estimate = json!({"estimate": "PT0S", "type": "AUTO"});
    let project = json!({
        "id": "63247a7eb5edfe7856eae093", "name": "Sample project", "workspaceId": workspace,
        "clientId": "64c7777bd3fcab07cfbb2069", "clientName": "Sample client", "color": "#8BC34A", "billable": true,
        "archived": false, "public": true, "isPublic": true, "template": false, "note": "", "duration": "PT0S",
        "estimate": estimate, "memberships": [], "hourlyRate": null, "costRate": null,
    });
    let task = json!({
        "id": "57a687e29ae1f428e7ebe107", "name": "Sample task", "projectId": project["id"], "workspaceId": workspace,
        "status": "ACTIVE", "assigneeIds": [], "assigneeId": null, "userGroupIds": [], "estimate": "PT0S",
        "duration": "PT0S", "billable": true, "budgetEstimate": 0, "hourlyRate": null, "costRate": null,
    });
    let tag =
        json!({"id": "64c777ddd3fcab07cfbb210c", "name": "Sample tag", "workspaceId": workspace, "archived": false});
    match event {
        E::NewTimerStarted
        | E::TimerStopped
        | E::NewTimeEntry
        | E::TimeEntryUpdated
        | E::TimeEntryDeleted
        | E::TimeEntryRestored
        | E::TimeEntrySplit => {
            let running = event == E::NewTimerStarted;
            json!({
                "id": "6386ba8ebf21f2037287906e", "description": "Sample time entry", "userId": user["id"],
                "workspaceId": workspace, "projectId": project["id"], "taskId": task["id"], "tagIds": [tag["id"]],
                "billable": true, "isLocked": false, "type": "REGULAR", "kioskId": null, "customFieldValues": [],
                "timeInterval": {
                    "start": "2022-11-30T02:06:04Z",
                    "end": if running { Value::Null } else { json!("2022-11-30T02:06:20Z") },
                    "duration": if running { Value::Null } else { json!("PT16S") },
                },
                "hourlyRate": null, "costRate": null,
                "project": project, "task": task, "user": user, "tags": [tag],
            })
        }
        E::NewTag | E::TagUpdated | E::TagDeleted => tag,
        E::NewClient | E::ClientUpdated | E::ClientDeleted => json!({
            "id": "64c7777bd3fcab07cfbb2069", "name": "Sample client", "workspaceId": workspace, "email": null,
            "address": null, "note": null, "archived": false, "ccEmails": [], "currencyId": "", "currencyCode": "USD",
        }),
        E::NewProject | E::ProjectUpdated | E::ProjectDeleted => project,
        E::NewTask | E::TaskUpdated | E::TaskDeleted => task,
        E::UserJoinedWorkspace
        | E::UsersInvitedToWorkspace
        | E::LimitedUsersAddedToWorkspace
        | E::UserDeletedFromWorkspace
        | E::UserActivatedOnWorkspace
        | E::UserDeactivatedOnWorkspace
        | E::UserUpdated
        | E::UserEmailChanged => json!({
            "id": user["id"], "email": user["email"], "name": user["name"], "profilePicture": "", "status": "ACTIVE",
            "activeWorkspace": workspace, "defaultWorkspace": workspace, "customFields": [],
            "settings": {"timeZone": "Europe/Berlin", "dateFormat": "DD.MM.YYYY", "timeFormat": "HOUR24", "weekStart": "MONDAY"},
            "memberships": [{"userId": user["id"], "targetId": workspace, "membershipType": "WORKSPACE",
                "membershipStatus": if event == E::UserDeactivatedOnWorkspace { "INACTIVE" } else { "ACTIVE" },
                "hourlyRate": null, "costRate": null, "role": "REGULAR"}],
        }),
        E::UserGroupCreated | E::UserGroupUpdated | E::UserGroupDeleted => {
            json!({"id": "5f6c0b8e8f6e5c2a1d3b4c5d", "name": "Sample group", "workspaceId": workspace, "userIds": [user["id"]]})
        }
        E::AssignmentCreated | E::AssignmentUpdated | E::AssignmentDeleted | E::AssignmentPublished => json!({
            "id": "6390a1b2c3d4e5f607182930", "workspaceId": workspace, "userId": user["id"], "projectId": project["id"],
            "period": {"start": "2022-12-05T00:00:00Z", "end": "2022-12-09T00:00:00Z"}, "hoursPerDay": 8.0,
            "billable": true, "published": event == E::AssignmentPublished,
        }),
        E::NewInvoice | E::InvoiceUpdated => json!({
            "id": "6390b1c2d3e4f5061728394a", "workspaceId": workspace, "number": "INV-0001", "status": "UNSENT",
            "currency": "USD", "amount": 10500, "clientId": "64c7777bd3fcab07cfbb2069", "issuedDate": "2022-12-01T00:00:00Z",
        }),
        E::CostRateUpdated | E::BillableRateUpdated => json!({
            "userId": user["id"], "workspaceId": workspace, "rate": {"amount": 5000, "currency": "USD"},
            "since": "2022-12-01T00:00:00Z",
        }),
        E::ExpenseCreated | E::ExpenseUpdated | E::ExpenseDeleted | E::ExpenseRestored => json!({
            "id": "6390c1d2e3f405162738495a", "workspaceId": workspace, "userId": user["id"], "projectId": project["id"],
            "categoryId": "6390c1d2e3f405162738495b", "date": "2022-12-01T00:00:00Z", "total": 4250, "billable": true,
            "notes": "Train ticket",
        }),
        E::NewApprovalRequest | E::ApprovalRequestStatusUpdated => json!({
            "id": "6390d1e2f30415263748596a", "workspaceId": workspace, "owner": {"userId": user["id"]},
            "dateRange": {"start": "2022-11-28T00:00:00Z", "end": "2022-12-04T23:59:59Z"},
            "status": {"state": if event == E::NewApprovalRequest { "PENDING" } else { "APPROVED" }},
        }),
        E::TimeOffRequested
        | E::TimeOffRequestUpdated
        | E::TimeOffRequestApproved
        | E::TimeOffRequestRejected
        | E::TimeOffRequestStarted
        | E::TimeOffRequestWithdrawn => json!({
            "id": "6390e1f2031425364758697a", "workspaceId": workspace, "userId": user["id"],
            "policyId": "6390e1f2031425364758697b",
            "timeOffPeriod": {"period": {"start": "2022-12-19T00:00:00Z", "end": "2022-12-23T23:59:59Z"}},
            "status": {"statusType": match event {
                E::TimeOffRequestApproved | E::TimeOffRequestStarted => "APPROVED",
                E::TimeOffRequestRejected => "REJECTED",
                E::TimeOffRequestWithdrawn => "WITHDRAWN",
                _ => "PENDING",
            }},
        }),
        E::BalanceUpdated => json!({
            "userId": user["id"], "workspaceId": workspace, "policyId": "6390e1f2031425364758697b", "balance": 12.5,
            "used": 7.5, "total": 20.0,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_has_an_object_sample_in_its_workspace() {
        for event in EventType::ALL {
            let sample = sample_payload(*event, "0123456789abcdef01234567");
            assert!(sample.is_object(), "{event:?}");
            let text = sample.to_string();
            assert!(text.len() < 4096, "{event:?}");
        }
        let entry = sample_payload(EventType::NewTimeEntry, "w");
        assert_eq!(entry["workspaceId"], "w");
        assert_eq!(entry["timeInterval"]["duration"], "PT16S");
    }
}
