"""Loopback helpers shared by the browser tests and the UI bench: a free port, and a wait
for a server to answer."""

import socket
import time
import urllib.error
import urllib.request


def free_port():
    """A port on 127.0.0.1 nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, seconds=60):
    """Waits until `url` answers at all (any HTTP status), at most `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {seconds} s")
