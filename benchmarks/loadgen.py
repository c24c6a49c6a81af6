"""A small closed-loop load generator for POST /sign that knows exactly which request got
which answer, so the harness can check every acknowledged signature in the database.

Each process drives its share of the clients from one thread with non-blocking sockets:
every client is one keep-alive connection sending one request at a time. It shares the
2 cores with the server it measures, so it is kept lean: requests are built as bytes and
answers are read only as far as the status line and Content-Length (http.client and a
thread per client cost about 0.75 ms of CPU per signature, a quarter of the server's).
It reports its own CPU time, to show the generator was not the bottleneck.
"""

import multiprocessing
import random
import resource
import selectors
import socket
import time
from urllib.parse import urlencode

# An answer's head ends here; its body is Content-Length bytes (gunicorn sends no chunked
# answers to /sign: a redirect or a page, both with a length).
HEAD_END = b"\r\n\r\n"


class Client:
    """One supporter's browser: a connection, the request in flight, what it sent."""

    def __init__(self, port: int, form: dict, cookie: str, run: str, worker_id: int) -> None:
        self.port, self.form, self.cookie, self.run = port, form, cookie, run
        self.worker_id = worker_id
        self.rng = random.Random(worker_id)
        self.n = 0
        self.sock: socket.socket | None = None
        self.email = ""
        self.started = 0.0
        self.buffer = b""

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        self.sock = sock
        return sock

    def next_request(self) -> bytes:
        self.n += 1
        self.email = f"{self.run}-w{self.worker_id}-n{self.n}@example.org"
        body = urlencode(
            {
                **self.form,
                "given_name": "Bench",
                "family_name": "Supporter",
                "country": "DE",
                "postcode_city": "10115",
                "email": self.email,
            }
        ).encode()
        # a different client address per request, as from many supporters behind one proxy
        rng = self.rng
        address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        head = (
            f"POST /sign HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nX-Forwarded-For: {address}\r\n"
            + (f"Cookie: {self.cookie}\r\n" if self.cookie else "")
            + "\r\n"
        )
        self.buffer = b""
        self.started = time.perf_counter()
        return head.encode() + body

    def answer(self) -> int | None:
        """The status once the whole answer is in the buffer, else None."""
        end = self.buffer.find(HEAD_END)
        if end < 0:
            return None
        head = self.buffer[:end].decode("latin-1")
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
        if len(self.buffer) < end + len(HEAD_END) + length:
            return None
        return int(head.split(" ", 2)[1])


def _process(args):
    port, form, cookie, run, process_id, clients, seconds = args
    before = resource.getrusage(resource.RUSAGE_SELF)
    deadline = time.monotonic() + seconds
    acked, failures, latencies = [], [], []
    selector = selectors.DefaultSelector()

    def start(client: Client, fresh: bool = False) -> None:
        """Send the client's next request, on a new connection if fresh (or if the old one
        turns out closed: that request counts as failed, as http.client's would)."""
        while time.monotonic() < deadline:
            try:
                if fresh:
                    if client.sock is not None:
                        selector.unregister(client.sock)
                        client.sock.close()
                        client.sock = None
                    selector.register(client.connect(), selectors.EVENT_READ, client)
                client.sock.sendall(client.next_request())
                return
            except OSError as error:
                failures.append((client.email, type(error).__name__))
                fresh = True
        stop(client)

    def stop(client: Client) -> None:
        nonlocal active
        if client.sock is not None:
            selector.unregister(client.sock)
            client.sock.close()
            client.sock = None
        active -= 1

    everyone = [Client(port, form, cookie, run, process_id * 1000 + t) for t in range(clients)]
    active = clients
    for client in everyone:
        start(client, fresh=True)
    while active:
        events = selector.select(timeout=1)
        now = time.perf_counter()
        for client in everyone:  # no answer in 30 s: lost, as http.client's timeout said
            if client.sock is not None and now - client.started > 30:
                failures.append((client.email, "timeout"))
                start(client, fresh=True)
        for key, _ in events:
            client: Client = key.data
            if key.fileobj is not client.sock:  # replaced or stopped since select()
                continue
            try:
                chunk = client.sock.recv(65536)
            except OSError as error:
                chunk, failure = b"", type(error).__name__
            else:
                failure = "RemoteDisconnected"
            if not chunk:  # the server closed the connection: the request is lost
                failures.append((client.email, failure))
                start(client, fresh=True)
                continue
            client.buffer += chunk
            status = client.answer()
            if status is None:
                continue
            latencies.append(time.perf_counter() - client.started)
            if status == 303:
                acked.append(client.email)
            else:
                failures.append((client.email, status))
            start(client)
    usage = resource.getrusage(resource.RUSAGE_SELF)  # the load only, not the start-up
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    return acked, failures, latencies, cpu


def run_signing_load(port, form, cookie, run, clients, seconds, processes=2) -> dict:
    """clients concurrent supporters for seconds; every answer accounted for."""
    per_process = [
        clients // processes + (1 if i < clients % processes else 0) for i in range(processes)
    ]
    jobs = [(port, form, cookie, run, i, n, seconds) for i, n in enumerate(per_process) if n]
    with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
        results = pool.map(_process, jobs)
    acked = [email for r in results for email in r[0]]
    failures = [f for r in results for f in r[1]]
    latencies = sorted(lat for r in results for lat in r[2])
    return {
        "acked": acked,
        "failures": failures,
        "p50_ms": latencies[len(latencies) // 2] * 1000 if latencies else 0.0,
        "client_cpu_seconds": sum(r[3] for r in results),
    }
