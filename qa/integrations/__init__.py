"""Adapters that let other frameworks use the helpdesk (each needs its optional extra)."""
