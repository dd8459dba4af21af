"""The program editor's pages: new program (optionally from a city preset) and its settings
(the rule editor is `rules_pages.py`). Errors are shown at the input they concern."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from suanli.auth import repository as auth_repo
from suanli.auth.principal import Principal
from suanli.auth.roles import OrgKind
from suanli.catalog.forms import FormFields
from suanli.deps import DbSession, Guard
from suanli.kit.errors import AppError
from suanli.kit.timeutil import utcnow
from suanli.programs import access, forms, presets, service
from suanli.programs import permissions as perms
from suanli.programs.api import managed, settings_from
from suanli.programs.models import Program
from suanli.programs.schemas import ProgramCreate, ProgramUpdate
from suanli.programs.settings import ProgramSettings
from suanli.programs.views import changes_from
from suanli.web import names
from suanli.web.render import language, render

router = APIRouter(include_in_schema=False)
Manager = Annotated[Principal, Guard(perms.PROGRAMS_MANAGE)]


def pydantic_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = ".".join(str(p) for p in error.get("loc", ()) if not isinstance(p, int))
        errors.setdefault(forms.form_name(loc or "form"), str(error.get("msg", "invalid")))
    return errors


def _app_error(exc: AppError) -> dict[str, str]:
    return {forms.form_name(exc.field): forms.error_text(exc.field, exc.detail)}


def _cities(request: Request) -> list[tuple[str, str]]:
    names = service.city_names()
    zh = language(request) == "zh"
    return sorted(((cid, pair[1] if zh else pair[0]) for cid, pair in names.items()),
                  key=lambda item: item[0])


def _form(request: Request, principal: Principal, *, program: Program | None,
          values: dict[str, Any], errors: dict[str, str], status: int = 200,
          preset: str | None = None) -> Response:
    managed_orgs = names.choices(request.state.db, language(request), [
        g.organisation_id for g in principal.grants
        if g.organisation_id in access.managed_ids(principal)])
    providers = auth_repo.orgs_of_kind(request.state.db, OrgKind.PROVIDER)
    return render(request, "programs/form.html", status, program=program, values=values,
                  errors=errors, cities=_cities(request), presets=presets.all_presets(),
                  preset=preset, authorities=managed_orgs,
                  providers=[(o.slug, names.display_name(o, language(request)))
                             for o in providers],
                  chosen_providers=set(forms.provider_slugs(values)),
                  inputs={*forms.SETTINGS_FIELDS, *forms.CHECKBOXES, "authority_org_id"})


@router.get("/programs/new", response_class=HTMLResponse)
def new_program(request: Request, principal: Manager, preset: str | None = None) -> Response:
    chosen = presets.get(preset) if preset else None
    if chosen is not None:
        values = forms.values_of(chosen.settings(opens_at=utcnow()))
    else:
        values = {"year": utcnow().year, "provider_mode": "all", "auto_approve": True,
                  "validity_days": 365, "redemption_mode": "provider_claims",
                  "domestic_bonus": "0.00"}
    return _form(request, principal, program=None, values=values, errors={},
                 preset=chosen.key if chosen else None)


@router.post("/programs/new", response_class=HTMLResponse)
def create_program(request: Request, session: DbSession, principal: Manager,
                   fields: FormFields) -> Response:
    body = forms.body_of(fields)
    preset = fields.get("preset") or None
    try:
        authority = access.authority_for(
            principal, int(fields["authority_org_id"]) if fields.get(
                "authority_org_id", "").isdigit() else None)
        data = settings_from(ProgramCreate.model_validate(body))
        chosen = presets.get(preset) if preset else None
        if chosen is not None:
            _keep_marks(data, chosen)
        program = service.create(session, authority_org_id=authority, data=data,
                                 user_id=principal.user_id,
                                 preset_key=None if chosen is None else chosen.key)
    except ValidationError as exc:
        return _form(request, principal, program=None, values=dict(fields), status=422,
                     errors=pydantic_errors(exc), preset=preset)
    except AppError as exc:
        return _form(request, principal, program=None, values=dict(fields),
                     status=exc.status, errors=_app_error(exc),
                     preset=preset)
    return RedirectResponse(f"/programs/{program.id}", status_code=303)


@router.get("/programs/{program_id}/edit", response_class=HTMLResponse)
def edit_program(program_id: int, request: Request, session: DbSession,
                 principal: Manager) -> Response:
    program = managed(session, principal, program_id)
    return _form(request, principal, program=program, values=forms.values_of(program),
                 errors={})


@router.post("/programs/{program_id}/edit", response_class=HTMLResponse)
def update_program(program_id: int, request: Request, session: DbSession,
                   principal: Manager, fields: FormFields) -> Response:
    program = managed(session, principal, program_id)
    body = forms.body_of(fields)
    try:
        changes = changes_from(ProgramUpdate.model_validate(body))
        with session.begin_nested():
            service.update(session, program=program, changes=changes,
                           user_id=principal.user_id)
    except ValidationError as exc:
        return _form(request, principal, program=program, values=dict(fields), status=422,
                     errors=pydantic_errors(exc))
    except AppError as exc:
        session.refresh(program)
        return _form(request, principal, program=program, values=dict(fields),
                     status=exc.status, errors=_app_error(exc))
    return RedirectResponse(f"/programs/{program.id}", status_code=303)


def _keep_marks(data: ProgramSettings, preset: presets.Preset) -> None:
    """Settings left as the preset filled them in stay marked illustrative."""
    original = preset.settings(opens_at=data.window_opens_at)
    data.illustrative_fields = [name for name in preset.values["illustrative_fields"]
                                if getattr(data, name) == getattr(original, name)]
    data.illustrative = bool(preset.values["illustrative"])
