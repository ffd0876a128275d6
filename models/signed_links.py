"""Signed download links: an export file fetched by a plain browser link, without a bearer header.

A link names one file, who issued it (an ADMIN actor) and when it expires (15 minutes after it was
read); an HMAC over the three, with a key derived from PAYOUTS_SECRET_KEY, makes it unforgeable.
The key is derived like the payment-details cipher's, with its own label, so neither key says
anything about the other. The clock is passed in: checking a link is a pure function.

A link issued with the bootstrap token (PAYOUTS_ADMIN_TOKEN) is also signed over that token, so it
dies the moment the token is changed (operations-3.md); a database token's links die with its
revocation (checked by the download route).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from models.digits import natural

LIFETIME = timedelta(minutes=15)
MAX_PARAM = 200  # longer query values are refused before any HMAC is computed
BOOTSTRAP_ACTOR = "admin-token"  # who PAYOUTS_ADMIN_TOKEN is in the audit log and in links


def file_path(file_id: int) -> str:
    """The plain download path: it needs an `Authorization: Bearer` header of an ADMIN token."""
    return f"/exports/files/{file_id}"


@dataclass(frozen=True)
class SignedLink:
    """The query parameters of a link, as received (unchecked until `LinkSigner.check`)."""

    expires: str
    by: str
    signature: str


class LinkSigner:
    def __init__(
        self,
        secret: str,
        admin_token: str | None = None,
        label: str = "export-download-links",
        path: Callable[[int], str] = file_path,
    ) -> None:
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"payout-desk", info=label.encode()).derive(
            secret.encode()
        )
        self._admin_token = admin_token or ""
        self._secret = secret
        self._path = path

    def sibling(self, label: str, path: Callable[[int], str]) -> LinkSigner:
        """Links to other files (tax reports), signed with their own key derived from the same secret."""
        return LinkSigner(self._secret, self._admin_token, label, path)

    def _signature(self, file_id: int, expires: str, by: str) -> str:
        message = f"{file_id}\n{expires}\n{by}".encode()
        if by == BOOTSTRAP_ACTOR:
            message += b"\n" + self._admin_token.encode("utf-8", "surrogatepass")
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def url(self, file_id: int, by: str, now: datetime) -> str:
        """A link to one file for `LIFETIME` from `now`, issued by the actor `by`."""
        expires = str(int((now + LIFETIME).timestamp()))
        query = urlencode({"expires": expires, "by": by, "signature": self._signature(file_id, expires, by)})
        return f"{self._path(file_id)}?{query}"

    def check(self, file_id: int, link: SignedLink, now: datetime) -> bool:
        """True when `link` was signed for this file and has not expired at `now`."""
        if any(len(value) > MAX_PARAM for value in (link.expires, link.by, link.signature)):
            return False
        expires = natural(link.expires, 10**12)
        if expires is None or expires <= now.timestamp():
            return False
        expected = self._signature(file_id, link.expires, link.by)
        return hmac.compare_digest(expected.encode(), link.signature.encode())
