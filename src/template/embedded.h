// The files under src/templates/, compiled into the binary at build time by
// cmake/embed_templates.cmake (library ll_templates_embedded).
#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace tmpl {

// (relative path, contents) for every template, sorted by path.
const std::vector<std::pair<std::string_view, std::string_view>>& embedded_templates();

}  // namespace tmpl
