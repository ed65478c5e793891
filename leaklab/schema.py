"""Frame contracts: the columns each frame carries, their dtypes and meaning.

Every function that returns a frame builds it with :func:`build` and every function that
takes one may call :func:`validate`, which names the column that is wrong::

    >>> import pandas as pd
    >>> validate(empty("findings"), "findings")
    >>> validate(pd.DataFrame({"tool": ["x"]}), "findings")
    Traceback (most recent call last):
    ...
    leaklab.errors.SchemaError: findings frame: missing columns: tool_version, rule_id, ...
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import SchemaError

UTC_TIME = "datetime64[ns, UTC]"


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    meaning: str


def _contract(*cols: tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*c) for c in cols)


FINDINGS = _contract(
    ("tool", "string", "scanner that reported the finding: gitleaks, trufflehog, ..."),
    ("tool_version", "string", "scanner version when the file carries it"),
    ("rule_id", "string", "the tool's machine id of its rule or detector"),
    ("secret_type", "string", "normalized type shared by all readers (see leaklab.taxonomy)"),
    ("tool_secret_type", "string", "the tool's own human name for the type"),
    ("secret_sha256", "string", "SHA-256 hex of the raw secret; NA when the tool gave no raw value"),
    ("secret_sha1", "string", "SHA-1 hex of the raw secret (detect-secrets' only key)"),
    ("redacted", "string", "short preview that is never the full secret"),
    ("repo", "string", "repository: host/owner/name when derivable, else the tool's value"),
    ("file", "string", "repo-relative POSIX path"),
    ("line", "Int64", "1-based line of the finding"),
    ("column", "Int64", "1-based byte column where the tool reports one"),
    ("commit", "string", "full commit SHA; NA for working-tree scans and placeholders"),
    ("author_name", "string", "commit author"),
    ("author_email", "string", "commit author's email"),
    ("commit_time", UTC_TIME, "author (or, where the tool only has it, committer) time in UTC"),
    ("first_seen", UTC_TIME, "when the tool first reported it, where the tool says (GitHub: the alert's created_at)"),
    ("source_kind", "string", "git, filesystem, github-issue, github-pr, ci-log, container, ..."),
    ("verified", "boolean", "True: the tool confirmed it live; False: not live; NA: unknown"),
    ("validity", "string", "the tool's own verification status, verbatim"),
    ("label", "string", "a human triage label the tool carried (detect-secrets is_secret, GitHub resolution)"),
    ("tool_fingerprint", "string", "the tool's own finding id"),
    ("url", "string", "link to the finding or commit where the tool gives one"),
    ("source_file", "string", "input file the row was read from"),
    ("source_record", "string", "where in that file: 'line N' or a JSON path such as '[3]'"),
)

SECRETS = _contract(
    ("secret_id", "string", "join key: secret_sha256, or 'sha1:<hex>' when only SHA-1 is known"),
    ("secret_sha256", "string", "SHA-256 of the raw secret, when any tool had the value"),
    ("secret_sha1", "string", "SHA-1 of the raw secret"),
    ("secret_type", "string", "normalized type (most specific one reported)"),
    ("redacted", "string", "short preview"),
    ("tools", "string", "comma-separated tools that saw the secret, sorted"),
    ("n_tools", "Int64", "number of distinct tools"),
    ("n_findings", "Int64", "number of finding rows merged"),
    ("n_locations", "Int64", "distinct (repo, file, line) locations"),
    ("repos", "string", "comma-separated repositories"),
    ("files", "string", "comma-separated files, sorted"),
    ("first_commit_time", UTC_TIME, "earliest commit time any tool reported"),
    ("last_commit_time", UTC_TIME, "latest commit time any tool reported"),
    ("verified", "boolean", "True if any tool verified it live; False if some tool said not live and none live; else NA"),
    ("validity", "string", "distinct validity strings, comma-separated"),
    ("labels", "string", "distinct human labels carried by the tools"),
)

HISTORY = _contract(
    ("secret_id", "string", "join key, as in the secrets frame"),
    ("secret_sha256", "string", "SHA-256 of the secret"),
    ("secret_sha1", "string", "SHA-1 of the secret"),
    ("in_history", "boolean", "some commit on some ref added it"),
    ("introduced_commit", "string", "the commit that first added it (non-merge commits first, then earliest author time)"),
    ("introduced_author", "string", "that commit's author"),
    ("introduced_email", "string", "that commit's author email"),
    ("introduced_author_time", UTC_TIME, "that commit's author time"),
    ("introduced_commit_time", UTC_TIME, "that commit's committer time"),
    ("introduced_file", "string", "the file it was first added to"),
    ("files", "string", "every file it was ever added to, in order of first appearance"),
    ("n_commits_added", "Int64", "distinct commits that added it (moves and copies included)"),
    ("refs", "string", "branches and tags (tag:NAME) from which a commit adding it is reachable"),
    ("present_refs", "string", "branches and tags whose tip still holds it"),
    ("removed_commit", "string", "on HEAD's first-parent line, the commit after which it no longer appears"),
    ("removed_time", UTC_TIME, "that commit's committer time"),
    ("still_in_head", "boolean", "HEAD's tree still holds it"),
)

HISTORY_REFS = _contract(
    ("secret_id", "string", "join key, as in the secrets frame"),
    ("ref", "string", "branch name, or tag:NAME"),
    ("reachable", "boolean", "a commit that added it is reachable from the ref"),
    ("present_at_tip", "boolean", "the ref's tip still holds it"),
    ("entered_commit", "string", "first commit on the ref's first-parent line that holds it"),
    ("entered_time", UTC_TIME, "that commit's committer time"),
    ("removed_commit", "string", "first-parent commit after which the ref no longer holds it"),
    ("removed_time", UTC_TIME, "that commit's committer time"),
    ("tip_time", UTC_TIME, "committer time of the ref's tip (where an open bar ends)"),
)

EVENTS = _contract(
    ("time", UTC_TIME, "start of the event's time: the instant, or the first instant of its day/month/year"),
    ("time_latest", UTC_TIME, "last instant the event could have happened (equals time for exact times)"),
    ("precision", "string", "second, day, month or year"),
    ("kind", "string", "one of leaklab.timeline.KINDS"),
    ("credential", "string", "the credential the event is about (id, fingerprint or name)"),
    ("incident", "string", "the incident the event belongs to"),
    ("source", "string", "where the fact comes from (URL, log, report)"),
    ("detail", "string", "free text"),
    ("origin", "string", "input file and record the event was read from"),
)

WINDOWS = _contract(
    ("credential", "string", "the credential (NA for incident-level rows)"),
    ("incident", "string", "the incident"),
    ("parent", "string", "for a derived credential, the leaked credential that minted it"),
    ("exposed_from", UTC_TIME, "earliest possible start of exposure"),
    ("exposed_from_latest", UTC_TIME, "latest possible start (coarse dates give a range)"),
    ("start_kind", "string", "the event kind that starts the window"),
    ("lower_bound", "boolean", "the start is the first misuse: exposure began no later, maybe earlier"),
    ("detected_at", UTC_TIME, "earliest detected/reported event"),
    ("contained_at", UTC_TIME, "earliest revoked/rotated/expired event after exposure began"),
    ("contained_at_latest", UTC_TIME, "last instant the containment could have happened (a date-only revoke: its day's end)"),
    ("contained_kind", "string", "revoked, rotated or expired"),
    ("open", "boolean", "not contained: measured to as_of"),
    ("as_of", UTC_TIME, "the time open windows are measured to"),
    ("duration", "timedelta64[ns]", "contained_at (or as_of) minus exposed_from"),
    ("ttd", "timedelta64[ns]", "time to detect: detected_at minus exposed_from"),
    ("ttc", "timedelta64[ns]", "time to contain: contained_at minus detected_at"),
    ("window_days_min", "Int64", "exposure in whole calendar days (exclusive), lowest possible"),
    ("window_days_max", "Int64", "exposure in whole calendar days, highest possible"),
    ("ttd_days_min", "Int64", "time to detect in days, lowest possible"),
    ("ttd_days_max", "Int64", "time to detect in days, highest possible"),
    ("ttc_days_min", "Int64", "time to contain in days, lowest possible"),
    ("ttc_days_max", "Int64", "time to contain in days, highest possible"),
)

USAGE = _contract(
    ("time", UTC_TIME, "when the call or event happened, in UTC"),
    ("provider", "string", "aws, github, gcp, azure, slack or okta"),
    ("credential_id", "string", "the credential used: AWS access key id, GitHub hashed_token (else token_id), GCP "
     "service-account key name, Azure token id (uti claim), Slack session id, Okta API token id (else session id)"),
    ("credential_kind", "string", "access-key, session, pat, fine-grained-pat, oauth-token, app-token, ssh-key, "
     "deploy-key, service-account-key, api-token or token; NA when credential_id is NA"),
    ("principal", "string", "who acted: ARN (the calling service for AWS services), user, email, app"),
    ("account", "string", "where: AWS account, GitHub org (else enterprise), GCP project, Azure subscription, "
     "Slack workspace or enterprise"),
    ("action", "string", "what: eventSource:eventName (AWS), action (GitHub, Slack), methodName (GCP), "
     "operationName (Azure), eventType (Okta)"),
    ("resource", "string", "what it was done to, as logged (several joined with ', ')"),
    ("source_ip", "string", "caller address as logged, verbatim: IPv4, IPv6, AWS service names, 'AWS Internal'"),
    ("user_agent", "string", "caller user agent as logged"),
    ("outcome", "string", "success or failure; NA when the log does not say"),
    ("error", "string", "error code or status message of a failed call"),
    ("event_id", "string", "the log's own event id (eventID, _document_id, insertId, uuid, ...)"),
    ("duplicate", "boolean", "True for the 2nd and later copy of an event_id within a provider"),
    ("issued_credential", "string", "access key id this event minted (AssumeRole*, GetSessionToken, "
     "GetFederationToken, CreateAccessKey, ...); secret keys and session tokens are never kept"),
    ("issued_expires", UTC_TIME, "expiry of the issued credential, when the log gives one"),
    ("derived_from", "string", "for a credential minted by an event in the same load: the credential (else the "
     "principal) that minted it"),
    ("source_file", "string", "input file the row was read from (the archive, for archive members)"),
    ("source_record", "string", "where in that file: 'Records[12]', 'line 7', 'member.json.gz Records[3]'"),
)

GRANTS = _contract(
    ("source", "string", "node the edge starts at: credential id, principal ARN/login, group, policy, resource"),
    ("source_type", "string", "credential, user, group, role, account, app, policy or resource"),
    ("relation", "string", "authenticates_as, member_of, has_policy, can_assume, allow, deny, contains, "
     "holds_secret or has_resource (see leaklab.blast.RELATIONS)"),
    ("target", "string", "node the edge ends at; for allow/deny a resource or a pattern with * and ?"),
    ("target_type", "string", "as source_type; for resources the kind (s3-bucket, secret, repository, channel, ...)"),
    ("action", "string", "allow/deny: the permission (IAM action pattern, OAuth scope, 'contents:write'); "
     "can_assume: the action that assumes"),
    ("not_action", "boolean", "the statement lists NotAction: action holds the excluded patterns, comma-separated"),
    ("not_resource", "boolean", "the statement lists NotResource: target holds the excluded patterns, comma-separated"),
    ("condition", "string", "the statement's Condition block as compact JSON; reported, never evaluated"),
    ("data_class", "string", "for resources: public, internal, confidential, restricted or secret"),
    ("provider", "string", "aws, github, slack, gcp, trufflehog analyzer type, or inventory"),
    ("since", UTC_TIME, "when the edge came to exist (a key's or a stored secret's creation), where known"),
    ("detail", "string", "policy statement id, token name, or other context"),
    ("source_file", "string", "input file the edge was read from"),
    ("source_record", "string", "where in that file: 'UserDetailList[2].UserPolicyList[0].Statement[1]', 'line 4'"),
)

# String columns of reach are categoricals: the frame is (credentials x their reach), so the
# same resource, permission and path text repeat across many rows.
REACH = _contract(
    ("credential", "category", "the credential asked about (the root)"),
    ("acting_credential", "category", "whose grant this row is: the root, or a credential reached through a pivot"),
    ("hops", "Int64", "pivots between the root and the acting credential (0: the root's own reach)"),
    ("principal", "category", "the user, role or app the acting credential acts as (NA: a grant on the credential itself)"),
    ("resource", "category", "what is reached: a known resource, or the pattern itself when nothing known matches"),
    ("resource_type", "category", "the resource's kind (declared, else the ARN's service)"),
    ("data_class", "category", "public, internal, confidential, restricted or secret, where the inventory says"),
    ("permission", "category", "the allowed action, scope or permission ('NotAction: ...' for everything but those)"),
    ("access", "category", "admin, write, read, none or unknown (from the permission's spelling)"),
    ("can_read", "boolean", "the permission could read what the resource holds (the pivot test)"),
    ("approx", "boolean", "wildcards, NotAction/NotResource, a partial deny, a boundary or a '*' trust made it approximate"),
    ("conditional", "boolean", "the granting statement has a Condition (reported, not evaluated)"),
    ("condition", "category", "that Condition as compact JSON"),
    ("denied_in_part", "boolean", "a Deny covers part of the permission or applies under a condition"),
    ("notes", "category", "why the row is approximate, comma-separated"),
    ("via", "category", "how the acting credential becomes the principal: credential -> user -> assume role ..."),
    ("granted_by", "category", "from the principal to the statement: group -> policy (NA: the principal's own grant)"),
    ("pivot_path", "category", "for hops > 0: credential -> resource that held the next credential -> ..."),
    ("holds_secrets", "boolean", "the resource stores credentials (a pivot point)"),
    ("exposed_from", UTC_TIME, "root: its window's start; pivot: the later of the parent's start and when it was stored"),
    ("provider", "category", "aws, github, slack, ... as the inventory says"),
)

LEDGER = _contract(
    ("entry_id", "string", "content hash of the entry: stable, unique per decision"),
    ("secret_id", "string", "join key, as in the secrets frame ('sha1:<hex>' when only SHA-1 is known)"),
    ("label", "string", "one of leaklab.ledger.LABELS, or 'undo'"),
    ("severity", "string", "the analyst's override of the computed severity (leaklab.ledger.SEVERITIES); NA: none"),
    ("reason", "string", "why, in the analyst's words"),
    ("analyst", "string", "who decided"),
    ("time", UTC_TIME, "when the decision was recorded, UTC"),
    ("evidence", "string", "optional link to a ticket, log search or commit"),
    ("undoes", "string", "for label 'undo': the entry_id it takes back"),
    ("source", "string", "'leaklab', or where an imported decision came from (detect-secrets, github)"),
    ("line", "Int64", "1-based line in the ledger file"),
)

CONTRACTS = {"findings": FINDINGS, "secrets": SECRETS, "history": HISTORY, "history_refs": HISTORY_REFS, "events": EVENTS, "windows": WINDOWS, "usage": USAGE, "grants": GRANTS, "reach": REACH, "ledger": LEDGER}


def isna(v) -> bool:
    """Is one cell missing (None, NaN, NaT, pd.NA)? Never raises: a string, a list or any
    other object is simply not missing.

        >>> import pandas as pd
        >>> [isna(v) for v in (None, float("nan"), pd.NA, pd.NaT, "", 0, [1])]
        [True, True, True, True, False, False, False]
    """
    if v is None:
        return True
    if isinstance(v, (str, bool, int)):
        return False
    import pandas as pd

    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def contract(kind: str) -> tuple[Column, ...]:
    try:
        return CONTRACTS[kind]
    except KeyError:
        raise SchemaError(reason=f"unknown frame kind {kind!r}; known: {', '.join(CONTRACTS)}") from None


def columns(kind: str) -> list[str]:
    return [c.name for c in contract(kind)]


def empty(kind: str):
    """An empty frame with the contract's columns and dtypes."""
    return build(kind, {})


