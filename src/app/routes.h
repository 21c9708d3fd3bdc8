#pragma once
// The project's named URL patterns (Django's urls.py), for {% url %}.
#include <string>
#include <utility>
#include <vector>

namespace app {

inline std::vector<std::pair<std::string, std::string>> named_routes() {
  return {
      {"index", "/catalog/"},
      {"books", "/catalog/books/"},
      {"book-detail", "/catalog/book/<int:pk>"},
      {"authors", "/catalog/authors/"},
      {"author-detail", "/catalog/author/<int:pk>"},
      {"bookinstances", "/catalog/bookinstances/"},
      {"genres", "/catalog/genres/"},
      {"languages", "/catalog/languages/"},
      {"login", "/accounts/login/"},
      {"logout", "/accounts/logout/"},
  };
}

}  // namespace app
