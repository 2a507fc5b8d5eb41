//! The one schema both backends share, kept by hand (see `diesel.toml`).

diesel::table! {
    workspaces (id) {
        id -> BigInt,
        public_id -> Text,
        name -> Text,
        plan -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        public_id -> Text,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        time_zone -> Text,
        date_format -> Text,
        time_format -> Text,
        active_workspace_id -> Nullable<BigInt>,
        created_at -> BigInt,
        alert_mails -> Bool,
    }
}

diesel::table! {
    memberships (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        status -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    invitations (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        email -> Text,
        role -> Text,
        token_hash -> Text,
        invited_by -> BigInt,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        public_id -> Text,
        workspace_id -> BigInt,
        event_type -> Text,
        payload -> Text,
        created_at -> BigInt,
        test -> Bool,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        public_id -> Text,
        workspace_id -> BigInt,
        user_id -> Nullable<BigInt>,
        name -> Text,
        url -> Text,
        event_type -> Text,
        trigger_source_type -> Text,
        trigger_source -> Text,
        secret_sealed -> Text,
        previous_secret_sealed -> Nullable<Text>,
        previous_secret_until -> Nullable<BigInt>,
        auth_token_sealed -> Text,
        enabled -> Bool,
        plan_enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        disabled_at -> Nullable<BigInt>,
        failing_since -> Nullable<BigInt>,
        kind -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        deleted_at -> Nullable<BigInt>,
        create_token -> Nullable<Text>,
        recent_outcomes -> Text,
        last_status -> Nullable<Text>,
        last_attempt_at -> Nullable<BigInt>,
        addon_id -> Nullable<BigInt>,
        health -> Text,
        health_since -> Nullable<BigInt>,
        health_alerted -> Bool,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        message_id -> Text,
        event_id -> BigInt,
        webhook_id -> BigInt,
        trigger -> Text,
        state -> Text,
        attempts -> Integer,
        retries -> Bool,
        next_attempt_at -> Nullable<BigInt>,
        lease_until -> Nullable<BigInt>,
        created_at -> BigInt,
        last_status -> Nullable<Text>,
    }
}

diesel::table! {
    attempts (id) {
        id -> BigInt,
        public_id -> Text,
        delivery_id -> BigInt,
        webhook_id -> BigInt,
        trigger -> Text,
        attempted_at -> BigInt,
        duration_ms -> BigInt,
        succeeded -> Bool,
        status_code -> Nullable<Integer>,
        error_class -> Nullable<Text>,
        error_detail -> Nullable<Text>,
        request_headers -> Text,
        request_body -> Text,
        response_headers -> Nullable<Text>,
        response_body -> Nullable<Text>,
        response_body_base64 -> Bool,
        reason -> Nullable<Text>,
        url -> Nullable<Text>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        public_id -> Text,
        user_id -> BigInt,
        name -> Text,
        hint -> Text,
        secret_hash -> Text,
        previous_secret_hash -> Nullable<Text>,
        previous_valid_until -> Nullable<BigInt>,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
        expires_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        workspace_id -> Nullable<BigInt>,
        actor_user_id -> Nullable<BigInt>,
        subject_user_id -> Nullable<BigInt>,
        action -> Text,
        target -> Text,
        created_at -> BigInt,
        actor_addon_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        public_id -> Text,
        token_hash -> Text,
        user_id -> BigInt,
        user_agent -> Text,
        address -> Text,
        created_at -> BigInt,
        last_seen_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    api_key_revocations (id) {
        id -> BigInt,
        api_key_id -> BigInt,
        workspace_id -> BigInt,
        revoked_by -> Nullable<BigInt>,
        revoked_at -> BigInt,
    }
}

diesel::table! {
    clients (id) {
        id -> BigInt,
        public_id -> Text,
        workspace_id -> BigInt,
        name -> Text,
        email -> Nullable<Text>,
        address -> Nullable<Text>,
        note -> Nullable<Text>,
        archived -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    tags (id) {
        id -> BigInt,
        public_id -> Text,
        workspace_id -> BigInt,
        name -> Text,
        archived -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    projects (id) {
        id -> BigInt,
        public_id -> Text,
        workspace_id -> BigInt,
        client_id -> Nullable<BigInt>,
        name -> Text,
        note -> Text,
        color -> Text,
        billable -> Bool,
        is_public -> Bool,
        archived -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    tasks (id) {
        id -> BigInt,
        public_id -> Text,
        project_id -> BigInt,
        name -> Text,
        status -> Text,
        estimate -> Nullable<Text>,
        billable -> Bool,
        assignee_ids -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    time_entries (id) {
        id -> BigInt,
        public_id -> Text,
        workspace_id -> BigInt,
        user_id -> BigInt,
        project_id -> Nullable<BigInt>,
        task_id -> Nullable<BigInt>,
        description -> Text,
        tag_ids -> Text,
        billable -> Bool,
        start_at -> BigInt,
        end_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    idempotency_keys (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        idempotency_key -> Text,
        response -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    addons (id) {
        id -> BigInt,
        public_id -> Text,
        workspace_id -> BigInt,
        addon_key -> Text,
        name -> Text,
        base_url -> Text,
        manifest -> Text,
        token_hash -> Text,
        secret_sealed -> Text,
        installed_by -> Nullable<BigInt>,
        installed_at -> BigInt,
        uninstalled_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhook_stats (webhook_id, bucket) {
        webhook_id -> BigInt,
        bucket -> BigInt,
        attempts -> BigInt,
        failures -> BigInt,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> BigInt,
        dedup_key -> Text,
        to_address -> Text,
        subject -> Text,
        body -> Text,
        created_at -> BigInt,
        next_attempt_at -> Nullable<BigInt>,
        attempts -> Integer,
        lease_until -> Nullable<BigInt>,
        sent_at -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    password_resets (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(projects -> clients (client_id));
diesel::joinable!(tasks -> projects (project_id));
diesel::joinable!(api_keys -> users (user_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(memberships -> workspaces (workspace_id));
diesel::joinable!(invitations -> workspaces (workspace_id));
diesel::joinable!(events -> workspaces (workspace_id));
diesel::joinable!(webhooks -> workspaces (workspace_id));
diesel::joinable!(deliveries -> webhooks (webhook_id));
diesel::joinable!(deliveries -> events (event_id));
diesel::joinable!(attempts -> deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    workspaces,
    users,
    memberships,
    invitations,
    events,
    api_keys,
    audit_log,
    webhooks,
    deliveries,
    attempts,
    clients,
    tags,
    projects,
    tasks,
    time_entries,
    idempotency_keys,
    addons,
    sessions,
    api_key_revocations,
    webhook_stats,
    mail_outbox,
    password_resets
);
