-- webhooks: subscriptions, deliveries and received alerts. Applied once into webhooks_<env>.

CREATE TABLE subscriptions (
    id          uuid PRIMARY KEY,
    customer_id text NOT NULL,               -- the gateway's X-User-Id
    url         text NOT NULL,
    events      text[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Standard Webhooks signing: the current secret, and the one it replaced while the
    -- rotation's overlap lasts (both sign until previous_secret_expires_at). The worker
    -- needs the raw key to sign (an HMAC), so it is stored as is: never logged, never listed.
    secret                     text NOT NULL,
    previous_secret            text,
    previous_secret_expires_at timestamptz,
    secret_rotated_at          timestamptz,
    -- a subscriber answering 410 Gone disables its subscription: no more deliveries
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    disabled_at     timestamptz,
    disabled_reason text
);
CREATE INDEX subscriptions_customer ON subscriptions (customer_id);

CREATE TABLE deliveries (
    id               uuid PRIMARY KEY,
    subscription_id  uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    customer_id      text NOT NULL,
    event_id         uuid NOT NULL,
    event_type       text NOT NULL,
    order_id         text,
    url              text NOT NULL,
    body             jsonb NOT NULL,
    -- the W3C traceparent of the event's handling: every attempt is a span of that trace
    traceparent      text,
    -- pending -> delivered | dead (the dead-letter state: out of attempts, refused, 410 Gone,
    -- or its subscription disabled); a dead delivery is never attempted again
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_status_code integer,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_customer_order ON deliveries (customer_id, order_id);
CREATE INDEX deliveries_dead ON deliveries (customer_id, status) WHERE status = 'dead';

-- alerts received from Alertmanager (POST /internal/alerts)
CREATE TABLE alerts (
    id          bigserial PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    alertname   text,
    status      text,
    labels      jsonb NOT NULL DEFAULT '{}',
    annotations jsonb NOT NULL DEFAULT '{}',
    starts_at   text,
    receiver    text
);

-- inbound provider callbacks (services/webhooks/inbound.py): each accepted webhook-id once;
-- a second callback with a known id is a replay and is refused
CREATE TABLE inbound_webhooks (
    webhook_id  text PRIMARY KEY,
    source      text NOT NULL,
    event_type  text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbound_webhooks_received ON inbound_webhooks (received_at);
