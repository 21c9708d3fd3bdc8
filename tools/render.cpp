// ll-render <template_dir> <template_name> <context.json>
// Loads every file under template_dir (named by relative path), renders one
// with the JSON context and prints the result; errors go to stderr, exit 1.
// ll-render --cases <django_cases.json>
// Renders each ported Django case (in-memory templates, context, options)
// and prints a JSON list of {"ok", "output", "error"}.
// Routes match the LocalLibrary URLconf used by tests/django/render_with_django.py.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/routes.h"
#include "template/template.h"

namespace {

bool read_file(const std::filesystem::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buf;
  buf << in.rdbuf();
  out = buf.str();
  return true;
}

tmpl::Hooks local_library_hooks() {
  tmpl::Hooks hooks;
  hooks.routes = app::named_routes();  // the project's urls.py
  hooks.media_url = "/media/";         // as tests/django/render_with_django.py
  return hooks;
}

// A command-line tool may read the clock: "now" as Django's would be.
tmpl::RenderInputs clock_inputs() {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return {static_cast<double>(micros) / 1e6, static_cast<uint64_t>(micros)};
}

int fail(const std::string& message) {
  std::cerr << message << "\n";
  return 1;
}

}  // namespace

int render_cases(const char* path) {
  std::string text;
  if (!read_file(path, text)) return fail(std::string("cannot read ") + path);
  const tmpl::Json doc = tmpl::Json::parse(text, nullptr, false);
  if (doc.is_discarded()) return fail(std::string("invalid JSON in ") + path);
  tmpl::Json results = tmpl::Json::array();
  for (const auto& c : doc["cases"]) {
    tmpl::Hooks hooks = local_library_hooks();
    if (c.contains("options") && c["options"].contains("string_if_invalid"))
      hooks.string_if_invalid = c["options"]["string_if_invalid"].get<std::string>();
    tmpl::Library lib(hooks);
    tmpl::Error err;
    bool ok = true;
    for (const auto& [name, source] : c["templates"].items()) {
      if (!lib.add(name, source.get<std::string>(), &err)) {
        ok = false;
        break;
      }
    }
    ok = ok && lib.link(&err);
    std::string out;
    ok = ok && lib.render(c["template"].get<std::string>(), c["context"], out, &err, clock_inputs());
    results.push_back({{"ok", ok}, {"output", ok ? out : ""}, {"error", ok ? "" : err.to_string()}});
  }
  std::cout << results.dump(-1, ' ', false, tmpl::Json::error_handler_t::replace);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--cases") return render_cases(argv[2]);
  if (argc != 4) return fail("usage: ll-render <template_dir> <template_name> <context.json>");
  const std::filesystem::path dir = argv[1];
  tmpl::Library lib(local_library_hooks());
  tmpl::Error err;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string source;
    if (!read_file(it->path(), source)) return fail("cannot read " + it->path().string());
    if (!lib.add(it->path().lexically_relative(dir).generic_string(), std::move(source), &err))
      return fail(err.to_string());
  }
  if (ec) return fail("cannot list " + dir.string() + ": " + ec.message());
  if (!lib.link(&err)) return fail(err.to_string());

  std::string context_text;
  if (!read_file(argv[3], context_text)) return fail(std::string("cannot read ") + argv[3]);
  const tmpl::Json context = tmpl::Json::parse(context_text, nullptr, false);
  if (context.is_discarded()) return fail(std::string("invalid JSON in ") + argv[3]);

  std::string out;
  if (!lib.render(argv[2], context, out, &err, clock_inputs())) return fail(err.to_string());
  std::cout << out;
  return 0;
}
