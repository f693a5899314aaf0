"""catalog: products and stock; Redis-cached reads; reserves stock for orders."""
