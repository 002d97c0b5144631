"""API tokens without I/O: making and hashing secrets, reading the Authorization header, and
what a token's holder may change.

A secret is 32 random bytes, so a plain SHA-256 of it cannot be reversed or guessed: the
slow, salted hashes meant for passwords would only slow every write down. The database keeps
the hash alone; a lost secret is replaced, never recovered.

No message here quotes a secret or a header: they reach clients and the log.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from hub.domain import vocabulary as vocab
from hub.domain.errors import Forbidden, InputError, Unauthenticated

#: Every secret begins with this, so that a leaked one is recognised (by secret scanners, and
#: by whoever finds it in a file).
SECRET_PREFIX = "hub_"
SECRET_BYTES = 32

#: RFC 7235 token68, the syntax of a bearer credential (RFC 6750).
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")

#: Registered HTTP authentication schemes (IANA), named in a refusal: a word that is not one
#: of them may be a secret sent without its scheme, and is never repeated.
_KNOWN_SCHEMES = frozenset({
    "basic", "digest", "dpop", "gnap", "hoba", "mutual", "negotiate", "ntlm", "oauth",
    "privatetoken", "scram-sha-1", "scram-sha-256", "token", "vapid", "apikey",
})

_HOW = "send the header 'Authorization: Bearer <secret>'"

#: Longest token name: a label in listings and audit rows, not a text.
NAME_MAX = 100


def new_secret() -> str:
    """A fresh secret: the prefix and 32 random bytes in URL-safe base64 (43 characters)."""
    return SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def hash_secret(secret: str) -> str:
    """What the database keeps of a secret: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_hash(stored: str, presented: str) -> bool:
    """Constant-time comparison, so that the time taken tells nothing about how much of a
    guess was right."""
    return hmac.compare_digest(stored.encode("ascii"), presented.encode("ascii"))


def hash_prefix(secret_hash: str) -> str:
    """A short part of a hash for the log: enough to find the token, nothing to use."""
    return secret_hash[:8]


def bearer_secret(header: str | None) -> str:
    """The secret of an ``Authorization: Bearer <secret>`` header (the scheme in any case).

    Raises Unauthenticated saying what is wrong with the header, without quoting it.
    """
    if header is None or not header.strip():
        raise Unauthenticated(f"This operation changes data and needs a token: {_HOW}.")
    parts = header.split()
    scheme = parts[0]
    if scheme.lower() != "bearer":
        if len(parts) > 1 and scheme.lower() in _KNOWN_SCHEMES:
            said = f"uses the {scheme} scheme"
        elif len(parts) == 1:
            said = "has no scheme"
        else:
            said = "does not use the Bearer scheme"
        raise Unauthenticated(f"The Authorization header {said}; {_HOW}.")
    if len(parts) == 1:
        raise Unauthenticated(f"The Authorization header has no secret after Bearer; {_HOW}.")
    if len(parts) > 2:
        raise Unauthenticated(
            "The Authorization header has more than one word after Bearer; a secret has no "
            f"spaces: {_HOW}.")
    secret = parts[1]
    if not _TOKEN68.fullmatch(secret):
        raise Unauthenticated(
            "The secret in the Authorization header has characters a token cannot have; "
            f"{_HOW}.")
    return secret


@dataclass(frozen=True)
class Principal:
    """Who a request writes as: the token behind it, its role and, for an editor, the
    operator whose records it keeps."""

    token_id: int
    name: str
    role: str  # "ADMIN" or "EDITOR"
    operator_id: int | None
    scopes: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return self.role == "ADMIN"

    def may_change(self, operator_id: int) -> bool:
        """An admin changes any record; an editor only those of its own operator."""
        return self.is_admin or (self.operator_id is not None
                                 and self.operator_id == operator_id)

    def require_change(self, operator_id: int, what: str) -> None:
        """Raises Forbidden unless this principal may change ``what`` (e.g. "facility
        'sapporo-consumer-center'"), a record of operator ``operator_id``."""
        if not self.may_change(operator_id):
            raise Forbidden(
                f"Token '{self.name}' is an editor for operator {self.operator_id} and may "
                f"not change {what}, which belongs to operator {operator_id}.")


def check_grant(role: str, has_operator: bool, scopes: Iterable[str]) -> tuple[str, list[str]]:
    """The role (upper case) and the sorted distinct scopes of a new token, or InputError.

    An editor needs an operator: it changes that operator's records only. An admin may not
    have one: it changes every record, and an operator on it would suggest otherwise.
    """
    upper = role.upper()
    if upper not in vocab.TOKEN_ROLES:
        raise InputError(f"role must be one of {', '.join(r.lower() for r in vocab.TOKEN_ROLES)},"
                         f" not {role!r}", field="role")
    if upper == "EDITOR" and not has_operator:
        raise InputError("an editor token needs an operator: the one whose records it may "
                         "change (its id as the API shows it, or its code in operators.yaml)",
                         field="operator")
    if upper == "ADMIN" and has_operator:
        raise InputError("an admin token changes every operator's records and takes no "
                         "operator; leave the operator out, or make an editor token",
                         field="operator")
    wanted = sorted(set(scopes))
    unknown = [s for s in wanted if s not in vocab.TOKEN_SCOPES]
    if unknown:
        raise InputError(f"unknown scope {unknown[0]!r}; known: "
                         f"{', '.join(vocab.TOKEN_SCOPES)}", field="scope")
    return upper, wanted


def check_name(name: str) -> str:
    """A token name as given, or InputError: it labels the token in listings and in the
    audit rows of its writes, and ``hub token revoke`` finds a token by it. All digits would
    read as a token id, so a name needs something else too."""
    if not name or name != name.strip():
        raise InputError("a token name must not be empty or begin or end with spaces",
                         field="name")
    if len(name) > NAME_MAX:
        raise InputError(f"a token name has at most {NAME_MAX} characters, not {len(name)}",
                         field="name")
    if not name.isprintable():
        raise InputError("a token name must not contain control characters", field="name")
    if name.isdigit():
        raise InputError("a token name must not be all digits (it would read as a token id)",
                         field="name")
    return name


def default_name(role: str, operator_code: str | None, taken: Iterable[str]) -> str:
    """A name for a token made without one: role and operator (``editor-sapporo``), with a
    number after it when a token in use already has that name."""
    base = role.lower() if operator_code is None else f"{role.lower()}-{operator_code}"
    used = set(taken)
    if base not in used:
        return base
    n = 2
    while f"{base}-{n}" in used:
        n += 1
    return f"{base}-{n}"
