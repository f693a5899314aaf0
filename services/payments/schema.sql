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


-- the provider's signed confirmations (its callbacks, verified by the webhook gateway and
-- published as provider.charge.*): one row per callback, whether or not its payment is
-- recorded yet (a callback may overtake the worker's own record of the charge)
CREATE TABLE provider_confirmations (
    provider_event_id text PRIMARY KEY,           -- the callback's webhook-id
    charge_id         text NOT NULL,              -- payments.provider_ref
    order_id          text NOT NULL,
    status            text NOT NULL CHECK (status IN ('succeeded', 'declined')),
    received_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX provider_confirmations_charge ON provider_confirmations (charge_id);
CREATE INDEX payments_provider_ref ON payments (provider_ref);
