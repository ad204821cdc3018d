"""The OpenAPI schema the app team builds against is docs/openapi.yaml, kept in step.

1. The committed file is exactly what the code generates (else: the command to run).
2. What breaks an app already installed (a path, a method, a field or an enum value removed,
   a field's type changed) is named in docs/api-changelog.md. The schema it compares against
   is the committed one: the file in the working tree and, when git is at hand, the file's
   two latest committed versions, so regenerating and committing does not wave a removal
   through; entries stay in the changelog, so an old entry keeps covering its change.
"""

import difflib
import json
import subprocess
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "docs" / "openapi.yaml"
CHANGELOG = ROOT / "docs" / "api-changelog.md"
UPDATE = ".venv/bin/python manage.py spectacular --file docs/openapi.yaml --validate"
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def generated(tmp_path_factory, django_db_blocker) -> str:
    target = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--file", str(target))
    return target.read_text()


def test_the_committed_schema_is_the_generated_one(generated):
    committed = COMMITTED.read_text() if COMMITTED.exists() else ""
    if committed == generated:
        return
    diff = "".join(
        list(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                generated.splitlines(keepends=True),
                "docs/openapi.yaml (committed)",
                "generated",
            )
        )[:60]
    )
    pytest.fail(
        "docs/openapi.yaml is not the schema the code generates. Update it with\n\n"
        f"    {UPDATE}\n\nand list any removal or type change in docs/api-changelog.md.\n\n" + diff
    )


def _resolve(schema: dict, schemas: dict) -> dict:
    """A `$ref` is followed: a component's name is not on the wire, its shape is."""
    seen = 0
    while "$ref" in schema and seen < 10:
        schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
        seen += 1
    return schema


def _type_of(schema: dict, schemas: dict) -> str:
    """What a client parses: the type, format and item type (not the texts, not the names)."""
    schema = _resolve(schema, schemas)
    keep = {k: schema.get(k) for k in ("type", "format") if k in schema}
    if "properties" in schema:
        keep["type"] = "object"
    for key in ("allOf", "oneOf", "anyOf"):
        if key in schema:
            keep[key] = [_type_of(s, schemas) for s in schema[key]]
    if "items" in schema:
        keep["items"] = _type_of(schema["items"], schemas)
    return json.dumps(keep, sort_keys=True)


def _enum_of(schema: dict, schemas: dict) -> set:
    schema = _resolve(schema, schemas)
    values = set(schema.get("enum") or [])
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            values |= _enum_of(part, schemas)
    return values


def breaking_changes(old: dict, new: dict) -> list[str]:
    """The names of what `new` removed or retyped compared with `old`."""
    changes = []
    old_paths, new_paths = old.get("paths", {}), new.get("paths", {})
    for path, operations in old_paths.items():
        if path not in new_paths:
            changes.append(path)
            continue
        changes += [
            f"{m.upper()} {path}" for m in operations if m in METHODS and m not in new_paths[path]
        ]
    old_schemas = old.get("components", {}).get("schemas", {})
    new_schemas = new.get("components", {}).get("schemas", {})
    for name, schema in old_schemas.items():
        if name not in new_schemas:
            continue  # a renamed component is not on the wire; its paths and fields are checked
        now = new_schemas[name]
        new_props = now.get("properties", {})
        for field, prop in schema.get("properties", {}).items():
            if field not in new_props or _type_of(prop, old_schemas) != _type_of(
                new_props[field], new_schemas
            ):
                changes.append(f"{name}.{field}")
            else:
                gone = _enum_of(prop, old_schemas) - _enum_of(new_props[field], new_schemas)
                changes += [f"{name}.{field}={value}" for value in sorted(gone, key=str)]
    return changes


def _baselines() -> dict[str, str]:
    found = {}
    if COMMITTED.exists():
        found["docs/openapi.yaml"] = COMMITTED.read_text()
    try:
        shas = subprocess.run(
            ["git", "log", "-n", "2", "--format=%H", "--", "docs/openapi.yaml"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.split()
        for sha in shas:
            found[f"docs/openapi.yaml at {sha[:10]}"] = subprocess.run(
                ["git", "show", f"{sha}:docs/openapi.yaml"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
                timeout=30,
            ).stdout
    except (OSError, subprocess.SubprocessError):
        pass  # no git (an installed wheel, a Docker image): the working tree's file alone
    return found


def test_a_removal_or_a_type_change_is_in_the_changelog(generated):
    new = yaml.safe_load(generated)
    changelog = CHANGELOG.read_text()
    unlisted = {}
    for label, text in _baselines().items():
        for change in breaking_changes(yaml.safe_load(text), new):
            if change not in changelog:
                unlisted.setdefault(change, label)
    assert not unlisted, (
        "The API removes or retypes what apps in people's phones use, and "
        "docs/api-changelog.md does not name it. Add an entry naming each of:\n"
        + "\n".join(f"    {change}   (compared with {label})" for change, label in unlisted.items())
    )


# --- the comparison itself ---------------------------------------------------------------

OLD = {
    "paths": {"/api/v1/a/": {"get": {}, "delete": {}}, "/api/v1/b/": {"get": {}}},
    "components": {
        "schemas": {
            "Thing": {
                "properties": {
                    "name": {"type": "string"},
                    "size": {"type": "integer"},
                    "state": {"type": "string", "enum": ["on", "off"]},
                    "colour": {"$ref": "#/components/schemas/ColourEnum"},
                    "shade": {"$ref": "#/components/schemas/ShadeEnum"},
                }
            },
            "ColourEnum": {"enum": ["red", "blue"], "type": "string"},
            "ShadeEnum": {"enum": ["light", "dark"], "type": "string"},
            "Gone": {"properties": {}},
        }
    },
}


def test_what_counts_as_breaking():
    new = {
        "paths": {"/api/v1/a/": {"get": {}}, "/api/v1/c/": {"get": {}}},
        "components": {
            "schemas": {
                "Thing": {
                    "properties": {
                        "size": {"type": "string"},
                        "state": {"type": "string", "enum": ["on"]},
                        "colour": {"$ref": "#/components/schemas/ColourEnum"},
                        # renamed component, same values: not breaking
                        "shade": {"$ref": "#/components/schemas/ThingShadeEnum"},
                        "added": {"type": "string"},
                    }
                },
                "ColourEnum": {"enum": ["red", "green"], "type": "string"},
                "ThingShadeEnum": {"enum": ["light", "dark"], "type": "string"},
            }
        },
    }
    assert sorted(breaking_changes(OLD, new)) == sorted(
        [
            "DELETE /api/v1/a/",
            "/api/v1/b/",
            "Thing.name",
            "Thing.size",
            "Thing.state=off",
            "Thing.colour=blue",
        ]
    )


def test_additions_and_new_texts_are_not_breaking():
    new = json.loads(json.dumps(OLD))
    new["paths"]["/api/v1/new/"] = {"post": {}}
    new["components"]["schemas"]["Thing"]["properties"]["name"]["description"] = "Reworded."
    new["components"]["schemas"]["Thing"]["properties"]["state"]["enum"].append("standby")
    new["components"]["schemas"]["ColourEnum"]["enum"].append("green")
    assert breaking_changes(OLD, new) == []
