"""The petition's rules: signing, confirming, withdrawing, counting, pausing, retention,
emailed-link tokens and the mail each change owes a supporter. No request, no template."""
