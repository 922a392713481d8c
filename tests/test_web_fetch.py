"""The page fetcher against real servers on loopback addresses: address policy, redirects re-checked on every
hop, connection pinning, size and time limits, content types and charsets."""

from __future__ import annotations

import gzip
import ipaddress
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web_server import Reply, ScriptedServer
from tools.settings import Settings
from tools.web.fetch import (
    AddressPolicy,
    BlockedAddressError,
    BlockedURLError,
    FetchConnectionError,
    FetchStatusError,
    FetchTimeoutError,
    PageFetcher,
    TooManyRedirectsError,
    UnsupportedContentError,
    document_from_page,
    fetch_page,
    host_address,
    is_metadata_address,
)

PAGE = "<html><head><title>Nocturnes</title></head><body><p>Chopin wrote 21 nocturnes.</p></body></html>"
ONLY_127_0_0_1 = AddressPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


@pytest.fixture
def other_loopback() -> Iterator[ScriptedServer]:
    """A second server on 127.0.0.2: loopback too, but outside the one network the tests allow."""
    with ScriptedServer("127.0.0.2") as running:
        yield running


def open_settings(**overrides: object) -> Settings:
    return Settings(allow_private_fetch=True, **overrides)


def test_an_allowed_page_is_fetched_and_read(server: ScriptedServer) -> None:
    server.route("/page", Reply.html(PAGE))
    page = fetch_page(server.url("/page#part"), open_settings())
    assert page.status == 200 and page.content_type == "text/html" and page.charset == "utf-8"
    assert page.url == server.url("/page") and not page.truncated and page.redirects == []
    document = document_from_page(page)
    assert document.title == "Nocturnes" and document.text == "Chopin wrote 21 nocturnes."
    assert document.untrusted is True and document.source == server.url("/page")


@pytest.mark.parametrize(
    "url",
    [
        "{local}",
        "http://localhost:{port}/",
        "http://2130706433:{port}/",  # 127.0.0.1 written as one decimal number
        "http://10.0.0.1/",
        "http://192.168.1.1/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://[fd00:ec2::254]/",
        "http://0.0.0.0:{port}/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://metadata.google.internal/computeMetadata/v1/",
    ],
)
def test_private_and_metadata_addresses_are_refused_without_a_request(server: ScriptedServer, url: str) -> None:
    server.route("/", Reply.html(PAGE))
    started = time.monotonic()
    with pytest.raises(BlockedAddressError, match="Refused"):
        fetch_page(url.format(local=server.url("/"), port=server.port), Settings())
    assert time.monotonic() - started < 1.0  # refused before connecting (10.0.0.1 would hang until the timeout)
    assert server.seen == []


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://127.0.0.1/", "/relative", "http://user:pw@a.b/"]
)
def test_other_schemes_and_credentials_are_refused(url: str) -> None:
    with pytest.raises(BlockedURLError):
        fetch_page(url, open_settings())


METADATA_URLS = [
    "http://169.254.169.254/latest/",
    "http://169.254.169.254./latest/",  # trailing dot
    "http://[::ffff:169.254.169.254]/",  # IPv4-mapped
    "http://[::ffff:a9fe:a9fe]/",  # IPv4-mapped, in hex
    "http://[::169.254.169.254]/",  # IPv4-compatible
    "http://[64:ff9b::169.254.169.254]/",  # NAT64
    "http://[64:ff9b:1:a9fe:a9:fe00::]/",  # local-use NAT64 (/48)
    "http://[2002:a9fe:a9fe::1]/",  # 6to4
    "http://[2001:0:4136:e378:8000:63bf:5601:5601]/",  # Teredo (client address inverted)
    "http://2852039166/",  # one decimal number
    "http://0251.0376.0124776/",  # octal (httpx itself refuses four octal parts as an invalid URL)
    "http://0xa9fea9fe/",  # hex
    "http://0xA9.0xFE.0xA9.0xFE/",
    "http://169.254.43518/",  # the last number fills the remaining bytes
    "http://169.254.170.2/v2/credentials",  # AWS ECS task credentials
    "http://100.100.100.200/latest/meta-data/",  # Alibaba Cloud
    "http://[::ffff:100.100.100.200]/",
    "http://1684301000/",  # 100.100.100.200 as one number
    "http://[fd00:ec2::254]/",  # AWS over IPv6
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://METADATA.google.internal./",
    "http://metadata\u3002google\u3002internal/",  # ideographic full stops, IDNA-mapped to dots
]


