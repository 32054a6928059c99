"""A plain Litestar app with one JSON endpoint, served as the directory is: the benchmarks' yardstick.

It runs in its own process, so a ratio against it includes everything the directory adds to a
request (its middleware, edges, access rules and headers), not only the route's own work.
Run: ``python bench/bare_app.py PORT``.
"""

import sys

import uvicorn
from litestar import Litestar, get


@get("/")
async def bare() -> dict[str, str]:
    return {"status": "ok"}


if __name__ == "__main__":
    uvicorn.run(Litestar([bare]), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                proxy_headers=False, access_log=False)