def build(kind: str, data: dict, n: int | None = None):
    """Make a frame of ``kind`` from column lists; missing columns become NA.

    ``n`` is the row count when ``data`` may hold no columns at all.
    """
    import pandas as pd

    cols = contract(kind)
    if n is None:
        n = len(next(iter(data.values()))) if data else 0
    out = {}
    for c in cols:
        values = data.get(c.name)
        if values is None:
            out[c.name] = pd.Series(pd.array([None] * n, dtype=c.dtype))
        elif c.dtype == UTC_TIME:
            out[c.name] = pd.to_datetime(pd.Series(values, dtype="object"), utc=True).astype(UTC_TIME)
        else:
            try:
                out[c.name] = pd.Series(pd.array(values, dtype=c.dtype))
            except UnicodeEncodeError:
                out[c.name] = pd.Series(pd.array([_printable(v) for v in values], dtype=c.dtype))
    extra = {k: v for k, v in data.items() if k not in out}
    df = pd.DataFrame(out)
    for k, v in extra.items():
        df[k] = v
    return df


def _printable(v):
    """Undecodable input bytes (kept as surrogates) shown as U+FFFD, as the scanners do."""
    if not isinstance(v, str):
        return v
    try:
        return v.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a lone surrogate from a JSON "\\ud800" escape
        return v.encode("utf-8", "replace").decode("utf-8")


def validate(df, kind: str) -> None:
    """Raise :class:`SchemaError` naming the first column that breaks the contract."""
    cols = contract(kind)
    missing = [c.name for c in cols if c.name not in df.columns]
    if missing:
        shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        raise SchemaError(reason=f"{kind} frame: missing columns: {shown}")
    for c in cols:
        got = str(df[c.name].dtype)
        if got != c.dtype and not (c.dtype == "string" and got.startswith("string")):
            raise SchemaError(reason=f"{kind} frame: column {c.name!r} has dtype {got}, expected {c.dtype}")


def describe(kind: str):
    """The contract as a small frame, for documentation and notebooks."""
    import pandas as pd

    return pd.DataFrame([(c.name, c.dtype, c.meaning) for c in contract(kind)], columns=["column", "dtype", "meaning"])
