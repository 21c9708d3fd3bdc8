// Unit tests for the Django template engine (src/template). Byte-for-byte
// parity with real Django is checked by tests/node/template_corpus.test.js.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "template/template.h"

namespace {

using tmpl::Json;

tmpl::Hooks test_hooks() {
  tmpl::Hooks hooks;
  hooks.routes = {{"index", "/catalog/"},
                  {"books", "/catalog/books/"},
                  {"book-detail", "/catalog/book/<pk>"},
                  {"authors", "/catalog/authors/"},
                  {"bookinstances", "/catalog/bookinstances/"},
                  {"genres", "/catalog/genres/"},
                  {"languages", "/catalog/languages/"},
                  {"login", "/accounts/login/"}};
  return hooks;
}

struct Lib {
  tmpl::Library lib{test_hooks()};
  tmpl::Error err;

  Lib& add(const std::string& name, const std::string& source) {
    REQUIRE_MESSAGE(lib.add(name, source, &err), err.to_string());
    return *this;
  }
  Lib& link() {
    REQUIRE_MESSAGE(lib.link(&err), err.to_string());
    return *this;
  }
  std::string render(const std::string& name, const Json& ctx = Json::object()) {
    std::string out;
    REQUIRE_MESSAGE(lib.render(name, ctx, out, &err), err.to_string());
    return out;
  }
};

// Renders one standalone template.
std::string render(const std::string& source, const Json& ctx = Json::object()) {
  Lib l;
  l.add("t.html", source).link();
  return l.render("t.html", ctx);
}

// The error from add() or link(), or "" when both succeed.
std::string load_error(const std::vector<std::pair<std::string, std::string>>& files) {
  tmpl::Library lib(test_hooks());
  tmpl::Error err;
  for (const auto& [name, source] : files) {
    if (!lib.add(name, source, &err)) return err.to_string();
  }
  return lib.link(&err) ? "" : err.to_string();
}

std::string render_error(const std::string& source, const Json& ctx = Json::object()) {
  Lib l;
  l.add("t.html", source).link();
  std::string out;
  tmpl::Error err;
  return l.lib.render("t.html", ctx, out, &err) ? "" : err.to_string();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kTemplatesDir = std::string(__FILE__).substr(0, std::string(__FILE__).rfind("tests/native")) +
                                  "src/templates/";

}  // namespace

TEST_CASE("variables render like Python str() with autoescaping") {
  const Json ctx = Json::parse(R"({"s": "<a href='x'>&</a>", "i": 42, "f": 2.5, "big": 1e16, "t": true,
    "n": null, "l": [1, "a", null], "d": {"k": [true]}})");
  CHECK(render("{{ s }}", ctx) == "&lt;a href=&#x27;x&#x27;&gt;&amp;&lt;/a&gt;");
  CHECK(render("{{ i }}|{{ f }}|{{ big }}|{{ t }}|{{ n }}", ctx) == "42|2.5|10000000000000000|True|None");
  CHECK(render("{{ l }}|{{ d }}", ctx) == "[1, &#x27;a&#x27;, None]|{&#x27;k&#x27;: [True]}");
  CHECK(render("{{ l.1 }}{{ d.k.0 }}{{ missing }}{{ missing.x }}{{ l.9 }}", ctx) == "aTrue");
  CHECK(render("{{ s|safe }}", ctx) == "<a href='x'>&</a>");
  CHECK(render("{% autoescape off %}{{ s }}{% endautoescape %}", ctx) == "<a href='x'>&</a>");
  CHECK(render(R"({{ "<b>" }}|{{ "<b>"|upper }}|{{ "<B>"|lower }})") == "<b>|&lt;B&gt;|<b>");
}

