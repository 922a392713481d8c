"""`bind` closes a node over its dependencies in the shape LangGraph calls it: `f(state)`, `state` by name."""

from pydantic import BaseModel

from pipelines.pipeline import bind


class Counter(BaseModel):
    count: int


def step(state: Counter, deps: int) -> dict[str, int]:
    return {"count": state.count + deps}


def test_bound_node_receives_its_dependencies_positionally_or_by_name() -> None:
    bound = bind(step, 5)
    assert bound(Counter(count=1)) == {"count": 6}
    assert bound(state=Counter(count=2)) == {"count": 7}
