#!/usr/bin/env python3
"""Reads an OpenMetrics exposition on stdin with the official parser (the `prometheus_client`
package from PyPI) and prints one JSON sample per line: {"name", "labels", "value"}. A line the
parser cannot read fails the whole run, as it would fail a Prometheus scrape."""
import json
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families

for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        print(json.dumps({"name": sample.name, "labels": sample.labels, "value": sample.value, "type": family.type}))