TEST_CASE("filters") {
  const Json ctx = Json::parse(R"({"zero": 0, "one": 1, "two": 2, "items": [1], "name": "hello world",
    "text": "a\nb", "when": "2024-02-29T13:05:09", "books": ["A", "B&C"]})");
  CHECK(render("{{ zero|pluralize }}{{ one|pluralize }}{{ two|pluralize:'es' }}{{ one|pluralize:'y,ies' }}", ctx) ==
        "sesy");
  CHECK(render("{{ items|pluralize }}{{ missing|default:'none' }}{{ items|length }}", ctx) == "none1");
  CHECK(render("{{ name|upper }}|{{ name|title }}|{{ name|truncatechars:7 }}", ctx) ==
        "HELLO WORLD|Hello World|hello \xE2\x80\xA6");
  CHECK(render("{{ two|add:3 }}|{{ two|add:'x' }}|{{ 'a'|add:'b' }}", ctx) == "5||ab");
  CHECK(render("{{ books|join:', ' }}|{{ text|linebreaksbr }}", ctx) == "A, B&amp;C|a<br>b");
  CHECK(render("{{ one|yesno }}|{{ zero|yesno:'on,off' }}|{{ missing|yesno:'y,n,u' }}", ctx) == "yes|off|n");
  CHECK(render("{{ when|date:'D d M Y H:i' }}|{{ when|date }}|{{ 'junk'|date:'Y' }}", ctx) ==
        "Thu 29 Feb 2024 13:05|Feb. 29, 2024|");
  // Literals are safe strings, so escape leaves them alone.
  CHECK(render("{{ name|escape }}{{ '<'|escape }}{{ text|escape|escape }}", ctx) == "hello world<a\nb");
}

TEST_CASE("tags: if, for, with") {
  const Json ctx = Json::parse(R"({"n": 3, "l": ["a", "b"], "d": {"x": 1, "y": 2}, "nested": [[1, 2], [3]]})");
  CHECK(render("{% if n > 2 and 'a' in l %}yes{% elif n %}mid{% else %}no{% endif %}", ctx) == "yes");
  CHECK(render("{% if not n or n != 3 %}a{% elif 'z' not in l %}b{% endif %}", ctx) == "b");
  CHECK(render("{% for x in l %}{{ forloop.counter }}{{ x }}{% if forloop.last %}.{% endif %}{% endfor %}", ctx) ==
        "1a2b.");
  CHECK(render("{% for x in l reversed %}{{ x }}{{ forloop.revcounter0 }}{% endfor %}", ctx) == "b1a0");
  CHECK(render("{% for k, v in d.items %}{{ k }}={{ v }};{% endfor %}", ctx) == "x=1;y=2;");
  CHECK(render("{% for x in missing %}x{% empty %}empty{% endfor %}", ctx) == "empty");
  CHECK(render("{% for a in nested %}{% for b in a %}{{ forloop.parentloop.counter }}{{ b }} {% endfor %}{% endfor %}",
               ctx) == "11 12 23 ");
  CHECK(render("{% with a=n b='x' %}{{ a }}{{ b }}{% endwith %}{% with n as m %}{{ m }}{% endwith %}", ctx) == "3x3");
}

TEST_CASE("inheritance, block.super and include") {
  Lib l;
  l.add("base.html", "<t>{% block title %}Base{% endblock %}</t>{% block body %}{% endblock %}")
      .add("child.html",
           "{% extends 'base.html' %}{% block title %}Child {{ block.super }}{% endblock %}"
           "{% block body %}{% include 'part.html' with who='you' %}|{% include 'part.html' only %}{% endblock %}")
      .add("part.html", "hi {{ who }}{{ secret }}")
      .link();
  CHECK(l.render("child.html", Json{{"secret", "!"}}) == "<t>Child Base</t>hi you!|hi ");
}

