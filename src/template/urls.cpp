// {% url %} reversing (django.urls.resolvers._reverse_with_prefix) and
// {% static %} URL joining (urljoin(STATIC_URL, quote(path))).
#include "template/detail.h"

namespace tmpl::detail {

namespace {

using Converter = Route::Converter;

Converter converter_named(std::string_view name) {
  if (name == "int") return Converter::int_;
  if (name == "slug") return Converter::slug;
  if (name == "path") return Converter::path;
  if (name == "uuid") return Converter::uuid;
  return Converter::str;
}

// UUIDConverter: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}
bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !(is_digit(s[i]) || (s[i] >= 'a' && s[i] <= 'f'))) return false;
  }
  return true;
}

// The converter's regex must match the whole substituted text.
bool converter_accepts(Converter c, std::string_view s) {
  if (c == Converter::uuid) return is_uuid(s);
  if (s.empty()) return false;
  for (char ch : s) {
    const bool ok = c == Converter::str    ? ch != '/'
                    : c == Converter::path ? ch != '\n'
                    : c == Converter::int_ ? is_digit(ch)
                                           : (is_digit(ch) || ch == '-' || ch == '_' || (ch >= 'a' && ch <= 'z') ||
                                              (ch >= 'A' && ch <= 'Z'));
    if (!ok) return false;
  }
  return true;
}

bool substitute(const Route& route, const std::vector<const Value*>& values, std::string& url) {
  std::string raw;
  for (const auto& part : route.parts) {
    if (part.param < 0) {
      raw += part.literal;
      continue;
    }
    std::string text;
    append_str(text, *values[static_cast<size_t>(part.param)]);
    if (!converter_accepts(route.converters[static_cast<size_t>(part.param)], text)) return false;
    raw += text;
  }
  url.clear();
  append_quoted(url, raw, "!$&'()*+,;=/~:@");
  if (url.size() >= 2 && url[0] == '/' && url[1] == '/') url = "/%2F" + url.substr(2);
  return true;
}

}  // namespace

Route parse_route(std::string name, std::string_view pattern) {
  Route route;
  route.name = std::move(name);
  size_t i = 0;
  while (i < pattern.size()) {
    const size_t open = pattern.find('<', i);
    const size_t close = open == std::string_view::npos ? open : pattern.find('>', open);
    if (close == std::string_view::npos) {
      route.parts.push_back({std::string(pattern.substr(i)), -1});
      break;
    }
    if (open > i) route.parts.push_back({std::string(pattern.substr(i, open - i)), -1});
    const std::string_view spec = pattern.substr(open + 1, close - open - 1);
    const size_t colon = spec.find(':');
    const std::string_view param = colon == std::string_view::npos ? spec : spec.substr(colon + 1);
    route.converters.push_back(colon == std::string_view::npos ? Converter::str : converter_named(spec.substr(0, colon)));
    route.parts.push_back({std::string(), static_cast<int>(route.params.size())});
    route.params.emplace_back(param);
    i = close + 1;
  }
  return route;
}

bool reverse_route(const Route& route, const std::vector<Value>& args,
                   const std::vector<std::pair<std::string, Value>>& kwargs, std::string& url) {
  std::vector<const Value*> values(route.params.size(), nullptr);
  if (!kwargs.empty()) {
    if (kwargs.size() != route.params.size()) return false;
    for (const auto& [name, value] : kwargs) {
      bool found = false;
      for (size_t k = 0; k < route.params.size(); ++k) {
        if (route.params[k] == name) {
          values[k] = &value;
          found = true;
        }
      }
      if (!found) return false;
    }
  } else {
    if (args.size() != route.params.size()) return false;
    for (size_t k = 0; k < args.size(); ++k) values[k] = &args[k];
  }
  return substitute(route, values, url);
}

std::string static_url_for(std::string_view static_url, std::string_view path) {
  std::string rel;
  append_quoted(rel, path, "/");
  // Split the base into scheme://authority and its path.
  size_t path_start = 0;
  const size_t scheme = static_url.find("://");
  if (rel.size() >= 2 && rel[0] == '/' && rel[1] == '/')  // network-path reference
    return scheme == std::string_view::npos ? rel : std::string(static_url.substr(0, scheme + 1)) + rel;
  if (scheme != std::string_view::npos) {
    const size_t slash = static_url.find('/', scheme + 3);
    path_start = slash == std::string_view::npos ? static_url.size() : slash;
  }
  const std::string_view origin = static_url.substr(0, path_start);
  const std::string_view base_path = static_url.substr(path_start);
  if (rel.empty()) return std::string(static_url);

  // urllib.parse.urljoin's RFC 3986 merge and dot-segment removal.
  std::vector<std::string> segments;
  auto split_into = [&](std::string_view s) {
    size_t start = 0;
    while (true) {
      const size_t at = s.find('/', start);
      segments.emplace_back(s.substr(start, at == std::string_view::npos ? s.npos : at - start));
      if (at == std::string_view::npos) break;
      start = at + 1;
    }
  };
  if (rel[0] == '/') {
    split_into(rel);
  } else {
    split_into(base_path);
    if (!segments.back().empty()) segments.pop_back();  // a file name, not a directory
    split_into(rel);
    // Drop empty inner segments so re-joining adds no redundant slashes.
    std::vector<std::string> filtered;
    for (size_t k = 0; k < segments.size(); ++k) {
      if (k == 0 || k + 1 == segments.size() || !segments[k].empty()) filtered.push_back(segments[k]);
    }
    segments.swap(filtered);
  }
  std::vector<std::string> resolved;
  for (const auto& seg : segments) {
    if (seg == "..") {
      if (!resolved.empty()) resolved.pop_back();
    } else if (seg != ".") {
      resolved.push_back(seg);
    }
  }
  if (segments.back() == "." || segments.back() == "..") resolved.emplace_back();
  std::string joined;
  for (size_t k = 0; k < resolved.size(); ++k) {
    if (k) joined += '/';
    joined += resolved[k];
  }
  if (joined.empty()) joined = "/";
  return std::string(origin) + joined;
}

}  // namespace tmpl::detail
