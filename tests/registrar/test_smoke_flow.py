"""The whole way to registration, on both databases."""

from registrar import actions

from .conftest import World


def test_g2_a_complete_candidacy_is_registered_with_a_certificate(world: World) -> None:
    candidacy = world.nominate(full_name="Aruzhan Smagulova")
    world.walk(candidacy, "registered")
    view = actions.show_candidacy(world.db, candidacy)
    assert view["state"] == "registered"
    assert view["certificate"] == "KZ-2029-001"
    assert all(view["documents"].values())
    assert [d["kind"] for d in view["deadlines"]] == ["declaration_verification"]