@pytest.mark.parametrize("url", METADATA_URLS)
def test_metadata_stays_refused_in_every_encoding_whatever_is_allowed(url: str) -> None:
    """Issue 15, item 2: with private fetching on, embedded IPv4 forms of the metadata address got through."""
    everything = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
    for fetcher in (PageFetcher.from_settings(open_settings(fetch_timeout_s=2)),
                    PageFetcher(policy=AddressPolicy(allow_private=True, allowed_networks=everything), timeout_s=2)):
        with pytest.raises(BlockedAddressError, match="metadata"):
            fetcher.fetch(url)


@pytest.mark.parametrize("url", [url for url in METADATA_URLS if url.isascii()])  # a header is Latin-1
def test_a_redirect_to_metadata_in_any_encoding_is_refused_on_the_hop(server: ScriptedServer, url: str) -> None:
    server.route("/hop", Reply.redirect(url))
    with pytest.raises(BlockedAddressError, match="metadata"):
        fetch_page(server.url("/hop"), open_settings(fetch_timeout_s=2))
    assert len(server.requests_to("/hop")) == 1


def test_a_name_resolving_to_an_embedded_metadata_address_is_refused() -> None:
    mapped = [ipaddress.ip_address("::ffff:169.254.169.254")]
    fetcher = PageFetcher(policy=AddressPolicy(allow_private=True), resolver=lambda host, port: mapped, timeout_s=2)
    with pytest.raises(BlockedAddressError, match="resolves to ::ffff:a9fe:a9fe, a cloud metadata endpoint"):
        fetcher.fetch("http://innocent.example.test/")


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"), ("127.1", "127.0.0.1"),
        ("10.0.0.1.", "10.0.0.1"), ("[::1]", "::1"), ("0x", "0.0.0.0"),
        ("example.com", None), ("08.0.0.1", None), ("256.0.0.1", None), ("1.2.3.4.5", None), ("4294967296", None),
        ("1e3", None), ("1_000", None),
    ],
)
def test_numeric_hosts_are_read_as_url_parsers_read_them(host: str, address: str | None) -> None:
    assert host_address(host) == (ipaddress.ip_address(address) if address else None)


def test_embedded_metadata_addresses_are_recognised() -> None:
    for address in ("169.254.169.254", "::ffff:169.254.169.254", "::169.254.169.254", "64:ff9b::a9fe:a9fe",
                    "2002:a9fe:a9fe::", "fd00:ec2::254", "::ffff:100.100.100.200"):
        assert is_metadata_address(ipaddress.ip_address(address)), address
    for address in ("169.254.169.253", "::1", "::", "2002:a9fe:a9fd::", "93.184.216.34", "fd00:ec2::253"):
        assert not is_metadata_address(ipaddress.ip_address(address)), address


def test_a_redirect_to_a_private_address_is_refused_on_the_hop(
    server: ScriptedServer, other_loopback: ScriptedServer
) -> None:
    other_loopback.route("/secret", Reply.html("<p>internal</p>"))
    server.route("/to-private", Reply.redirect(other_loopback.url("/secret")))
    server.route("/to-metadata", Reply.redirect("http://169.254.169.254/latest/meta-data/iam/", 301))
    fetcher = PageFetcher(policy=ONLY_127_0_0_1, timeout_s=5)
    with pytest.raises(BlockedAddressError, match="127.0.0.2 is a loopback address"):
        fetcher.fetch(server.url("/to-private"))
    with pytest.raises(BlockedAddressError, match="metadata"):
        fetcher.fetch(server.url("/to-metadata"))
    assert other_loopback.seen == []
    assert len(server.requests_to("/to-private")) == 1


