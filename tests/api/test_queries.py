"""Every root field and every relation, both ways, over the fixture dataset."""

from __future__ import annotations

from typing import Any

import asyncpg

from api.settings import Settings
from tests.conftest import Service, running_service


def data(body: dict[str, Any]) -> Any:
    assert "errors" not in body, body.get("errors")
    return body["data"]


async def test_events_newest_first_with_all_fields(service: Service) -> None:
    result = data(
        await service.graphql("""
        { events(first: 100) { totalCount nodes {
            id slug title summary date datePrecision endDate endDatePrecision category stance
            cooperationScore scoreRationale significance confidence confidenceNote } } }
    """)
    )
    events = result["events"]
    assert events["totalCount"] == 6
    dates = [e["date"] for e in events["nodes"]]
    assert dates == sorted(dates, reverse=True)
    bletchley = next(e for e in events["nodes"] if e["slug"] == "bletchley-declaration")
    assert bletchley["endDate"] == "2023-11-02"
    assert bletchley["stance"] == "COOPERATIVE"
    assert bletchley["cooperationScore"] == 4
    month = next(e for e in events["nodes"] if e["slug"] == "cn-genai-measures-published")
    assert (month["date"], month["datePrecision"]) == ("2023-07-01", "MONTH")
    year = next(e for e in events["nodes"] if e["slug"] == "uk-summit-announced")
    assert (year["date"], year["datePrecision"]) == ("2023-01-01", "YEAR")


async def test_event_relations(service: Service) -> None:
    result = data(
        await service.graphql("""
        { event(slug: "bis-controls-2022") {
            actors { totalCount edges { role node { slug } } }
            policies { nodes { slug issuer { slug } } }
            topics { nodes { slug } }
            sources { nodes { slug url } } } }
    """)
    )["event"]
    assert {(e["role"], e["node"]["slug"]) for e in result["actors"]["edges"]} == {
        ("INITIATOR", "us-bis"),
        ("TARGET", "china"),
    }
    assert result["actors"]["totalCount"] == 2
    assert result["policies"]["nodes"] == [
        {"slug": "bis-advanced-computing-rule-2022", "issuer": {"slug": "us-bis"}}
    ]
    assert result["topics"]["nodes"] == [{"slug": "chips"}]
    assert result["sources"]["nodes"][0]["slug"] == "bis-oct-2022"


async def test_an_implementing_event_and_the_event_it_implements(service: Service) -> None:
    result = data(
        await service.graphql("""
        { effect: event(slug: "cn-genai-measures-take-effect") {
            countedInIndex implements { slug countedInIndex implements { slug } }
            implementedBy { totalCount nodes { slug } } }
          published: event(slug: "cn-genai-measures-published") {
            countedInIndex implements { slug }
            implementedBy(filter: {category: [REGULATION]}) { totalCount nodes { slug implements { slug } } } }
          other: event(slug: "bletchley-declaration") {
            countedInIndex implements { slug } implementedBy { totalCount } } }
    """)
    )
    assert result["effect"] == {
        "countedInIndex": False,
        "implements": {"slug": "cn-genai-measures-published", "countedInIndex": True, "implements": None},
        "implementedBy": {"totalCount": 0, "nodes": []},
    }
    assert result["published"] == {
        "countedInIndex": True,
        "implements": None,
        "implementedBy": {
            "totalCount": 1,
            "nodes": [
                {"slug": "cn-genai-measures-take-effect", "implements": {"slug": "cn-genai-measures-published"}}
            ],
        },
    }
    assert result["other"] == {"countedInIndex": True, "implements": None, "implementedBy": {"totalCount": 0}}
    split = data(
        await service.graphql("""
        { out: events(filter: {countedInIndex: false}) { nodes { slug } }
          counted: events(filter: {countedInIndex: true}) { totalCount } }
    """)
    )
    assert split == {"out": {"nodes": [{"slug": "cn-genai-measures-take-effect"}]}, "counted": {"totalCount": 5}}


async def test_actor_relations_both_ways(service: Service) -> None:
    result = data(
        await service.graphql("""
        { china: actor(slug: "china") {
            nameZh kind country parent { slug }
            children { nodes { slug } }
            events(first: 100) { totalCount edges { role node { slug } } }
            sources { nodes { slug } } }
          bis: actor(slug: "us-bis") { parent { slug } policies { totalCount nodes { slug } } } }
    """)
    )
    china = result["china"]
    assert china["nameZh"] == "中华人民共和国"
    assert (china["kind"], china["country"], china["parent"]) == ("STATE", "CN", None)
    assert china["children"]["nodes"] == [{"slug": "cn-cac"}]
    edges = {(e["role"], e["node"]["slug"]) for e in china["events"]["edges"]}
    # The same event appears once per role: china is both target and counterpart in one.
    assert ("TARGET", "bis-controls-2022-followup") in edges
    assert ("COUNTERPART", "bis-controls-2022-followup") in edges
    assert china["events"]["totalCount"] == len(china["events"]["edges"]) == 5
    assert result["bis"]["parent"] == {"slug": "united-states"}
    assert result["bis"]["policies"] == {
        "totalCount": 1,
        "nodes": [{"slug": "bis-advanced-computing-rule-2022"}],
    }


