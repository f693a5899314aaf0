-- webhooks: subscriptions, deliveries and received alerts. Applied once into webhooks_<env>.

CREATE TABLE subscriptions (
    id          uuid PRIMARY KEY,
    customer_id text NOT NULL,               -- the gateway's X-User-Id
    url         text NOT NULL,
    events      text[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
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
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
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

