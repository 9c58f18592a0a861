#include "jwt/json_parse.h"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

namespace portcullis::jwt {

bool parseJsonObject(std::string_view text, boost::json::object& out) {
  boost::json::parse_options options;
  options.allow_trailing_commas = true;
  options.max_depth = kMaxJsonDepth;

  boost::system::error_code error;
  boost::json::value value = boost::json::parse(text, error, {}, options);
  if (error || !value.is_object()) {
    return false;
  }
  out = std::move(value.get_object());
  return true;
}

FieldResult getString(const boost::json::object& object, std::string_view name,
                      std::string_view& out) {
  const boost::json::value* value = object.if_contains(name);
  if (value == nullptr) {
    return FieldResult::Missing;
  }
  const boost::json::string* text = value->if_string();
  if (text == nullptr) {
    return FieldResult::WrongType;
  }
  out = std::string_view(text->data(), text->size());
  return FieldResult::Ok;
}

}  // namespace portcullis::jwt