TEST_CASE("url, static, csrf_token, spaceless, verbatim, comments") {
  const Json ctx = Json::parse(R"({"pk": 7, "csrf_token": "t<k"})");
  CHECK(render("{% url 'index' %}|{% url 'book-detail' pk %}|{% url 'book-detail' pk=pk as u %}{{ u }}", ctx) ==
        "/catalog/|/catalog/book/7|/catalog/book/7");
  CHECK(render("{% load static %}{% static 'css/a b.css' %}") == "/static/css/a%20b.css");
  CHECK(render("{% csrf_token %}") == "");
  CHECK(render("{% csrf_token %}", ctx) == "<input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"t&lt;k\">");
  CHECK(render("{% spaceless %} <p>  <a>x</a> </p> {% endspaceless %}") == "<p><a>x</a></p>");
  CHECK(render("{% verbatim %}{{ x }}{% if %}{% endverbatim %}") == "{{ x }}{% if %}");
  CHECK(render("a{# note #}b{% comment %}{% bogus %}{% endcomment %}c") == "abc");
}

TEST_CASE("static_url hook") {
  tmpl::Hooks hooks;
  hooks.static_url = "https://cdn.example.com/assets/";
  tmpl::Library lib(hooks);
  tmpl::Error err;
  REQUIRE(lib.add("t.html", "{% static 'x.css' %}|{% get_static_prefix %}", &err));
  REQUIRE(lib.link(&err));
  std::string out;
  REQUIRE(lib.render("t.html", Json::object(), out, &err));
  CHECK(out == "https://cdn.example.com/assets/x.css|https://cdn.example.com/assets/");
}

TEST_CASE("syntax errors name the template and line") {
  CHECK(load_error({{"index.html", "a\n\n{% foo %}"}}) == "index.html:3: unknown tag 'foo'");
  CHECK(load_error({{"x.html", "\n{% if a %}\n{% for b in c %}"}}) ==
        "x.html:3: Unclosed tag 'for', expected 'empty' or 'endfor'");
  CHECK(load_error({{"x.html", "{{ a|nofilter }}"}}) == "x.html:1: Invalid filter: 'nofilter'");
  CHECK(load_error({{"x.html", "{% load humanize %}"}}).find("humanize") != std::string::npos);
  CHECK(load_error({{"x.html", "{{ a|add }}"}}) != "");
  CHECK(load_error({{"x.html", "{% block a %}{% endblock %}{% block a %}{% endblock %}"}}) != "");
  CHECK(load_error({{"x.html", "text{% load static %}{% extends 'y.html' %}"}}) != "");
  CHECK(load_error({{"x.html", "{% if a b %}{% endif %}"}}) != "");
  CHECK(load_error({{"x.html", "{{ _private }}"}}) != "");
}

TEST_CASE("link errors: missing templates, unknown routes, cycles") {
  CHECK(load_error({{"c.html", "{% extends 'nope.html' %}"}}) == "c.html:1: missing parent template 'nope.html'");
  CHECK(load_error({{"c.html", "x\n{% include 'nope.html' %}"}}) ==
        "c.html:2: included template 'nope.html' does not exist");
  // {% url %} names and arguments are checked when the tag renders, as Django does.
  CHECK(load_error({{"c.html", "{% url 'nope' %}"}}) == "");
  CHECK(load_error({{"c.html", "{% url 'book-detail' %}"}}) == "");
  CHECK(load_error({{"a.html", "{% extends 'b.html' %}"}, {"b.html", "{% extends 'a.html' %}"}}).find("cycle") !=
        std::string::npos);
  CHECK(load_error({{"a.html", "{% include 'a.html' %}"}}).find("cycle") != std::string::npos);
  // A guarded recursive include is a legitimate tree walk.
  CHECK(load_error({{"tree.html", "{% for c in node.children %}{% include 'tree.html' with node=c %}{% endfor %}"}}) ==
        "");
}

TEST_CASE("recursive includes render up to the depth limit") {
  Lib l;
  l.add("tree.html", "[{{ node.name }}{% for c in node.children %}{% include 'tree.html' with node=c %}{% endfor %}]")
      .link();
  const Json tree = Json::parse(R"({"node": {"name": "r", "children": [{"name": "a", "children": []}]}})");
  CHECK(l.render("tree.html", tree) == "[r[a]]");

  Json deep = Json::object();
  Json* at = &deep;
  for (int i = 0; i < 100; ++i) {
    (*at)["name"] = i;
    (*at)["children"] = Json::array({Json::object()});
    at = &(*at)["children"][0];
  }
  std::string out;
  tmpl::Error err;
  CHECK_FALSE(l.lib.render("tree.html", Json{{"node", deep}}, out, &err));
  CHECK(err.message.find("too deeply") != std::string::npos);
}

