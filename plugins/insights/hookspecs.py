"""The insights plugin's hooks, through which other plugins put figures on the network's dashboard.

They belong to this plugin, not to the core: the plugin adds them as it registers
(``add_hooks``), so a directory without the insights plugin knows nothing of them, and a plugin
that implements them where the insights plugin may be disabled marks its implementations
``optionalhook=True``. Each is documented in ``docs/plugins.md`` ("Insights hooks").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from directory.plugin_api import hookspec, may_await


@hookspec
@may_await
def expiring_awards(now: datetime, until: datetime) -> list[dict[str, Any]]:
    """List the awards (badges, certificates) that lapse between ``now`` and ``until``, for staff to renew.

    May be ``async def``: the dashboard reads them at each view.

    :param now: the current moment (the injected clock's).
    :param until: the end of the period looked at (90 days from now on the dashboard).
    :return: one dict per award, soonest first: ``provider`` (the listing's slug), ``trade_name``,
        ``award`` (the badge's name) and ``expires_at`` (an aware datetime). The lists of all
        plugins are shown together, soonest first.
    """
