// Small helpers over Beast's header container.
#pragma once

#include <string_view>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/fields.hpp>

namespace portcullis::http {

template <typename Iterator>
struct FieldRange {
  Iterator first;
  Iterator last;
  Iterator begin() const { return first; }
  Iterator end() const { return last; }
};

// Every line of header `name` (case-insensitive), in received order, for range-for loops.
template <typename Name>
auto fieldsNamed(const boost::beast::http::fields& headers, Name name) {
  auto [first, last] = headers.equal_range(name);
  return FieldRange<decltype(first)>{first, last};
}

}  // namespace portcullis::http
