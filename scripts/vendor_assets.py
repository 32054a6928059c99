"""Install the locked front-end packages and copy what the app serves into its static files.

``npm ci`` installs exactly ``package-lock.json``; Leaflet and its marker clustering are then
copied into ``plugins/geosearch/static/vendor/``, which the app serves (nothing comes from a
CDN at run time). ``dev.py`` runs this when the lock file changes, ``.ci/run`` through
``dev.py``, and the Dockerfile in its build stage. axe-core stays in ``node_modules/``: only
the accessibility tests use it.

Run: ``python scripts/vendor_assets.py`` (needs Node.js and npm); ``--copy-only`` when
``node_modules/`` is already installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "node_modules"
VENDOR = ROOT / "plugins" / "geosearch" / "static" / "vendor"
# (package folder, files or folders to serve), copied under VENDOR/<package>/.
SERVED = (
    ("leaflet/dist", ("leaflet.js", "leaflet.css", "images")),
    ("leaflet.markercluster/dist", ("leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css")),
)


def main(argv: list[str]) -> int:
    if "--copy-only" not in argv:  # the Dockerfile installs in a Node.js stage, then copies here
        npm = shutil.which("npm")
        if npm is None:
            print("npm is missing: install Node.js (apt-get install nodejs npm) to build the map's assets.",
                  file=sys.stderr)
            return 1
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT, check=True)
    shutil.rmtree(VENDOR, ignore_errors=True)
    for folder, names in SERVED:
        target = VENDOR / folder.split("/")[0]
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            source = MODULES / folder / name
            if source.is_dir():
                shutil.copytree(source, target / name)
            else:
                shutil.copy2(source, target / name)
    print(f"front-end assets copied into {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
