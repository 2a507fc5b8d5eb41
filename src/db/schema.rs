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

diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(memberships -> workspaces (workspace_id));
diesel::joinable!(invitations -> workspaces (workspace_id));
diesel::joinable!(events -> workspaces (workspace_id));

diesel::allow_tables_to_appear_in_same_query!(workspaces, users, memberships, invitations, events);
