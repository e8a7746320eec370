"""The shared condition-tree machinery (REC-05, EXP-15): flat encoding round trip, builder edits, limits, and
compiling a plain catalogue into a parameterised WHERE (values never in the SQL text)."""
import pytest

from app.core import query_tree as qt
from app.core.forms import Invalid
from app.core.sqlfilter import Where

pytestmark = pytest.mark.req("EXP-15")
SPECS = {f.code: f for f in [qt.QueryField("name", "Name", sql="t.name"),
                             qt.QueryField("age", "Age", "number", "t.age"),
                             qt.QueryField("kind", "Kind", "select", "t.kind", choices=(("a", "A"), ("b", "B")))]}


def c(field, cmp, value="", value2=""):
    return {"field": field, "cmp": cmp, "value": value, "value2": value2}


def test_flat_encoding_round_trips_nested_groups():
    inner = {"op": "and", "items": [c("age", "between", "30", "20"), c("kind", "in", ["a", "b"])]}
    tree = {"op": "or", "items": [c("name", "contains", "张"), inner]}
    assert qt.parse_params(qt.encode(tree)) == tree
    assert qt.normalize(tree) == tree


def test_builder_edits_and_limits():
    tree = qt.empty_tree()
    tree = qt.edit(tree, "addg:")
    tree = qt.edit(tree, "add:1")
    assert qt.count_conditions(tree) == 3 and tree["items"][1]["op"] == "or"
    tree = qt.edit(tree, "del:1.0")
    assert qt.count_conditions(tree) == 2
    with pytest.raises(Invalid):
        qt.normalize({"op": "and", "items": [c("name", "eq", str(i)) for i in range(qt.MAX_CONDITIONS + 1)]})


def test_compile_keeps_values_out_of_the_sql_and_names_bad_conditions():
    where = Where([])
    sql = qt.compile_tree({"op": "or", "items": [c("name", "eq", "x' OR 1=1 --"),
                                                 {"op": "and", "items": [c("age", "between", "40", "30"),
                                                                         c("kind", "ne", "a")]}]}, SPECS, where)
    assert "1=1" not in sql and where.args[0] == "x' OR 1=1 --"
    assert sql == "((t.name = $1) OR ((t.age BETWEEN $2 AND $3) AND ((t.kind IS NULL OR NOT (t.kind = $4)))))"
    with pytest.raises(Invalid) as exc:
        qt.compile_tree({"op": "and", "items": [c("name", "eq", "a"), {"op": "and", "items": [c("age", "gt", "x")]}]},
                        SPECS, Where([]))
    assert "Condition 2.1 (Age)" in exc.value.message
    with pytest.raises(Invalid):
        qt.compile_tree({"op": "and", "items": [c("kind", "contains", "a")]}, SPECS, Where([]))


def test_special_hook_and_describe():
    def special(node, spec, where, label):
        return f"(t.tags && {where.param([1, 2])})" if node["field"] == "kind" else None

    where = Where([])
    assert qt.compile_tree({"op": "and", "items": [c("kind", "in", ["a"])]}, SPECS, where, special=special) \
        == "((t.tags && $1))"
    text = qt.describe({"op": "and", "items": [c("kind", "in", ["a", "b"]), c("age", "empty")]}, SPECS,
                       {"kind": [("a", "A"), ("b", "B")]})
    assert text == "(Kind is one of A、B AND Age is empty)"
