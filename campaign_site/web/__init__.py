"""Request plumbing shared by the blueprints: languages, countries, assets, errors, security
headers, rate limits, sessions, template filters, catalogs, log redaction, the onion service."""
