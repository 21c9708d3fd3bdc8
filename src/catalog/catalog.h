#pragma once
// The catalog's record counts shown on the home page: the tutorial's four
// queries (Book, BookInstance, BookInstance with status 'a', Author).
#include <cstdint>

namespace catalog {

struct Counts {
  int64_t books = 0;
  int64_t copies = 0;
  int64_t copies_available = 0;
  int64_t authors = 0;
};

// A fixed sample until the D1 catalog is wired in.
Counts sample_counts();

}  // namespace catalog
