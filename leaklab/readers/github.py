"""GitHub secret scanning alerts, REST API version 2022-11-28 (shared reference scanner-formats §6).

Shapes read:

* ``github-alerts``: the alert list of the repository, organization or enterprise
  endpoints (a JSON array), or one alert (``GET .../alerts/{number}``, a JSON object).
* ``github-webhook``: a ``secret_scanning_alert`` (or ``secret_scanning_alert_location``)
  webhook payload, ``{"action", "alert": {...}, "repository": {...}}``; its alert is the
  older, smaller subset (no ``secret``, no ``validity``, no location).
* ``github-locations``: the list-locations response ``[{"type", "details"}]``. It carries
  no alert, so its rows hold only where the secret was seen: no rule, no secret, no
  validity, and the repository only as far as the location URLs name it.

An alert gives one row, placed at ``first_location_detected`` (whose type is inferred from
its keys); an alert object that also carries a ``locations`` list (as a user may merge the
two calls) gives one row per location. The API has no author, email or commit time, and
the alert's ``created_at`` becomes ``first_seen`` (when GitHub first reported it).
"""

from __future__ import annotations

import re

from ._common import Format, Source, blank, clean_repo, iter_json_array, iter_whole, load_json, want

_VERIFIED = {"active": True, "inactive": False}

_KIND_BY_PREFIX = (
    ("wiki_commit", "github-wiki"),
    ("commit", "git"),
    ("issue_", "github-issue"),
    ("discussion_", "github-discussion"),
    ("pull_request_", "github-pr"),
)

_LOCATION_TYPES = (
    "commit wiki_commit issue_title issue_body issue_comment discussion_title discussion_body discussion_comment "
    "pull_request_title pull_request_body pull_request_comment pull_request_review pull_request_review_comment"
).split()


def _source_kind(loc_type: str | None) -> str | None:
    if loc_type is None:
        return None
    for prefix, kind in _KIND_BY_PREFIX:
        if loc_type.startswith(prefix):
            return kind
    return "other"


def _infer_type(details: dict) -> str | None:
    """``first_location_detected`` is the details object alone: tell its type by its keys."""
    if "page_url" in details:
        return "wiki_commit"
    if "commit_sha" in details or "blob_url" in details:
        return "commit"
    for t in _LOCATION_TYPES:
        if f"{t}_url" in details:
            return t
    return None


# --------------------------------------------------------------------------- repositories

_API_RX = re.compile(r"^https?://([^/]+)/(?:api/v3/)?repos/([^/]+)/([^/?#]+)")
_HTML_RX = re.compile(r"^https?://([^/]+)/([^/]+)/([^/?#]+)")


def repo_from_url(url: str | None) -> str | None:
    """``host/owner/name`` from a GitHub API or web URL (github.com or a GHES host)."""
    if not url:
        return None
    m = _API_RX.match(url)
    if m:
        host = "github.com" if m.group(1) == "api.github.com" else m.group(1)
        return f"{host}/{m.group(2)}/{m.group(3)}"
    m = _HTML_RX.match(url)
    if m and m.group(1) != "api.github.com" and m.group(2) not in ("repos", "orgs", "enterprises", "users"):
        return f"{m.group(1)}/{m.group(2)}/{m.group(3)}"
    return None


def _repo(alert: dict, repository) -> str | None:
    url = blank(want(alert, "html_url", str, "")) or blank(want(alert, "url", str, ""))
    if repository is not None:
        if not isinstance(repository, dict):
            raise ValueError(f"field 'repository' must be an object, got {type(repository).__name__}")
        html = blank(want(repository, "html_url", str, ""))
        if html:
            return clean_repo(html)
        full = blank(want(repository, "full_name", str, ""))
        if full:
            host = (repo_from_url(url) or "github.com").split("/")[0]
            return f"{host}/{full}"
    return repo_from_url(url)


# --------------------------------------------------------------------------- rows


def _location_fields(loc_type: str | None, details: dict) -> dict:
    row = {"source_kind": _source_kind(loc_type)}
    if loc_type in ("commit", "wiki_commit"):
        row.update(
            file=blank(want(details, "path", str, "")),
            line=want(details, "start_line", int, None),
            column=want(details, "start_column", int, None),
            commit=blank(want(details, "commit_sha", str, "")),
        )
    return row


