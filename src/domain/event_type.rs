//! The catalog of webhook events, with the plan each one needs. The reference lists 51
//! events (its heading says 52); these are exactly the ones it names.

use super::Plan;

macro_rules! catalog {
    ($($variant:ident = $name:literal, $plan:ident;)*) => {
        /// A webhook event type, as Clockify spells it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventType {
            $($variant),*
        }

        impl EventType {
            /// Every event, in catalog order.
            pub const ALL: &'static [EventType] = &[$(EventType::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$variant => $name),*
                }
            }

            /// The least plan whose workspaces receive this event.
            pub fn required_plan(self) -> Plan {
                match self {
                    $(EventType::$variant => Plan::$plan),*
                }
            }
        }
    };
}

catalog! {
    NewTimerStarted = "NEW_TIMER_STARTED", Free;
    TimerStopped = "TIMER_STOPPED", Free;
    NewTimeEntry = "NEW_TIME_ENTRY", Free;
    TimeEntryUpdated = "TIME_ENTRY_UPDATED", Free;
    TimeEntryDeleted = "TIME_ENTRY_DELETED", Free;
    TimeEntryRestored = "TIME_ENTRY_RESTORED", Free;
    TimeEntrySplit = "TIME_ENTRY_SPLIT", Pro;
    NewTag = "NEW_TAG", Free;
    TagUpdated = "TAG_UPDATED", Free;
    TagDeleted = "TAG_DELETED", Free;
    NewClient = "NEW_CLIENT", Free;
    ClientUpdated = "CLIENT_UPDATED", Free;
    ClientDeleted = "CLIENT_DELETED", Free;
    NewProject = "NEW_PROJECT", Free;
    ProjectUpdated = "PROJECT_UPDATED", Free;
    ProjectDeleted = "PROJECT_DELETED", Free;
    NewTask = "NEW_TASK", Free;
    TaskUpdated = "TASK_UPDATED", Free;
    TaskDeleted = "TASK_DELETED", Free;
    AssignmentCreated = "ASSIGNMENT_CREATED", Pro;
    AssignmentUpdated = "ASSIGNMENT_UPDATED", Pro;
    AssignmentDeleted = "ASSIGNMENT_DELETED", Pro;
    AssignmentPublished = "ASSIGNMENT_PUBLISHED", Pro;
    NewInvoice = "NEW_INVOICE", Standard;
    InvoiceUpdated = "INVOICE_UPDATED", Standard;
    CostRateUpdated = "COST_RATE_UPDATED", Pro;
    BillableRateUpdated = "BILLABLE_RATE_UPDATED", Free;
    ExpenseCreated = "EXPENSE_CREATED", Pro;
    ExpenseUpdated = "EXPENSE_UPDATED", Pro;
    ExpenseDeleted = "EXPENSE_DELETED", Pro;
    ExpenseRestored = "EXPENSE_RESTORED", Pro;
    UserJoinedWorkspace = "USER_JOINED_WORKSPACE", Free;
    UsersInvitedToWorkspace = "USERS_INVITED_TO_WORKSPACE", Free;
    LimitedUsersAddedToWorkspace = "LIMITED_USERS_ADDED_TO_WORKSPACE", Pro;
    UserDeletedFromWorkspace = "USER_DELETED_FROM_WORKSPACE", Free;
    UserActivatedOnWorkspace = "USER_ACTIVATED_ON_WORKSPACE", Free;
    UserDeactivatedOnWorkspace = "USER_DEACTIVATED_ON_WORKSPACE", Free;
    UserUpdated = "USER_UPDATED", Free;
    UserEmailChanged = "USER_EMAIL_CHANGED", Free;
    UserGroupCreated = "USER_GROUP_CREATED", Free;
    UserGroupUpdated = "USER_GROUP_UPDATED", Free;
    UserGroupDeleted = "USER_GROUP_DELETED", Free;
    NewApprovalRequest = "NEW_APPROVAL_REQUEST", Standard;
    ApprovalRequestStatusUpdated = "APPROVAL_REQUEST_STATUS_UPDATED", Standard;
    TimeOffRequested = "TIME_OFF_REQUESTED", Standard;
    TimeOffRequestUpdated = "TIME_OFF_REQUEST_UPDATED", Standard;
    TimeOffRequestApproved = "TIME_OFF_REQUEST_APPROVED", Standard;
    TimeOffRequestRejected = "TIME_OFF_REQUEST_REJECTED", Standard;
    TimeOffRequestStarted = "TIME_OFF_REQUEST_STARTED", Standard;
    TimeOffRequestWithdrawn = "TIME_OFF_REQUEST_WITHDRAWN", Standard;
    BalanceUpdated = "BALANCE_UPDATED", Standard;
}

impl EventType {
    pub fn parse(input: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .copied()
            .find(|e| e.as_str() == input.trim())
            .ok_or_else(|| format!("Unknown event {:?}: choose one of the webhook events.", input.trim()))
    }

    /// Every event sorted alphabetically, as the Event dropdown lists them.
    pub fn sorted() -> Vec<EventType> {
        let mut all = Self::ALL.to_vec();
        all.sort_by_key(|e| e.as_str());
        all
    }

    /// Whether a workspace on `plan` receives this event.
    pub fn allowed_on(self, plan: Plan) -> bool {
        plan >= self.required_plan()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_round_trips_and_is_unique() {
        assert_eq!(EventType::ALL.len(), 51);
        for event in EventType::ALL {
            assert_eq!(EventType::parse(event.as_str()), Ok(*event));
        }
        let mut names: Vec<_> = EventType::ALL.iter().map(|e| e.as_str()).collect();
        names.dedup();
        assert_eq!(names.len(), 51);
        assert!(EventType::parse("NEW_THING").is_err());
        assert_eq!(EventType::sorted()[0], EventType::ApprovalRequestStatusUpdated);
    }

    #[test]
    fn plans_gate_features() {
        assert!(EventType::NewTimeEntry.allowed_on(Plan::Free));
        assert!(!EventType::NewInvoice.allowed_on(Plan::Basic));
        assert!(EventType::NewInvoice.allowed_on(Plan::Standard));
        assert!(!EventType::ExpenseCreated.allowed_on(Plan::Standard));
        assert!(EventType::ExpenseCreated.allowed_on(Plan::Enterprise));
    }
}
