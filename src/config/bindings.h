#pragma once
// The Worker bindings the core plans operations on (wrangler.toml names).
#include <string_view>

namespace config {

inline constexpr std::string_view kD1Binding = "DB";         // D1: django_session and the catalog
inline constexpr std::string_view kKvBinding = "SESSIONS";  // Workers KV: the cache engines

}  // namespace config
