"""Schemathesis hooks for keyhook's API fuzz run (tests/app/api_fuzz.rs sets the variables).

- Path ids: most cases use the ids of resources the test created, so the fuzzer reaches the
  handlers' own rules rather than only "Not found."; the rest keep the generated id.
- Every endpoint URL a case carries is pointed at the test's receiver on 127.0.0.1, so no
  delivery, test send or DNS lookup ever leaves this machine.
Both happen in `before_call`, which every phase runs (the data-generation hooks are not run by
the coverage phase).
"""

import os
import random

import schemathesis

# Which seeded id each path parameter takes; `id` depends on the collection before it.
SEEDED = {
    "workspaceId": "KH_WORKSPACE",
    "userId": "KH_USER",
    "projectId": "KH_PROJECT",
    "taskId": "KH_TASK",
    "webhookId": "KH_WEBHOOK",
    "addonId": "KH_ADDON",
    "logId": "KH_LOG",
}
ID_BY_COLLECTION = {"clients": "KH_CLIENT", "tags": "KH_TAG", "time-entries": "KH_ENTRY"}

RECEIVER = os.environ.get("KH_RECEIVER", "http://127.0.0.1:9/")
# Every string in these fields becomes the receiver's URL, whatever it was: the server resolves
# any host it is given, and a generated one must never be looked up or sent to.
URL_FIELDS = ("url", "baseUrl")
# Fixed, so a failing run is repeated by running it again.
CHOICE = random.Random(int(os.environ.get("KH_SEED", "1")))


def _seeded(template, path):
    for name, variable in SEEDED.items():
        if name in path and os.environ.get(variable) and CHOICE.random() < 0.9:
            path[name] = os.environ[variable]
    if "id" in path:
        collection = template.split("/{id}")[0].rsplit("/", 1)[-1]
        variable = ID_BY_COLLECTION.get(collection)
        if variable and os.environ.get(variable) and CHOICE.random() < 0.9:
            path["id"] = os.environ[variable]


def _local_urls(value):
    if isinstance(value, dict):
        return {k: (RECEIVER if k in URL_FIELDS and isinstance(v, str) else _local_urls(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_local_urls(v) for v in value]
    return value


@schemathesis.hook
def before_call(ctx, case, kwargs):
    """Runs before every request of every phase; schemathesis then judges the case as sent."""
    if case.path_parameters:
        _seeded(ctx.operation.path, case.path_parameters)
    if isinstance(case.body, (dict, list)):
        case.body = _local_urls(case.body)
