"""Any YAML at all gives problems, never an exception: property test over random documents."""

from __future__ import annotations

import string

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sloboard.specs import load_specs

# Keys and values from the real schemas, so random documents get deep into the models.
KEYS = ["apiVersion", "kind", "metadata", "name", "spec", "service", "indicator", "indicatorRef",
        "ratioMetric", "good", "bad", "total", "metricSource", "type", "query", "timeWindow", "duration",
        "isRolling", "calendar", "budgetingMethod", "objectives", "target", "targetPercent", "version",
        "slos", "objective", "sli", "events", "error_query", "total_query", "window", "annotations",
        "thresholdMetric", "op", "value", "labels", "latency", "success", "metric", "ratio", "errors"]
VALUES = ["openslo/v1", "pyrra.dev/v1alpha1", "prometheus/v1", "SLO", "SLI", "DataSource",
          "ServiceLevelObjective", "Prometheus", "28d", "1M", "Occurrences", "Timeslices", "lte",
          'x_bucket{le="0.1"}', "x_count", "sum(rate(x[{{.window}}]))", "sloboard.dev/team"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 200), st.floats(-1, 200, allow_nan=False),
                    st.sampled_from(VALUES), st.text(string.ascii_letters, max_size=5))
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.sampled_from(KEYS), children, max_size=5)),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(documents, min_size=1, max_size=3))
def test_random_documents_never_raise(tmp_path, docs):
    path = tmp_path / "random.yaml"
    path.write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    result = load_specs([path])
    for problem in result.problems:
        assert problem.path == str(path)
        assert problem.line >= 0
        assert problem.message
    assert result.ok == all(p.severity == "warning" for p in result.problems)
