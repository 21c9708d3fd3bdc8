// The registered session engines: one line each (a deque: adding one never
// moves the others). The backends live in
// src/session/backends/, one file per engine.
#include <deque>

#include "session/backend.h"

namespace session {

namespace backends {
const Backend& cache();           // backends/cache.cpp: Workers KV
const Backend& db();              // backends/db.cpp: D1, django_session
const Backend& cached_db();       // backends/cached_db.cpp: KV in front of D1
const Backend& durable_object();  // backends/durable_object.cpp: one Durable Object per session
}  // namespace backends

namespace {
std::deque<Engine>& registry() {
  static std::deque<Engine> engines = {
      {"django.contrib.sessions.backends.signed_cookies", nullptr},
      {"django.contrib.sessions.backends.cache", &backends::cache()},
      {"django.contrib.sessions.backends.db", &backends::db()},
      {"django.contrib.sessions.backends.cached_db", &backends::cached_db()},
      {"locallibrary.sessions.backends.durable_object", &backends::durable_object()},
  };
  return engines;
}
}  // namespace

const Engine* find_engine(std::string_view name) {
  for (const Engine& e : registry())
    if (e.name == name) return &e;
  return nullptr;
}

std::vector<std::string> engine_names() {
  std::vector<std::string> names;
  for (const Engine& e : registry()) names.push_back(e.name);
  return names;
}

bool register_engine(std::string name, const Backend& backend) {
  if (find_engine(name)) return false;
  registry().push_back({std::move(name), &backend});
  return true;
}

}  // namespace session
