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
    expires_at  timestamptz,                   -- set when rotated: the overlap's end
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

-- Audit trail: every admin operation, in the operation's own transaction (actor_id: who,
-- type: what, target: on what, occurred_at: when, trace_id), and the `auth.*` events the
-- worker records (one row per message id).
CREATE TABLE audit_events (
    message_id  uuid PRIMARY KEY,
    type        text NOT NULL,
    occurred_at timestamptz,
    trace_id    text,
    user_id     uuid,
    client_id   uuid,
    actor_id    uuid,
    target      text,
    data        jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_client ON audit_events (client_id, occurred_at);
CREATE INDEX audit_events_time ON audit_events (occurred_at);

-- Signing keys of the JWTs. The first comes from the secret auth/jwt_private_key; a
-- rotation makes a new current key and keeps the old one ('previous') until retire_at,
-- when every token it signed has expired. The private key is kept here (a sandbox).
CREATE TABLE signing_keys (
    kid         text PRIMARY KEY,
    private_pem text NOT NULL,
    status      text NOT NULL CHECK (status IN ('current', 'previous', 'retired')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    retire_at   timestamptz,
    retired_at  timestamptz
);
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (status) WHERE status = 'current';

-- Refresh tokens, by jti, only as a SHA-256 hash. A rotation marks the old one used;
-- presenting a used one again revokes its whole family.
CREATE TABLE refresh_tokens (
    jti         uuid PRIMARY KEY,
    family_id   uuid NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id   uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    token_hash  text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    access_jti  uuid,                          -- the access token issued beside it
    access_expires_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Revoked token ids, kept until the token would have expired anyway.
CREATE TABLE revoked_tokens (
    jti        text PRIMARY KEY,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now()
);

-- Bumped by every change verify must see (user disabled, key revoked or rotated, token
-- revoked, signing key rotated or retired); each auth process polls it at least every
-- second and reloads its revocation lists when it moved.
CREATE TABLE auth_epoch (
    id    boolean PRIMARY KEY DEFAULT true CHECK (id),
    value bigint NOT NULL DEFAULT 0
);
INSERT INTO auth_epoch (id, value) VALUES (true, 0);

-- outbox and processed_messages: services/platform/schema.sql
