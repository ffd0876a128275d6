"""Every type that implements Node resolves itself: node(id) has no table of loaders to forget."""

from graphql import GraphQLInterfaceType

from schema import default_schema
from schema.node import node_types

schema = default_schema()


def test_every_type_implementing_node_is_found_and_loads_itself() -> None:
    interface = schema._schema.type_map["Node"]
    assert isinstance(interface, GraphQLInterfaceType)
    implementing = {t.name for t in schema._schema.get_possible_types(interface)}
    assert set(node_types()) == implementing
    for name, cls in node_types().items():
        assert "load" in vars(cls), f"{name} does not load itself"
