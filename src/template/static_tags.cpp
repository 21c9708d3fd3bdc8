// django.templatetags.static: {% static %}, {% get_static_prefix %},
// {% get_media_prefix %}.
#include "template/parser.h"

namespace tmpl::detail {

using Kind = Value::Kind;

Parser::NodePtr Parser::do_static(const Token& tok) {
  const auto bits = smart_split(tok.contents);
  if (bits.size() < 2) return fail_node(tok.line, "'static' takes at least one argument (path to file)");
  auto node = std::make_unique<StaticNode>(tok.line);
  if (!compile_filter(bits[1], tok.line, node->path)) return nullptr;
  if (bits[bits.size() - 2] == "as") {
    if (bits.size() < 4) return fail_node(tok.line, "'static' is missing the variable name after 'as'");
    node->asvar = lib_.symbols.intern(bits[3]);
  }
  return node;
}

Parser::NodePtr Parser::do_prefix(const Token& tok) {
  const auto words = split_ws(tok.contents);
  const std::string tag(words[0]);
  if (words.size() > 1 && words[1] != "as")
    return fail_node(tok.line, "First argument in '" + tag + "' must be 'as'");
  auto node = std::make_unique<PrefixNode>(tok.line);
  node->media = tag == "get_media_prefix";
  if (words.size() > 1) {
    if (words.size() < 3) return fail_node(tok.line, "'" + tag + "' is missing the variable name after 'as'");
    node->asvar = lib_.symbols.intern(words[2]);
  }
  return node;
}

bool StaticNode::render(Renderer& r, std::string& out) const {
  if (constant && asvar < 0) {
    out += r.autoescape ? constant_escaped : *constant;
    return true;
  }
  std::string url;
  if (constant) {
    url = *constant;
  } else {
    Value p;
    const Status st = r.resolve(path, false, p);
    if (st != Status::ok) return fail_lookup(r, st, line);
    if (!p.is_string()) return r.fail("quote() doesn't support this type", line);
    url = static_url_for(r.lib.hooks.static_url, p.text());
  }
  if (asvar < 0) {
    append_url(out, url, r.autoescape);
    return true;
  }
  std::string stored;
  append_url(stored, url, r.autoescape);
  r.set(asvar, Value::owned(std::move(stored), r.autoescape));
  return true;
}

bool PrefixNode::render(Renderer& r, std::string& out) const {
  std::string prefix;
  // iri_to_uri(settings.STATIC_URL / MEDIA_URL)
  append_quoted(prefix, media ? r.lib.hooks.media_url : r.lib.hooks.static_url, "/#%[]=:;$&()+,!?*@'~");
  if (asvar >= 0) {
    r.set(asvar, Value::owned(std::move(prefix), false));
  } else {
    out += prefix;
  }
  return true;
}

}  // namespace tmpl::detail
