"""Flask's signed-cookie sessions, with the signing serializer built once per app.

Flask builds a fresh serializer (and re-checks its JSON serializer) twice per request; on
the campaign page every new visitor gets a session for the CSRF token (the cost is in
benchmarks/RESULTS.md, Speed seams). Same cookie format, same keys, same checks:
tests/test_seams.py fails if Flask's own interface stops reading our cookies or we its.
"""

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class CachedSerializerSessionInterface(SecureCookieSessionInterface):
    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        cached = app.extensions.get("campaign_site.session_serializer")
        if cached is None or cached[0] != (
            app.secret_key,
            tuple(app.config["SECRET_KEY_FALLBACKS"] or ()),
        ):
            serializer = super().get_signing_serializer(app)
            if serializer is None:
                return None
            cached = ((app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ())), serializer)
            app.extensions["campaign_site.session_serializer"] = cached
        return cached[1]
