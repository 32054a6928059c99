"""The request form's signed stamp: who the form is (its key makes a second sending a no-op) and when
it was shown, so that a form sent faster than a person fills it, or too late, is refused."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from litestar import Request

from directory.plugin_api import clock

MIN_FILL_SECONDS = 4  # a person takes longer than this to fill the form; a robot does not
FORM_VALID_FOR = 24 * 3600
EXPIRED = "Ce formulaire a expiré : vérifiez vos réponses et envoyez-le de nouveau."
TOO_FAST = "Vérifiez vos réponses, puis envoyez de nouveau le formulaire."


def _signature(secret: str, stamp: str) -> str:
    return hmac.new(secret.encode(), stamp.encode(), hashlib.sha256).hexdigest()[:32]


def form_stamp(request: Request) -> str:
    """A new form's identity and the moment it was shown, signed: ``key.time.signature``."""
    stamp = f"{secrets.token_urlsafe(16)}.{int(clock.now().timestamp())}"
    return f"{stamp}.{_signature(_secret(request), stamp)}"


def _secret(request: Request) -> str:
    """The site's secret, or one for this process (forms then outlive no restart)."""
    state = request.app.state
    if not getattr(state, "leads_form_secret", None):
        state.leads_form_secret = state.settings.secret_key or secrets.token_urlsafe(32)
    return state.leads_form_secret


def check_stamp(request: Request, stamp: str) -> tuple[str | None, str]:
    """(the form's key, "") when the stamp is genuine and old enough, else (None, why)."""
    key, _, rest = stamp.partition(".")
    shown, _, signature = rest.partition(".")
    if not (key and shown.isdigit() and hmac.compare_digest(signature, _signature(_secret(request), f"{key}.{shown}"))):
        return None, EXPIRED
    age = clock.now().timestamp() - int(shown)
    if age > FORM_VALID_FOR:
        return None, EXPIRED
    if age < MIN_FILL_SECONDS:
        return None, TOO_FAST
    return key, ""
