"""Container health check: GET one of the app's health endpoints; exit 0 on 200, else 1.

    python deploy/healthcheck.py /healthz          (the Dockerfile's HEALTHCHECK)
    python deploy/healthcheck.py /readyz           (compose.yaml: the database answers too)

Standard library only, as the slim image has no curl. The request comes from inside the
container but is made the way the reverse proxy makes it: Django answers 400 to a host name
that is not in ALLOWED_HOSTS, so it names the first one, and production redirects plain
HTTP to HTTPS unless the proxy says, with X-Forwarded-Proto, that the client used HTTPS.
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

# Where the container's CMD binds granian.
DEFAULT_PORT = 8000


def site_host(environ: Mapping[str, str]) -> str:
    """The first host name the app accepts (".example.com" accepts example.com too)."""
    hosts = [host.strip() for host in environ.get("ALLOWED_HOSTS", "").split(",")]
    first = next((host for host in hosts if host and host != "*"), "localhost")
    return first.lstrip(".")


def build_request(path: str, *, port: int, environ: Mapping[str, str]) -> urllib.request.Request:
    return urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        headers={"Host": site_host(environ), "X-Forwarded-Proto": "https"},
    )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect (to HTTPS, say) means the check is not reaching the view: report its status.
    def redirect_request(self, *args, **kwargs) -> None:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", choices=["/healthz", "/readyz"])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--timeout", type=float, default=4.0)
    args = parser.parse_args(argv)
    request = build_request(args.path, port=args.port, environ=os.environ)
    try:
        opener = urllib.request.build_opener(_NoRedirects)
        with opener.open(request, timeout=args.timeout) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        sys.stderr.write(f"{args.path}: {error}\n")
        return 1
    if status != 200:
        sys.stderr.write(f"{args.path}: HTTP {status}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
