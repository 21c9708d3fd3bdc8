#include "http/message.h"

namespace http {

std::string_view Request::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view Request::query() const {
  std::string_view t = target;
  size_t q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

const std::string* Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return &v;
  return nullptr;
}

void Response::add_header(std::string name, std::string value) {
  // No header may carry CR, LF or NUL, whatever fed it (configuration,
  // session data, the request): a response splitting bug becomes a dropped
  // character instead.
  auto clean = [](std::string& s) {
    bool dirty = false;
    for (char c : s) dirty |= c == '\r' || c == '\n' || c == '\0';
    if (!dirty) return;
    std::string out;
    out.reserve(s.size());
    for (char c : s)
      if (c != '\r' && c != '\n' && c != '\0') out += c;
    s.swap(out);
  };
  clean(name);
  clean(value);
  headers.emplace_back(std::move(name), std::move(value));
}

const Loaded* find_loaded(const std::vector<Loaded>& loaded, std::string_view binding, std::string_view key) {
  for (const auto& l : loaded)
    if (l.binding == binding && l.key == key) return &l;
  return nullptr;
}

}  // namespace http
