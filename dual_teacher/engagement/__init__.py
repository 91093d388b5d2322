"""Metrics, the durable event store, post-class reports (and later xAPI)."""
