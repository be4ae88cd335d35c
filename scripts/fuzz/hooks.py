"""schemathesis hooks for scripts/fuzz.sh (loaded through SCHEMATHESIS_HOOKS).

1. Idempotency keys. schemathesis draws the same short keys ("0", "00", ...) for requests
   with different routes and bodies, and the service rightly answers 422
   `idempotency_key_reused` to the second one: the harness reusing a key, not a schema-valid
   request refused. Every *valid* key of a positive case is replaced by a fresh UUID just
   before the call. Keys that break the declared constraints are sent as drawn (the 400
   `malformed_header` answers stay tested), and negative cases are left alone: schemathesis
   revalidates a case a hook changed, which would turn e.g. a request sent without its
   `Authorization` header back into a positive one and send the header again.

2. Rules no JSON Schema can state. A schema-valid request may still be refused for its data:
   a checksum, a date after today, a referent that does not exist, a host name that does not
   resolve. Those refusals are the documented contract (422 with the field and its code), so
   `positive_data_acceptance` failures are dropped for exactly the (operation, field, code)
   listed in DATA_RULES below, and only when *every* field error of the answer is listed:
   any other refusal on the same operation still fails the run. notes/fuzz-findings.md
   ("Decisions") gives the reason for each entry.
"""

import json
import os
import re
import uuid

import schemathesis

# The declared constraints of Idempotency-Key (src/http/spec.rs): 1-255 printable ASCII characters.
VALID_KEY = re.compile(r"[\x21-\x7E]{1,255}")

# operationId -> the "field:code" errors a schema-valid request may get as 422
# `validation_failed` (array indexes written as []). Every entry is a rule about data the
# schema cannot see: the caller, other rows, today's date, another field's value, DNS.
_MEMBER_DATES = {
    "birth_date:date_in_future",
    "joined_on:date_in_future",
    "joined_on:date_order",
    # GB 11643: the check digit, and the birth date and sex the number encodes.
    "id_card:invalid_id_card",
    "id_card:id_card_birth_mismatch",
    "id_card:id_card_gender_mismatch",
}
_EFFECTIVE_ON = {"effective_on:date_in_future", "effective_on:date_order"}
_WEBHOOK_URL = {"url:url_unresolvable", "url:url_forbidden_address", "url:url_host_not_allowed"}
_CONGRESS_FIELDS = {"ends_on:date_order", "quorum_num:not_above"}
_COSIGNERS = {
    "category:unknown_category",
    "cosigner_delegate_ids[]:duplicate",
    "cosigner_delegate_ids[]:self_cosign",
    "cosigner_delegate_ids[]:not_formal_delegate_of_congress",
}
_SHEET_DESIGN = {
    "targets[].department_id:unknown_department",
    "targets[].name:duplicate",
    "criteria[].name:duplicate",
}
_DELEGATION = {"delegation_unit_id:unknown_unit", "delegation_unit_id:outside_congress"}
_CAS = {"ticket:invalid_ticket", "service:service_not_allowed"}

