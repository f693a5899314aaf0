-- catalog seed products (present in every environment's database).
SET ROLE catalog;
INSERT INTO products (sku, name, price_cents, stock) VALUES
    ('SKU-BOOK-001', 'The Pragmatic Sandbox', 2999, 1000),
    ('SKU-MUG-001', 'Sandbox mug', 1250, 500),
    ('SKU-TEE-001', 'Sandbox t-shirt', 1900, 250),
    ('SKU-STICKER-001', 'Sticker pack', 300, 10000);
RESET ROLE;
