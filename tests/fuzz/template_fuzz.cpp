// Invariant: any template text either parses (and links) or is refused with
// an Error naming the template and line; a parsed template renders against a
// hostile context (the input again, as JSON if it parses, else as a string)
// or stops at a limit; the site's real templates render with any value in
// their context. Never a crash, never unbounded recursion.
#include <cstddef>
#include <cstdint>
#include <string>

#include "template/template.h"
#include "template/embedded.h"
#include "app/routes.h"

namespace {
tmpl::Hooks hooks() {
  tmpl::Hooks h;
  h.routes = app::named_routes();
  return h;
}
const tmpl::Library& site() {
  static const tmpl::Library library = [] {
    tmpl::Library lib(hooks());
    for (const auto& [name, source] : tmpl::embedded_templates()) lib.add(std::string(name), std::string(source), nullptr);
    lib.link(nullptr);
    return lib;
  }();
  return library;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  tmpl::Json value = tmpl::Json::parse(input, nullptr, false);
  if (value.is_discarded()) value = input;

  tmpl::Library lib(hooks());
  tmpl::Error error;
  // The input as a template that includes and extends itself, and as a parent.
  bool parsed = lib.add("fuzz.html", input, &error) && lib.add("base_generic.html", input, &error) && lib.link(&error);
  if (!parsed && error.template_name.empty()) __builtin_trap();
  std::string out;
  tmpl::Json context = {{"x", value}, {"num_visits", value}, {"request", {{"path", input}, {"GET", value}}}, {"items", {value, value}}};
  if (parsed) lib.render("fuzz.html", context, out, &error);
  site().render("index.html", context, out, &error);
  return 0;
}