TEST_CASE("render-time errors where Django raises") {
  CHECK(render_error("{{ a|default:missing }}").find("missing") != std::string::npos);
  CHECK(render_error("{% for a, b in l %}{% endfor %}", Json{{"l", {1, 2}}}).find("unpack") != std::string::npos);
  CHECK(render_error("{% url 'book-detail' missing %}").find("NoReverseMatch") != std::string::npos);
  CHECK(render("{% url 'book-detail' missing as u %}[{{ u }}]") == "[]");
  CHECK(render_error("{% url 'nope' %}").find("NoReverseMatch: Reverse for 'nope'") != std::string::npos);
  CHECK(render_error("{% url 'admin:index' %}").find("NoReverseMatch") != std::string::npos);
  CHECK(render_error("{% url 'book-detail' 1 pk=2 as u %}").find("Don't mix") != std::string::npos);
  // Routes this deployment does not serve, in branches that do not render.
  CHECK(render("{% if user.is_staff %}<a href=\"{% url 'all-borrowed' %}\">{% endif %}ok") == "ok");
}

TEST_CASE("{% url %} reverses a route table given as data, namespaced names included") {
  tmpl::Hooks hooks;
  hooks.routes = {{"admin:index", "/admin/"},
                  {"logout", "/accounts/logout/"},
                  {"book-detail", "/catalog/book/<int:pk>"},
                  {"renew-book-librarian", "/catalog/book/<uuid:pk>/renew/"}};
  tmpl::Library lib(hooks);
  tmpl::Error err;
  REQUIRE(lib.add("t.html",
                  "{% url 'admin:index' %}|{% url 'logout' %}?next={{ request.path }}|{% url 'book-detail' pk=3 %}|"
                  "{% url 'renew-book-librarian' id %}",
                  &err));
  REQUIRE(lib.link(&err));
  std::string out;
  REQUIRE_MESSAGE(lib.render("t.html", Json{{"request", {{"path", "/a&b"}}}, {"id", "c0a80121-7ac0-11d1-898c-00c04fd8d5cd"}},
                             out, &err),
                  err.to_string());
  CHECK(out == "/admin/|/accounts/logout/?next=/a&amp;b|/catalog/book/3|/catalog/book/c0a80121-7ac0-11d1-898c-00c04fd8d5cd/renew/");
  CHECK_FALSE(lib.render("t.html", Json{{"id", "not-a-uuid"}}, out, &err));
  CHECK(err.message.find("NoReverseMatch") != std::string::npos);
  CHECK(render("{% if a|default:missing %}x{% else %}y{% endif %}") == "y");
}

TEST_CASE("hostile input does not crash") {
  std::string deep_if;
  for (int i = 0; i < 500; ++i) deep_if += "{% if a %}";
  CHECK(load_error({{"x.html", deep_if}}).find("too deeply") != std::string::npos);

  std::string nots = "{% if ";
  for (int i = 0; i < 1000; ++i) nots += "not ";
  CHECK(load_error({{"x.html", nots + "a %}{% endif %}"}}) != "");

  Json nested = Json::array();
  for (int i = 0; i < 2000; ++i) nested = Json::array({nested});
  const std::string repr = render("{{ v }}{% if v == v %}eq{% endif %}", Json{{"v", nested}});
  CHECK(repr.find("...") != std::string::npos);

  const Json numbers = Json::parse(R"({"max": 18446744073709551615, "min": -9223372036854775808, "f": 1e308})");
  CHECK(render("{{ max|add:max }}|{{ min|add:min }}|{{ f }}", numbers) ==
        "36893488147419103230|-18446744073709551616|1e+308");
  CHECK(render_error("{{ f|add:f }}", numbers) != "");  // int(1e308) is beyond 128 bits
  CHECK(render("{{ 99999999999999999999|add:1 }}") == "100000000000000000000");

  const std::string bad_utf8 = "\xff\xfe{{ s|upper }}\xc3";
  CHECK(render(bad_utf8, Json{{"s", "\xe2\x82"}}).size() > 0);
  CHECK(render("{{ s|truncatechars:2 }}{{ s|length }}{{ s.0 }}", Json{{"s", "\xff\xff\xff"}}) == "\xff\xE2\x80\xA6" "3\xff");
}

