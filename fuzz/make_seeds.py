#!/usr/bin/env python3
"""Rebuilds the seeds of the capture-based fuzz targets (framing, preamble, binary_xml,
soap_envelope, wsrm) from the real captures in the repository (runtime/src/**/testdata), in the
input format each target reads (see runtime/src/__fuzz.rs). The data_contract seeds are the
serializer's own output for the target's types, and the http_request seeds requests for the
target's contract, both written by hand. Run from anywhere: python3 fuzz/make_seeds.py"""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TCP = os.path.join(ROOT, "runtime/src/transport/tcp/testdata")
WSRM = os.path.join(ROOT, "runtime/src/reliable/wire/testdata")
CORPUS = os.path.join(ROOT, "fuzz/corpus")


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


def mb31(data, i):
    value, shift = 0, 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def sized_envelopes(stream):
    """The payloads of the SizedEnvelope records (0x06) of a duplex net.tcp stream."""
    i, out = 0, []
    while i < len(stream):
        kind = stream[i]
        i += 1
        if kind == 0x00:  # Version
            i += 2
        elif kind in (0x01, 0x03):  # Mode, KnownEncoding
            i += 1
        elif kind in (0x02, 0x04, 0x06, 0x08, 0x09):  # Via, Extensible, Sized, Fault, Upgrade
            n, i = mb31(stream, i)
            if kind == 0x06:
                out.append(stream[i : i + n])
            i += n
        elif kind in (0x07, 0x0A, 0x0B, 0x0C):  # End, UpgradeResponse, PreambleAck, End
            pass
        else:
            break
    return out


def read(path):
    with open(path, "rb") as f:
        return f.read()


def http_bodies(text):
    """The bodies of the HTTP messages in a gSOAP capture (each an XML document)."""
    return [m.group(0).encode() for m in re.finditer(r"<\?xml.*?</SOAP-ENV:Envelope>", text, re.S)]


# net.tcp streams: the framing and preamble targets.
# Preamble setup byte: bits 0-1 encoding (0 SOAP 1.1, 1 SOAP 1.2, 2 msbin1, 3 msbinsession1),
# bit 2 singleton mode, bit 3 path /echo instead of /calc.
SETUP = {"mono-nettcp-session": 3, "mono-tcp-text": 1, "mono-nettcp-streamed": 2 | 4 | 8}
for stem, setup in SETUP.items():
    for direction in ("c2s", "s2c"):
        data = read(os.path.join(TCP, f"{stem}.{direction}.bin"))
        write("framing", f"{stem}.{direction}", data)
    write("preamble", stem, bytes([setup]) + read(os.path.join(TCP, f"{stem}.c2s.bin")))

# Binary XML: each direction's messages as 2-byte little-endian lengths and payloads.
for direction in ("c2s", "s2c"):
    payloads = sized_envelopes(read(os.path.join(TCP, f"mono-nettcp-session.{direction}.bin")))
    data = b"".join(len(p).to_bytes(2, "little") + p for p in payloads)
    write("binary_xml", f"mono-nettcp-session.{direction}", data)

# Text envelopes: the net.tcp text capture's envelopes and the gSOAP HTTP bodies.
for direction in ("c2s", "s2c"):
    stream = read(os.path.join(TCP, f"mono-tcp-text.{direction}.bin"))
    for n, payload in enumerate(sized_envelopes(stream)[:2]):
        write("soap_envelope", f"mono-tcp-text.{direction}.{n}", payload)
for version, setup in (("10", 0), ("11", 1)):
    text = read(os.path.join(WSRM, f"gsoap-wsrm{version}-http.txt")).decode()
    bodies = http_bodies(text)
    for n, body in enumerate(bodies[:3]):
        write("soap_envelope", f"gsoap-wsrm{version}.{n}", body)
    # WS-RM: setup byte bit 0 = version, bit 1 = whole envelope.
    for n, body in enumerate(bodies):
        write("wsrm", f"gsoap-wsrm{version}.envelope.{n}", bytes([setup | 2]) + body)
    # Bare headers, with the namespace they use declared on themselves.
    ns = re.search(r'xmlns:wsrm="([^"]+)"', text).group(1)
    seen = set()
    for m in re.finditer(r"<wsrm:(Sequence|SequenceAcknowledgement|AckRequested)\b.*?</wsrm:\1>", text, re.S):
        if m.group(1) in seen:
            continue
        seen.add(m.group(1))
        header = m.group(0).replace(f"<wsrm:{m.group(1)}", f'<wsrm:{m.group(1)} xmlns:wsrm="{ns}"', 1)
        write("wsrm", f"gsoap-wsrm{version}.{m.group(1)}", bytes([setup]) + header.encode())
