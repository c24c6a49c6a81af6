"""Reading /metrics as Prometheus does, for the metrics tests."""

from prometheus_client.parser import text_string_to_metric_families

TOKEN = "m" * 40
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} from the text format."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    """One sample's value, 0 when it is not there yet (a labelled counter before its first use)."""
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def exposed_names(text: str) -> set[str]:
    """Every sample name /metrics gave (histograms as their _bucket, _count and _sum)."""
    return {name for name, _ in samples(text)}
