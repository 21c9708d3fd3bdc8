#include "app/pages.h"

#include "app/routes.h"
#include "template/embedded.h"

namespace pages {

std::unique_ptr<Pages> Pages::load(tmpl::Error* error) {
  tmpl::Hooks hooks;
  hooks.routes = app::named_routes();
  tmpl::Library library(std::move(hooks));
  for (const auto& [name, source] : tmpl::embedded_templates())
    if (!library.add(std::string(name), std::string(source), error)) return nullptr;
  if (!library.link(error)) return nullptr;
  if (!library.contains("index.html")) {
    if (error) *error = {"index.html", 0, "template missing from src/templates/"};
    return nullptr;
  }
  return std::unique_ptr<Pages>(new Pages(std::move(library)));
}

bool Pages::index(const IndexContext& c, std::string& out, tmpl::Error* error) const {
  // Built member by member: an initializer list would copy every value twice.
  tmpl::Json context = tmpl::Json::object();
  context["num_books"] = c.counts.books;
  context["num_instances"] = c.counts.copies;
  context["num_instances_available"] = c.counts.copies_available;
  context["num_authors"] = c.counts.authors;
  context["num_visits"] = c.num_visits;
  context["session_not_saved"] = c.session_not_saved;
  context["request"]["path"] = c.path;
  // Python's random is not cryptographic either: the request's time seeds it.
  tmpl::RenderInputs inputs{c.now, static_cast<uint64_t>(c.now * 1e6)};
  return library_.render("index.html", context, out, error, inputs);
}

std::string error(int status) {
  switch (status) {
    case 400: return "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Bad Request (400)</title>\n</head>\n<body>\n  <h1>Bad Request (400)</h1><p></p>\n</body>\n</html>\n";
    case 404: return "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n";
    case 405: return "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Method Not Allowed (405)</title>\n</head>\n<body>\n  <h1>Method Not Allowed (405)</h1><p></p>\n</body>\n</html>\n";
    case 414: return "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>URI Too Long (414)</title>\n</head>\n<body>\n  <h1>URI Too Long (414)</h1><p></p>\n</body>\n</html>\n";
    case 431: return "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Request Header Fields Too Large (431)</title>\n</head>\n<body>\n  <h1>Request Header Fields Too Large (431)</h1><p></p>\n</body>\n</html>\n";
    case 503: return "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Service Unavailable (503)</title>\n</head>\n<body>\n  <h1>Service Unavailable (503)</h1><p>Please try again in a moment.</p>\n</body>\n</html>\n";
    default: return "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n";
  }
}

}  // namespace pages