TEST_CASE("api misuse is reported") {
  tmpl::Library lib(test_hooks());
  tmpl::Error err;
  std::string out;
  REQUIRE(lib.add("a.html", "x", &err));
  CHECK_FALSE(lib.add("a.html", "y", &err));
  CHECK_FALSE(lib.render("a.html", Json::object(), out, &err));  // not linked yet
  REQUIRE(lib.link(&err));
  CHECK_FALSE(lib.add("b.html", "y", &err));
  CHECK_FALSE(lib.render("nope.html", Json::object(), out, &err));
  CHECK(lib.render("a.html", Json::array(), out, &err));  // a non-object context is empty
  CHECK(out == "x");
}

TEST_CASE("the LocalLibrary home page") {
  Lib l;
  for (const char* name : {"base_generic.html", "index.html"}) l.add(name, read_file(kTemplatesDir + name));
  l.link();
  const Json ctx = Json::parse(R"({"num_books": 3, "num_instances": 5, "num_instances_available": 2,
    "num_authors": 1, "num_visits": 1, "request": {"path": "/catalog/"}})");
  const std::string page = l.render("index.html", ctx);
  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(page.find("<title>Local Library</title>") != std::string::npos);
  CHECK(page.find("<link rel=\"stylesheet\" href=\"/static/css/styles.css\">") != std::string::npos);
  CHECK(page.find("<a href=\"/accounts/login/?next=/catalog/\">Login</a>") != std::string::npos);
  CHECK(page.find("<img src=\"/static/images/local_library_model_uml.png\"") != std::string::npos);
  CHECK(page.find("<li><strong>Copies available:</strong> 2</li>") != std::string::npos);
  CHECK(page.find("You have visited this page 1 time.") != std::string::npos);
  CHECK(l.render("index.html", Json{{"num_visits", 2}}).find("visited this page 2 times.") != std::string::npos);
}

TEST_CASE("Django 5.2 built-ins where 5.2 differs from the 3.2 reference") {
  CHECK(render("{{ n|floatformat:\"2g\" }}|{{ n|floatformat:\"g\" }}|{{ n|floatformat:\"2u\" }}", Json{{"n", 1234567.891}}) ==
        "1,234,567.89|1,234,567.9|1234567.89");
  CHECK(render("{{ l|escapeseq|join:\",\" }}", Json{{"l", {"<a>", Json{{"$safe", "<b>"}}}}}) == "&lt;a&gt;,<b>");
  CHECK(render("{{ v|json_script }}", Json{{"v", {{"a", "</script>"}}}}) ==
        "<script type=\"application/json\">{\"a\": \"\\u003C/script\\u003E\"}</script>");
  CHECK(render("[{% debug %}]") == "[]");
  CHECK(load_error({{"x.html", "{% ifequal a b %}{% endifequal %}"}}).find("unknown tag 'ifequal'") != std::string::npos);
  CHECK(load_error({{"x.html", "{{ a|length_is:2 }}"}}) == "x.html:1: Invalid filter: 'length_is'");
}

