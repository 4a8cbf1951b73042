"""What we keep of a browser that signed in: enough for a lead to recognise their own
sessions ("Firefox on Linux", from 203.0.113.0/24), too little to trace a person or
fingerprint a browser. Lead sessions are kept for weeks; a full address and user-agent
string would place a lead — and, through them, a coalition — for anyone holding a copy of
the database.
"""

from __future__ import annotations

import ipaddress
import re

# A provider hands a household or a phone an address within a /24 (IPv4) or, commonly, a
# /48 (IPv6): the coarse network says "same provider, same area", not "same person".
IPV4_PREFIX = 24
IPV6_PREFIX = 48


def coarse_network(address: str) -> str:
    """The /24 or /48 around an address, as CIDR text; "" for what is not an address."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


# Order matters: most browsers also claim to be the ones before them (Edge says "Chrome"
# and "Safari"; Chrome says "Safari"), so the more specific token is tried first.
_BROWSERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"\b(?:OPR|OPiOS|Opera)/")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\b(?:Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(?:Chrome|Chromium|CriOS)/")),
    ("Safari", re.compile(r"\bVersion/[\d.]+.*\bSafari/")),
)

_SYSTEMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iPhone", re.compile(r"\biPhone\b")),
    ("iPad", re.compile(r"\biPad\b")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("Linux", re.compile(r"\bLinux\b|\bX11\b")),
)


def browser_family(user_agent: str) -> str:
    """ "Firefox on Linux", "Safari on iPhone": the browser and system a lead would name;
    "" when neither is recognised. Versions and everything else are dropped."""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), "")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system
