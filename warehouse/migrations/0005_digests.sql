-- The digest ledger: one row per ISO week sent, so a week is not sent twice unless forced.

create table digests (
    week         varchar primary key,
    recipients   varchar[] not null,
    sent_at      timestamp not null,
    message_id   varchar not null,
    subject      varchar not null,
    article_ids  varchar[] not null
);
comment on table digests is 'Weekly digests that were sent (a failed send leaves no row).';
comment on column digests.week is 'ISO week of the digest, e.g. 2026-W47 (Monday to Sunday, UTC).';
comment on column digests.recipients is 'Addresses the digest was sent to.';
comment on column digests.sent_at is 'When the SMTP server accepted the message (UTC).';
comment on column digests.message_id is 'Message-ID header of the sent email.';
comment on column digests.subject is 'Subject line of the sent email.';
comment on column digests.article_ids is 'articles.article_id of every article the digest listed.';
