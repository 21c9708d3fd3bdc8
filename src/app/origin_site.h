#pragma once
// The Django project behind the Worker (the ORIGIN setting), compiled in at
// build time by cmake/embed_origin_site.cmake from the build settings
// ORIGIN_TEMPLATE_DIRS and ORIGIN_ROUTES (README, "Putting it in front of
// Django"): the project's own index.html and the templates it extends or
// includes, and its named URL patterns (routes.json, `manage.py dump_routes`).
#include <string_view>
#include <utility>
#include <vector>

namespace origin_site {

// (name, source), found as Django's loaders find them: the first folder wins.
const std::vector<std::pair<std::string_view, std::string_view>>& templates();
// {"routes": {"name": "/path/<int:pk>", ...}}
std::string_view routes_json();
// The folders the templates came from, for error messages.
std::string_view template_dirs();

}  // namespace origin_site
