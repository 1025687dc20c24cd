/*
 * The C library as the kernels use it, for macOS libraries built without Apple's SDK (core/build-native.sh: clang
 * --target=*-apple-macos, -ffreestanding, linked by ld64.lld against macos/libSystem.tbd, a stub of
 * /usr/lib/libSystem.B.dylib listing these functions). Only declarations and Darwin's values of the two constants used;
 * clang's own headers give stdint.h, stddef.h and the intrinsics.
 */
#ifndef GPTQ4J_SDKLESS_H
#define GPTQ4J_SDKLESS_H

#include <stddef.h>
#include <stdint.h>

#define INFINITY __builtin_inff()
#define fmaf __builtin_fmaf       /* one fused instruction where the target has it, else libSystem's fmaf */
#define memset __builtin_memset
#define memcpy __builtin_memcpy
#define strcmp __builtin_strcmp

void *malloc(size_t size);
void *aligned_alloc(size_t alignment, size_t size); /* macOS 10.15 and later */
void free(void *p);
float fmaf(float a, float b, float c);

int madvise(void *addr, size_t len, int advice);
#define MADV_DONTNEED 4           /* <sys/mman.h> */
long sysconf(int name);
#define _SC_PAGESIZE 29           /* <unistd.h> */
int sysctlbyname(const char *name, void *old, size_t *oldlen, void *new_value, size_t newlen);

#endif
