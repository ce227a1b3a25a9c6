"""Shared by the Python tests: a real entented on the seed graph.

Each test folder's conftest.py imports the fixtures from here. CTest sets ENTENTED to the
server binary and PYTHONPATH to the build's python directory and this one.
"""

import contextlib
import os
import re
import signal
import subprocess
import tempfile
import time

import pytest


@pytest.fixture(scope="session")
def server():
    """Starts entented on a free loopback port with a fresh seeded database."""
    with running_server() as address:
        yield address


@contextlib.contextmanager
def running_server(extra_args=()):
    """entented on a free loopback port with a fresh seeded database and `extra_args`;
    yields its address and stops it on exit."""
    entented = os.environ.get("ENTENTED")
    assert entented, "set ENTENTED to the path of the entented binary"
    with tempfile.TemporaryDirectory(prefix="entente_pytest_") as tmp:
        log_path = os.path.join(tmp, "server.log")
        with open(log_path, "w") as log:
            proc = subprocess.Popen([entented, "--db", os.path.join(tmp, "db"),
                                     "--listen", "127.0.0.1:0", "--drain-seconds", "0",
                                     *extra_args],
                                    stdout=log, stderr=log)
        try:
            address = _wait_for_port(proc, log_path)
            yield address
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_for_port(proc, log_path, seconds=60):
    """The address from the server's "listening on 127.0.0.1:PORT" log line."""
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        with open(log_path) as log:
            found = re.search(r"listening on (127\.0\.0\.1:\d+)\s", log.read())
        if found:
            return found.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    with open(log_path) as log:
        pytest.fail("entented did not start:\n" + log.read())
