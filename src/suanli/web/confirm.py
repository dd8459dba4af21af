"""A confirmation step before every destructive action (cancel an order or a contract,
withdraw an offer, claw back a voucher, reject), enforced on the server: the form must
carry the ticked box `confirm=yes`, or the action is refused with 422 naming the field.

Forms in a table row link to the confirmation page (GET /confirm?action=...), which shows
what will happen and posts the action with the box to tick. A form posted without the box
gets that page again (422) with the message, keeping what was typed into the form.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from suanli.deps import CurrentPrincipal
from suanli.kit.errors import NotFound, ValidationFailed
from suanli.web.i18n import translate
from suanli.web.render import language, render

FIELD = "confirm"
router = APIRouter(include_in_schema=False)

# The actions a confirmation page may post to, with the message that says what happens.
ACTIONS = {
    re.compile(r"/market/orders/(\d+)/cancel"): "confirm.order_cancel",
    re.compile(r"/market/contracts/(\d+)/cancel"): "confirm.contract_cancel",
    re.compile(r"/market/contracts/(\d+)/cancel-on-behalf"): "confirm.contract_on_behalf",
    re.compile(r"/market/offers/(\d+)/withdraw"): "confirm.offer_withdraw",
}
WITH_REASON = ("/cancel-on-behalf",)
NOT_KEPT = frozenset({FIELD, "csrf_token"})


class ConfirmationMissing(ValidationFailed):
    """A destructive action's form came without the ticked box; `fields` is what else it
    carried (kept when the form is shown again)."""

    def __init__(self, detail: str, *, fields: list[tuple[str, str]]) -> None:
        super().__init__(detail, field=FIELD)
        self.fields = fields


async def require_confirmation(request: Request) -> None:
    """Refuse the action unless its form carries the ticked confirmation box."""
    form = await request.form()
    if form.get(FIELD) != "yes":
        kept = [(k, v) for k, v in form.multi_items() if isinstance(v, str) and k not in NOT_KEPT]
        raise ConfirmationMissing(translate(language(request), "confirm.required"), fields=kept)


def confirmation_when(field: str, value: str) -> Any:
    """A parameter type: confirmation is needed only when `field` is `value` (a rejection).
    Declared after the route's guard, so a caller without the permission hears 403 first."""

    async def check(request: Request) -> None:
        form = await request.form()
        if form.get(field) == value:
            await require_confirmation(request)

    return Annotated[None, Depends(check)]


# A parameter type, declared after the route's guard (dependencies run in that order).
Confirmed = Annotated[None, Depends(require_confirmation)]
RejectConfirmed = confirmation_when("decision", "reject")


def _message(action: str) -> str:
    return next((key for pattern, key in ACTIONS.items() if pattern.fullmatch(action)),
                "confirm.action")


def install(app: FastAPI) -> None:
    """Pages answer a missing confirmation with the confirmation form again (the API, which
    no confirmation guards, would answer problem+json as for any 422)."""
    from suanli.web.http import problem_response, wants_page

    async def again(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ConfirmationMissing)
        if not wants_page(request):
            return problem_response(exc.status, exc.problem(request.url.path))
        action = request.url.path
        with_reason = action.endswith(WITH_REASON)
        reason = next((v for k, v in exc.fields if k == "reason"), "") if with_reason else ""
        hidden = [(k, v) for k, v in exc.fields if not (with_reason and k == "reason")]
        numbers = re.findall(r"\d+", action)
        return render(request, "confirm.html", 422, action=action, back="/",
                      message=_message(action), number=numbers[0] if numbers else "",
                      with_reason=with_reason, form_error=exc.detail, hidden=hidden,
                      reason_text=reason)

    app.add_exception_handler(ConfirmationMissing, again)


@router.get("/confirm", response_class=HTMLResponse)
def confirm_page(request: Request, principal: CurrentPrincipal, action: str,
                 back: Annotated[str, "where No goes"] = "/") -> Response:
    """The confirmation page of one destructive action (the action itself checks who may)."""
    message = _message(action)
    if message == "confirm.action":
        raise NotFound("no such action to confirm", field="action")
    safe_back = back if back.startswith("/") and not back.startswith("//") else "/"
    number = re.findall(r"\d+", action)[0]
    return render(request, "confirm.html", action=action, back=safe_back, message=message,
                  number=number, with_reason=action.endswith(WITH_REASON))