TEST_CASE("querystring, string_if_invalid and tagged values") {
  const Json ctx = Json::parse(R"({"request": {"GET": {"page": "2", "tag": ["a b", "c&d"]}}})");
  CHECK(render("{% querystring %}", ctx) == "?page=2&amp;tag=a+b&amp;tag=c%26d");
  CHECK(render("{% querystring page=3 tag=None %}", ctx) == "?page=3");
  CHECK(render("{% querystring page=None tag=None %}", ctx) == "");

  tmpl::Hooks hooks = test_hooks();
  hooks.string_if_invalid = "INVALID %s";
  tmpl::Library lib(hooks);
  tmpl::Error err;
  REQUIRE(lib.add("t.html", "{{ missing.x|upper }}|{% for x in missing %}{% endfor %}|{{ a }}", &err));
  REQUIRE(lib.link(&err));
  std::string out;
  REQUIRE(lib.render("t.html", Json{{"a", 1}}, out, &err));
  CHECK(out == "INVALID missing.x||1");

  const Json dates = Json::parse(
      R"({"d": {"$date": "2024-02-29"}, "dt": {"$datetime": "2024-02-29T13:05:00"}, "t": {"$time": "12:00"},
          "s": {"$safe": "<b>x</b>"}})");
  CHECK(render("{{ d }}|{{ dt }}|{{ t }}|{{ s }}|{{ d.year }}|{{ dt|date:\"c\" }}", dates) ==
        "Feb. 29, 2024|Feb. 29, 2024, 1:05 p.m.|noon|<b>x</b>|2024|2024-02-29T13:05:00");
  CHECK(render_error("{{ d|date:\"H\" }}", dates).find("time-related") != std::string::npos);
  CHECK(render("{{ d|timesince:dt }}|{{ dt|timeuntil:d }}", dates) == "13\xC2\xA0hours, 5\xC2\xA0minutes|13\xC2\xA0hours, 5\xC2\xA0minutes");
}

TEST_CASE("new tags keep Django's state rules") {
  CHECK(render("{% for i in l %}{% cycle 'a' 'b' as c silent %}{{ c }}{% endfor %}{% resetcycle c %}", Json{{"l", {1, 2, 3}}}) ==
        "aba");
  CHECK(render("{% for i in l %}{% ifchanged %}{{ i }}{% endifchanged %}{% endfor %}", Json{{"l", {1, 1, 2, 2, 1}}}) == "121");
  CHECK(render("{% regroup l by k as g %}{% for x in g %}{{ x.grouper }}={{ x.list|length }};{% endfor %}{{ g.0 }}",
               Json{{"l", {{{"k", 1}}, {{"k", 1}}, {{"k", 2}}}}}) ==
        "1=2;2=1;GroupedResult(grouper=1, list=[{&#x27;k&#x27;: 1}, {&#x27;k&#x27;: 1}])");
  CHECK(render("{% widthratio 1 3 100 %}|{% widthratio a b 100 %}|{% now 'Y' as y %}{{ y|length }}", Json{{"a", "x"}, {"b", 1}}) ==
        "33||4");
  CHECK(render("{% filter upper %}{{ x }}{% endfilter %}", Json{{"x", "<a>"}}) == "&LT;A&GT;");
  CHECK(load_error({{"x.html", "{% filter escape %}{% endfilter %}"}}).find("not permitted") != std::string::npos);
  CHECK(load_error({{"x.html", "{% resetcycle %}"}}).find("No cycles") != std::string::npos);
}

