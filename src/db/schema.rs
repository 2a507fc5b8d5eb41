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
    }
}

diesel::joinable!(api_keys -> users (user_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(memberships -> workspaces (workspace_id));
diesel::joinable!(invitations -> workspaces (workspace_id));
diesel::joinable!(events -> workspaces (workspace_id));

diesel::allow_tables_to_appear_in_same_query!(workspaces, users, memberships, invitations, events, api_keys, audit_log);
