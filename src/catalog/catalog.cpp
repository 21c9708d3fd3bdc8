#include "catalog/catalog.h"

#include <iterator>

#include "config/bindings.h"

namespace catalog {
namespace {

constexpr std::string_view kQueries[] = {
    "SELECT COUNT(*) AS n FROM catalog_book",
    "SELECT COUNT(*) AS n FROM catalog_bookinstance",
    "SELECT COUNT(*) AS n FROM catalog_bookinstance WHERE status = 'a'",
    "SELECT COUNT(*) AS n FROM catalog_author",
};

// COUNT(*) comes back as a number cell "n"; anything else is malformed.
std::optional<int64_t> count_of(const http::Loaded* answer) {
  if (!answer || answer->status != http::LoadStatus::ok || answer->rows.rows.size() != 1) return std::nullopt;
  const http::SqlValue* n = answer->rows.cell(0, "n");
  if (!n || n->type != http::SqlValue::Type::number) return std::nullopt;
  double v = n->number;
  // Exact integers only (D1 numbers are doubles: 2^53 is where they stop being exact).
  if (!(v >= 0 && v <= 9007199254740992.0) || v != static_cast<double>(static_cast<int64_t>(v))) return std::nullopt;
  return static_cast<int64_t>(v);
}

}  // namespace

const std::vector<http::Op>& count_queries() {
  static const std::vector<http::Op> ops = [] {
    std::vector<http::Op> built;
    for (size_t i = 0; i < std::size(kQueries); ++i)
      built.push_back(
          http::Op::d1(std::string(config::kD1Binding), std::string(kQueries[i]), {}, http::op_none, kFirstTag + i));
    return built;
  }();
  return ops;
}

std::optional<Counts> counts_from(const std::vector<http::Loaded>& loaded) {
  std::optional<int64_t> n[4];
  for (int i = 0; i < 4; ++i) {
    n[i] = count_of(http::find_loaded(loaded, kFirstTag + i));
    if (!n[i]) return std::nullopt;
  }
  return Counts{*n[0], *n[1], *n[2], *n[3]};
}

}  // namespace catalog
