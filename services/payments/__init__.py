"""payments: charges orders through a simulated provider; one payment per order at most."""
