// The C memory and string functions user programs get from libsys (base/cstring.cpp,
// shared with the kernel). They are the C
// library's names with C linkage because the compiler itself emits calls to memcpy,
// memset, memmove and memcmp (struct copies, zeroing), even in freestanding code.
#pragma once

#include <stddef.h> // the compiler's own header: size_t without a C library

extern "C" {

/// Copy n bytes; the ranges must not overlap.
void* memcpy(void* dst, const void* src, size_t n);
/// Copy n bytes; the ranges may overlap.
void* memmove(void* dst, const void* src, size_t n);
/// Fill n bytes with (unsigned char)value.
void* memset(void* dst, int value, size_t n);
/// Compare n bytes as unsigned char: <0, 0 or >0.
int memcmp(const void* a, const void* b, size_t n);
/// The length of a NUL-terminated string.
size_t strlen(const char* s);
/// Compare two NUL-terminated strings as unsigned char: <0, 0 or >0.
int strcmp(const char* a, const char* b);

}
