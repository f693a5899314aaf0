-- Tables of the shared platform code, in every service's database: applied by the
-- postgres image build before the service's own schema.sql.

-- the transactional outbox (services/platform/outbox.py): events written in the same
-- transaction as the change they announce, relayed to the broker by the worker
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    message_id   uuid NOT NULL UNIQUE,
    type         text NOT NULL,
    envelope     jsonb NOT NULL,
    -- the W3C traceparent of the transaction that wrote it: the relay publishes under it
    traceparent  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

-- idempotent consumers (services/platform/inbox.py): a message's effect and its id are
-- stored in one transaction, so a redelivered message is acknowledged and skipped
CREATE TABLE processed_messages (
    message_id   uuid PRIMARY KEY,
    type         text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now()
);
