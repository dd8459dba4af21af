"""The rule editor's pages: nested groups edited in place (pickers for cities and choices),
structural edits and a preview against a sample profile without JavaScript, the live preview
(JSON) the page's script calls, and saving, with a refused value shown at its input."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from suanli.catalog.forms import FormFields
from suanli.deps import DbSession
from suanli.kit.errors import AppError
from suanli.programs import forms, rule_editor, rules, service
from suanli.programs.api import managed
from suanli.programs.criteria import CHOICE_NAMES, FIELDS, OPS
from suanli.programs.editor import Manager
from suanli.programs.models import Program
from suanli.web.i18n import translate
from suanli.web.render import language, render

router = APIRouter(include_in_schema=False)
ALL_OPS = tuple(dict.fromkeys(op for ops in OPS.values() for op in ops))


def preview(tree: object, sample: dict[str, str], lang: str) -> dict[str, Any]:
    """The rules (as the form has them now) against the sample profile: the outcome and one
    line per criterion in `lang`, or what stops the evaluation."""
    facts, bad = rule_editor.facts_of(sample)
    problems = rules.problems(tree)
    structural = [p for p in problems if "never pass" not in p.message]
    if bad or structural:
        return {"outcome": "invalid", "label": translate(lang, "programs.rules.preview_invalid"),
                "errors": {**{f"sample.{k}": v for k, v in bad.items()},
                           **{p.path: p.message for p in structural}}, "checks": []}
    result = rules.evaluate(tree if isinstance(tree, dict) else {}, facts,
                            service.city_names())
    return {"outcome": str(result.outcome),
            "label": translate(lang, f"applications.outcome.{result.outcome}"),
            "errors": {p.path: p.message for p in problems},
            "checks": [{"path": c.path, "effect": str(c.effect),
                        "label": translate(lang, f"applications.effect.{c.effect}"),
                        "text": c.text(lang)} for c in result.checks]}


def _page(request: Request, program: Program, *, group: rule_editor.Group,
          sample: dict[str, str], text: str, errors: dict[str, str] | None = None,
          where: dict[str, tuple[str, str]] | None = None, status: int = 200,
          saved: bool = False, shown: dict[str, Any] | None = None) -> Response:
    lang = language(request)
    zh = lang == "zh"
    names = service.city_names()
    cities = [(cid, pair[1] if zh else pair[0]) for cid, pair in names.items()]
    return render(request, "programs/rules.html", status, program=program, group=group,
                  sample=sample, rules_json=text, errors=errors or {}, where=where or {},
                  saved=saved, preview=shown, all_ops=ALL_OPS,
                  ops={str(kind): ops for kind, ops in OPS.items()},
                  fields=[(f.name, f.zh if zh else f.en, str(f.kind)) for f in FIELDS.values()],
                  choices={f.name: [(c, CHOICE_NAMES[c][1 if zh else 0]) for c in f.choices]
                           for f in FIELDS.values() if f.choices},
                  cities=cities, sample_fields=list(FIELDS.values()),
                  described=rules.describe(program.rules, lang, names))


@router.get("/programs/{program_id}/rules", response_class=HTMLResponse)
def rules_page(program_id: int, request: Request, session: DbSession, principal: Manager,
               saved: bool = False) -> Response:
    program = managed(session, principal, program_id)
    sample = rule_editor.sample_defaults(program.city)
    return _page(request, program, group=rule_editor.from_tree(program.rules), sample=sample,
                 text=json.dumps(program.rules, ensure_ascii=False, indent=2), saved=saved,
                 shown=preview(program.rules, sample, language(request)))


@router.post("/programs/{program_id}/rules/preview")
def live_preview(program_id: int, request: Request, session: DbSession,
                 principal: Manager, fields: FormFields) -> JSONResponse:
    """The live preview: the form as it stands (not saved) against its sample profile."""
    managed(session, principal, program_id)
    tree = rule_editor.to_tree(rule_editor.read(fields))
    return JSONResponse(preview(tree, rule_editor.sample_of(fields), language(request)))


@router.post("/programs/{program_id}/rules", response_class=HTMLResponse)
def save_rules(program_id: int, request: Request, session: DbSession, principal: Manager,
               fields: FormFields) -> Response:
    program = managed(session, principal, program_id)
    sample = rule_editor.sample_of(fields)
    lang = language(request)
    if fields.get("mode") == "json":
        tree, problem = forms.json_of(fields)
        group = rule_editor.from_tree(tree or {})
        text = fields.get("rules_json", "")
        if tree is None:
            return _page(request, program, group=group, sample=sample, text=text, status=422,
                         errors={"rules_json": problem or "invalid"})
    else:
        group = rule_editor.read(fields)
        action = fields.get("action", "save")
        if action != "save":  # an edit of the tree, or the preview: nothing is saved
            group = rule_editor.edit(group, action)
            tree = rule_editor.to_tree(group)
            return _page(request, program, group=group, sample=sample,
                         text=json.dumps(tree, ensure_ascii=False, indent=2),
                         shown=preview(tree, sample, lang))
        tree = rule_editor.to_tree(group)
        text = json.dumps(tree, ensure_ascii=False, indent=2)
    try:
        with session.begin_nested():
            service.set_rules(session, program=program, tree=tree, user_id=principal.user_id)
    except AppError as exc:
        session.refresh(program)
        path = exc.field or "rules"
        found = None if fields.get("mode") == "json" else rule_editor.error_at(group, path)
        said = {"form": f"{path}: {exc.detail}"}
        if fields.get("mode") == "json":
            said["rules_json"] = said["form"]
        return _page(request, program, group=group, sample=sample, text=text,
                     status=exc.status, errors=said,
                     where={} if found is None else {found[0]: (found[1], exc.detail)},
                     shown=preview(tree, sample, lang))
    return RedirectResponse(f"/programs/{program.id}/rules?saved=true", status_code=303)
