"""Pending profile changes waiting for review (REC-15, table rec_proposal) and the default duplicate
rules (REC-11): ID number, name + birthday, mobile phone."""
from app.core.raw_migration import sql_forwards

ID = "2026-11-23T11:20:07:418233"
VERSION = "1.38.0"
DESCRIPTION = "records proposals and default dedupe rules"

STATEMENTS = [
    """CREATE TABLE IF NOT EXISTS rec_proposal (
        id BIGSERIAL PRIMARY KEY,
        person BIGINT NOT NULL REFERENCES rec_person (id) ON DELETE CASCADE,
        "values" JSONB NOT NULL DEFAULT '{}',
        source VARCHAR(32) NOT NULL DEFAULT '',
        status VARCHAR(16) NOT NULL DEFAULT 'open',
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        decided_at TIMESTAMPTZ NULL,
        decided_by BIGINT NULL,
        decided_by_name VARCHAR(64) NOT NULL DEFAULT '',
        applied JSONB NULL)""",
    "CREATE INDEX IF NOT EXISTS rec_proposal_person ON rec_proposal (person, status)",
    """INSERT INTO rec_rule (kind, name, fields, field, mode, enabled, sort, created_at, updated_at)
       SELECT 'dedupe', x.name, x.fields::varchar[], '', '', TRUE, x.sort, now(), now()
       FROM (VALUES ('ID number', '{id_number}', 1), ('Name and birthday', '{name,birthday}', 2),
                    ('Mobile phone', '{phone}', 3)) AS x(name, fields, sort)
       WHERE NOT EXISTS (SELECT 1 FROM rec_rule WHERE kind = 'dedupe')""",
]


forwards = sql_forwards(ID, "records", DESCRIPTION, STATEMENTS)
