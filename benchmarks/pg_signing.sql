-- One signature as the site writes it on PostgreSQL (see petition/signing.py and
-- petition/mail_queue.py): the row with its sealed box and blind index, and its email in
-- the outbox, in one transaction. `make bench` runs it with pgbench to measure what the
-- database alone can take, without the app in front.
\set n random(1, 2000000000)
BEGIN;
INSERT INTO signature (personal, email_hash, country, language, keep_informed, show_name,
                       signed_at, status, token_nonce, last_emailed_at, review_marks)
VALUES (decode(repeat(md5(:n::text), 4), 'hex'),
        sha256(convert_to(:client_id || '-' || :n || '-' || random(), 'UTF8')),
        'DE', 'en', false, false, now(), 'pending', md5(random()::text), now(), '')
ON CONFLICT (email_hash) DO NOTHING RETURNING id \gset
INSERT INTO outbox_message (signature_id, kind, created_at, next_attempt_at, attempts)
VALUES (:id, 'confirm', now(), now(), 0);
COMMIT;
