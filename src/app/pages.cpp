#include "app/pages.h"

namespace pages {

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#x27;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string index(const IndexContext& c) {
  std::string out;
  out.reserve(2048);
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <title>Local Library</title>\n"
      "  <meta charset=\"utf-8\">\n  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "  <link rel=\"stylesheet\" href=\"/static/css/styles.css\">\n</head>\n<body>\n"
      "  <ul class=\"sidebar-nav\">\n"
      "    <li><a href=\"/catalog/\">Home</a></li>\n"
      "    <li><a href=\"/catalog/bookinstances/\">All book copies</a></li>\n"
      "    <li><a href=\"/catalog/books/\">All books</a></li>\n"
      "    <li><a href=\"/catalog/authors/\">All authors</a></li>\n"
      "    <li><a href=\"/catalog/genres/\">All genres</a></li>\n"
      "    <li><a href=\"/catalog/languages/\">All languages</a></li>\n"
      "    <li><a href=\"/accounts/login/?next=/catalog/\">Login</a></li>\n"
      "  </ul>\n"
      "  <h1>Local Library Home</h1>\n"
      "  <p>Welcome to LocalLibrary, a website developed by <em>Mozilla Developer Network</em>!</p>\n"
      "  <h2>UML Models</h2>\n"
      "  <img src=\"/static/images/local_library_model_uml.png\" alt=\"UML diagram\" style=\"width:75%\">\n"
      "  <h2>Dynamic content</h2>\n"
      "  <p>The library has the following record counts:</p>\n  <ul>\n";
  out += "    <li><strong>Books:</strong> " + std::to_string(c.counts.books) + "</li>\n";
  out += "    <li><strong>Copies:</strong> " + std::to_string(c.counts.copies) + "</li>\n";
  out += "    <li><strong>Copies available:</strong> " + std::to_string(c.counts.copies_available) + "</li>\n";
  out += "    <li><strong>Authors:</strong> " + std::to_string(c.counts.authors) + "</li>\n  </ul>\n";
  // Python's str() of the number, and pluralize's "value != 1".
  std::string visits = c.num_visits.is_number_float() ? pyjson::float_repr(*c.num_visits.get_ptr<const double*>())
                                                      : pyjson::dumps(c.num_visits);
  bool one = c.num_visits.is_number() && c.num_visits == pyjson::Json(1);
  out += "  <p>You have visited this page " + escape(visits) + " time" + (one ? "" : "s") + ".</p>\n";
  if (c.session_not_saved) out += "  <p class=\"warning\">Your session is too large to be saved; this visit was not counted.</p>\n";
  out += "</body>\n</html>\n";
  return out;
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
