"""Fetch one web page without letting a URL reach what it should not.

A URL an agent fetches comes from search results or from a page, so it is attacker-influenced. The fetcher:

- accepts only http(s) URLs without credentials;
- resolves the host itself, refuses the fetch if ANY resolved address is private, loopback, link-local,
  multicast, reserved, unspecified, shared (CGNAT) or embeds such an IPv4 address (IPv4-mapped, IPv4-compatible,
  6to4, Teredo, NAT64), unless `allow_private` (or an explicitly allowed network) covers it; cloud metadata
  endpoints (169.254.169.254, fd00:ec2::254, metadata.google.internal, ...) are refused even then, in every
  encoding (`is_metadata_address`: embedded in IPv6, or an IPv4 host written as one number, in octal or in hex),
  because a metadata endpoint hands out the machine's credentials and no question about audio needs one;
- reads an IPv4 host the way URL parsers and `inet_aton` do (`2852039166`, `0251.0376.0251.0376`, `0xa9fea9fe`,
  `169.254.43518`, a trailing dot), so the address checked is the address connected to, whatever the resolver;
- connects to the very address it checked (the URL's host is replaced by the IP; the `Host` header and TLS SNI
  keep the name, so certificates are still verified against the name). A DNS answer that changes between check
  and connect (DNS rebinding) therefore cannot redirect the connection. No connection is reused, not even
  between redirect hops, so every hop's TLS is verified for its own name. Limits: environment proxies are
  ignored (a proxy would resolve the name itself, outside the check); if a host has several addresses, all must
  pass and they are tried in the resolver's order;
- follows redirects by hand, re-checking scheme, host and addresses on every hop (at most `max_redirects`);
- reads the body as a stream and stops at `max_bytes` (decompressed bytes: a gzip bomb is cut off too);
- accepts text/html, application/xhtml+xml and text/plain only;
- bounds the whole fetch, DNS included, by `timeout_s`: the work runs in a daemon thread and the caller stops
  waiting at the deadline; the abandoned thread ends at its next socket timeout or body chunk.
"""

from __future__ import annotations

import codecs
import concurrent.futures
import ipaddress
import logging
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import httpx
from pydantic import BaseModel, Field

from tools.base import ToolError, ToolInputError
from tools.settings import DEFAULT_FETCH_MAX_BYTES, DEFAULT_FETCH_TIMEOUT_S, Settings
from tools.web.extract import extract_readable
from tools.web.passages import UntrustedDocument

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[IPAddress]]

