"""The figures the public may see, in one place: the page, /api/count, the embed, the badge,
the page after confirming, the delivery pack and the admin pages all read them here.

- online: confirmed online signatures (the count shards; never a scan);
- paper: signatures collected on paper at events (paper.py), a line of their own, shown
  publicly only with SHOW_PAPER_SIGNATURES;
- countries: confirmed signatures per country, every country below PUBLIC_COUNTRY_MIN
  folded into "other countries", so one signer in a dangerous country never shows as a
  country of their own.
"""

from dataclasses import dataclass

from flask import current_app

from campaign_site.petition import counting, paper, short_cache
from campaign_site.petition.counting import CountryCounts

CACHE_KEY = "public-figures"


@dataclass(frozen=True)
class PublicFigures:
    """What may be said in public about how many have signed, and where."""

    online: int
    paper: int  # entered on paper; on public pages only when paper_shown
    paper_shown: bool  # SHOW_PAPER_SIGNATURES
    countries: CountryCounts
    goal: int

    @property
    def public_paper(self) -> int:
        """Paper signatures as a public page may state them (0 when they are not shown)."""
        return self.paper if self.paper_shown else 0

    @property
    def total(self) -> int:
        """Online and paper signatures together, as the delivery pack states them."""
        return self.online + self.paper


def public_figures() -> PublicFigures:
    """The figures now, read from the database (small queries, and one sum per country
    over the tally: about 80 ms at 1,000,000 signatures on SQLite)."""
    config = current_app.config
    return PublicFigures(
        online=counting.signature_count(),
        paper=paper.total(),
        paper_shown=bool(config["SHOW_PAPER_SIGNATURES"]),
        countries=counting.public_country_counts(config["PUBLIC_COUNTRY_MIN"]),
        goal=config["SIGNATURE_GOAL"],
    )


def online_signatures() -> int:
    """The online count now, alone (the count shards): for a page that states only it."""
    return counting.signature_count()


def paper_signatures() -> int:
    """Signatures entered on paper, alone: what the admin's pages state beside the online
    count, without the per-country sums public_figures() adds up over the whole tally."""
    return paper.total()


def recent_public_figures() -> PublicFigures:
    """The figures at most PUBLIC_CACHE_SECONDS old (short_cache): for what is asked often
    (/api/count every few seconds from every open page, the badge)."""
    figures: PublicFigures = short_cache.cached(CACHE_KEY, public_figures)
    return figures
