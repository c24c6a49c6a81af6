"""Ports for servers the tests start, held from the moment they are chosen.

Choosing a free port and closing it before the server binds lets another process take it
in between (a flaky failure on a busy machine); these helpers never let go of the port.
"""

import socket
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def listening_socket() -> Iterator[socket.socket]:
    """A loopback socket already listening, for a server that takes a file descriptor
    (gunicorn's `--bind fd://N`, the child inheriting it through pass_fds)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.set_inheritable(True)
    try:
        yield sock
    finally:
        sock.close()


@contextmanager
def refusing_port() -> Iterator[int]:
    """A port bound but not listening: connections to it are refused for as long as it is held
    (a service that has gone away), and nothing else can start listening on it meanwhile."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def free_port() -> int:
    """A port free a moment ago, for a server that must bind by itself (nginx takes no file
    descriptor); the rare clash shows as nginx failing to start, never as a wrong answer."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_of(sock: socket.socket) -> int:
    return sock.getsockname()[1]