async def test_policy_topic_source_relations(service: Service) -> None:
    result = data(
        await service.graphql("""
        { policy(slug: "cn-generative-ai-measures") {
            titleZh jurisdiction instrument status announcedOn effectiveOn endedOn stance
            issuer { slug nameZh }
            events { totalCount nodes { slug } }
            topics { nodes { slug } } sources { nodes { language } } }
          topic(slug: "governance") {
            events(orderBy: DATE_ASC) { nodes { slug } } policies { nodes { slug } } }
          source(slug: "bis-oct-2022") { events { totalCount } policies { totalCount } } }
    """)
    )
    policy = result["policy"]
    assert policy["titleZh"] == "生成式人工智能服务管理暂行办法"
    assert (policy["announcedOn"], policy["effectiveOn"], policy["endedOn"]) == (
        "2023-07-10",
        "2023-08-15",
        None,
    )
    assert policy["issuer"] == {"slug": "cn-cac", "nameZh": "国家互联网信息办公室"}
    assert policy["events"]["totalCount"] == 2
    assert result["topic"]["events"]["nodes"] == [
        {"slug": "cn-genai-measures-published"},
        {"slug": "cn-genai-measures-take-effect"},
        {"slug": "bletchley-declaration"},
    ]
    assert result["topic"]["policies"]["nodes"] == [{"slug": "cn-generative-ai-measures"}]
    assert result["source"] == {"events": {"totalCount": 2}, "policies": {"totalCount": 1}}


async def test_metric_observations(service: Service) -> None:
    result = data(
        await service.graphql("""
        { metric(slug: "private-ai-investment") {
            unit sources { nodes { slug } }
            observations { totalCount nodes {
                id date datePrecision value confidence note
                entity { slug } source { slug } metric { slug } } }
            china: observations(filter: {entity: ["china"]}) { totalCount } } }
    """)
    )["metric"]
    assert result["unit"] == "USD billions"
    observations = result["observations"]
    assert observations["totalCount"] == 3
    first = observations["nodes"][0]
    assert (first["date"], first["datePrecision"], first["value"]) == ("2022-01-01", "YEAR", 47.4)
    assert first["entity"] == {"slug": "united-states"}
    assert first["metric"] == {"slug": "private-ai-investment"}
    assert result["china"]["totalCount"] == 1


async def test_root_connections_and_release(service: Service) -> None:
    result = data(
        await service.graphql("""
        { policies { totalCount } actors { totalCount } metrics { totalCount }
          sources { totalCount } topics { totalCount nodes { slug } }
          release { version license citation contentHash rowCounts { kind count } } }
    """)
    )
    assert [result[k]["totalCount"] for k in ("policies", "actors", "metrics", "sources", "topics")] == [
        2,
        5,
        1,
        3,
        3,
    ]
    assert [t["slug"] for t in result["topics"]["nodes"]] == ["ai-safety", "chips", "governance"]
    release = result["release"]
    assert release["version"] == "0.0.1-test"
    assert release["license"] == "CC-BY-4.0"
    assert "CC BY 4.0" in release["citation"]
    counts = {r["kind"]: r["count"] for r in release["rowCounts"]}
    assert counts["event"] == 6 and counts["observation"] == 3


async def test_node_and_nodes_round_trip(service: Service) -> None:
    ids = data(
        await service.graphql("""
        { event(slug: "bletchley-declaration") { id } actor(slug: "china") { id }
          policy(slug: "cn-generative-ai-measures") { id } topic(slug: "chips") { id }
          source(slug: "gov-cn-aigc") { id } metric(slug: "private-ai-investment") { id
            observations(first: 1) { nodes { id } } } }
    """)
    )
    global_ids = [
        ids["event"]["id"],
        ids["actor"]["id"],
        ids["policy"]["id"],
        ids["topic"]["id"],
        ids["source"]["id"],
        ids["metric"]["id"],
        ids["metric"]["observations"]["nodes"][0]["id"],
    ]
    result = data(
        await service.graphql(
            """query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }""", {"ids": global_ids}
        )
    )
    assert [n["__typename"] for n in result["nodes"]] == [
        "Event",
        "Actor",
        "Policy",
        "Topic",
        "Source",
        "Metric",
        "Observation",
    ]
    assert [n["id"] for n in result["nodes"]] == global_ids
    single = data(
        await service.graphql(
            """query($id: ID!) { node(id: $id) { ... on Event { slug } } }""", {"id": global_ids[0]}
        )
    )
    assert single["node"] == {"slug": "bletchley-declaration"}


async def test_policy_status_is_a_claim_at_a_date(service: Service) -> None:
    result = data(
        await service.graphql("""
        { policy(slug: "cn-generative-ai-measures") {
            statusAsOf statusUntil statusNote statusUnconfirmed } release { coverageEnds } }
    """)
    )
    assert result["policy"] == {
        "statusAsOf": "2023-08-15",
        "statusUntil": None,
        "statusNote": None,
        "statusUnconfirmed": False,
    }
    assert result["release"] == {"coverageEnds": "2023-11-02"}


async def test_a_stated_end_that_passes_unconfirmed_is_flagged_without_a_reload(
    settings: Settings, fresh_url: str
) -> None:
    query = '{ policy(slug: "bis-advanced-computing-rule-2022") { statusUnconfirmed } }'
    conn = await asyncpg.connect(fresh_url)
    try:
        async with running_service(settings, fresh_url) as service:
            for until, as_of, flagged in (
                ("current_date + 1", "date '2022-10-07'", False),  # the end is still ahead
                ("current_date - 1", "date '2022-10-07'", True),  # passed, nothing confirms since
                ("current_date - 1", "current_date", False),  # a source after the end confirms it
            ):
                await conn.execute(
                    f"update policy set status_until = {until}, status_as_of = {as_of} "
                    "where slug = 'bis-advanced-computing-rule-2022'"
                )
                assert data(await service.graphql(query))["policy"] == {"statusUnconfirmed": flagged}
    finally:
        await conn.close()