DATA_RULES = {
    # Membership
    "create_member": _MEMBER_DATES | {"unit_id:unknown_unit"},
    "update_member": _MEMBER_DATES,
    "transfer_member": _EFFECTIVE_ON | {"to_unit_id:unknown_unit"},
    "rejoin_member": _EFFECTIVE_ON | {"unit_id:unknown_unit"},
    "leave_member": _EFFECTIVE_ON,
    "create_unit": {"parent_id:unknown_unit"},
    "update_unit": {"parent_id:unknown_unit"},
    "create_honor": {"member_id:unknown_member"},
    # `period:invalid_month`: a month before the first dues rate (1978-10) has no rate to apply.
    "create_dues": {"member_id:unknown_member", "period:invalid_month"},
    # The file's content: no schema describes it (see DATA_PROBLEMS too).
    "import_members": {"file:empty_file", "file:too_many_rows"},
    # Accounts. A password needs a letter of any alphabet, which no portable pattern can name.
    "create_user": {"password:weak_password", "member_id:unknown_member", "grants[].unit_id:unknown_unit"},
    "update_user": {"password:weak_password"},
    "add_grant": {"unit_id:unknown_unit"},
    # Integrations: credentials and tickets other systems issue.
    "client_token": {"scope:invalid_scope"},
    "cas_login": _CAS,
    "wechat_bind": {"cas." + rule for rule in _CAS},
    "create_webhook": _WEBHOOK_URL,
    "update_webhook": _WEBHOOK_URL,
    # Democracy
    "create_congress": _CONGRESS_FIELDS | {"unit_id:unknown_unit", "level:level_unit_mismatch"},
    "update_congress": _CONGRESS_FIELDS,
    "add_delegate": _DELEGATION | {"member_id:unknown_member", "member_id:outside_congress"},
    "bulk_add_delegates": _DELEGATION,
    "update_delegate": _DELEGATION,
    "create_proposal": _COSIGNERS | {"congress_id:unknown_congress"},
    "update_proposal": _COSIGNERS,
    "assign_proposal": {
        "lead_department_id:unknown_department",
        "lead_department_id:department_inactive",
        "co_department_ids[]:unknown_department",
        "co_department_ids[]:department_inactive",
        "co_department_ids[]:duplicate",
        "reply_due_on:date_in_past",
    },
    "reopen_proposal": {"reply_due_on:date_in_past"},
    "merge_proposal": {"into_proposal_id:invalid_merge_target"},
    # More days than the congress's `max_extension_days`.
    "request_proposal_extension": {"days:range"},
    "add_department_handler": {"user_id:not_a_handler"},
    "create_suggestion": {
        # Categories are rows (GET /suggestions/categories), not an enum.
        "category:invalid_choice",
        "congress_id:unknown_congress",
        "member_id:unknown_member",
        # A member may record a suggestion for themselves only.
        "member_id:not_own_member",
    },
    "respond_suggestion": {"department_id:unknown_department", "department_id:department_inactive"},
    "create_evaluation": _SHEET_DESIGN | {"congress_id:unknown_congress"},
    "update_evaluation": _SHEET_DESIGN,
    # A sheet scores exactly the campaign's targets x criteria, each up to its criterion's maximum.
    "submit_evaluation_sheet": {
        "scores[].target_id:unknown_target",
        "scores[].criterion_id:unknown_criterion",
        "scores[].score:range",
        "scores[]:duplicate_score",
        "scores:incomplete_sheet",
    },
}

# operationId -> (status, problem code) answers a schema-valid request may get whatever its
# field errors: no schema describes what an uploaded file holds.
DATA_PROBLEMS = {
    "import_members": {(400, "malformed_upload"), (422, "import_rejected")},
}


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers
    if not headers or case.meta is None or case.meta.generation.mode.is_negative:
        return
    for name, value in list(headers.items()):
        if name.lower() == "idempotency-key" and isinstance(value, str) and VALID_KEY.fullmatch(value):
            headers[name] = str(uuid.uuid4())


def _field_errors(response):
    try:
        body = json.loads(response.content)
    except ValueError:
        return None, set()
    errors = body.get("errors") or []
    return body.get("code"), {re.sub(r"\[\d+\]", "[]", str(e.get("field"))) + ":" + str(e.get("code")) for e in errors}


def _accepted(operation, status, code, fields):
    """Appends the accepted refusal to $FUZZ_ACCEPTED_LOG (one line each), when set."""
    path = os.environ.get("FUZZ_ACCEPTED_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{operation}\t{status}\t{code}\t{','.join(sorted(fields))}\n")
    return False


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keep every failure but a 422 (or a listed problem) that DATA_RULES/DATA_PROBLEMS explain."""
    if failure.code != "ST202":
        return True
    operation = case.operation.definition.raw.get("operationId")
    code, fields = _field_errors(response)
    if (response.status_code, code) in DATA_PROBLEMS.get(operation, set()):
        return _accepted(operation, response.status_code, code, fields)
    allowed = DATA_RULES.get(operation)
    if response.status_code == 422 and code == "validation_failed" and allowed and fields and fields <= allowed:
        return _accepted(operation, response.status_code, code, fields)
    return True
