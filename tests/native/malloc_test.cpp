// src/wasm/malloc.c, the module's allocator, natively: built under other
// names (tests/native/CMakeLists.txt) over a fixed arena this file supplies,
// so its size classes, reuse, alignment and failures are checked here, and
// under ASan/valgrind with the rest of the suite. The Node suite runs it for
// real inside both WASM modules.
#include <doctest/doctest.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

extern "C" {
void* ll_test_malloc(size_t n);
void ll_test_free(void* p);
void* ll_test_calloc(size_t count, size_t size);
void* ll_test_realloc(void* p, size_t n);
void* ll_test_aligned_alloc(size_t alignment, size_t n);
int ll_test_posix_memalign(void** out, size_t alignment, size_t n);
size_t ll_test_malloc_usable_size(void* p);
}

namespace {
constexpr size_t kPage = 65536;
constexpr size_t kArenaPages = 64;  // 4 MiB, like a module's memory capped low
alignas(kPage) unsigned char arena[kArenaPages * kPage];
// The memory "grown" so far, in pages (the first is there from the start).
size_t pages_in_use = 1;
size_t grow_calls = 0;
}  // namespace

extern "C" {
uintptr_t ll_heap_start(void) { return reinterpret_cast<uintptr_t>(arena) + 40; }  // unaligned on purpose
uintptr_t ll_heap_end(void) { return reinterpret_cast<uintptr_t>(arena) + pages_in_use * kPage; }
uintptr_t ll_heap_grow(size_t pages) {
  ++grow_calls;
  if (pages_in_use + pages > kArenaPages) return 0;
  uintptr_t old = ll_heap_end();
  pages_in_use += pages;
  return old;
}
}

namespace {
bool aligned(void* p, size_t a) { return reinterpret_cast<uintptr_t>(p) % a == 0; }
bool in_arena(void* p) {
  auto a = reinterpret_cast<uintptr_t>(p), lo = reinterpret_cast<uintptr_t>(arena);
  return a >= lo && a < lo + sizeof(arena);
}
}  // namespace

TEST_CASE("malloc: aligned, disjoint blocks of at least the size asked for, from the heap") {
  std::vector<std::pair<unsigned char*, size_t>> blocks;
  for (size_t n : {0, 1, 15, 16, 17, 100, 1024, 1025, 2048, 2049, 5000, 70000}) {
    auto* p = static_cast<unsigned char*>(ll_test_malloc(n));
    REQUIRE(p != nullptr);
    CHECK(aligned(p, 16));
    CHECK(in_arena(p));
    CHECK(ll_test_malloc_usable_size(p) >= n);
    std::memset(p, static_cast<int>(blocks.size() + 1), n);
    blocks.emplace_back(p, n);
  }
  // Every block still holds what was written to it: none overlaps another.
  for (size_t i = 0; i < blocks.size(); ++i)
    for (size_t k = 0; k < blocks[i].second; ++k) REQUIRE(blocks[i].first[k] == i + 1);
  for (auto& [p, n] : blocks) ll_test_free(p);
  ll_test_free(nullptr);  // a no-op, as in C
}

TEST_CASE("malloc: a freed block is reused by the next allocation of its class, so steady use does not grow") {
  void* a = ll_test_malloc(40);
  ll_test_free(a);
  CHECK(ll_test_malloc(33) == a);  // 33 and 40 share the 48-byte class
  ll_test_free(a);

  // A request's worth of allocations, many times: the heap stops growing
  // after the first round.
  auto round = [] {
    std::vector<void*> live;
    for (size_t n : {24, 24, 100, 300, 3000, 24, 64, 800, 5000, 12})
      live.push_back(ll_test_malloc(n));
    for (void* p : live) ll_test_free(p);
    return live;
  };
  std::vector<void*> first = round();
  const size_t grows = grow_calls;
  for (int i = 0; i < 1000; ++i) {
    std::vector<void*> again = round();
    CHECK(std::set<void*>(again.begin(), again.end()) == std::set<void*>(first.begin(), first.end()));
  }
  CHECK(grow_calls == grows);
}

TEST_CASE("calloc zeroes, also a reused block; an overflowing count is refused") {
  auto* p = static_cast<unsigned char*>(ll_test_malloc(200));
  std::memset(p, 0xAB, 200);
  ll_test_free(p);
  auto* q = static_cast<unsigned char*>(ll_test_calloc(10, 20));
  REQUIRE(q == p);
  for (int i = 0; i < 200; ++i) REQUIRE(q[i] == 0);
  ll_test_free(q);
  errno = 0;
  CHECK(ll_test_calloc(SIZE_MAX / 2, 3) == nullptr);
  CHECK(errno == ENOMEM);
}

