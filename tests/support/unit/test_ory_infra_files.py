"""The Keto and Oathkeeper files under ``infra/`` say what the code does: the namespaces, the
depth, the relations the OPL file declares, the example tuples, the handlers the rules use.

(No YAML parser is installed, so the YAML files are read as text, line patterns only.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

from bounded_contexts.support.adapters.relation_tuples import InMemoryRelationTuples
from bounded_contexts.support.application.users import UserAdministration
from bounded_contexts.support.domain.access_model import (
    NAMESPACES,
    Role,
    account_grants,
    platform_grants,
    user_grants,
)
from bounded_contexts.support.domain.relations import (
    DEFAULT_MAX_DEPTH,
    RelationTuple,
    SubjectId,
    SubjectSet,
)

ROOT = Path(__file__).resolve().parents[3]
KETO = ROOT / "infra" / "keto"
OATHKEEPER = ROOT / "infra" / "oathkeeper"


def from_keto_json(body: dict) -> RelationTuple:  # type: ignore[type-arg]
    s = body.get("subject_set")
    subject = SubjectSet(**s) if s else SubjectId(body["subject_id"])
    return RelationTuple(body["namespace"], body["object"], body["relation"], subject)


def load(name: str) -> list[RelationTuple]:
    return [from_keto_json(b) for b in json.loads((KETO / "tuples" / name).read_text())]


def test_the_keto_config_declares_the_models_namespaces_and_depth() -> None:
    text = (KETO / "keto.yml").read_text()
    assert re.findall(r"^  - id: \d+\n    name: (\w+)$", text, re.M) == list(NAMESPACES)
    assert re.search(r"^  max_read_depth: (\d+)$", text, re.M).group(1) == str(DEFAULT_MAX_DEPTH)  # type: ignore[union-attr]


def test_the_example_tuples_are_the_models() -> None:
    assert load("00-platform.json") == list(platform_grants())
    demo = load("10-demo-users.json")
    expected: list[RelationTuple] = []
    for user, role, accounts in [
        ("alice", Role.TRADER, ("DEMO-001",)),
        ("rita", Role.RISK, ()),
        ("carol", Role.AUDITOR, ()),
        ("reggie", Role.REGULATOR, ()),
        ("adam", Role.ADMIN, ()),
    ]:
        expected += [t for t in user_grants(user, role, accounts) if t not in expected]
    assert demo == expected
    store = InMemoryRelationTuples([*load("00-platform.json"), *demo])
    assert store.check("accounts", "DEMO-001", "trade", "alice")
    assert store.check("platform", "quantvista", "audit", "carol")
    assert [r.name for r in UserAdministration(store).list()] == [
        "adam",
        "alice",
        "carol",
        "reggie",
        "rita",
    ]


def test_the_opl_file_declares_every_relation_and_subject_set_the_model_writes() -> None:
    text = (KETO / "namespaces.keto.ts").read_text()
    classes = {
        chunk.split()[0]: chunk for chunk in text.split("\nclass ")[1:]
    }  # name -> its declaration
    assert set(NAMESPACES) <= set(classes)
    declared = {
        (namespace, relation): types
        for namespace, body in classes.items()
        for relation, types in re.findall(r"^\s+(\w+): (.+)$", body, re.M)
    }
    written = [
        *platform_grants(),
        *account_grants("X"),
        *user_grants("u", Role.TRADER, ("X",)),
        *user_grants("u", Role.VIEWER, ("X",)),
    ]
    for t in written:
        types = declared.get((t.namespace, t.relation))
        assert types is not None, f"{t.namespace}#{t.relation} is not declared"
        if isinstance(t.subject, SubjectSet):
            expected = f'SubjectSet<{t.subject.namespace}, "{t.subject.relation}">'
            assert expected in types, f"{t} needs {expected}"
        else:
            assert "User" in types, f"{t} needs User"


def test_the_oathkeeper_rules_use_enabled_handlers_and_reach_the_gateway() -> None:
    config = (OATHKEEPER / "oathkeeper.yml").read_text()
    rules = (OATHKEEPER / "access-rules.yml").read_text()
    enabled = set(re.findall(r"^\s+(\w+):\n\s+enabled: true$", config, re.M))
    used = set(re.findall(r"handler: (\w+)", rules))
    assert used <= enabled, used - enabled
    assert {"cookie_session", "bearer_token", "id_token"} <= used
    assert re.search(r'claims: \|\n\s+\{"aud": \["quantvista-gateway"\]\}', config)
    assert 'url: "http://gateway:8000"' in rules
