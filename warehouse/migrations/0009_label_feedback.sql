-- Analysts' corrections of the classifier, exported into the training data by `train --with-feedback`.

create table label_feedback (
    article_id     varchar not null,
    label          varchar not null,
    value          integer not null,
    verdict        varchar not null,
    model_version  varchar,
    model_flagged  boolean,
    note           varchar,
    labeled_by     varchar,
    labeled_at     timestamp not null,
    primary key (article_id, label)
);
comment on table label_feedback is 'Corrections by analysts (`newsmon label`): for an article and label, what the answer should be; the latest word on a pair replaces the earlier one.';
comment on column label_feedback.article_id is 'articles.article_id.';
comment on column label_feedback.label is 'integration or decentralization.';
comment on column label_feedback.value is 'The right answer: 1 when the label applies, 0 when it does not.';
comment on column label_feedback.verdict is 'What the analyst said of the model''s answer: right or wrong (or set, when the value was given directly).';
comment on column label_feedback.model_version is 'The model whose answer was judged (null when the article had no score).';
comment on column label_feedback.model_flagged is 'Whether that model flagged the label.';
comment on column label_feedback.note is 'The analyst''s reason, free text.';
comment on column label_feedback.labeled_by is 'Who gave the feedback (NEWSMON user or the login name).';
comment on column label_feedback.labeled_at is 'When the feedback was given (UTC).';
