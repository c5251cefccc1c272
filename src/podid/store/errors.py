"""Store errors: IAM's error codes, HTTP statuses and message texts for entity-level failures.

The store raises these; `podid.iamapi` turns them into `ServiceError`s unchanged, so IAM's wording
lives here, next to the checks that produce it.
"""

from __future__ import annotations


class StoreError(Exception):
    """A failed repository operation; nothing was written. `code`/`message`/`status` are IAM's."""

    code = "ServiceFailure"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NoSuchEntity(StoreError):
    code = "NoSuchEntity"
    status = 404


class EntityAlreadyExists(StoreError):
    code = "EntityAlreadyExists"
    status = 409


class LimitExceeded(StoreError):
    code = "LimitExceeded"
    status = 409


class DeleteConflict(StoreError):
    code = "DeleteConflict"
    status = 409


class InvalidInput(StoreError):
    code = "InvalidInput"
    status = 400


class ValidationFailed(StoreError):
    code = "ValidationError"
    status = 400


def no_user(name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The user with name {name} cannot be found.")


def no_role(name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The role with name {name} cannot be found.")


def no_policy(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"Policy {arn} was not found.")


def not_attachable(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")


def no_policy_version(arn: str, version_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")


def no_inline(kind: str, name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The {kind} policy with name {name} cannot be found.")


def no_access_key(akid: str) -> NoSuchEntity:
    return NoSuchEntity(f"The Access Key with id {akid} cannot be found.")


def no_oidc(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"OpenIDConnect Provider not found for arn {arn}")
