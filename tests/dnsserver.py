"""A tiny DNS server on loopback (UDP) answering MX queries from a dict, for the mail
worker's MX lookups (DNS_NAMESERVERS=127.0.0.1:PORT)."""

import socket
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class DnsServer:
    """Answers MX queries for the domains in `mx` (domain -> mail server names), NXDOMAIN
    for the rest; with silent=True it reads queries and never answers (a timeout)."""

    def __init__(self, mx: dict[str, list[str]], silent: bool = False) -> None:
        self.mx = {domain.lower().rstrip("."): hosts for domain, hosts in mx.items()}
        self.silent = silent
        self.queries: list[str] = []  # the names asked, in order
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                data, client = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            self.queries.append(query.question[0].name.to_text(omit_final_dot=True).lower())
            if not self.silent:
                self.sock.sendto(self._answer(query).to_wire(), client)

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        if name not in self.mx:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.MX:
            records = [f"{10 * (n + 1)} {host}" for n, host in enumerate(self.mx[name])]
            response.answer.append(
                dns.rrset.from_text_list(question.name, 300, dns.rdataclass.IN, "MX", records)
            )
        return response
