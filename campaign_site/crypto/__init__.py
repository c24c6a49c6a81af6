"""Keys and what they protect: keyrings, sealed boxes of personal data, the mailbox index,
key rotation, admin password hashes. No request, no template."""
