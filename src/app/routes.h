#pragma once
// The project's named URL patterns (Django's urls.py), for {% url %}; the
// same table as tests/django/render_with_django.py, which renders the corpus.
#include <string>
#include <utility>
#include <vector>

namespace app {

inline std::vector<std::pair<std::string, std::string>> named_routes() {
  return {
      {"index", "/catalog/"},
      {"books", "/catalog/books/"},
      {"book-detail", "/catalog/book/<pk>"},
      {"authors", "/catalog/authors/"},
      {"author-detail", "/catalog/author/<pk>"},
      {"bookinstances", "/catalog/bookinstances/"},
      {"genres", "/catalog/genres/"},
      {"languages", "/catalog/languages/"},
      {"login", "/accounts/login/"},
      {"logout", "/accounts/logout/"},
  };
}

}  // namespace app
