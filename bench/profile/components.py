#!/usr/bin/env python3
"""Instructions per call by component, from two callgrind profiles of scenario 6.

Usage: components.py OUT_SMALL OUT_LARGE CALLS

OUT_SMALL and OUT_LARGE are callgrind outputs of the same binary run as
    valgrind --tool=callgrind --callgrind-out-file=OUT indigo-bench --scenarios 6 \
        --systems SYSTEM --cost-oneway off --cost-calls N
for two values of N (BENCHMARKS.md uses 1000 and 3000); CALLS is their difference. The
difference removes start-up and warm-up, so what is left is CALLS request-reply calls of
SYSTEM, client and service together (without `--cost-oneway off`, plus as many one-way
NetTcp messages).

Self cost (exclusive instructions) is grouped by the function's path, not by the file a
line came from: inlined library code is reported under rustc's file names but the
function it was inlined into.
"""

import collections
import re
import subprocess
import sys

GROUPS = [
    (r"malloc\.c|arena\.c|__rust_alloc|__rust_dealloc|__rust_realloc|raw_vec|alloc::alloc", "allocator"),
    (r"memmove|memcpy|memcmp|memset|memchr", "mem*"),
    (r"^indigo::reliable::proto", "reliable/proto (sans-IO core)"),
    (r"^indigo::reliable::driver", "reliable/driver (tasks)"),
    (r"^indigo::reliable::wire", "reliable/wire (WS-RM headers)"),
    (r"^indigo::encoding::binary", "binary XML codec"),
    (r"^quick_xml", "quick-xml (text XML)"),
    (r"^indigo::xml", "xml.rs (readers, names, quotas)"),
    (r"^indigo::serialization|^indigo::message::body|serde", "body (serde)"),
    (r"^indigo::message", "message model, envelope"),
    (r"^indigo::transport", "transport (framing, HTTP)"),
    (r"^indigo::channel", "channels"),
    (r"^indigo::service|^indigo::callback", "service dispatch"),
    (r"^indigo::client", "client runtime"),
    (r"^<?tokio|tokio::", "tokio (tasks, sync, I/O)"),
    (r"^<?hyper|^<?h2|hyper::", "hyper"),
    (r"^<?futures|futures_", "futures (channels)"),
    (r"tracing", "tracing"),
    (r"from_utf8|str::", "UTF-8 checks"),
    (r"^<?indigo_bench|^<?tarpc|^<?bincode", "harness, tarpc"),
    (r"^<?indigo", "indigo (other)"),
]


def groups(path):
    out = subprocess.run(
        ["callgrind_annotate", "--auto=no", "--threshold=100", path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    totals = collections.Counter()
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(\S.*)$", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        ir = int(m.group(1).replace(",", ""))
        name = m.group(2)
        function = name.split(":", 1)[1] if ":" in name and not name.startswith("???") else name
        key = next(
            (k for pattern, k in GROUPS if re.search(pattern, function + " " + name)), "other"
        )
        totals[key] += ir
    return totals


def main():
    small, large, calls = sys.argv[1], sys.argv[2], float(sys.argv[3])
    a, b = groups(small), groups(large)
    per_call = {k: (b[k] - a[k]) / calls for k in set(a) | set(b)}
    print("| component | instructions per call |")
    print("|---|---|")
    for k, v in sorted(per_call.items(), key=lambda kv: -kv[1]):
        print(f"| {k} | {v / 1000:.1f}k |")
    print(f"| total | {sum(per_call.values()) / 1000:.1f}k |")


if __name__ == "__main__":
    main()
