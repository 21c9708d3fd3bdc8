#pragma once
// The pages the worker serves: the home page from the Django templates in
// src/templates/ or, with ORIGIN set, the origin project's own templates and
// route table (app/origin_site.h), both embedded at build time and parsed
// once per isolate; and Django's small built-in error pages.
#include <memory>
#include <string>

#include "catalog/catalog.h"
#include "template/template.h"
#include "util/pyjson.h"

namespace pages {

struct IndexContext {
  catalog::Counts counts;
  pyjson::Json num_visits = 0;
  bool session_not_saved = false;  // the session outgrew its store: tell the visitor
  std::string path = "/catalog/";
  double now = 0;  // the request's time: the templates' "now"
};

class Pages {
 public:
  enum class Site { edge, origin };
  // Parses and links every embedded template of the site (src/templates/,
  // or the origin project's); an error names the template and line.
  static std::unique_ptr<Pages> load(tmpl::Error* error, Site site = Site::edge);
  // The site's pages, loaded on first use and kept for the process (the
  // templates are part of the build, not of the configuration). The WASM
  // build loads both sites before it ships (ll_preload, evaluated by
  // wasm-ctor-eval), so an isolate starts with them parsed in its memory.
  // Null with the error if a template does not parse.
  static const Pages* shared(Site site, tmpl::Error* error);
  Pages(const Pages&) = delete;  // slots_ point into this object's own context
  Pages& operator=(const Pages&) = delete;

  // false (with the error) only if rendering hits a limit; never expected.
  // Not reentrant: one Pages per isolate, one request at a time.
  bool index(const IndexContext& ctx, std::string& out, tmpl::Error* error) const;

 private:
  explicit Pages(tmpl::Library library);
  tmpl::Library library_;
  // The home page's context, built once: each request overwrites its values
  // in place (numbers and a reused string), so rendering allocates nothing
  // for it; built per request it was ~30 of the request's ~100 allocations.
  mutable tmpl::Json index_context_;
  // Where index() writes each request's values in index_context_, looked up
  // once instead of by key per request.
  struct Slots {
    tmpl::Json *books, *copies, *copies_available, *authors, *visits, *session_not_saved;
    std::string* path;
  } slots_{};
  tmpl::BoundContext index_bound_;  // index_context_'s values by template variable
  mutable size_t last_index_bytes_ = 0;
};

// Django's default error pages (django.views.defaults), small and static;
// 502 and 504 are the Worker's own, when the origin does not answer.
std::string error(int status);

}  // namespace pages