TEST_CASE("realloc keeps the contents, stays put while the block has room, frees on zero") {
  auto* p = static_cast<char*>(ll_test_realloc(nullptr, 10));  // realloc(NULL) is malloc
  REQUIRE(p != nullptr);
  std::memcpy(p, "0123456789", 10);
  CHECK(ll_test_realloc(p, 16) == p);  // same 16-byte class
  CHECK(ll_test_realloc(p, 5) == p);
  auto* q = static_cast<char*>(ll_test_realloc(p, 5000));
  REQUIRE(q != nullptr);
  CHECK(q != p);
  CHECK(std::memcmp(q, "0123456789", 10) == 0);
  CHECK(ll_test_realloc(q, 0) == nullptr);
  // The old block went back to its list.
  CHECK(ll_test_malloc(16) == p);
  ll_test_free(p);
}

TEST_CASE("aligned_alloc and posix_memalign: the alignment asked for, freed like any block") {
  for (size_t a : {8, 16, 32, 64, 256, 4096}) {
    void* p = ll_test_aligned_alloc(a, 100);
    REQUIRE(p != nullptr);
    CHECK(aligned(p, a));
    CHECK(ll_test_malloc_usable_size(p) >= 100);
    std::memset(p, 0x5A, 100);
    void* r = ll_test_realloc(p, 9000);  // an aligned block moves like any other
    REQUIRE(r != nullptr);
    CHECK(static_cast<unsigned char*>(r)[99] == 0x5A);
    ll_test_free(r);
  }
  void* out = nullptr;
  CHECK(ll_test_posix_memalign(&out, 128, 10) == 0);
  CHECK(aligned(out, 128));
  ll_test_free(out);
  CHECK(ll_test_posix_memalign(&out, 3, 10) == EINVAL);
  CHECK(ll_test_posix_memalign(&out, 2, 10) == EINVAL);  // below sizeof(void*)
  errno = 0;
  CHECK(ll_test_aligned_alloc(48, 10) == nullptr);
  CHECK(errno == EINVAL);
  // Sizes whose sum with the alignment would wrap around are refused, not
  // served from a small block.
  for (size_t a : {size_t{1} << 26, size_t{1} << 40, size_t{1} << 63}) {
    errno = 0;
    CHECK(ll_test_aligned_alloc(a, size_t{1} << 26) == nullptr);
    CHECK(errno == ENOMEM);
    errno = 0;
    CHECK(ll_test_aligned_alloc(a, SIZE_MAX - a + 1) == nullptr);
    CHECK(errno == ENOMEM);
  }
}

TEST_CASE("out of memory: NULL and ENOMEM, and what was freed is still there to use") {
  void* small = ll_test_malloc(64);
  ll_test_free(small);
  errno = 0;
  CHECK(ll_test_malloc(sizeof(arena)) == nullptr);  // more than the memory can grow to
  CHECK(errno == ENOMEM);
  errno = 0;
  CHECK(ll_test_malloc(SIZE_MAX - 8) == nullptr);  // more than any class
  CHECK(errno == ENOMEM);
  CHECK(ll_test_malloc(64) == small);
  ll_test_free(small);
}

namespace {
// Runs fn in a child process; true if the child died of a signal (the trap).
// The child drops doctest's crash handlers and its output: its death is the
// result, not a failure to report.
template <typename Fn>
bool traps(Fn fn) {
  pid_t pid = fork();
  if (pid == 0) {
    for (int sig : {SIGILL, SIGTRAP, SIGABRT, SIGSEGV, SIGBUS}) std::signal(sig, SIG_DFL);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    fn();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFSIGNALED(status);
}
}  // namespace

TEST_CASE("freeing a block twice, or a pointer malloc never returned, traps instead of corrupting a list") {
  CHECK(traps([] {
    void* p = ll_test_malloc(32);
    ll_test_free(p);
    ll_test_free(p);
  }));
  CHECK(traps([] {
    alignas(16) static unsigned char not_ours[64] = {};
    ll_test_free(not_ours + 16);
  }));
  CHECK_FALSE(traps([] {
    void* p = ll_test_malloc(32);
    ll_test_free(p);
  }));
}
