// ll-render <template_dir> <template_name> <context.json>
// Loads every file under template_dir (named by relative path), renders one
// with the JSON context and prints the result; errors go to stderr, exit 1.
// Routes match the LocalLibrary URLconf used by tests/django/render_with_django.py.
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
  return hooks;
}

int fail(const std::string& message) {
  std::cerr << message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
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
  if (!lib.render(argv[2], context, out, &err)) return fail(err.to_string());
  std::cout << out;
  return 0;
}
