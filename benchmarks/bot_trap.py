"""What each design of the form-timing trap lets through, now that the page is cached.

`python -m benchmarks.bot_trap` plays bots and people against the site's real check
(public/bots.timing_marks, the stamp signed as the site signs it) with a simulated clock,
for three designs, and prints the share of each kind that gets a review mark:

  cached-stamp   the stamp rendered into the page: a shared cache hands it out for up to
                 PUBLIC_CACHE_S_MAXAGE (+ PUBLIC_CACHE_SECONDS) after it was made;
  focus-stamp    the page carries none; site.js fetches /api/form-stamp when the visitor
                 first focuses the form;
  first-sign     the same, fetched at the visitor's first scroll, tap, key or focus (the
                 design kept: public/bots.py, static/js/site.js);
  no-trap        no timing check at all, only the busy-address marks of the rate limits.

Marks never turn anyone away: a mark only puts a signature in
the organisers' review queue, so a false mark on a person costs review time, not a signature.
"""

import random
from dataclasses import dataclass

from itsdangerous import TimestampSigner

from campaign_site import create_app
from campaign_site.public import bots
from campaign_site.public.forms import SignatureForm

TRIALS = 2000


@dataclass(frozen=True)
class Visitor:
    name: str
    loads_page: bool  # fetches the HTML before posting
    runs_script: bool  # site.js runs
    read_seconds: tuple[float, float]  # from the first scroll or tap to focusing the form
    fill_seconds: tuple[float, float]  # from focusing the form to posting


VISITORS = [
    Visitor("bot: posts without loading the page", False, False, (0, 0), (0.0, 0.2)),
    Visitor("bot: loads the HTML, posts at once (no script)", True, False, (0, 0), (0.0, 1.0)),
    Visitor("bot: headless browser, fills at once", True, True, (0, 0), (0.1, 1.5)),
    Visitor("bot: patient, waits 4 s before posting", True, True, (0, 0), (4.0, 6.0)),
    Visitor("person with script, reads, types (10-120 s)", True, True, (5, 90), (10.0, 120.0)),
    Visitor("person with autofill, reads, signs (1-3 s)", True, True, (5, 90), (1.0, 3.0)),
    Visitor("person with autofill, straight to the form", True, True, (0.5, 2), (1.0, 3.0)),
    Visitor("person without script (10-120 s)", True, False, (5, 90), (10.0, 120.0)),
]


class Clock:
    """time.time() for the signer and the check, moved by the simulation."""

    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def time(self) -> float:
        return self.now


def marked(app, clock: Clock, design: str, visitor: Visitor, rng: random.Random) -> bool:
    """One visit: does the real check give this submission a review mark?"""
    if design == "no-trap":
        return False
    cache_age = rng.uniform(
        0, app.config["PUBLIC_CACHE_S_MAXAGE"] + app.config["PUBLIC_CACHE_SECONDS"]
    )
    read = rng.uniform(*visitor.read_seconds)
    fill = rng.uniform(*visitor.fill_seconds)
    stamp = ""
    if design == "cached-stamp" and visitor.loads_page:
        clock.now -= cache_age  # the page was rendered (and stamped) this long ago
        stamp = _stamp(app)
        clock.now += cache_age
    elif design == "first-sign" and visitor.runs_script:
        stamp = _stamp(app)  # at the first scroll or tap
    clock.now += read
    if design == "focus-stamp" and visitor.runs_script:
        stamp = _stamp(app)  # at the first focus in the form
    clock.now += fill
    try:
        with app.test_request_context("/sign", method="POST", data={"started": stamp}):
            return bool(bots.timing_marks(SignatureForm()))
    finally:
        clock.now -= read + fill


def _stamp(app) -> str:
    with app.test_request_context("/"):
        return bots.form_started_stamp()


def main() -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SIGNING_MIN_SECONDS": 3,
            "PUBLIC_CACHE_SECONDS": 2,
            "PUBLIC_CACHE_S_MAXAGE": 60,
        }
    )
    clock = Clock()
    bots.time.time = clock.time  # the check's clock ...
    TimestampSigner.get_timestamp = lambda self: int(clock.time())  # ... and the signer's
    rng = random.Random(16)
    designs = ["cached-stamp", "focus-stamp", "first-sign", "no-trap"]
    print(f"share marked for review, {TRIALS} visits each (SIGNING_MIN_SECONDS=3, s-maxage 60 s)")
    print(f"| Visitor | {' | '.join(designs)} |")
    print(f"| --- | {' | '.join('---:' for _ in designs)} |")
    for visitor in VISITORS:
        shares = [
            sum(marked(app, clock, design, visitor, rng) for _ in range(TRIALS)) / TRIALS
            for design in designs
        ]
        print(f"| {visitor.name} | {' | '.join(f'{share:.0%}' for share in shares)} |")


if __name__ == "__main__":
    main()
