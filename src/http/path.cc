#include "http/path.h"

#include <array>

namespace portcullis::http {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool isUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Decodes %XX sequences for which `should_decode` returns true; leaves others as received.
template <typename Predicate>
void decodeSelected(std::string& path, Predicate should_decode) {
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size()) {
      const int hi = hexValue(path[i + 1]);
      const int lo = hexValue(path[i + 2]);
      if (hi >= 0 && lo >= 0) {
        const auto decoded = static_cast<unsigned char>(hi * 16 + lo);
        if (should_decode(decoded)) {
          out.push_back(static_cast<char>(decoded));
          i += 2;
          continue;
        }
      }
    }
    out.push_back(path[i]);
  }
  path.swap(out);
}

// RFC 3986 section 5.2.4, for an absolute path.
std::string removeDotSegments(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  size_t i = 0;
  while (i < path.size()) {
    // path[i] is '/' here: every iteration consumes one "/segment".
    size_t end = path.find('/', i + 1);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    const std::string_view segment = path.substr(i + 1, end - i - 1);
    const bool last = end == path.size();
    if (segment == ".") {
      if (last) {
        out.push_back('/');
      }
    } else if (segment == "..") {
      const size_t cut = out.rfind('/');
      out.resize(cut == std::string::npos ? 0 : cut);
      if (last) {
        out.push_back('/');
      }
    } else {
      out.push_back('/');
      out.append(segment);
    }
    i = end;
  }
  if (out.empty()) {
    out.push_back('/');
  }
  return out;
}

void mergeSlashes(std::string& path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') {
      continue;
    }
    out.push_back(c);
  }
  path.swap(out);
}

bool hasNul(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) {
    return true;
  }
  for (size_t i = 0; i + 2 < path.size(); ++i) {
    if (path[i] == '%' && path[i + 1] == '0' && path[i + 2] == '0') {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view pathOf(std::string_view target) { return target.substr(0, target.find('?')); }

PathStatus normalizeTarget(std::string_view target, config::PathNormalization mode,
                           std::string& out_target) {
  // A fragment is never sent by conforming clients; drop it like Envoy does.
  target = target.substr(0, target.find('#'));
  const size_t query_at = target.find('?');
  std::string path(target.substr(0, query_at));
  const std::string_view query =
      query_at == std::string_view::npos ? std::string_view{} : target.substr(query_at);

  if (path.empty() || path.front() != '/' || hasNul(path)) {
    return PathStatus::Invalid;
  }

  using Mode = config::PathNormalization;
  if (mode == Mode::DecodeAndMergeSlashes) {
    decodeSelected(path, [](unsigned char c) { return c == '/' || c == '\\'; });
  }
  if (mode != Mode::None) {
    for (char& c : path) {
      if (c == '\\') {
        c = '/';
      }
    }
    decodeSelected(path, isUnreserved);
    path = removeDotSegments(path);
  }
  if (mode == Mode::MergeSlashes || mode == Mode::DecodeAndMergeSlashes) {
    mergeSlashes(path);
  }

  out_target = std::move(path);
  out_target.append(query);
  return PathStatus::Ok;
}

}  // namespace portcullis::http
