"""Maintenance scripts run by hand (python -m scripts.NAME)."""
