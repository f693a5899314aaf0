"""webhooks (the webhook gateway): subscriptions, signed deliveries of order events, alert sink."""
