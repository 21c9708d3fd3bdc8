// Django template engine (Django 5.2's built-ins; byte parity checked
// against Django 3.2, see src/template/README.md) for locallibrary-edge.
//
// Templates are parsed once into a node tree (add), cross-checked (link) and
// then rendered many times against a JSON context (render). The output is
// byte-for-byte what Django's DjangoTemplates backend produces for the same
// template and context, within the limits documented in
// src/template/README.md. No exceptions are thrown: failures are Error values.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace tmpl {

using Json = nlohmann::ordered_json;

struct Error {
  std::string template_name;
  int line = 0;
  std::string message;
  // "index.html:12: unknown tag 'foo'" (the line is omitted when it is 0).
  std::string to_string() const;
};

struct Hooks {
  // {% static "css/x.css" %} -> "/static/css/x.css" (Django's STATIC_URL).
  std::string static_url = "/static/";
  // {% url 'name' arg1 arg2 %}: named routes; a pattern uses <arg> placeholders,
  // e.g. {"index", "/catalog/"}, {"book-detail", "/catalog/book/<pk>"}.
  // Placeholders may name a Django path converter: <int:pk>, <slug:s>,
  // <path:p>, <str:s> (the default).
  std::vector<std::pair<std::string, std::string>> routes;
  // {% get_media_prefix %} (Django's MEDIA_URL).
  std::string media_url = "/media/";
  // OPTIONS['string_if_invalid']: what a missing variable renders as ("%s"
  // is replaced by the variable as written); filters are then not applied.
  std::string string_if_invalid;
};

// What a render may not take from the machine: the core is a pure function
// of its inputs, so "now" ({% now %}, |timesince and |timeuntil without an
// argument) and the seed of {% lorem random %} and |random come from the
// caller (the request's time).
struct RenderInputs {
  double now = 0;     // Unix seconds
  uint64_t seed = 0;  // for the non-cryptographic choices Python's random makes
};

namespace detail {
struct LibraryData;
struct Template;
}

// A context object whose keys stay fixed while its values change in place
// (a page rendered on every request): Library::bind looks each name the
// templates use up once, so a render finds a variable by its number instead
// of comparing it with the object's keys.
class BoundContext {
 private:
  friend class Library;
  const Json* json_ = nullptr;  // null until bound: renders as an empty context
  std::vector<const Json*> by_symbol_;  // null: not in the object
};

// Immutable after link(): parsed once per process/isolate, rendered many times.
// render() is const and keeps all per-call state on its own stack, so one
// Library may serve concurrent renders.
class Library {
 public:
  explicit Library(Hooks hooks = {});
  ~Library();
  Library(Library&&) noexcept;
  Library& operator=(Library&&) noexcept;
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  // Parses one template; syntax errors are reported with name and line.
  bool add(std::string name, std::string source, Error* err);
  // The same for a source that outlives the library (a template compiled
  // into the program): the parsed nodes point into it instead of a copy.
  bool add_static(std::string name, std::string_view source, Error* err);
  // Resolves extends/include targets and folds constant {% url %}s; reports
  // missing templates and extends/include cycles that would recurse forever.
  // Unknown route names are not an error here: as in Django, a {% url %}
  // fails (NoReverseMatch) only when it renders.
  bool link(Error* err);
  // Renders into `out` (cleared first). Returns false when a limit is hit
  // (include/extends depth) or where Django itself raises while rendering
  // (e.g. a missing variable used as a filter argument, a {% url %} that
  // cannot be reversed, unpacking mismatch in {% for %}).
  bool render(std::string_view name, const Json& context, std::string& out, Error* err,
              const RenderInputs& inputs = {}) const;

  // For a linked library; `context` must outlive the binding and keep its
  // keys (adding or removing one moves the others).
  BoundContext bind(const Json& context) const;
  bool render(std::string_view name, const BoundContext& context, std::string& out, Error* err,
              const RenderInputs& inputs = {}) const;

  bool contains(std::string_view name) const;

 private:
  bool add_parsed(std::string name, std::unique_ptr<detail::Template> t, Error* err);
  std::unique_ptr<detail::LibraryData> data_;
};

}  // namespace tmpl
