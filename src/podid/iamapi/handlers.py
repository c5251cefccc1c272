"""Importing this module registers every IAM handler (podid.compose imports it)."""

from __future__ import annotations

from podid.iamapi import account, attachments, oidc, policies, roles, simulate, users

__all__ = ["account", "attachments", "oidc", "policies", "roles", "simulate", "users"]
