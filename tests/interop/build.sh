#!/bin/sh
# Builds the Mono WCF peer used by tests/tests/interop_mono.rs.
#
#   tests/interop/build.sh [OUTDIR]
#
# OUTDIR defaults to $INDIGO_INTEROP_OUT, then to <workspace>/target/interop. Prints the path of
# the built CalculatorPeer.exe. Needs `mcs` (Debian: mono-mcs mono-runtime
# libmono-system-servicemodel4.0a-cil). The exe is written to a temporary name and renamed, so
# concurrent builds never leave a half-written file behind.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-${INDIGO_INTEROP_OUT:-$here/../../target/interop}}
mkdir -p "$out"
out=$(cd "$out" && pwd)

tmp="$out/CalculatorPeer.$$.tmp.exe"
trap 'rm -f "$tmp"' EXIT
mcs -nologo -warnaserror+ -r:System.ServiceModel.dll -r:System.Runtime.Serialization.dll \
    "$here/CalculatorPeer.cs" -out:"$tmp"
mv -f "$tmp" "$out/CalculatorPeer.exe"
echo "$out/CalculatorPeer.exe"
