#include "app/pages.h"

#include "app/origin_site.h"
#include "app/routes.h"
#include "template/embedded.h"

namespace pages {

namespace {

// routes.json ({"routes": {"name": "/path/<int:pk>", ...}}) as the engine's table.
bool origin_routes(std::vector<std::pair<std::string, std::string>>& routes, tmpl::Error* error) {
  std::string_view text = origin_site::routes_json();
  std::optional<tmpl::Json> doc = pyjson::parse(text);
  const tmpl::Json* table = doc && doc->is_object() && doc->contains("routes") ? &(*doc)["routes"] : nullptr;
  if (!table || !table->is_object()) {
    if (error) *error = {"ORIGIN_ROUTES", 0, "the route table is not {\"routes\": {name: path}} JSON"};
    return false;
  }
  for (const auto& [name, path] : table->items()) {
    if (!path.is_string()) {
      if (error) *error = {"ORIGIN_ROUTES", 0, "route '" + name + "' is not a string"};
      return false;
    }
    routes.emplace_back(name, path.get<std::string>());
  }
  return true;
}

}  // namespace

std::unique_ptr<Pages> Pages::load(tmpl::Error* error, Site site) {
  tmpl::Hooks hooks;
  if (site == Site::origin) {
    if (!origin_routes(hooks.routes, error)) return nullptr;
  } else {
    hooks.routes = app::named_routes();
  }
  tmpl::Library library(std::move(hooks));
  const auto& files = site == Site::origin ? origin_site::templates() : tmpl::embedded_templates();
  for (const auto& [name, source] : files)
    if (!library.add_static(std::string(name), source, error)) return nullptr;
  if (!library.link(error)) return nullptr;
  if (!library.contains("index.html")) {
    std::string where = site == Site::origin ? std::string(origin_site::template_dirs()) : "src/templates/";
    if (error) *error = {"index.html", 0, "template missing from " + where};
    return nullptr;
  }
  return std::unique_ptr<Pages>(new Pages(std::move(library)));
}

const Pages* Pages::shared(Site site, tmpl::Error* error) {
  struct Loaded {
    std::unique_ptr<Pages> pages;
    tmpl::Error error;
  };
  auto load_site = [](Site s) {
    Loaded l;
    l.pages = load(&l.error, s);
    return l;
  };
  auto result = [error](const Loaded& l) {
    if (!l.pages && error) *error = l.error;
    return l.pages.get();
  };
  if (site == Site::origin) {
    static const Loaded origin = load_site(Site::origin);
    return result(origin);
  }
  static const Loaded edge = load_site(Site::edge);
  return result(edge);
}

Pages::Pages(tmpl::Library library) : library_(std::move(library)) {
  // Built member by member: an initializer list would copy every value twice.
  tmpl::Json& context = index_context_;
  context = tmpl::Json::object();
  context["num_books"] = 0;
  context["num_instances"] = 0;
  context["num_instances_available"] = 0;
  context["num_authors"] = 0;
  context["num_visits"] = 0;
  context["session_not_saved"] = false;
  context["request"]["path"] = "";
  // The edge serves anonymous visitors only (a session with a logged-in user
  // goes to the origin): Django's AnonymousUser, and no permissions.
  tmpl::Json& user = context["user"];
  user["is_authenticated"] = false;
  user["is_anonymous"] = true;
  user["is_staff"] = false;
  user["is_superuser"] = false;
  user["is_active"] = false;
  user["username"] = "";
  user["get_username"] = "";
  context["perms"] = tmpl::Json::object();
  // Found once: nothing is added to the context after this, so its values
  // stay where they are.
  slots_ = {&context["num_books"],   &context["num_instances"], &context["num_instances_available"],
            &context["num_authors"], &context["num_visits"],    &context["session_not_saved"],
            &context["request"]["path"].get_ref<std::string&>()};
  index_bound_ = library_.bind(index_context_);
}

bool Pages::index(const IndexContext& c, std::string& out, tmpl::Error* error) const {
  *slots_.books = c.counts.books;
  *slots_.copies = c.counts.copies;
  *slots_.copies_available = c.counts.copies_available;
  *slots_.authors = c.counts.authors;
  *slots_.visits = c.num_visits;
  *slots_.session_not_saved = c.session_not_saved;
  slots_.path->assign(c.path);
  // Python's random is not cryptographic either: the request's time seeds it.
  tmpl::RenderInputs inputs{c.now, static_cast<uint64_t>(c.now * 1e6)};
  // The page is about as long as last time: one allocation, not a doubling
  // series of them.
  out.reserve(out.size() + last_index_bytes_ + 64);
  size_t before = out.size();
  bool ok = library_.render("index.html", index_bound_, out, error, inputs);
  last_index_bytes_ = out.size() - before;
  return ok;
}

std::string error(int status) {
  switch (status) {
    case 400: return "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Bad Request (400)</title>\n</head>\n<body>\n  <h1>Bad Request (400)</h1><p></p>\n</body>\n</html>\n";
    case 404: return "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n";
    case 405: return "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Method Not Allowed (405)</title>\n</head>\n<body>\n  <h1>Method Not Allowed (405)</h1><p></p>\n</body>\n</html>\n";
    case 414: return "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>URI Too Long (414)</title>\n</head>\n<body>\n  <h1>URI Too Long (414)</h1><p></p>\n</body>\n</html>\n";
    case 431: return "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Request Header Fields Too Large (431)</title>\n</head>\n<body>\n  <h1>Request Header Fields Too Large (431)</h1><p></p>\n</body>\n</html>\n";
    case 502: return "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Bad Gateway (502)</title>\n</head>\n<body>\n  <h1>Bad Gateway (502)</h1><p>The site's server could not be reached. Please try again in a moment.</p>\n</body>\n</html>\n";
    case 504: return "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Gateway Timeout (504)</title>\n</head>\n<body>\n  <h1>Gateway Timeout (504)</h1><p>The site's server did not answer in time. Please try again in a moment.</p>\n</body>\n</html>\n";
    case 503: return "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Service Unavailable (503)</title>\n</head>\n<body>\n  <h1>Service Unavailable (503)</h1><p>Please try again in a moment.</p>\n</body>\n</html>\n";
    default: return "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n";
  }
}

}  // namespace pages
