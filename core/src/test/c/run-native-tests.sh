#!/usr/bin/env bash
# The native libraries' tests (Maven's test phase, core/pom.xml): native_test.c against each library that this machine
# can run, natively or under emulation, and the outputs of every platform compared bit for bit with the x86-64 one:
#   linux-x86_64   natively (x86-64 Linux host with cc)
#   linux-aarch64  under qemu-aarch64 (qemu-user-static): -cpu max (NEON + dot products + i8mm, levels 5, 6 and 7),
#                  -cpu neoverse-n1 (dot products without i8mm, levels 5 and 6) and -cpu cortex-a53 (no dot products,
#                  level 5 only)
#   windows-x86_64 under wine (wine64), the test program built by x86_64-w64-mingw32-gcc
#   macos-*        cannot run here (no macOS emulator): only built
# Each missing library, compiler or emulator is skipped with a line saying so. Exits 1 when a test failed.
# Usage: run-native-tests.sh SRC LIBDIR WORK   (SRC: src/main/c, LIBDIR: target/classes/native)
set -u
SRC=$1
LIBDIR=$2
WORK=$3
TEST=$(dirname "$0")/native_test.c
mkdir -p "$WORK"
failed=0
ran=()
skipped=()
ref=""

# run NAME OUTFILE COMMAND...: runs one test program, records failures
run() {
    local name=$1 out=$2
    shift 2
    echo "native tests: $name"
    if "$@"; then
        ran+=("$name")
        if [[ -n "$ref" && "$out" != "$ref" ]]; then
            if cmp -s "$ref" "$out"; then echo "native tests: $name: outputs bit for bit those of linux-x86_64"
            else echo "native tests: FAIL: $name: outputs differ from linux-x86_64's ($(cmp "$ref" "$out" 2>&1))"; failed=1; fi
        fi
    else
        echo "native tests: FAIL: $name"
        failed=1
    fi
}

if [[ $(uname -s) == Linux && $(uname -m) == x86_64 && -f "$LIBDIR/linux-x86_64/libgptq4j.so" ]] && command -v cc >/dev/null; then
    cc -O1 -std=c11 -ffp-contract=off -o "$WORK/native_test" "$TEST" -lm -ldl
    run linux-x86_64 "$WORK/linux-x86_64.bin" "$WORK/native_test" "$LIBDIR/linux-x86_64/libgptq4j.so" "$WORK/linux-x86_64.bin"
    ref="$WORK/linux-x86_64.bin"
else
    skipped+=("linux-x86_64 (not an x86-64 Linux host with cc, or no library)")
fi

QEMU=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
if [[ ! -f "$LIBDIR/linux-aarch64/libgptq4j.so" ]]; then skipped+=("linux-aarch64 (no library built)")
elif ! command -v aarch64-linux-gnu-gcc >/dev/null; then skipped+=("linux-aarch64 (no aarch64-linux-gnu-gcc)")
elif [[ -z "$QEMU" ]]; then skipped+=("linux-aarch64 (no qemu-aarch64: apt-get install qemu-user-static)")
else
    aarch64-linux-gnu-gcc -O1 -std=c11 -ffp-contract=off -o "$WORK/native_test_aarch64" "$TEST" -lm -ldl
    run "linux-aarch64 (qemu -cpu max: NEON + dot products + i8mm)" "$WORK/linux-aarch64-max.bin" \
        "$QEMU" -L /usr/aarch64-linux-gnu -cpu max "$WORK/native_test_aarch64" "$LIBDIR/linux-aarch64/libgptq4j.so" "$WORK/linux-aarch64-max.bin" 224
    run "linux-aarch64 (qemu -cpu neoverse-n1: NEON + dot products, no i8mm)" "$WORK/linux-aarch64-n1.bin" \
        "$QEMU" -L /usr/aarch64-linux-gnu -cpu neoverse-n1 "$WORK/native_test_aarch64" "$LIBDIR/linux-aarch64/libgptq4j.so" "$WORK/linux-aarch64-n1.bin" 96
    run "linux-aarch64 (qemu -cpu cortex-a53: NEON without dot products)" "$WORK/linux-aarch64-a53.bin" \
        "$QEMU" -L /usr/aarch64-linux-gnu -cpu cortex-a53 "$WORK/native_test_aarch64" "$LIBDIR/linux-aarch64/libgptq4j.so" "$WORK/linux-aarch64-a53.bin" 32
fi

WINE=$(command -v wine64 || { [[ -x /usr/lib/wine/wine64 ]] && echo /usr/lib/wine/wine64; } || command -v wine || true)
if [[ ! -f "$LIBDIR/windows-x86_64/gptq4j.dll" ]]; then skipped+=("windows-x86_64 (no DLL built)")
elif ! command -v x86_64-w64-mingw32-gcc >/dev/null; then skipped+=("windows-x86_64 (no x86_64-w64-mingw32-gcc)")
elif [[ -z "$WINE" ]]; then skipped+=("windows-x86_64 (no wine: apt-get install wine64)")
else
    # -mfma: the scalar reference's fmaf as one instruction (mingw-w64's library fmaf is not correctly rounded)
    x86_64-w64-mingw32-gcc -O1 -mfma -std=c11 -ffp-contract=off -static -o "$WORK/native_test.exe" "$TEST"
    cp "$LIBDIR/windows-x86_64/gptq4j.dll" "$WORK/"
    pushd "$WORK" >/dev/null
    run windows-x86_64 "$WORK/windows-x86_64.bin" env WINEPREFIX="$WORK/wineprefix" WINEDEBUG=-all \
        "$WINE" native_test.exe gptq4j.dll windows-x86_64.bin
    popd >/dev/null
fi
for p in macos-aarch64 macos-x86_64; do
    [[ -f "$LIBDIR/$p/libgptq4j.dylib" ]] && skipped+=("$p (built; no macOS here to run it)")
done

for r in "${ran[@]}"; do echo "native tests: ran $r"; done
for s in "${skipped[@]}"; do echo "native tests: skipped $s"; done
exit $failed
