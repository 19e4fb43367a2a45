"""A natural person's ID number stays hidden from readers without ``view_unmasked``.

The ways round the mask this guards: a console link that redirects to a URL holding the
number, a search by prefix (or by a fragment of the name) that recovers it one character at a
time, listings and ratings that print it, and error messages that repeat it. Natural persons
are named by their reference ``id-<n>`` instead; organisations' USCCs are public and stay.
"""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.e2e.api.world import BOTH, PERSON, WATER_ONLY, World
from utilcredit.access.model import PERMISSIONS, Permission
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.customers.tables import SubjectRow
from utilcredit.identifiers import mask_id_number
from utilcredit.identifiers.model import ric_check_char
from utilcredit.localtime import today
from utilcredit.policies.service import policy_at
from utilcredit.rating import service as rating

MASKED = "3208261980****004X"


def person_ref(engine: Engine) -> str:
    with engine.connect() as connection:
        subject_id = connection.execute(
            select(SubjectRow.id).where(SubjectRow.code == PERSON)
        ).scalar_one()
    return f"id-{subject_id}"


def test_the_console_never_redirects_to_a_url_holding_the_number(
    client: TestClient, world: World, engine: Engine
) -> None:
    ref = person_ref(engine)
    subject_id = ref.removeprefix("id-")
    for username in ("office", "auditor-water", "op-water"):
        response = client.get(
            f"/subjects/by-id/{subject_id}",
            headers=world.headers(username),
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"/subjects/{ref}"
        page = client.get(response.headers["location"], headers=world.headers(username))
        assert page.status_code == 200
        assert PERSON not in page.text and MASKED in page.text
        assert f'href="/subjects/{ref}?unmasked=true' in page.text or username != "op-water"


def test_search_matches_personal_numbers_and_names_only_whole_without_view_unmasked(
    client: TestClient, world: World
) -> None:
    for username in ("office", "auditor-water"):
        headers = world.headers(username)

        def codes(query: str, headers: dict[str, str] = headers) -> list[str]:
            found = client.get("/api/subjects", params={"q": query}, headers=headers)
            assert found.status_code == 200, found.text
            return [item["code"] for item in found.json()["items"]]

        # The masked digits cannot be recovered one at a time …
        for length in (10, 11, 14, 17):
            assert codes(PERSON[:length]) == [], (username, length)
        assert codes("三丰") == [] and codes("张") == []
        # … but the whole number, or the whole name, finds the person (masked).
        assert codes(PERSON) == [MASKED] and codes(PERSON.lower()) == [MASKED]
        assert codes("张三丰") == [MASKED]
        # Organisations' codes are public: prefix search stays, for every reader.
        assert codes(WATER_ONLY[:17]) == [WATER_ONLY]
        # The console's search is the same search.
        page = client.get("/subjects", params={"q": PERSON[:14]}, headers=headers)
        assert MASKED not in page.text and PERSON not in page.text
    # Readers who may see the number in clear keep prefix search.
    found = client.get(
        "/api/subjects", params={"q": PERSON[:14]}, headers=world.headers("op-water")
    )
    assert [item["code"] for item in found.json()["items"]] == [MASKED]


def test_a_natural_person_is_reached_by_reference_and_shown_masked(
    client: TestClient, world: World, engine: Engine
) -> None:
    ref = person_ref(engine)
    headers = world.headers("office")
    hits = client.get("/api/subjects", params={"q": PERSON}, headers=headers).json()["items"]
    assert [(h["code"], h["ref"]) for h in hits] == [(MASKED, ref)]
    organisation = client.get("/api/subjects", params={"q": "丙综合"}, headers=headers).json()
    assert organisation["items"][0]["ref"] == BOTH

    for suffix in ("", "/rating", "/bills", "/payments", "/incidents"):
        response = client.get(f"/api/subjects/{ref}{suffix}", headers=headers)
        assert response.status_code == 200, (suffix, response.text)
        assert PERSON not in response.text, suffix
    credit_file = client.get(f"/api/subjects/{ref}", headers=headers).json()
    assert credit_file["subject"]["code"] == MASKED and credit_file["subject"]["ref"] == ref
    rated = client.get(f"/api/subjects/{ref}/rating", headers=headers).json()
    assert rated["subject"] == MASKED and rated["explanation"]["subject"] == MASKED
    assert MASKED in rated["explanation_text"]
    # Asked with the number, a reader who may see it gets it echoed as before.
    clear = client.get(f"/api/subjects/{PERSON}/rating", headers=world.headers("op-water"))
    assert clear.status_code == 200 and clear.json()["subject"] == PERSON
    # A rating error names the subject masked, too.
    wrong = client.get(f"/api/subjects/{ref}/rating?policy=huaiyin-power", headers=headers)
    assert wrong.status_code == 404 and PERSON not in wrong.text and MASKED in wrong.text


def test_accounts_search_names_the_holder_by_reference(
    client: TestClient, world: World, engine: Engine
) -> None:
    found = client.get("/api/accounts", params={"q": "W4"}, headers=world.headers("office"))
    [account] = found.json()["items"]
    assert account["subject_code"] == MASKED and account["subject_ref"] == person_ref(engine)
    [organisation] = client.get(
        "/api/accounts", params={"q": "W1"}, headers=world.headers("office")
    ).json()["items"]
    assert organisation["subject_ref"] == WATER_ONLY


def test_a_reference_to_another_utilitys_subject_is_404_and_names_no_number(
    client: TestClient, world: World, engine: Engine
) -> None:
    ref = person_ref(engine)
    for path in (f"/api/subjects/{ref}", f"/api/subjects/{ref}/rating", f"/subjects/{ref}"):
        response = client.get(path, headers=world.headers("op-power"))
        assert response.status_code == 404, path
        assert PERSON not in response.text and "张三丰" not in response.text
    for unknown in ("id-99999", "id-9999999999"):  # beyond a 32-bit key, too
        response = client.get(f"/api/subjects/{unknown}", headers=world.headers("op-power"))
        assert response.status_code == 404
    with engine.connect() as connection:
        denied = list(
            connection.execute(
                select(AuditEntryRow.actor, AuditEntryRow.entity).where(
                    AuditEntryRow.action == "access_denied"
                )
            )
        )
    assert [tuple(d) for d in denied] == [("op-power", "subject")] * 3


def test_console_links_name_a_person_by_reference_even_when_opened_by_number(
    client: TestClient, world: World, engine: Engine
) -> None:
    ref = person_ref(engine)
    opened = client.get(
        f"/subjects/{PERSON}?policy=lianshui-water",
        headers=world.headers("op-water"),
        follow_redirects=False,
    )
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/subjects/{ref}?policy=lianshui-water"
    page = client.get(opened.headers["location"], headers=world.headers("op-water"))
    assert page.status_code == 200
    assert PERSON not in page.text  # masked by default, and no link holds it
    assert f"/subjects/{ref}/table/bills" in page.text
    table = client.get(f"/subjects/{ref}/table/bills", headers=world.headers("office"))
    assert table.status_code == 200 and PERSON not in table.text
    evidence = client.get(
        f"/subjects/{ref}/evidence?kind=account&ref=W4", headers=world.headers("office")
    )
    assert evidence.status_code == 200 and PERSON not in evidence.text
    unmasked = client.get(f"/subjects/{ref}?unmasked=true", headers=world.headers("op-water"))
    assert PERSON in unmasked.text  # shown in clear on request (audited) …
    assert f"/subjects/{PERSON}" not in unmasked.text  # … but never in a link


def override_on_person(client: TestClient, world: World, engine: Engine) -> int:
    loaded = policy_at("lianshui-water", None)
    with engine.connect() as connection:
        computed = rating.rate_subject(connection, PERSON, loaded.policy, today()).level
    level = next(lv for lv in loaded.policy.levels if lv != computed)
    created = client.post(
        f"/api/subjects/{person_ref(engine)}/overrides",
        json={
            "policy": "lianshui-water",
            "level": level.value,
            "reason": "已签订分期还款协议并按期履行",
            "expires_on": (today() + dt.timedelta(days=30)).isoformat(),
        },
        headers=world.headers("op-water"),
    )
    assert created.status_code == 201, created.text
    override_id: int = created.json()["id"]
    return override_id


def test_override_listings_mask_the_number_for_readers_without_view_unmasked(
    client: TestClient, world: World, engine: Engine
) -> None:
    override_id = override_on_person(client, world, engine)
    ref = person_ref(engine)
    for username in ("office", "auditor-water"):
        headers = world.headers(username)
        listed = client.get("/api/overrides", headers=headers)
        [item] = listed.json()["items"]
        assert item["override"]["subject_code"] == MASKED and item["subject_ref"] == ref
        one = client.get(f"/api/overrides/{override_id}", headers=headers)
        assert one.json()["override"]["subject_code"] == MASKED
        credit_file = client.get(f"/api/subjects/{ref}", headers=headers).json()
        assert [o["subject_code"] for o in credit_file["overrides"]] == [MASKED]
        page = client.get("/overrides?all=true", headers=headers)
        assert PERSON not in page.text and f'href="/subjects/{ref}?policy=' in page.text
        for response in (listed, one, page):
            assert PERSON not in response.text
    reviewer = client.get("/api/overrides", headers=world.headers("rev-water")).json()
    assert reviewer["items"][0]["override"]["subject_code"] == PERSON
    # Requests and decisions answer with the subject's code unmasked: only roles that may see
    # personal data in clear can make them (an invariant of the permission table).
    for role, permissions in PERMISSIONS.items():
        if permissions & {Permission.REQUEST_OVERRIDE, Permission.DECIDE_OVERRIDE}:
            assert Permission.VIEW_UNMASKED in permissions, role


def test_whole_number_searches_by_readers_who_see_it_masked_are_audited(
    client: TestClient, world: World, engine: Engine
) -> None:
    """The mask keeps the check character: guessing birth dates one exact search at a time
    would confirm a number, so every such search (hit or miss) is in the audit log."""
    miss = PERSON[:10] + "0615" + PERSON[14:17]
    miss += ric_check_char(miss)
    for query in (PERSON, miss, PERSON[:14], "张三丰"):
        found = client.get("/api/subjects", params={"q": query}, headers=world.headers("office"))
        assert found.status_code == 200, found.text
    client.get("/api/subjects", params={"q": PERSON}, headers=world.headers("op-water"))

    with engine.connect() as connection:
        rows = connection.execute(
            select(AuditEntryRow.actor, AuditEntryRow.entity_key, AuditEntryRow.detail)
            .where(AuditEntryRow.action == "search_personal_number")
            .order_by(AuditEntryRow.id)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("office", PERSON, {"found": True}),
        ("office", mask_id_number(miss), {"found": False}),
    ]