def _locations(alert: dict, location) -> list[tuple[str | None, dict]]:
    if location is not None:
        locs = [location]
    elif isinstance(alert.get("locations"), list) and alert["locations"]:
        locs = alert["locations"]
    else:
        first = want(alert, "first_location_detected", dict, None)
        return [(None, {})] if first is None else [(_infer_type(first), first)]
    return [(want(loc, "type", where=" of the location"), want(loc, "details", dict, where=" of the location")) for loc in locs]


def _alert(alert: dict, repository=None, location=None) -> list[dict]:
    number = want(alert, "number", int)
    # The organization and enterprise lists nest the repository in the alert; webhooks beside it.
    repo = _repo(alert, repository if repository is not None else alert.get("repository"))
    validity = blank(want(alert, "validity", str, ""))
    state = want(alert, "state", str, None)
    base = {
        "rule_id": want(alert, "secret_type"),
        "tool_secret_type": blank(want(alert, "secret_type_display_name", str, "")),
        "repo": repo,
        "verified": _VERIFIED.get(validity or ""),
        "validity": validity,
        "label": blank(want(alert, "resolution", str, "")) if state != "open" else None,
        "tool_fingerprint": f"{repo or ''}#{number}",
        "url": blank(want(alert, "html_url", str, "")),
        "first_seen": blank(want(alert, "created_at", str, "")),
    }
    secret = want(alert, "secret", str, "")
    if secret:
        base["secret"] = secret
    return [dict(base, **_location_fields(t, d)) for t, d in _locations(alert, location)]


def _webhook(payload: dict) -> list[dict]:
    alert = want(payload, "alert", dict)
    return _alert(alert, payload.get("repository"), want(payload, "location", dict, None))


def _location_only(rec: dict) -> list[dict]:
    loc_type = want(rec, "type")
    details = want(rec, "details", dict)
    row = _location_fields(loc_type, details)
    urls = [details.get(k) for k in ("html_url", "page_url", f"{loc_type}_url", "commit_url", "blob_url")]
    urls = [u for u in urls if isinstance(u, str) and u]
    row["url"] = urls[0] if urls else None
    row["repo"] = next((r for r in map(repo_from_url, urls) if r), None)
    return [row]


# --------------------------------------------------------------------------- sniffing and records

_ALERT_RX = re.compile(r'"secret_type"\s*:\s*"')
_NUMBER_RX = re.compile(r'"number"\s*:\s*\d')
_WEBHOOK_RX = re.compile(r'"alert"\s*:\s*\{')
_LOCATION_RX = re.compile(r'^\s*\[\s*\{\s*"(type|details)"\s*:')
_LOCATION_TYPE_RX = re.compile(r'"type"\s*:\s*"(commit|wiki_commit|issue_\w+|discussion_\w+|pull_request_\w+)"')


def _is_alert_doc(head: str) -> bool:
    # The octokit JSON Schemas name the same keys, but with object values ({"type": ...}).
    return bool(_ALERT_RX.search(head) and _NUMBER_RX.search(head))


def _webhook_sniff(src: Source) -> bool:
    head = src.head()
    return (
        head.lstrip().startswith("{")
        and re.search(r'"action"\s*:\s*"', head) is not None
        and _WEBHOOK_RX.search(head) is not None
        and _is_alert_doc(head)
    )


def _alerts_sniff(src: Source) -> bool:
    head = src.head()
    return bool(re.match(r"\s*(\[\s*)?\{", head)) and _is_alert_doc(head) and not _WEBHOOK_RX.search(head)


def _locations_sniff(src: Source) -> bool:
    head = src.head()
    return bool(_LOCATION_RX.match(head) and re.search(r'"details"\s*:\s*\{', head) and _LOCATION_TYPE_RX.search(head))


def _alert_records(src: Source):
    if src.head().lstrip().startswith("["):
        return iter_json_array(src)
    return iter_whole(src, load_json(src))


def _webhook_records(src: Source):
    doc = load_json(src)
    if not isinstance(doc, dict):
        raise src.error("top level", f"expected a webhook payload object, found {type(doc).__name__}")
    yield "alert", doc


FORMATS = [
    Format(
        "github-webhook",
        "github",
        "GitHub secret_scanning_alert webhook payload",
        _webhook_sniff,
        _webhook_records,
        _webhook,
        strip_root=True,
    ),
    Format(
        "github-alerts",
        "github",
        "GitHub secret scanning alerts (REST list or single alert)",
        _alerts_sniff,
        _alert_records,
        _alert,
        strip_root=True,
    ),
    Format(
        "github-locations",
        "github",
        "GitHub secret scanning alert locations (REST list-locations)",
        _locations_sniff,
        iter_json_array,
        _location_only,
        strip_root=True,
    ),
]
