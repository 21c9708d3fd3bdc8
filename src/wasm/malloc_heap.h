// Where src/wasm/malloc.c gets its memory: the start and end of the free
// memory past the data and the stack (__heap_base, which the linker places),
// and more pages at its end. ll_heap_grow returns the old end (the new pages'
// address), or 0. Nothing else in the module takes memory this way: the C
// library's malloc (and, in Emscripten, its sbrk) is not linked.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __wasm__
extern unsigned char __heap_base;
static inline uintptr_t ll_heap_start(void) { return (uintptr_t)&__heap_base; }
static inline uintptr_t ll_heap_end(void) { return (uintptr_t)__builtin_wasm_memory_size(0) * 65536; }
static inline uintptr_t ll_heap_grow(size_t pages) {
  size_t old = __builtin_wasm_memory_grow(0, pages);
  return old == (size_t)-1 ? 0 : (uintptr_t)old * 65536;
}
#else
// Natively the allocator is only built for its unit test (under other names:
// tests/native/malloc_test.cpp), which supplies a fixed arena.
uintptr_t ll_heap_start(void);
uintptr_t ll_heap_end(void);
uintptr_t ll_heap_grow(size_t pages);
#endif
