"""The SSRF guard: which IP addresses an outgoing request to a user-given URL may reach.

Private, loopback, link-local and other non-global addresses are refused unless a policy
allows them. Host names are checked by `GuardedResolver`, the resolver the guarded session
connects through (so the address checked is the address used: no DNS-rebinding window);
IP literals by `AddressPolicy.check_host` before connecting and at every redirect hop. A host
written as numbers in a form other than dotted decimal (`2130706433`, `0x7f.1`, `127.1`) is
judged as the address it denotes, then refused anyway: libraries disagree on what it means.

Used by the DownloadClient (the import endpoint) and by job callbacks: both send requests to
URLs that a caller chose.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# A part of an IPv4 address as inet_aton reads it: decimal, octal (leading 0) or hex (0x).
_NUMBER_PART = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+")


class AddressNotAllowedError(Exception):
    """A URL's host is, or resolves only to, an address the policy refuses."""


@dataclass(frozen=True)
class AddressPolicy:
    """Which IP addresses a guarded request may connect to, and how a refusal reads."""

    allow_private: bool = False
    # Networks allowed even when private, e.g. an internal artifact store.
    exceptions: tuple[IPNetwork, ...] = ()
    # Every refusal names the settings that would allow the address.
    hint: str = "allow the network in the settings to reach it"
    # What a refusal raises: a feature may use its own subclass of Exception (downloads do,
    # so the import endpoint's error handler sees one error type).
    error: type[Exception] = AddressNotAllowedError

    def allows(self, address: IPAddress) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.exceptions):
            return True
        return self.allow_private or (address.is_global and not address.is_multicast)

    def refusal(self, message: str) -> Exception:
        return self.error(f"{message}; {self.hint}")

    def check_host(self, raw_host: str) -> None:
        """Refuse an IP-literal host the policy does not allow; a name passes (see resolver)."""
        host = raw_host.strip("[]")
        try:
            address = host_address(host)
        except AddressNotAllowedError as exc:
            raise self.error(str(exc)) from None
        if address is None:
            return
        written = "" if str(address) == host else f" (written {host})"
        if not self.allows(address):
            raise self.refusal(f"address not allowed: {address}{written}")
        if written and isinstance(address, ipaddress.IPv4Address):
            # aiohttp would refuse it, a resolver might read it differently: never pass it on.
            raise self.error(f"write the address {address} in dotted form{written}")


def host_address(host: str) -> IPAddress | None:
    """The address an IP-literal host denotes, in every form resolvers accept; None for a name.

    Besides the standard forms, inet_aton's: one to four parts, each decimal, octal or hex,
    the last filling the remaining bytes (`2130706433`, `0x7f.1`, `017700000001`, `127.1` are
    all 127.0.0.1). A host of numbers that is no address raises `AddressNotAllowedError`.
    """
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    parts = host.removesuffix(".").split(".")
    if not all(_NUMBER_PART.fullmatch(part) for part in parts):
        return None  # a name: the guarded resolver checks what it resolves to
    try:
        values = [_number(part) for part in parts]
    except ValueError:  # "08": not octal
        values = []
    if (
        not 1 <= len(values) <= 4
        or any(value > 255 for value in values[:-1])
        or values[-1] >= 256 ** (5 - len(values))
    ):
        raise AddressNotAllowedError(f"host {host} is neither a name nor an IPv4 address")
    packed = 0
    for value in values[:-1]:
        packed = packed << 8 | value
    return ipaddress.IPv4Address(packed << 8 * (5 - len(values)) | values[-1])


def _number(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)  # "08": ValueError, no address
    return int(part)


class GuardedResolver(AbstractResolver):
    """Resolve names, then drop every address the policy refuses (refuse if none is left)."""

    def __init__(self, policy: AddressPolicy, resolver: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._resolver = resolver or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._resolver.resolve(host, port, family)
        allowed = [r for r in results if self._policy.allows(ipaddress.ip_address(r["host"]))]
        if not allowed:
            raise self._policy.refusal(f"{host} resolves only to addresses that are not allowed")
        return allowed

    async def close(self) -> None:
        await self._resolver.close()


def guarded_connector(policy: AddressPolicy, *, limit: int = 100) -> aiohttp.TCPConnector:
    """A connector whose every connection goes through the policy (call inside the loop)."""
    return aiohttp.TCPConnector(resolver=GuardedResolver(policy), limit=limit)


__all__ = [
    "AddressNotAllowedError",
    "AddressPolicy",
    "GuardedResolver",
    "IPAddress",
    "guarded_connector",
    "host_address",
]
