#pragma once
// HTML for the pages the worker serves.
#include <cstdint>
#include <string>

#include "catalog/catalog.h"
#include "util/pyjson.h"

namespace pages {

struct IndexContext {
  catalog::Counts counts;
  pyjson::Json num_visits = 0;
  bool session_not_saved = false;  // the session outgrew the cookie: tell the visitor
};

std::string index(const IndexContext& ctx);
// Django's default error pages (django.views.defaults), small and static.
std::string error(int status);

std::string escape(std::string_view text);

}  // namespace pages