def test_allowed_redirects_are_followed_and_recorded(server: ScriptedServer) -> None:
    server.route("/old", Reply.redirect("/moved", 301))
    server.route("/moved", Reply.redirect(server.url("/page"), 307))
    server.route("/page", Reply.html(PAGE))
    page = PageFetcher(policy=ONLY_127_0_0_1).fetch(server.url("/old"))
    assert page.redirects == [server.url("/moved"), server.url("/page")]
    assert page.url == server.url("/page") and "21 nocturnes" in page.text


def test_a_redirect_loop_stops_at_the_hop_limit(server: ScriptedServer) -> None:
    server.route("/loop", Reply.redirect("/loop"))
    with pytest.raises(TooManyRedirectsError, match="more than 3"):
        PageFetcher(policy=ONLY_127_0_0_1, max_redirects=3).fetch(server.url("/loop"))
    assert len(server.requests_to("/loop")) == 4


def test_the_connection_goes_to_the_address_that_was_checked(server: ScriptedServer) -> None:
    """A name is resolved once, checked, and the connection pinned to that address; the name travels in Host."""
    server.route("/page", Reply.html(PAGE))
    answers = {"docs.example.test": [ipaddress.ip_address("127.0.0.1")]}
    fetcher = PageFetcher(policy=ONLY_127_0_0_1, resolver=lambda host, port: answers[host])
    page = fetcher.fetch(f"http://docs.example.test:{server.port}/page")
    assert page.url == f"http://docs.example.test:{server.port}/page"
    assert server.seen[0].headers["host"] == f"docs.example.test:{server.port}"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")
