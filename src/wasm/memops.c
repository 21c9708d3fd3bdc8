// memcpy, memmove and memset as WebAssembly's bulk-memory instructions
// (memory.copy, memory.fill), which V8 runs as native copies, instead of
// wasi-libc's C loops (a word at a time). Only this file is compiled with
// -mbulk-memory: Debian's clang 14 cannot build wasi-libc's thread-local
// errno that way, so the rest of the module keeps the default features.
// Linked before libc, these definitions are the ones the module uses.
#include <stddef.h>

void* memcpy(void* restrict dest, const void* restrict src, size_t n) {
  __builtin_memcpy(dest, src, n);
  return dest;
}

void* memmove(void* dest, const void* src, size_t n) {
  __builtin_memmove(dest, src, n);
  return dest;
}

void* memset(void* dest, int c, size_t n) {
  __builtin_memset(dest, c, n);
  return dest;
}
