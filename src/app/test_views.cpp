#include "app/test_views.h"

#include <cstdlib>

#include "util/pyjson.h"

namespace test_views {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') out += ' ';
    else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else out += s[i];
  }
  return out;
}

std::vector<std::string> ops_of(std::string_view query) {
  std::vector<std::string> ops;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (pair.substr(0, 3) == "op=") ops.push_back(url_decode(pair.substr(3)));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return ops;
}

}  // namespace

app::App::View session_script(session::Session& s, const http::Request& req) {
  pyjson::Json results = pyjson::Json::array();
  int status = 200;
  for (const std::string& op : ops_of(req.query())) {
    size_t colon = op.find(':');
    std::string name = op.substr(0, colon);
    std::string arg = colon == std::string::npos ? "" : op.substr(colon + 1);
    if (name == "get") {
      const auto* v = s.find(arg);
      results.push_back(v ? *v : pyjson::Json("<KeyError>"));
    } else if (name == "set") {
      size_t eq = arg.find('=');
      const std::string text = arg.substr(eq + 1);
      std::optional<pyjson::Json> value = pyjson::parse(text);
      s.set(arg.substr(0, eq), value ? *value : pyjson::Json(arg.substr(eq + 1)));
    } else if (name == "del") {
      results.push_back(s.erase(arg));
    } else if (name == "pop") {
      auto v = s.pop(arg);
      results.push_back(v ? *v : pyjson::Json("<KeyError>"));
    } else if (name == "clear") {
      s.clear();
    } else if (name == "flush") {
      s.flush();
    } else if (name == "cycle") {
      s.cycle_key();
    } else if (name == "modified") {
      s.modified = true;
    } else if (name == "expiry") {
      s.set_expiry_seconds(std::atoll(arg.c_str()));
    } else if (name == "expiry_none") {
      s.set_expiry_none();
    } else if (name == "expiry_in") {
      s.set_expiry_in(std::atof(arg.c_str()));
    } else if (name == "test_cookie") {
      s.set_test_cookie();
    } else if (name == "status") {
      status = std::atoi(arg.c_str());
    } else if (name == "big") {
      // Incompressible text (a simple LCG over the base64 alphabet), so the
      // cookie's size really grows with the argument.
      static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      std::string big(static_cast<size_t>(std::atoll(arg.c_str())), ' ');
      uint32_t x = 12345;
      for (auto& ch : big) {
        x = x * 1103515245u + 12345u;
        ch = alphabet[(x >> 16) & 63];
      }
      s.set("big", big);
    }
  }
  // Read the flags now: describing the session must not change them.
  bool accessed = s.accessed, modified = s.modified;
  pyjson::Json info = {{"results", results}, {"accessed", accessed}, {"modified", modified}};
  return {status,
          [info](const middleware::Outcome& outcome, std::string& body, std::string&) mutable {
            info["cookie_action"] = static_cast<int>(outcome.action);
            body = pyjson::dumps(info);
            return true;
          },
          "application/json"};
}

}  // namespace test_views