def test_a_pinned_https_connection_still_verifies_the_certificate_against_the_name(tmp_path: Path) -> None:
    """Connecting to the checked IP keeps TLS honest: SNI and certificate verification use the host name."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", str(tmp_path / "key"),
         "-out", str(tmp_path / "cert"), "-subj", "/CN=docs.example.test",
         "-addext", "subjectAltName=DNS:docs.example.test"],
        check=True, capture_output=True,
    )
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(tmp_path / "cert", tmp_path / "key")
    trusted = ssl.create_default_context(cafile=str(tmp_path / "cert"))
    loopback = [ipaddress.ip_address("127.0.0.1")]
    fetcher = PageFetcher(policy=ONLY_127_0_0_1, resolver=lambda host, port: loopback, verify=trusted, timeout_s=5)
    with ScriptedServer(tls=served) as server:
        server.route("/page", Reply.html(PAGE))
        page = fetcher.fetch(f"https://docs.example.test:{server.port}/page")
        assert "21 nocturnes" in page.text
        assert server.seen[0].headers["host"] == f"docs.example.test:{server.port}"
        with pytest.raises(FetchConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            fetcher.fetch(f"https://impostor.example.test:{server.port}/page")
        assert len(server.seen) == 1


def test_a_name_with_any_private_address_is_refused(server: ScriptedServer) -> None:
    mixed = [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.1.2.3")]
    fetcher = PageFetcher(resolver=lambda host, port: mixed)
    with pytest.raises(BlockedAddressError, match="10.1.2.3, a private address"):
        fetcher.fetch("http://rebinding.example.test/")


def test_the_body_is_cut_at_the_size_limit(server: ScriptedServer) -> None:
    server.route("/big", Reply(200, b"<p>" + b"a" * 1_000_000 + b"</p>", {"Content-Type": "text/html"}))
    server.route("/endless", Reply(200, b"<p>more and more</p>\n" * 100, {"Content-Type": "text/html"}, endless=True))
    zeros = gzip.compress(b" " * 50_000_000)  # 49 KB on the wire, 50 MB if inflated without a bound
    server.route("/bomb", Reply(200, zeros, {"Content-Type": "text/plain", "Content-Encoding": "gzip"}))
    settings = open_settings(fetch_max_bytes=65_536, fetch_timeout_s=10)
    for path in ("/big", "/endless", "/bomb"):
        started = time.monotonic()
        page = fetch_page(server.url(path), settings)
        assert page.truncated and page.bytes_read == 65_536, path
        assert time.monotonic() - started < 2.0, path


def test_a_slow_server_times_out_within_the_bound(server: ScriptedServer) -> None:
    server.route("/stall", Reply(200, PAGE.encode(), {"Content-Type": "text/html"}, delay_s=30))
    server.route("/drip", Reply(200, PAGE.encode() * 20, {"Content-Type": "text/html"}, drip_s=0.05))
    for path in ("/stall", "/drip"):
        started = time.monotonic()
        with pytest.raises(FetchTimeoutError, match="longer than 1 s"):
            fetch_page(server.url(path), open_settings(fetch_timeout_s=1.0))
        assert time.monotonic() - started < 1.75, path  # 1 s limit plus scheduling slack on a busy machine


def test_a_slow_name_lookup_counts_against_the_same_bound() -> None:
    def stuck_resolver(host: str, port: int) -> list[ipaddress.IPv4Address]:
        time.sleep(3)
        return [ipaddress.ip_address("93.184.216.34")]

    started = time.monotonic()
    with pytest.raises(FetchTimeoutError, match="longer than 0.5 s"):
        PageFetcher(resolver=stuck_resolver, timeout_s=0.5).fetch("http://slow-dns.example.test/")
    assert time.monotonic() - started < 1.25


@pytest.mark.parametrize("content_type", ["application/pdf", "image/png", "application/json", ""])
def test_content_that_is_not_a_text_page_is_refused(server: ScriptedServer, content_type: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    server.route("/file", Reply(200, b"%PDF-1.7 ...", headers))
    with pytest.raises(UnsupportedContentError, match="not a text page"):
        fetch_page(server.url("/file"), open_settings())


def test_an_error_status_is_reported(server: ScriptedServer) -> None:
    with pytest.raises(FetchStatusError, match="HTTP 404") as caught:
        fetch_page(server.url("/missing"), open_settings())
    assert caught.value.status == 404


@pytest.mark.parametrize(
    ("body", "content_type", "charset"),
    [
        ("<p>Dvořák’s “New World”</p>".encode(), "text/html", "utf-8"),
        ("<p>Fauré à Paris</p>".encode("cp1252"), "text/html; charset=windows-1252", "cp1252"),
        ('<meta charset="iso-8859-2"><p>Dvořák</p>'.encode("iso-8859-2"), "text/html", "iso8859-2"),
        ("<p>Fauré à Paris</p>".encode("cp1252"), "text/html", "cp1252"),  # undeclared legacy page
        ("\ufeff<p>Dvořák</p>".encode("utf-16-le"), "text/html", "utf-16"),
    ],
    ids=["utf8-default", "header", "meta", "legacy-undeclared", "bom"],
)
def test_charsets_are_decoded_sensibly(server: ScriptedServer, body: bytes, content_type: str, charset: str) -> None:
    server.route("/page", Reply(200, body, {"Content-Type": content_type}))
    page = fetch_page(server.url("/page"), open_settings())
    assert page.charset == charset
    text = document_from_page(page).text
    assert text in ("Dvořák’s “New World”", "Fauré à Paris", "Dvořák")


def test_a_cut_inside_a_multibyte_character_still_decodes_as_utf8(server: ScriptedServer) -> None:
    server.route("/page", Reply(200, "é".encode() * 1000, {"Content-Type": "text/plain"}))
    page = fetch_page(server.url("/page"), open_settings(fetch_max_bytes=1025))
    assert page.charset == "utf-8" and page.text.startswith("é" * 512)
