"""What the role and user handlers share: authorizing on the principal (its tags as resource context),
the permissions boundary of Create*, and the Tag*/Untag*/List*Tags operations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from podid.errors import ServiceError
from podid.gateway.context import CallContext
from podid.iamapi.common import (
    account,
    iam_op,
    name_param,
    page,
    required,
    resource_tag_context,
    store,
    tag_context,
    tags_param,
)
from podid.store import NoSuchEntity, RoleRecord, Store, UserRecord
from podid.store.records import Tags

R = TypeVar("R", RoleRecord, UserRecord)


@dataclass(frozen=True)
class Principal(Generic[R]):
    """How the handlers reach one kind of principal: roles or users."""

    noun: Literal["Role", "User"]  # as in operation, action and parameter names
    get: Callable[[Store, str, str], R | None]  # (store, account, name) -> the record or None
    arn: Callable[[str, str], str]  # (account, name) -> the ARN of one at path "/"
    missing: Callable[[str], NoSuchEntity]  # name -> the store's NoSuchEntity
    tag: Callable[[Store, str, str, Tags], None]
    untag: Callable[[Store, str, str, list[str]], None]

    @property
    def name_key(self) -> str:
        """The request parameter naming the principal: RoleName / UserName."""
        return f"{self.noun}Name"

    def authorize(self, ctx: CallContext, action: str, name: str, extra: dict[str, Any] | None = None) -> R:
        """Authorize `action` on principal `name` (its real ARN and tags when it exists, its ARN at
        path "/" otherwise), then return it (NoSuchEntity when missing)."""
        found = self.get(store(ctx), account(ctx), name)
        context = dict(resource_tag_context(found.tags)) if found else {}
        context.update(extra or {})
        ctx.authorize(action, found.arn if found else self.arn(account(ctx), name), context=context)
        if found is None:
            raise self.missing(name)
        return found


def create_context(tags: Tags, boundary: str | None) -> dict[str, Any]:
    """Condition context of CreateRole/CreateUser: the request tags and `iam:PermissionsBoundary`."""
    context = tag_context(tags)
    if boundary:
        context["iam:PermissionsBoundary"] = boundary
    return context


def check_boundary(ctx: CallContext, boundary: str | None) -> None:
    """A permissions boundary given to CreateRole/CreateUser must be an existing policy."""
    if boundary and store(ctx).get_policy(account(ctx), boundary) is None:
        raise ServiceError("NoSuchEntity", f"Scope ARN: {boundary} does not exist or is not attachable.", 404)


def register_tag_ops(p: Principal[Any]) -> None:
    """Register Tag<noun>, Untag<noun> and List<noun>Tags (e.g. TagRole, UntagRole, ListRoleTags)."""

    @iam_op(f"Tag{p.noun}")
    def tag(ctx: CallContext) -> dict[str, Any]:
        name = name_param(ctx.params, p.name_key)
        tags = tags_param(ctx.params)
        p.authorize(ctx, f"iam:Tag{p.noun}", name, tag_context(tags))
        p.tag(store(ctx), account(ctx), name, tags)
        return {}

    @iam_op(f"Untag{p.noun}")
    def untag(ctx: CallContext) -> dict[str, Any]:
        name = name_param(ctx.params, p.name_key)
        keys = list(required(ctx.params, "TagKeys"))
        p.authorize(ctx, f"iam:Untag{p.noun}", name, {"aws:TagKeys": keys})
        p.untag(store(ctx), account(ctx), name, keys)
        return {}

    @iam_op(f"List{p.noun}Tags")
    def list_tags(ctx: CallContext) -> dict[str, Any]:
        name = name_param(ctx.params, p.name_key)
        return page(ctx.params, p.authorize(ctx, f"iam:List{p.noun}Tags", name).tags, "Tags")
