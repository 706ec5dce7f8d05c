"""Alerts: rules that watch a workspace's numbers and accounts, and tell people once per
occurrence by email or webhook (``services``), with webhook addresses checked (``webhooks``)."""
