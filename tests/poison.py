"""Poisoned rows for the periodic-isolation tests: the database itself refuses one row's write.

Where no data can make the real code fail (the jobs digest has one: an absurd date), a
trigger stands for what breaks one item in production (a constraint, a corrupt row, a lock
timeout): the write for that row raises a real database error inside our real code, nothing
of ours is mocked. The trigger lives in the test's transaction and goes with it.
"""

import itertools

from django.db import connection

_names = itertools.count()


def refuse(model, *, on: str, when: str) -> None:
    """Make the database raise on `on` ("INSERT", "UPDATE" or "DELETE") of `model`'s rows
    matching `when` (SQL on NEW or OLD, e.g. "OLD.id = 4")."""
    table = model._meta.db_table
    name = f"poison_{table}_{next(_names)}"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f'CREATE TRIGGER {name} BEFORE {on} ON "{table}" WHEN {when} '
                "BEGIN SELECT RAISE(ABORT, 'poisoned row'); END"
            )
        else:
            cursor.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN IF {when} THEN RAISE EXCEPTION 'poisoned row'; END IF; "
                "RETURN COALESCE(NEW, OLD); END $$"
            )
            cursor.execute(
                f'CREATE TRIGGER {name} BEFORE {on} ON "{table}" '
                f"FOR EACH ROW EXECUTE FUNCTION {name}()"
            )


def failed_ids(caplog, task: str) -> list[str]:
    """The item ids the periodic loop `task` logged as failed."""
    prefix = f"periodic task {task}: item "
    return [
        record.getMessage()[len(prefix) :].split(" ", 1)[0]
        for record in caplog.records
        if record.name == "services.periodic" and record.getMessage().startswith(prefix)
    ]
