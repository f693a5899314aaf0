-- monolith: customers and orders. Applied once into a fresh monolith_<env> database.

-- a customer is the auth user (X-User-Id), created on first use
CREATE TABLE customers (
    id          text PRIMARY KEY,
    client_id   text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
    id           uuid PRIMARY KEY,
    customer_id  text NOT NULL REFERENCES customers (id),
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'paid', 'rejected', 'payment_failed')),
    total_cents  bigint NOT NULL CHECK (total_cents >= 0),
    payment_id   uuid,
    status_reason text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer ON orders (customer_id, created_at);

CREATE TABLE order_items (
    order_id     uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line         integer NOT NULL,
    sku          text NOT NULL,
    name         text NOT NULL,
    quantity     integer NOT NULL CHECK (quantity > 0),
    price_cents  integer NOT NULL CHECK (price_cents >= 0),
    PRIMARY KEY (order_id, line)
);

-- Idempotency-Key of POST /v1/orders (services/monolith/idempotency.py): per customer,
-- the fingerprint of the request and the answer it got
CREATE TABLE idempotency_keys (
    customer_id   text NOT NULL REFERENCES customers (id),
    key           text NOT NULL,
    request_hash  text NOT NULL,
    response      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, key)
);
