// memcpy, memmove and memset as WebAssembly's bulk-memory instructions
// (memory.copy, memory.fill), which V8 runs as native copies, instead of
// wasi-libc's C loops (a word at a time). Only this file is compiled with
// -mbulk-memory: Debian's clang 14 cannot build wasi-libc's thread-local
// errno that way, so the rest of the module keeps the default features.
// Linked before libc, these definitions are the ones the module uses.
#include <stddef.h>
#include <stdint.h>

void* memcpy(void* restrict dest, const void* restrict src, size_t n) {
  // Short copies (a std::string's representation, a header name) as two
  // overlapping loads and stores: memory.copy is a call into V8 with its own
  // bounds checks, which costs more than the copy below ~16 bytes.
  unsigned char* d = dest;
  const unsigned char* s = src;
  if (n <= 16) {
    if (n >= 8) {
      uint64_t head, tail;
      __builtin_memcpy(&head, s, 8);
      __builtin_memcpy(&tail, s + n - 8, 8);
      __builtin_memcpy(d, &head, 8);
      __builtin_memcpy(d + n - 8, &tail, 8);
    } else if (n >= 4) {
      uint32_t head, tail;
      __builtin_memcpy(&head, s, 4);
      __builtin_memcpy(&tail, s + n - 4, 4);
      __builtin_memcpy(d, &head, 4);
      __builtin_memcpy(d + n - 4, &tail, 4);
    } else if (n > 0) {
      d[0] = s[0];
      d[n - 1] = s[n - 1];
      d[n / 2] = s[n / 2];
    }
    return dest;
  }
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
