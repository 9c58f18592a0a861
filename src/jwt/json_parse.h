// JSON parsing shared by the token and key set parsers, with the leniency of the parser that
// jwt_verify_lib uses (protobuf's JsonStringToMessage into a google.protobuf.Struct).
#pragma once

#include <cstddef>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace portcullis::jwt {

// Parses `text` as one JSON object into `out`. Returns false when `text` is not valid JSON or
// its top-level value is not an object. Differences from strict RFC 8259 parsing:
// - a trailing comma after the last member or element is accepted, as protobuf's parser does
//   (several of jwt_verify_lib's own key set fixtures depend on it);
// - a duplicate member name keeps the last value, as RFC 7515 section 5.2 permits;
// - nesting deeper than kMaxJsonDepth levels is rejected.
bool parseJsonObject(std::string_view text, boost::json::object& out);

// Nesting limit for parseJsonObject. NOTE: protobuf's JSON parser limits nesting too, but its
// exact limit and the way it counts levels were not checked, so a document nested close to this
// depth may be accepted by one parser and rejected by the other.
inline constexpr size_t kMaxJsonDepth = 100;

// Outcome of reading one member of a JSON object, as jwt_verify_lib's StructUtils reports it.
enum class FieldResult { Ok, Missing, WrongType };

// Reads the string member `name` of `object`. A member whose value is not a string (null
// included) is WrongType; `out` is only written on Ok.
FieldResult getString(const boost::json::object& object, std::string_view name,
                      std::string_view& out);

}  // namespace portcullis::jwt
