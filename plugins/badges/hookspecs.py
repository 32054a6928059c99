"""The badges plugin's hooks, through which other plugins give the measured results that badge
classes may set thresholds on.

They belong to this plugin, not to the core: the plugin adds them as it registers
(``add_hooks``), so a directory without the badges plugin knows nothing of them, and a plugin
that implements them where the badges plugin may be disabled marks its implementations
``optionalhook=True``. Each is documented in ``docs/plugins.md`` ("Badge hooks").
"""

from __future__ import annotations

from collections.abc import Callable

from directory.plugin_api import hookspec


@hookspec
def badge_measures(register: Callable[..., None]) -> None:
    """Register measured results of providers that badge classes may require a minimum of.

    :param register: call ``register(slug, label, unit, values, source=...)`` once per measure:
        ``slug`` names it in stored thresholds (lowercase letters, digits, dashes), ``label`` is
        what the public page says (French, lowercase), ``unit`` is ``"note"`` (out of 5),
        ``"nombre"`` (a count) or ``"part"`` (a percentage), ``values`` an ``async`` function taking
        a list of provider ids and returning ``{provider_id: value}`` in one query for all
        (a provider left out has no value yet: it meets no threshold), and ``source`` a French
        sentence saying where the figures come from, published with the thresholds.
    :return: nothing; what was registered counts.
    """
