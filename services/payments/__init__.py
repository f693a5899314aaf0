"""payments: charges orders through the external payment provider (services/provider); one
payment per order at most; records the provider's signed confirmations."""