ACCEPTED_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
METADATA_HOSTNAMES = frozenset({"metadata.google.internal", "metadata.goog", "metadata", "instance-data"})
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
_NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits
_NAT64_LOCAL_PREFIX = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: bits 48-63 and 72-87 (RFC 6052, /48)
_IPV4_NUMBER = re.compile(r"(0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)
USER_AGENT = "generative-ontology-audiorag/0.1 (+page reader; respects size and time limits)"


class FetchError(ToolError):
    """A page could not be fetched; the message says why and what can be changed."""


class BlockedURLError(FetchError, ToolInputError):
    """The URL is not one the fetcher may request (scheme, credentials, malformed)."""


class BlockedAddressError(BlockedURLError):
    """The URL's host resolves to an address the policy refuses (private, loopback, metadata, ...)."""


class FetchTimeoutError(FetchError):
    """The fetch did not finish within its wall-clock limit."""


class FetchConnectionError(FetchError):
    """The host could not be resolved or reached, or the connection broke."""


class FetchStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class UnsupportedContentError(FetchError):
    """The response is not a readable text page (or uses an unsupported encoding)."""


class TooManyRedirectsError(FetchError):
    """The redirect chain is longer than allowed."""


@dataclass(frozen=True)
class AddressPolicy:
    """Which resolved addresses a fetch may connect to.

    `allowed_networks` opens specific networks (an intranet wiki, a test server) without opening all private
    space. Metadata endpoints stay closed whatever the policy: no question about audio needs them.
    """

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    def refusal(self, address: IPAddress) -> str | None:
        """Why `address` is refused, or None when it may be reached."""
        if is_metadata_address(address):
            return "a cloud metadata endpoint"
        if self.allow_private or any(address in network for network in self.allowed_networks):
            return None
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = self.refusal(embedded)
            return f"an IPv6 address embedding {embedded}, {reason}" if reason else None
        for kind, flag in (
            ("a multicast", address.is_multicast),
            ("an unspecified", address.is_unspecified),
            ("a loopback", address.is_loopback),
            ("a link-local", address.is_link_local),
            ("a private", address.is_private),
            ("a reserved", address.is_reserved),
            ("a non-public", not address.is_global),
        ):
            if flag:
                return f"{kind} address"
        return None


def is_metadata_address(address: IPAddress) -> bool:
    """True for a cloud metadata endpoint, written directly or embedded in an IPv6 address.

    Checked before any allowance (`allow_private`, allowed networks): a host that may read its own network
    still must not hand an agent the machine's cloud credentials.
    """
    candidates = {address, _embedded_ipv4(address)}
    if isinstance(address, ipaddress.IPv6Address) and int(address) >> 32 == 0:  # IPv4-compatible ::a.b.c.d
        candidates.add(ipaddress.IPv4Address(int(address)))
    return not candidates.isdisjoint(METADATA_ADDRESSES)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo client, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    value = int(address)
    if address in _NAT64_PREFIX:
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if address in _NAT64_LOCAL_PREFIX:
        return ipaddress.IPv4Address((value >> 64 & 0xFFFF) << 16 | value >> 40 & 0xFFFF)
    return None


def host_address(host: str) -> IPAddress | None:
    """The IP address a URL host spells, or None for a name.

    Beside the standard forms this reads IPv4 the way browsers and `inet_aton` do: one to four dot-separated
    numbers, each decimal, octal (leading 0) or hex (0x), the last filling the remaining bytes, so
    `2852039166`, `0251.0376.0251.0376` and `0xa9.0xfe.43518` are all 169.254.169.254. A trailing dot is ignored.
    """
    host = host.rstrip(".").strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    numbers = [_ipv4_number(part) for part in host.split(".")]
    if not 1 <= len(numbers) <= 4 or any(number is None for number in numbers):
        return None
    *leading, last = [number for number in numbers if number is not None]
    if any(number > 0xFF for number in leading) or last >= 1 << 8 * (4 - len(leading)):
        return None
    value = last
    for index, number in enumerate(leading):
        value |= number << 24 - 8 * index
    return ipaddress.IPv4Address(value)


def _ipv4_number(part: str) -> int | None:
    """One part of a numeric IPv4 host (decimal, 0-prefixed octal, 0x hex), or None when it is not one."""
    if not _IPV4_NUMBER.fullmatch(part):
        return None
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    try:
        return int(part, 8) if len(part) > 1 and part.startswith("0") else int(part)
    except ValueError:  # 08, 09: not octal, so not a number at all
        return None


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """All addresses the system resolver gives for `host`, in its order of preference, without duplicates."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchConnectionError(f"Cannot resolve host {host!r}: {exc}. Check the URL.") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


class FetchedPage(BaseModel):
    """A fetched text response, decoded. Its text is untrusted data."""

    requested_url: str
    url: str = Field(description="The final URL after redirects.")
    status: int
    content_type: str = Field(description="The media type, e.g. text/html.")
    charset: str = Field(description="The character set the body was decoded with.")
    text: str
    truncated: bool = Field(description="True when the body was cut at the size limit.")
    bytes_read: int = Field(description="Decoded body bytes kept.")
    redirects: list[str] = Field(default_factory=list, description="Every URL after the first, in order.")
    elapsed_s: float


def parse_fetch_url(url: str | httpx.URL) -> httpx.URL:
    """A URL the fetcher may request, or `BlockedURLError` (checked before any network traffic)."""
    try:
        parsed = httpx.URL(str(url).strip())
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise BlockedURLError(f"Not a valid URL: {str(url)[:200]!r} ({exc}).") from exc
    if parsed.scheme not in ("http", "https"):
        raise BlockedURLError(f"Only http and https URLs are fetched, not {parsed.scheme or 'a relative'!r} URLs.")
    if not parsed.host:
        raise BlockedURLError(f"The URL {str(url)[:200]!r} has no host.")
    if parsed.userinfo:
        raise BlockedURLError("URLs carrying user:password@ credentials are not fetched.")
    return parsed.copy_with(fragment=None)


class PageFetcher:
    """Fetches pages under one address policy and one set of limits (see the module docstring)."""

    def __init__(
        self,
        *,
        policy: AddressPolicy | None = None,
        timeout_s: float = DEFAULT_FETCH_TIMEOUT_S,
        max_bytes: int = DEFAULT_FETCH_MAX_BYTES,
        max_redirects: int = 5,
        resolver: Resolver = resolve_host,
        verify: bool | ssl.SSLContext = True,
    ) -> None:
        if timeout_s <= 0 or max_bytes <= 0 or max_redirects < 0:
            raise ValueError("timeout_s and max_bytes must be positive and max_redirects not negative")
        self.policy = policy or AddressPolicy()
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self._resolve = resolver
        self._verify = verify

    @classmethod
    def from_settings(cls, settings: Settings, *, allowed_networks: Iterable[str | IPNetwork] = ()) -> PageFetcher:
        networks = tuple(ipaddress.ip_network(network) for network in allowed_networks)
        return cls(
            policy=AddressPolicy(allow_private=settings.allow_private_fetch, allowed_networks=networks),
            timeout_s=settings.fetch_timeout_s,
            max_bytes=settings.fetch_max_bytes,
        )

    def fetch(self, url: str) -> FetchedPage:
        """Fetch `url` (following checked redirects) within `timeout_s`, or raise a `FetchError`."""
        target = parse_fetch_url(url)
        started = time.monotonic()
        deadline = started + self.timeout_s
        abandoned = threading.Event()
        future: concurrent.futures.Future[FetchedPage] = concurrent.futures.Future()

        def work() -> None:
            try:
                future.set_result(self._fetch(target, started, deadline, abandoned))
            except Exception as exc:  # handed to the waiting caller
                future.set_exception(exc)

        threading.Thread(target=work, name="fetch-page", daemon=True).start()
        try:
            return future.result(timeout=self.timeout_s)
        except concurrent.futures.TimeoutError:
            abandoned.set()
            raise self._timeout(target) from None

    def _timeout(self, url: httpx.URL) -> FetchTimeoutError:
        return FetchTimeoutError(
            f"Fetching {url} took longer than {self.timeout_s:g} s; the site is slow or unreachable "
            "(raise GO_FETCH_TIMEOUT_S to wait longer)."
        )

    def _fetch(self, target: httpx.URL, started: float, deadline: float, abandoned: threading.Event) -> FetchedPage:
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9",
            "Accept-Encoding": "gzip, deflate",
        }
        redirects: list[str] = []
        current = target
        no_reuse = httpx.Limits(max_keepalive_connections=0)  # each hop: a new connection, checked and verified
        with httpx.Client(
            trust_env=False, follow_redirects=False, verify=self._verify, headers=headers, limits=no_reuse
        ) as client:
            while True:
                response = self._send_checked(client, current, deadline)
                try:
                    location = response.headers.get("location")
                    if response.status_code in REDIRECT_STATUSES and location:
                        if len(redirects) >= self.max_redirects:
                            raise TooManyRedirectsError(
                                f"{target} redirected more than {self.max_redirects} times (last: {current})."
                            )
                        current = _redirect_target(current, location)
                        redirects.append(str(current))
                        logger.debug("Redirect %d to %s", len(redirects), current)
                        continue
                    return self._read(response, target, current, redirects, started, deadline, abandoned)
                finally:
                    response.close()

    def _checked_addresses(self, url: httpx.URL) -> list[IPAddress]:
        host = url.host.rstrip(".").lower()
        if host in METADATA_HOSTNAMES:
            raise BlockedAddressError(f"Refused {url}: {host} is a cloud metadata endpoint.")
        literal = host_address(host)
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses: Sequence[IPAddress] = [literal] if literal is not None else self._resolve(host, port)
        if not addresses:
            raise FetchConnectionError(f"Host {host!r} resolved to no address.")
        for address in addresses:
            reason = self.policy.refusal(address)
            if reason:
                subject = f"{host} is" if literal == address else f"{host} resolves to {address},"
                raise BlockedAddressError(
                    f"Refused {url}: {subject} {reason}. Set GO_ALLOW_PRIVATE_FETCH=1 only if the agent may read "
                    "your own network."
                )
        return list(addresses)

    def _send_checked(self, client: httpx.Client, url: httpx.URL, deadline: float) -> httpx.Response:
        """Send GET `url` to one of its checked addresses (the connection is pinned to that address)."""
        addresses = self._checked_addresses(url)
        is_literal = addresses == [host_address(url.host)]
        host_header = url.netloc.decode("ascii")
        extensions = {} if is_literal or url.scheme != "https" else {"sni_hostname": url.host}
        failure: Exception | None = None
        for address in addresses:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            request = client.build_request(
                "GET",
                url.copy_with(host=str(address)),
                headers={"Host": host_header},
                extensions=extensions,
                timeout=httpx.Timeout(remaining),
            )
            try:
                return client.send(request, stream=True)
            except httpx.ConnectError as exc:
                failure = exc
            except httpx.TimeoutException as exc:
                raise self._timeout(url) from exc
            except httpx.TransportError as exc:
                raise FetchConnectionError(f"Fetching {url} failed: {exc}.") from exc
        raise FetchConnectionError(f"Cannot connect to {url} ({failure or 'time ran out'}).")

    def _read(
        self,
        response: httpx.Response,
        target: httpx.URL,
        final: httpx.URL,
        redirects: list[str],
        started: float,
        deadline: float,
        abandoned: threading.Event,
    ) -> FetchedPage:
        if not response.is_success:
            raise FetchStatusError(f"{final} answered HTTP {response.status_code}.", response.status_code)
        content_type = response.headers.get("content-type", "")
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type not in ACCEPTED_CONTENT_TYPES:
            raise UnsupportedContentError(
                f"{final} is {media_type or 'of no declared type'}, not a text page "
                f"(readable types: {', '.join(sorted(ACCEPTED_CONTENT_TYPES))})."
            )
        decoder = _BodyDecoder(response.headers.get("content-encoding", ""), final)
        body = bytearray()
        truncated = False
        try:
            for chunk in response.iter_raw():
                if abandoned.is_set() or time.monotonic() > deadline:
                    raise self._timeout(final)
                room = self.max_bytes - len(body)
                data = decoder.feed(chunk, room + 1)
                body += data[:room]
                if len(data) > room:
                    truncated = True
                    logger.info("Stopped reading %s at the %d-byte limit", final, self.max_bytes)
                    break
        except httpx.TimeoutException as exc:
            raise self._timeout(final) from exc
        except httpx.TransportError as exc:
            raise FetchConnectionError(f"The connection to {final} broke while reading ({exc}).") from exc
        text, charset = decode_text(bytes(body), content_type, media_type)
        return FetchedPage(
            requested_url=str(target),
            url=str(final),
            status=response.status_code,
            content_type=media_type,
            charset=charset,
            text=text,
            truncated=truncated,
            bytes_read=len(body),
            redirects=redirects,
            elapsed_s=round(time.monotonic() - started, 4),
        )


def _redirect_target(current: httpx.URL, location: str) -> httpx.URL:
    try:
        return parse_fetch_url(current.join(location))
    except httpx.InvalidURL as exc:
        raise BlockedURLError(f"{current} redirected to an invalid URL {location[:200]!r}.") from exc


class _BodyDecoder:
    """Undo gzip/deflate transfer compression with a bound on the output of every step."""

    def __init__(self, encoding: str, url: httpx.URL) -> None:
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self._inflater = None
        elif encoding in ("gzip", "x-gzip", "deflate"):
            self._inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)  # gzip or zlib header, detected
        else:
            raise UnsupportedContentError(f"{url} uses content encoding {encoding!r}, which is not supported.")
        self._url = url

    def feed(self, chunk: bytes, limit: int) -> bytes:
        if self._inflater is None:
            return chunk[:limit]
        try:
            return self._inflater.decompress(chunk, limit)
        except zlib.error as exc:
            raise UnsupportedContentError(f"{self._url} sent a corrupt compressed body ({exc}).") from exc


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _codec(name: str | bytes | None) -> str | None:
    if not name:
        return None
    label = name.decode("ascii", "ignore") if isinstance(name, bytes) else name
    try:
        return codecs.lookup(label.strip()).name
    except LookupError:
        return None


def decode_text(body: bytes, content_type: str, media_type: str) -> tuple[str, str]:
    """Decode a body: BOM, then the header's charset, then an HTML <meta> charset, then UTF-8, then cp1252.

    UTF-8 is tested incrementally so a body cut at the size limit inside a multi-byte character still counts
    as UTF-8. Undecodable bytes become U+FFFD rather than failing the fetch.
    """
    for bom, bom_charset in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                             (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return body.decode(bom_charset, errors="replace"), bom_charset
    header = _HEADER_CHARSET.search(content_type)
    charset = _codec(header.group(1) if header else None)
    if charset is None and media_type != "text/plain":
        meta = _META_CHARSET.search(body[:4096])
        charset = _codec(meta.group(1) if meta else None)
    if charset is None:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(body, final=False)
            charset = "utf-8"
        except UnicodeDecodeError:
            charset = "cp1252"  # what browsers use for undeclared legacy Latin pages
    return body.decode(charset, errors="replace"), charset


def fetch_page(url: str, settings: Settings, *, allowed_networks: Iterable[str | IPNetwork] = ()) -> FetchedPage:
    """Fetch one page under `settings` (policy, `fetch_timeout_s`, `fetch_max_bytes`). See the module docstring."""
    return PageFetcher.from_settings(settings, allowed_networks=allowed_networks).fetch(url)


def document_from_page(page: FetchedPage) -> UntrustedDocument:
    """The readable text of a fetched page, marked as untrusted data with its final URL."""
    if page.content_type == "text/plain":
        title, text = "", page.text.replace("\r\n", "\n").strip()
    else:
        readable = extract_readable(page.text)
        title, text = readable.title, readable.text
    return UntrustedDocument(
        source=page.url, title=title, text=text, content_type=page.content_type, truncated=page.truncated
    )
