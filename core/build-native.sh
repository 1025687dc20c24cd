#!/usr/bin/env bash
# Builds the native kernels (src/main/c, see gptq4j.h) for every platform whose toolchain this machine has, into
# OUT/<os>-<arch>/ (the core jar's resource paths, which NativeKernels reads):
#   linux-x86_64    libgptq4j.so     cc on an x86-64 Linux host, else x86_64-linux-gnu-gcc
#   linux-aarch64   libgptq4j.so     cc on an aarch64 Linux host, else aarch64-linux-gnu-gcc
#   windows-x86_64  gptq4j.dll       x86_64-w64-mingw32-gcc
#   macos-aarch64   libgptq4j.dylib  clang --target=arm64-apple-macos11 linked by ld64.lld (lld), no SDK
#   macos-x86_64    libgptq4j.dylib  clang --target=x86_64-apple-macos10.15 linked by ld64.lld, no SDK
# x86-64 libraries compile every src/main/c/*.c but the *_neon.c files; aarch64 ones compile the *_neon.c files and
# the portable ones (PORTABLE below). Prints what it built and what it skipped, and why; always exits 0, so that a
# machine without a toolchain still builds (the Java Vector API fallback runs where the jar has no library).
# Usage: build-native.sh SRC OUT [CC]   (CC: the compiler for the host's own platform, "none" builds nothing)
set -u
SRC=$1
OUT=$2
HOST_CC=${3:-cc}
PORTABLE="memory.c layout.c" # compiled for every architecture
FLAGS="-O3 -std=c11 -ffp-contract=off -Wall -Wno-unused-function"
# clang on macOS targets, without Apple's SDK: its own headers (stdint.h, the intrinsics) freestanding, the few C
# library functions the kernels call declared by sdkless.h, and linked against libSystem through the text stub
# macos/libSystem.tbd (ld64.lld ad-hoc signs the arm64 library, as Apple Silicon requires).
MACOS_FLAGS="-ffreestanding -nostdlib -nostdinc -isystem $(clang -print-resource-dir 2>/dev/null)/include -DGPTQ4J_SDKLESS $SRC/macos/libSystem.tbd -Wl,-platform_version"

built=()
skipped=()

sources() { # $1: x86 or arm
    local f list=()
    for f in "$SRC"/*.c; do
        local b=${f##*/}
        case "$1:$b" in
            arm:*_neon.c) list+=("$f") ;;
            x86:*_neon.c) ;;
            x86:*) list+=("$f") ;;
            arm:*) [[ " $PORTABLE " == *" $b "* ]] && list+=("$f") ;;
        esac
    done
    printf '%s\n' "${list[@]}"
}

# build PLATFORM FILE ARCH COMPILER [FLAGS...]
build() {
    local platform=$1 file=$2 arch=$3 cc=$4
    shift 4
    if ! command -v "${cc%% *}" >/dev/null 2>&1; then
        skipped+=("$platform (no ${cc%% *})")
        return
    fi
    mkdir -p "$OUT/$platform"
    local srcs=()
    mapfile -t srcs < <(sources "$arch")
    local log
    if log=$($cc $FLAGS "$@" -shared -o "$OUT/$platform/$file" "${srcs[@]}" 2>&1); then
        built+=("$platform ($OUT/$platform/$file, ${cc%% *})")
        [[ -n "$log" ]] && echo "$log"
    else
        echo "$log"
        rm -f "$OUT/$platform/$file"
        skipped+=("$platform (${cc%% *} failed, see above)")
    fi
}

host_os=$(uname -s)
host_arch=$(uname -m)
if [[ "$HOST_CC" == none ]]; then
    echo "native kernels: not built (-Dgptq4j.cc=none): the Java Vector API fallback will run"
    exit 0
fi
linux_x86=x86_64-linux-gnu-gcc
linux_arm=aarch64-linux-gnu-gcc
if [[ "$host_os" == Linux && "$host_arch" == x86_64 ]]; then linux_x86=$HOST_CC; fi
if [[ "$host_os" == Linux && "$host_arch" == aarch64 ]]; then linux_arm=$HOST_CC; fi

build linux-x86_64 libgptq4j.so x86 "$linux_x86" -fPIC
build linux-aarch64 libgptq4j.so arm "$linux_arm" -fPIC
build windows-x86_64 gptq4j.dll x86 x86_64-w64-mingw32-gcc -static-libgcc -Wl,--no-insert-timestamp
if command -v clang >/dev/null 2>&1 && ! command -v ld64.lld >/dev/null 2>&1 && command -v ld64.lld-14 >/dev/null 2>&1; then
    LD64="-fuse-ld=$(command -v ld64.lld-14)"
else
    LD64="-fuse-ld=lld"
fi
if command -v clang >/dev/null 2>&1 && ! command -v ld64.lld >/dev/null 2>&1 && ! command -v ld64.lld-14 >/dev/null 2>&1; then
    skipped+=("macos-aarch64 (no ld64.lld: install lld)" "macos-x86_64 (no ld64.lld: install lld)")
else
    build macos-aarch64 libgptq4j.dylib arm "clang --target=arm64-apple-macos11" $MACOS_FLAGS,macos,11.0,11.0 $LD64 -fPIC
    build macos-x86_64 libgptq4j.dylib x86 "clang --target=x86_64-apple-macos10.15" $MACOS_FLAGS,macos,10.15,10.15 $LD64 -fPIC
fi

for b in "${built[@]}"; do echo "native kernels: built $b"; done
for s in "${skipped[@]}"; do echo "native kernels: skipped $s"; done
[[ ${#built[@]} -eq 0 ]] && echo "native kernels: none built: the Java Vector API fallback will run"
exit 0
