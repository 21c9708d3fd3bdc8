// Public API of the template engine (see template.h).
#include "template/template.h"

#include "template/detail.h"

namespace tmpl {

std::string Error::to_string() const {
  std::string s = template_name;
  if (line > 0) s += ":" + std::to_string(line);
  if (!s.empty()) s += ": ";
  return s + message;
}

namespace detail {

const Template* LibraryData::find(std::string_view name) const {
  const auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : it->second;
}

std::vector<const Route*> LibraryData::routes_named(std::string_view name) const {
  std::vector<const Route*> found;
  for (auto it = routes.rbegin(); it != routes.rend(); ++it) {
    if (it->name == name) found.push_back(&*it);
  }
  return found;
}

}  // namespace detail

Library::Library(Hooks hooks) : data_(std::make_unique<detail::LibraryData>()) {
  auto& d = *data_;
  d.hooks = std::move(hooks);
  for (const auto& [name, pattern] : d.hooks.routes) d.routes.push_back(detail::parse_route(name, pattern));
  d.sym_forloop = d.symbols.intern("forloop");
  d.sym_block = d.symbols.intern("block");
  d.sym_csrf_token = d.symbols.intern("csrf_token");
  d.sym_true = d.symbols.intern("True");
  d.sym_false = d.symbols.intern("False");
  d.sym_none = d.symbols.intern("None");
}

Library::~Library() = default;
Library::Library(Library&&) noexcept = default;
Library& Library::operator=(Library&&) noexcept = default;

namespace {

// Django's filesystem loader reads templates in text mode, where Python turns
// "\r\n" and "\r" into "\n"; templates are files, so do the same.
std::string universal_newlines(std::string source) {
  if (source.find('\r') == std::string::npos) return source;
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] != '\r') {
      out += source[i];
    } else {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    }
  }
  return out;
}

}  // namespace

bool Library::add(std::string name, std::string source, Error* err) {
  auto t = std::make_unique<detail::Template>();
  t->source = universal_newlines(std::move(source));
  t->text = t->source;
  return add_parsed(std::move(name), std::move(t), err);
}

bool Library::add_static(std::string name, std::string_view source, Error* err) {
  if (source.find('\r') != std::string_view::npos) return add(std::move(name), std::string(source), err);
  auto t = std::make_unique<detail::Template>();
  t->text = source;
  return add_parsed(std::move(name), std::move(t), err);
}

bool Library::add_parsed(std::string name, std::unique_ptr<detail::Template> t, Error* err) {
  auto fail = [&](std::string message) {
    if (err) *err = Error{name, 0, std::move(message)};
    return false;
  };
  if (data_->linked) return fail("templates cannot be added after link()");
  if (data_->find(name)) return fail("duplicate template name");
  t->name = std::move(name);
  if (!detail::parse_template(*data_, *t, err)) return false;
  data_->by_name.emplace(t->name, t.get());
  data_->templates.push_back(std::move(t));
  return true;
}

bool Library::link(Error* err) { return detail::link_library(*data_, err); }

bool Library::render(std::string_view name, const Json& context, std::string& out, Error* err,
                     const RenderInputs& inputs) const {
  return detail::render_library(*data_, name, context, nullptr, out, err, inputs);
}

BoundContext Library::bind(const Json& context) const {
  BoundContext bound;
  bound.json_ = &context;
  if (!context.is_object()) return bound;
  const auto& names = data_->symbols.names;
  bound.by_symbol_.resize(names.size(), nullptr);
  for (size_t i = 0; i < names.size(); ++i) {
    const auto it = context.find(names[i]);
    if (it != context.end()) bound.by_symbol_[i] = &*it;
  }
  return bound;
}

bool Library::render(std::string_view name, const BoundContext& context, std::string& out, Error* err,
                     const RenderInputs& inputs) const {
  const Json& json = context.json_ ? *context.json_ : detail::empty_object();
  return detail::render_library(*data_, name, json, &context.by_symbol_, out, err, inputs);
}

bool Library::contains(std::string_view name) const { return data_->find(name) != nullptr; }

}  // namespace tmpl
