"""JSON routes of the auth domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from suanli.auth import repository, service
from suanli.auth import roles as perms
from suanli.auth.models import User
from suanli.auth.principal import Principal
from suanli.auth.schemas import (
    Me,
    MembershipRead,
    OrganisationCreate,
    OrganisationRead,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserCreate,
    UserRead,
)
from suanli.deps import DbSession, Guard, Idempotent
from suanli.kit.errors import NotFound
from suanli.kit.pagination import Page, PageParams, page_params

router = APIRouter(tags=["identity"])
Pages = Annotated[PageParams, Depends(page_params)]


def _memberships(user: User) -> list[MembershipRead]:
    return [MembershipRead(organisation_id=m.organisation_id, organisation=m.organisation.slug,
                           role=m.role) for m in user.memberships]


def _user_read(user: User) -> UserRead:
    return UserRead(id=user.id, username=user.username, display_name=user.display_name,
                    is_active=user.is_active, memberships=_memberships(user))


@router.get("/me", response_model=Me, summary="The caller and their memberships")
def me(session: DbSession, principal: Annotated[Principal, Guard(perms.AUTHENTICATED)]) -> Me:
    user = session.get(User, principal.user_id)
    assert user is not None
    return Me(id=user.id, username=user.username, display_name=user.display_name,
              memberships=_memberships(user), via=principal.via)


@router.get("/organisations", response_model=Page[OrganisationRead],
            summary="Organisations the caller may see")
def list_organisations(
    session: DbSession, principal: Annotated[Principal, Guard(perms.AUTHENTICATED)], page: Pages,
) -> Page[OrganisationRead]:
    ids = None if principal.can(perms.ORG_READ_ALL) else principal.org_ids()
    rows, total = repository.list_orgs(session, ids=ids, limit=page.limit, offset=page.offset)
    return Page(items=[OrganisationRead.model_validate(r) for r in rows], total=total,
                limit=page.limit, offset=page.offset)


@router.post("/organisations", response_model=OrganisationRead,
             status_code=status.HTTP_201_CREATED, summary="Onboard an organisation")
def create_organisation(
    body: OrganisationCreate, session: DbSession,
    principal: Annotated[Principal, Guard(perms.ORG_MANAGE)], _key: Idempotent,
) -> OrganisationRead:
    org = service.create_organisation(session, slug=body.slug, name=body.name, kind=body.kind,
                                      name_zh=body.name_zh, city=body.city)
    return OrganisationRead.model_validate(org)


@router.get("/users", response_model=Page[UserRead], summary="All users")
def list_users(session: DbSession, principal: Annotated[Principal, Guard(perms.USER_MANAGE)],
               page: Pages) -> Page[UserRead]:
    rows, total = repository.list_users(session, limit=page.limit, offset=page.offset)
    return Page(items=[_user_read(u) for u in rows], total=total, limit=page.limit,
                offset=page.offset)


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED,
             summary="Create a user with memberships")
def create_user(body: UserCreate, session: DbSession,
                principal: Annotated[Principal, Guard(perms.USER_MANAGE)],
                _key: Idempotent) -> UserRead:
    user = service.create_user(
        session, username=body.username, display_name=body.display_name, password=body.password,
        memberships=[(m.organisation, m.role) for m in body.memberships],
    )
    return _user_read(user)


@router.get("/tokens", response_model=list[TokenRead], summary="The caller's API tokens")
def list_tokens(session: DbSession,
                principal: Annotated[Principal, Guard(perms.AUTHENTICATED)]) -> list[TokenRead]:
    return [TokenRead.model_validate(t) for t in repository.tokens_of(session, principal.user_id)]


@router.post("/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED,
             summary="Create an API token (its secret is shown once)")
def create_token(body: TokenCreate, session: DbSession,
                 principal: Annotated[Principal, Guard(perms.AUTHENTICATED)],
                 _key: Idempotent) -> TokenCreated:
    user = session.get(User, principal.user_id)
    if user is None:
        raise NotFound("user not found")
    issued = service.issue_token(session, user=user, name=body.name,
                                 expires_in_days=body.expires_in_days)
    read = TokenRead.model_validate(issued.token)
    return TokenCreated(**read.model_dump(), token=issued.secret)


@router.delete("/tokens/{token_id}", response_model=TokenRead, summary="Revoke an API token")
def revoke_token(token_id: int, session: DbSession,
                 principal: Annotated[Principal, Guard(perms.AUTHENTICATED)]) -> TokenRead:
    token = service.revoke_token(session, user_id=principal.user_id, token_id=token_id)
    return TokenRead.model_validate(token)
