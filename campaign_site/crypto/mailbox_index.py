"""One key per mailbox, however its address is spelled: what "one signature each" means."""

# Gmail ignores dots in the local part, and googlemail.com is the same service.
GMAIL_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def mailbox_key(email: str) -> str:
    """The uniqueness key of an address: one key per mailbox, however it is spelled.

    Letter case, a "+tag" after the local part (most providers deliver those to the
    same mailbox) and, at Gmail, dots are ignored; the address as typed is kept for mail.
    """
    local, _, domain = email.casefold().rpartition("@")
    local = local.split("+", 1)[0] or local
    if domain in GMAIL_DOMAINS:
        domain = GMAIL_DOMAINS[domain]
        local = local.replace(".", "") or local
    return f"{local}@{domain}"
