#!/usr/bin/env python3
"""A logging TCP proxy for looking at what Mono (or Indigo) puts on the wire.

    python3 tests/interop/wirelog.py LISTEN_PORT TARGET_PORT [LOG_PREFIX]

Listens on 127.0.0.1:LISTEN_PORT and forwards every connection to 127.0.0.1:TARGET_PORT. Each
connection N gets LOG_PREFIX.connN.log: every chunk in arrival order, tagged C->S or S->C, as hex
and as a Python bytes literal; half-closes are logged as EOF. With --nmf the log also decodes
.NET Message Framing records (preamble, SizedEnvelope with its text, End), for net.tcp with
text encoding.

Pointing a peer at the proxy without breaking WS-Addressing `To` checks:
  * net.tcp: client `--address net.tcp://127.0.0.1:TARGET/... --via net.tcp://127.0.0.1:LISTEN/...`
  * HTTP: Mono's HTTP client ignores Via, so move the server instead:
    server `--address http://127.0.0.1:LISTEN/... --listen http://127.0.0.1:TARGET/...`,
    client `--address http://127.0.0.1:LISTEN/...` (basic-http has no To: just point the client
    at the proxy).
Run everything inside `unshare -n sh -c 'ip link set lo up; ...'`.
"""
import asyncio
import sys


def mb31(data, i):
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


RECORDS = {0x0B: "PreambleAck", 0x0C: "PreambleEnd", 0x07: "End"}


def describe_nmf(data):
    """Decodes framing records; assumes each chunk starts on a record boundary (true in practice
    for Mono and Indigo, which write whole records)."""
    lines, i = [], 0
    try:
        while i < len(data):
            kind, start = data[i], i
            i += 1
            if kind == 0x00:
                lines.append(f"  Version {data[i]}.{data[i + 1]}")
                i += 2
            elif kind in (0x01, 0x03):
                name = "Mode" if kind == 0x01 else "KnownEncoding"
                lines.append(f"  {name} {data[i]:#04x}")
                i += 1
            elif kind in (0x02, 0x04):
                n, j = mb31(data, i)
                name = "Via" if kind == 0x02 else "ExtensibleEncoding"
                lines.append(f"  {name} {data[j:j + n].decode()!r}")
                i = j + n
            elif kind == 0x06:
                n, j = mb31(data, i)
                body = data[j:j + n]
                bom = " (UTF-8 BOM)" if body.startswith(b"\xef\xbb\xbf") else ""
                lines.append(f"  SizedEnvelope {n} bytes{bom}:")
                lines.append("    " + body.decode("utf-8-sig", "replace"))
                i = j + n
            elif kind == 0x08:
                n, j = mb31(data, i)
                lines.append(f"  Fault {data[j:j + n].decode()!r}")
                i = j + n
            elif kind in RECORDS:
                lines.append(f"  {RECORDS[kind]}")
            else:
                lines.append(f"  (not a record start: {data[start:start + 16].hex(' ')} ...)")
                break
    except IndexError:
        lines.append("  (record continues in the next chunk)")
    return lines


async def main():
    args = [a for a in sys.argv[1:] if a != "--nmf"]
    nmf = "--nmf" in sys.argv
    if len(args) < 2:
        sys.exit(__doc__)
    listen_port, target_port = int(args[0]), int(args[1])
    prefix = args[2] if len(args) > 2 else "wire"
    count = 0

    async def pump(reader, writer, tag, log):
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
            with open(log, "a") as f:
                f.write(f"== {tag} {len(data)} bytes\n{data.hex(' ')}\n{data!r}\n")
                if nmf:
                    f.write("\n".join(describe_nmf(data)) + "\n")
        with open(log, "a") as f:
            f.write(f"== {tag} EOF\n")
        try:
            writer.write_eof()
        except OSError:
            pass

    async def handle(client_reader, client_writer):
        nonlocal count
        count += 1
        log = f"{prefix}.conn{count}.log"
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
        await asyncio.gather(
            pump(client_reader, server_writer, "C->S", log),
            pump(server_reader, client_writer, "S->C", log),
            return_exceptions=True,
        )
        client_writer.close()
        server_writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    print(f"PROXY 127.0.0.1:{listen_port} -> 127.0.0.1:{target_port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
