// The module's malloc: size classes with a free list each, carved from the
// linear memory past the data and stack (__heap_base), growing it a few pages
// at a time. It replaces the C libraries' dlmalloc (wasi-libc's, Emscripten's)
// because of how V8 runs WebAssembly: it compiles a whole function the first
// time it is called, and dlmalloc's malloc and free are 8 KB of code every new
// isolate compiles before its first answer (and runs per request, between the
// runtime's own work, from cold caches). Here they are a few hundred bytes.
//
// A block is a 16-byte header (its class) and the payload; the payload is
// 16-byte aligned. Blocks are never split or merged: a freed block waits on
// its class's list for the next allocation of that class. So memory is the
// sum of each class's peak use, which for the core's steady request load (the
// same sizes again and again) stays flat. Classes: 16 to 1024 bytes in steps
// of 16, then powers of two up to 128 MiB (the module's maximum memory).
// Single-threaded, like the module.
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "malloc_heap.h"

enum {
  kHeader = 16,
  kSmallStep = 16,
  kSmallClasses = 64,  // 16 .. 1024
  kLargeClasses = 17,  // 2048 .. 128 MiB
  kClasses = kSmallClasses + kLargeClasses,
  kPage = 65536,
};
#define kMaxSize (((size_t)2048 << (kLargeClasses - 1)) - kHeader)
// The header of a payload handed out by aligned_alloc past its block's start:
// the distance back to the block.
#define kAligned 0xA11C0000u

// A block's state, so that freeing a block twice traps instead of putting
// it on its list twice (two later allocations would share it).
#define kInUse 0x55AB10C5u
#define kFreed 0xF4EEB10Cu

typedef struct Header {
  uint32_t cls;     // class, or kAligned
  uint32_t offset;  // kAligned: payload - block
  uint32_t state;   // kInUse or kFreed (a block's own header)
  uint32_t unused;
} Header;

typedef struct Free {
  struct Free* next;
} Free;

static Free* free_lists[kClasses];
static uintptr_t heap_next, heap_end;

static size_t capacity(uint32_t cls) {
  return cls < kSmallClasses ? (size_t)(cls + 1) * kSmallStep : (size_t)2048 << (cls - kSmallClasses);
}

static uint32_t class_of(size_t n) {
  if (n <= kSmallClasses * kSmallStep) return n == 0 ? 0 : (uint32_t)((n - 1) / kSmallStep);
  // The smallest power of two >= n, from 2048 (2^11).
  uint32_t bits = 32 - (uint32_t)__builtin_clz((uint32_t)(n - 1));
  return kSmallClasses + bits - 11;
}

// A new block of the class, from the end of the heap; NULL when memory
// cannot grow.
static Header* carve(uint32_t cls) {
  const size_t need = kHeader + capacity(cls);
  if (heap_end == 0) {
    heap_next = (ll_heap_start() + 15) & ~(uintptr_t)15;
    heap_end = ll_heap_end();
  }
  // __heap_base rounded up may already be past the end of the memory.
  const size_t have = heap_next <= heap_end ? heap_end - heap_next : 0;
  if (have < need) {
    size_t pages = (need - have + kPage - 1) / kPage;
    uintptr_t old_end = ll_heap_grow(pages);
    if (old_end == 0) return NULL;
    // Memory only grows at its end, so the new pages follow the old ones.
    if (old_end != heap_end) heap_next = (old_end + 15) & ~(uintptr_t)15;
    heap_end = old_end + pages * kPage;
    if (heap_end - heap_next < need) return NULL;
  }
  Header* h = (Header*)heap_next;
  heap_next += need;
  h->cls = cls;
  return h;
}

static Header* block_alloc(size_t n) {
  if (n > kMaxSize) return NULL;
  uint32_t cls = class_of(n);
  Free* f = free_lists[cls];
  Header* h;
  if (f) {
    free_lists[cls] = f->next;
    h = (Header*)((char*)f - kHeader);
  } else {
    h = carve(cls);
    if (!h) return NULL;
  }
  h->state = kInUse;
  return h;
}

// The block a payload in use belongs to; traps on a pointer no malloc handed
// out or one already freed (either would corrupt a free list). A trap ends
// the call; the shim then re-creates the instance.
static Header* block_of(void* p) {
  Header* h = (Header*)((char*)p - kHeader);
  if (h->cls == kAligned) h = (Header*)((char*)p - h->offset);
  if (h->cls >= kClasses || h->state != kInUse) __builtin_trap();
  return h;
}

static size_t usable(void* p) {
  Header* h = block_of(p);
  return (size_t)((char*)h + kHeader + capacity(h->cls) - (char*)p);
}

void* malloc(size_t n) {
  Header* h = block_alloc(n);
  if (!h) {
    errno = ENOMEM;
    return NULL;
  }
  return (char*)h + kHeader;
}

void free(void* p) {
  if (!p) return;
  Header* h = block_of(p);
  h->state = kFreed;
  Free* f = (Free*)((char*)h + kHeader);
  f->next = free_lists[h->cls];
  free_lists[h->cls] = f;
}

void* calloc(size_t count, size_t size) {
  size_t n;
  if (__builtin_mul_overflow(count, size, &n)) {
    errno = ENOMEM;
    return NULL;
  }
  void* p = malloc(n);
  if (p) memset(p, 0, n);
  return p;
}

void* realloc(void* p, size_t n) {
  if (!p) return malloc(n);
  if (n == 0) {
    free(p);
    return NULL;
  }
  size_t have = usable(p);
  if (n <= have) return p;
  void* q = malloc(n);
  if (!q) return NULL;
  memcpy(q, p, have);
  free(p);
  return q;
}

void* aligned_alloc(size_t alignment, size_t n) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    errno = EINVAL;
    return NULL;
  }
  if (alignment <= kHeader) return malloc(n);
  // Room for the payload at an aligned address past a header of its own
  // (the sizes checked first, so that their sum cannot wrap around).
  Header* h = alignment + kHeader <= kMaxSize && n <= kMaxSize - alignment - kHeader
                  ? block_alloc(n + alignment + kHeader)
                  : NULL;
  if (!h) {
    errno = ENOMEM;
    return NULL;
  }
  uintptr_t start = (uintptr_t)h + 2 * kHeader;
  uintptr_t payload = (start + alignment - 1) & ~(uintptr_t)(alignment - 1);
  Header* marker = (Header*)(payload - kHeader);
  marker->cls = kAligned;
  marker->offset = (uint32_t)(payload - (uintptr_t)h);
  return (void*)payload;
}

int posix_memalign(void** out, size_t alignment, size_t n) {
  if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) return EINVAL;
  void* p = aligned_alloc(alignment, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

size_t malloc_usable_size(void* p) { return p ? usable(p) : 0; }

#ifdef __wasm__
// wasi-libc's own callers (locale, atexit) use these names.
void* __libc_malloc(size_t n) { return malloc(n); }
void __libc_free(void* p) { free(p); }
void* __libc_calloc(size_t count, size_t size) { return calloc(count, size); }
#endif
