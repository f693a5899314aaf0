-- auth_<env>: enrolled sources (clients) and their API keys, users, and RBAC:
-- roles carry permissions; users get roles through groups, and groups nest.
-- Applied at image build into every auth_<env> database (owner: role auth).

CREATE TABLE clients (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
);

-- Only a SHA-256 hash and a short prefix of each key; a key is revoked, never deleted.
CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    client_id   uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    prefix      text NOT NULL,
    key_hash    text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX api_keys_client ON api_keys (client_id);

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    client_id     uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    username      text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz
);
CREATE INDEX users_client ON users (client_id);

CREATE TABLE roles (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9_.:-]*$'),
    description text NOT NULL DEFAULT ''
);

CREATE TABLE permissions (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,          -- e.g. 'orders:write'
    description text NOT NULL DEFAULT ''
);

CREATE TABLE role_permissions (
    role_id       uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission_id uuid NOT NULL REFERENCES permissions (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, permission_id)
);

CREATE TABLE groups (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    description text NOT NULL DEFAULT ''
);

-- Nesting: members of child_id are members of parent_id too (cycles are harmless:
-- the role query walks with UNION, which stops at groups already seen).
CREATE TABLE group_groups (
    parent_id uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    child_id  uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (parent_id, child_id),
    CHECK (parent_id <> child_id)
);
CREATE INDEX group_groups_child ON group_groups (child_id);

CREATE TABLE user_groups (
    user_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
);
CREATE INDEX user_groups_group ON user_groups (group_id);

CREATE TABLE group_roles (
    group_id uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    role_id  uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, role_id)
);

-- Audit trail written by the worker from `auth.*` events (one row per message id).
CREATE TABLE audit_events (
    message_id  uuid PRIMARY KEY,
    type        text NOT NULL,
    occurred_at timestamptz,
    trace_id    text,
    user_id     uuid,
    client_id   uuid,
    data        jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_client ON audit_events (client_id, occurred_at);

-- outbox and processed_messages: services/platform/schema.sql
