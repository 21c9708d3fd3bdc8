#pragma once
// The catalog's record counts shown on the home page: the tutorial's four
// queries (Book.objects.count(), BookInstance..., status='a', Author...),
// planned as D1 loads so they go out in one batch with the session load.
#include <cstdint>
#include <optional>
#include <vector>

#include "http/message.h"

namespace catalog {

// The load tags of the four counts: kFirstTag .. kFirstTag + 3.
inline constexpr http::LoadTag kFirstTag = 0x100;

struct Counts {
  int64_t books = 0;
  int64_t copies = 0;
  int64_t copies_available = 0;
  int64_t authors = 0;
};

// The same four statements for every request: the shim may start them before
// the core is called (App::manifest()).
const std::vector<http::Op>& count_queries();  // built once

// nullopt when any of the four is missing, failed or malformed.
std::optional<Counts> counts_from(const std::vector<http::Loaded>& loaded);

}  // namespace catalog
