-- payments: one row per charged order. Applied once into a fresh payments_<env> database.

CREATE TABLE payments (
    id             uuid PRIMARY KEY,
    order_id       uuid NOT NULL UNIQUE,           -- no order is ever charged twice
    customer_id    text NOT NULL,
    amount_cents   integer NOT NULL CHECK (amount_cents >= 0),
    status         text NOT NULL CHECK (status IN ('succeeded', 'failed')),
    decline_reason text,
    provider_ref   text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_customer ON payments (customer_id);

