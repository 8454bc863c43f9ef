"""Fleetplane's own Schemathesis checks (loaded through schemathesis.toml's `hooks`).

problem_json_names_the_field: every 4xx and 5xx answer is RFC 9457 problem+json whose `status`
equals the HTTP status, and a 400 or 422 names the offending field(s) in `errors[]`.

nothing_written_on_refusal: when FP_FUZZ_WITNESS is set (the URL of the test's witness, which
answers the store's row counts and its latest change-event id): a POST, PUT, PATCH or DELETE that
is answered 4xx left both exactly as they were before the call (the run is sequential: one worker,
and the server runs no background loop that writes).

cross_tenant: only when FP_FUZZ_FOREIGN is set (the cross-tenant pass: tenant A's token, tenant B's
path parameters). An API path naming B's tenant answers 403 or 404 (or a refusal before any lookup:
400 for a bad request, 401 without a token, 405, 413-415, 429), never 2xx; and no answer at all
carries B's marker strings (its name, its objects, its token and operation ids, its namespace).
"""
import json
import os
import urllib.request

import schemathesis

PROBLEM = "application/problem+json"
NAMED_FIELD_STATUSES = {400, 422}


SEEN = os.environ.get("FP_FUZZ_SEEN")


def _seen(check):
    """Counts the responses a check judged (one byte each), so the test knows the hooks ran."""
    if SEEN:
        with open(os.path.join(SEEN, check), "a", encoding="ascii") as f:
            f.write(".")


def _content_type(response):
    values = response.headers.get("content-type") or [""]
    return values[0].split(";")[0].strip().lower()


@schemathesis.check
def problem_json_names_the_field(ctx, response, case):
    _seen("problem_json_names_the_field")
    status = response.status_code
    if status < 400:
        return None
    if _content_type(response) != PROBLEM:
        raise AssertionError(f"{status} answered as {_content_type(response) or 'no content type'}, not {PROBLEM}")
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise AssertionError(f"{status} problem body is not JSON: {exc}") from None
    for key in ("type", "title", "status", "detail"):
        if key not in body:
            raise AssertionError(f"{status} problem has no `{key}`: {body}")
    if body["status"] != status:
        raise AssertionError(f"problem says status {body['status']}, the answer is {status}")
    if status in NAMED_FIELD_STATUSES:
        errors = body.get("errors")
        if not errors or not all(isinstance(e, dict) and isinstance(e.get("field"), str) and e.get("message") for e in errors):
            raise AssertionError(f"{status} problem does not name the field in errors[]: {body}")
    return None


OWN_TOKENS = {t for t in os.environ.get("FP_FUZZ_OWN_TOKENS", "").split(",") if t}
TOKEN_PATHS = {"/v1/tokens/{id}", "/v1/tokens/{id}:rotate"}


WITNESS = os.environ.get("FP_FUZZ_WITNESS")
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
BEFORE = {}


def _writes():
    with urllib.request.urlopen(WITNESS, timeout=30) as r:
        return json.loads(r.read())


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    """The run never revokes or rotates the token it runs with. With response schemas declared,
    Schemathesis reuses ids it read from answers (GET /v1/tokens, POST /v1/tokens) as path
    parameters: the admin pass revoked its own token and every later request was a 401.
    Before a mutating call, the witness's view of the store is kept for nothing_written_on_refusal."""
    params = case.path_parameters or {}
    if case.operation.path in TOKEN_PATHS and params.get("id") in OWN_TOKENS:
        params["id"] = "fz-protected-token"
    if WITNESS and case.method.upper() in MUTATING:
        BEFORE["writes"] = _writes()
    return None


if WITNESS:

    @schemathesis.check
    def nothing_written_on_refusal(ctx, response, case):
        if case.method.upper() not in MUTATING or not 400 <= response.status_code < 500 or "writes" not in BEFORE:
            return None
        _seen("nothing_written_on_refusal")
        after = _writes()
        before = BEFORE["writes"]
        changed = {k: (before.get(k), after.get(k)) for k in set(before) | set(after) if before.get(k) != after.get(k)}
        if changed:
            raise AssertionError(f"{case.method.upper()} answered {response.status_code} but the store changed: {changed}")
        return None


FOREIGN = os.environ.get("FP_FUZZ_FOREIGN")
MARKERS = [m for m in os.environ.get("FP_FUZZ_FOREIGN_MARKERS", "").split(",") if m]
# Answers that refuse before anything is looked up, the same for any tenant (401: Schemathesis's
# ignored_auth check resends the request without the token).
REFUSALS = {400, 401, 403, 404, 405, 413, 414, 415, 429}

if FOREIGN:

    @schemathesis.check
    def cross_tenant(ctx, response, case):
        _seen("cross_tenant")
        text = response.content.decode("utf-8", "replace")
        for marker in MARKERS:
            if marker in text:
                raise AssertionError(f"the answer carries the other tenant's `{marker}` ({response.status_code})")
        # The console's own pages (/tenants/{tenant}, ...) are one public HTML shell for every path.
        api = case.operation.path.startswith("/v1/")
        if api and (case.path_parameters or {}).get("tenant") == FOREIGN and response.status_code not in REFUSALS:
            raise AssertionError(f"another tenant's path answered {response.status_code}, not 403/404")
        return None
