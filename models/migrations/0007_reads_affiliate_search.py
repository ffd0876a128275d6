"""An index for the affiliates search (`filter: {search}`: a case-insensitive substring of name or email).

SQLite: an FTS5 table with the trigram tokenizer over `affiliates.search_text` (external content, so
it holds only the index), kept in step by triggers, so every writer (the ORM, the bulk seed, raw
SQL) keeps it in sync without knowing about it. `search_text` is already lower case (Python's
`str.lower`, as the search term is), so the tokenizer compares exactly (`case_sensitive 1`).

PostgreSQL: a GIN trigram index (pg_trgm) that serves the `LIKE '%term%'` the search already sends.
Where the extension cannot be created (no privilege, not installed) the migration leaves a warning
and no index: the search still works, as a scan.
"""

import logging

from tortoise import migrations
from tortoise.migrations import operations as ops

log = logging.getLogger("payouts.migrations")

SQLITE = """
CREATE VIRTUAL TABLE affiliates_search USING fts5(
    search_text, content='affiliates', content_rowid='id', tokenize='trigram case_sensitive 1'
);
CREATE TRIGGER affiliates_search_insert AFTER INSERT ON affiliates BEGIN
    INSERT INTO affiliates_search(rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER affiliates_search_update AFTER UPDATE OF search_text ON affiliates BEGIN
    INSERT INTO affiliates_search(affiliates_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO affiliates_search(rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER affiliates_search_delete AFTER DELETE ON affiliates BEGIN
    INSERT INTO affiliates_search(affiliates_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
INSERT INTO affiliates_search(affiliates_search) VALUES ('rebuild');
"""

POSTGRES_INDEX = "CREATE INDEX affiliates_search_trgm ON affiliates USING gin (search_text gin_trgm_ops)"


async def create_search_index(apps: object, schema_editor: object) -> None:
    client = schema_editor.client  # type: ignore[attr-defined]
    if client.capabilities.dialect == "sqlite":
        await client.execute_script(SQLITE)
        return
    if client.capabilities.dialect != "postgres":
        return
    # A savepoint: a refused CREATE EXTENSION must not abort the migration's transaction.
    await client.execute_script("SAVEPOINT reads_trgm")
    try:
        await client.execute_script("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as e:  # no privilege or not installed: the search stays a scan
        await client.execute_script("ROLLBACK TO SAVEPOINT reads_trgm")
        log.warning("pg_trgm is not available (%s): the affiliates search is not indexed", e)
        return
    await client.execute_script("RELEASE SAVEPOINT reads_trgm")
    await client.execute_script(POSTGRES_INDEX)


class Migration(migrations.Migration):
    dependencies = [('payouts', '0006_stripe_renewals_tiers')]

    initial = False

    operations = [ops.RunPython(create_search_index)]