TEST_CASE("add_static parses a source in place, and as add() does") {
  static const char kBase[] = "<p>{% block b %}base{% endblock %}</p>\n";
  static const char kChild[] = "{% extends 'base.html' %}{% block b %}{{ x|upper }}{% endblock %}";
  static const char kCrlf[] = "a\r\nb\rc {{ x }}";
  tmpl::Library lib(test_hooks());
  tmpl::Error err;
  REQUIRE(lib.add_static("base.html", kBase, &err));
  REQUIRE(lib.add_static("child.html", kChild, &err));
  REQUIRE(lib.add_static("crlf.html", kCrlf, &err));  // universal newlines: copied
  CHECK_FALSE(lib.add_static("child.html", kChild, &err));
  CHECK(err.message == "duplicate template name");
  REQUIRE(lib.link(&err));
  std::string out;
  REQUIRE(lib.render("child.html", Json{{"x", "hi"}}, out, &err));
  CHECK(out == "<p>HI</p>\n");
  REQUIRE(lib.render("crlf.html", Json{{"x", 1}}, out, &err));
  CHECK(out == render(kCrlf, Json{{"x", 1}}));
  CHECK(out == "a\nb\nc 1");
  // Errors name the template and line, as with add().
  tmpl::Library bad(test_hooks());
  CHECK_FALSE(bad.add_static("bad.html", "x\n{% nosuchtag %}", &err));
  CHECK(err.to_string() == load_error({{"bad.html", "x\n{% nosuchtag %}"}}));
}

TEST_CASE("fixed runs (text, load, comments, constant url and static) render as the nodes did") {
  // Linking merges them; what escapes differently must still follow
  // {% autoescape %}, and a url or static bound with "as" stays a node.
  const std::string body =
      "{% load static %}<a href=\"{% url 'index' %}\">{% url 'book-detail' 'a&b' %}{% static 'p.css' %}</a>{# c #}"
      "{% comment %}x{% endcomment %}|{% static 'x.css' as s %}{{ s }}|{% url 'books' as b %}{{ b }}|"
      "{% if yes %}1{% url 'login' %}2{% endif %}";
  const Json ctx{{"yes", true}};
  CHECK(render(body, ctx) ==
        "<a href=\"/catalog/\">/catalog/book/a&amp;b/static/p.css</a>|/static/x.css|/catalog/books/|1/accounts/login/2");
  CHECK(render("{% autoescape off %}" + body + "{% endautoescape %}", ctx) ==
        "<a href=\"/catalog/\">/catalog/book/a&b/static/p.css</a>|/static/x.css|/catalog/books/|1/accounts/login/2");
  // The same runs inherited: a block's fixed text is merged within the block,
  // and block.super still finds the parent's.
  Lib l;
  l.add("base.html", "{% load static %}[{% block b %}{% static 'p.css' %}-{% url 'index' %}{% endblock %}]")
      .add("child.html", "{% extends 'base.html' %}{% block b %}{% url 'books' %}+{{ block.super }}{% endblock %}")
      .link();
  CHECK(l.render("child.html") == "[/catalog/books/+/static/p.css-/catalog/]");
}

TEST_CASE("a bound context renders as the object it was bound to, values changed in place included") {
  Lib l;
  l.add("inc.html", "{{ a }}/{{ b|default:'none' }}")
      .add("t.html", "{{ a }} {{ b.c }} {{ missing|default:'-' }} {% include 'inc.html' %} "
                     "{% include 'inc.html' with b=a only %} {% with a=2 %}{{ a }}{% endwith %}")
      .link();
  Json ctx{{"a", 1}, {"b", {{"c", "x<y"}}}};
  const tmpl::BoundContext bound = l.lib.bind(ctx);
  std::string out;
  REQUIRE(l.lib.render("t.html", bound, out, &l.err));
  CHECK(out == l.render("t.html", ctx));
  CHECK(out == "1 x&lt;y - 1/{&#x27;c&#x27;: &#x27;x&lt;y&#x27;} /1 2");
  ctx["a"] = "changed";
  ctx["b"]["c"] = 3;
  REQUIRE(l.lib.render("t.html", bound, out, &l.err));
  CHECK(out == l.render("t.html", ctx));
  CHECK(out.rfind("changed 3 - ", 0) == 0);
  // Not an object: nothing is bound, every name is missing.
  const Json list = Json::array({1, 2});
  REQUIRE(l.lib.render("t.html", l.lib.bind(list), out, &l.err));
  CHECK(out == l.render("t.html", list));
  // Never bound: an empty context, not a crash.
  REQUIRE(l.lib.render("t.html", tmpl::BoundContext(), out, &l.err));
  CHECK(out == l.render("t.html", Json::object()));
}
