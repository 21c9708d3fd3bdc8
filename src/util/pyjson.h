#pragma once
// JSON exactly as Django's JSONSerializer writes it:
// json.dumps(obj, separators=(",", ":")) with Python's defaults, i.e.
// ensure_ascii (non-ASCII as lowercase \uXXXX, surrogate pairs above the BMP),
// insertion order, float repr, and NaN/Infinity as bare tokens.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace pyjson {

using Json = nlohmann::ordered_json;

std::string dumps(const Json& value);
void dump_to(const Json& value, std::string& out);

// Standard JSON text (no NaN/Infinity tokens) into a Json, nullopt if it is
// not. Every plain parse in the core goes through here, so that the module
// carries one instantiation of the parser (Json::parse with a null callback
// would add a second, callback-capable one).
std::optional<Json> parse(std::string_view text);

// Parses bytes the way Django does: json.loads(data.decode("latin-1")).
// Never throws; nullopt on any syntax error or nesting deeper than max_depth.
std::optional<Json> loads_latin1(std::string_view bytes, int max_depth = 64);

// Integers beyond 64 bits (Python's are unbounded) are kept exactly, as their
// decimal text in a binary value with this subtype; dumps() writes them back.
inline constexpr std::uint8_t kBigIntSubtype = 0x42;
bool is_big_int(const Json& value);

// Python's repr(float).
std::string float_repr(double value);

}  // namespace pyjson
