"""Servers the tests start as processes of their own."""

from __future__ import annotations

import subprocess


def stop(server: subprocess.Popen) -> None:
    """Ask the server to stop, and make it stop: seen once in CI with the suite's other
    worker busy, granian was still draining 10 s after SIGTERM. How fast it stops is not
    what the tests check; leaving it running would be worse."""
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)
