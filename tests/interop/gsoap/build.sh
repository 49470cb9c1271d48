#!/bin/sh
# Builds the gSOAP WS-ReliableMessaging peer used by tests/tests/interop_gsoap.rs.
#
#   tests/interop/gsoap/build.sh OUTDIR 1.0|1.1
#
# Produces OUTDIR/server and OUTDIR/client. Needs the Debian packages `gsoap` (soapcpp2) and
# `libgsoap-dev` (libgsoap, /usr/share/gsoap plugin sources), and a C compiler.
#
# gSOAP is GPL, and so is the code soapcpp2 generates: nothing generated is committed. This
# script copies the WS-RM/WS-A plugin sources from /usr/share/gsoap, generates the bindings for
# echo.h and compiles everything at test time.
#
# Idempotent and silent on success (tool output is shown only when a step fails). Each run
# works in a private temporary directory and renames the finished binaries into OUTDIR, so
# concurrent builds never leave a half-written binary behind.
set -eu

usage() {
    echo "usage: $0 OUTDIR 1.0|1.1" >&2
    exit 2
}

[ $# -eq 2 ] || usage
out=$1
version=$2
case $version in
1.1) wsrm_import=wsrm.h ;; # WS-RM 1.1 (OASIS 2007/02)
1.0) wsrm_import=wsrm5.h ;; # WS-RM 1.0 (2005/02), WCF's default ReliableMessagingVersion
*) usage ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
gsoap=${GSOAP_SHARE:-/usr/share/gsoap}
cc=${CC:-cc}

for tool in soapcpp2 "$cc"; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "build.sh: $tool not found (apt-get install gsoap libgsoap-dev gcc)" >&2
        exit 1
    }
done
[ -f "$gsoap/plugin/wsrmapi.c" ] || {
    echo "build.sh: $gsoap/plugin/wsrmapi.c not found (apt-get install libgsoap-dev)" >&2
    exit 1
}

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$work/build.log

# Runs a build step with its output in the log; on failure shows the log and stops.
step() {
    if ! "$@" >>"$log" 2>&1; then
        echo "build.sh ($version): failed: $*" >&2
        cat "$log" >&2
        exit 1
    fi
}

# The plugin sources, copied so the 1.0 fix below never touches /usr/share.
cp "$gsoap/plugin/wsrmapi.c" "$gsoap/plugin/wsrmapi.h" \
    "$gsoap/plugin/wsaapi.c" "$gsoap/plugin/wsaapi.h" \
    "$gsoap/plugin/threads.c" "$gsoap/plugin/threads.h" \
    "$gsoap/custom/duration.c" "$gsoap/custom/duration.h" "$work/"

# gSOAP 2.8.124's wsrmapi.h declares the 1.0 (SOAP_WSRM_2005) __wsrm__TerminateSequence with a
# `wsrm__TerminateSequenceType *res`, which conflicts with wsrx5.h and wsrmapi.c (both use
# ...ResponseType). Only that prototype has `TerminateSequenceType *res`.
sed -i 's/struct wsrm__TerminateSequenceType \*res)/struct wsrm__TerminateSequenceResponseType *res)/' \
    "$work/wsrmapi.h"

# echo.h imports wsrm-version.h, which picks the WS-RM version.
printf '#import "%s"\n' "$wsrm_import" >"$work/wsrm-version.h"
cp "$here/echo.h" "$work/echo.h"

# -c: C; -a: dispatch on the WS-Addressing action (needed by the wsrm plugin); -x: no sample
# XML; -L: no soapClientLib/soapServerLib; -w: no WSDL/XSD files.
step soapcpp2 -c -a -x -L -w -d "$work" -I "$work:$gsoap/import:$gsoap" "$work/echo.h"

# WITH_WCF: WCF-compatible behaviour; WITH_WCF_SIM: netrm:BufferRemaining on every ack.
cflags="-O1 -w -DWITH_WCF -DWITH_WCF_SIM -I$work"
# The bindings and plugins are compiled once and linked into both programs.
objects=
for src in "$work/soapC.c" "$work/soapClient.c" "$work/soapServer.c" "$work/wsrmapi.c" \
    "$work/wsaapi.c" "$work/threads.c" "$work/duration.c" "$here/fault.c"; do
    obj=$work/$(basename "$src" .c).o
    # shellcheck disable=SC2086 # $cflags is a word list
    step "$cc" $cflags -c -o "$obj" "$src"
    objects="$objects $obj"
done
for program in server client; do
    # shellcheck disable=SC2086 # $cflags and $objects are word lists
    step "$cc" $cflags -o "$work/$program" "$here/$program.c" $objects -lgsoap -lpthread
done

mv -f "$work/server" "$out/server"
mv -f "$work/client" "$out/client"
