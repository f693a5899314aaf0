-- catalog: products and stock. Applied once into a fresh catalog_<env> database.

CREATE TABLE products (
    sku         text PRIMARY KEY CHECK (length(sku) BETWEEN 1 AND 64),
    name        text NOT NULL,
    price_cents integer NOT NULL CHECK (price_cents >= 0),
    stock       integer NOT NULL CHECK (stock >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- one row per order whose stock was reserved (the saga's record of what was taken)
CREATE TABLE reservations (
    order_id    uuid PRIMARY KEY,
    items       jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

