"""A public form's signed stamp: who the form is (a key a form may use to make a second sending a
no-op) and when it was shown, so that a form sent faster than a person fills it, or a day later,
is refused.

Signed with the site's secret (``CHANNEL_EXPERT_SECRET_KEY``), or with one made for the app when
none is set: stamps then outlive no restart, as CSRF tokens do not either.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from litestar import Request

from directory.platform import clock

MIN_FILL_SECONDS = 4  # a person takes longer than this to fill a form; a robot does not
FORM_VALID_FOR = 24 * 3600
EXPIRED = "Ce formulaire a expiré : vérifiez vos réponses et envoyez-le de nouveau."
TOO_FAST = "Vérifiez vos réponses, puis envoyez de nouveau le formulaire."
SECRET = "form_stamps.secret"  # the app's own secret when the settings give none (app.state)


def _signature(secret: str, stamp: str) -> str:
    return hmac.new(secret.encode(), stamp.encode(), hashlib.sha256).hexdigest()[:32]


def _secret(request: Request) -> str:
    state = request.app.state
    if SECRET not in state:
        state[SECRET] = state.settings.secret_key or secrets.token_urlsafe(32)
    return state[SECRET]


def form_stamp(request: Request) -> str:
    """A new form's identity and the moment it was shown, signed: ``key.time.signature``."""
    stamp = f"{secrets.token_urlsafe(16)}.{int(clock.now().timestamp())}"
    return f"{stamp}.{_signature(_secret(request), stamp)}"


def check_stamp(request: Request, stamp: str) -> tuple[str | None, str]:
    """(the form's key, "") when the stamp is genuine and was shown long enough ago, else (None, why)."""
    key, _, rest = stamp.partition(".")
    shown, _, signature = rest.partition(".")
    if not (key and shown.isascii() and shown.isdigit()
            and hmac.compare_digest(signature, _signature(_secret(request), f"{key}.{shown}"))):
        return None, EXPIRED
    age = clock.now().timestamp() - int(shown)
    if age > FORM_VALID_FOR:
        return None, EXPIRED
    if age < MIN_FILL_SECONDS:
        return None, TOO_FAST
    return key, ""
