#include "catalog/catalog.h"

#include "util/pyjson.h"

namespace catalog {
namespace {

constexpr std::string_view kQueries[] = {
    "SELECT COUNT(*) AS n FROM catalog_book",
    "SELECT COUNT(*) AS n FROM catalog_bookinstance",
    "SELECT COUNT(*) AS n FROM catalog_bookinstance WHERE status = 'a'",
    "SELECT COUNT(*) AS n FROM catalog_author",
};

// The shim's answer is JSON.stringify(results): exactly [{"n":<digits>}].
// Read that form directly; anything else goes through the JSON parser.
std::optional<int64_t> fast_count(std::string_view v) {
  constexpr std::string_view prefix = "[{\"n\":", suffix = "}]";
  if (v.size() <= prefix.size() + suffix.size() || v.substr(0, prefix.size()) != prefix ||
      v.substr(v.size() - suffix.size()) != suffix)
    return std::nullopt;
  std::string_view digits = v.substr(prefix.size(), v.size() - prefix.size() - suffix.size());
  if (digits.empty() || digits.size() > 18) return std::nullopt;
  int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::optional<int64_t> count_of(const http::Loaded* row) {
  if (!row || row->status != http::LoadStatus::ok) return std::nullopt;
  if (auto n = fast_count(row->value)) return n;
  auto rows = pyjson::Json::parse(row->value, nullptr, false);
  if (!rows.is_array() || rows.size() != 1 || !rows[0].is_object()) return std::nullopt;
  auto n = rows[0].find("n");
  if (n == rows[0].end() || !n->is_number_integer() || n->is_number_unsigned() && *n > pyjson::Json(INT64_MAX))
    return std::nullopt;
  int64_t value = n->is_number_unsigned() ? static_cast<int64_t>(*n->get_ptr<const uint64_t*>()) : *n->get_ptr<const int64_t*>();
  if (value < 0) return std::nullopt;
  return value;
}

}  // namespace

std::vector<http::Op> count_queries() {
  std::vector<http::Op> ops;
  for (std::string_view sql : kQueries) ops.push_back({http::OpKind::d1_query, std::string(kD1Binding), std::string(sql), "[]"});
  return ops;
}

std::optional<Counts> counts_from(const std::vector<http::Loaded>& loaded) {
  std::optional<int64_t> n[4];
  for (int i = 0; i < 4; ++i) {
    n[i] = count_of(http::find_loaded(loaded, kD1Binding, kQueries[i]));
    if (!n[i]) return std::nullopt;
  }
  return Counts{*n[0], *n[1], *n[2], *n[3]};
}

}  // namespace catalog
