#include "jwt/base64url.h"

#include <array>
#include <cstdint>

namespace portcullis::jwt {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Value of each base64url character, kInvalid for every other byte.
constexpr int8_t kInvalid = -1;
constexpr std::array<int8_t, 256> makeDecodeTable() {
  std::array<int8_t, 256> table{};
  for (auto& value : table) {
    value = kInvalid;
  }
  for (int i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  }
  return table;
}
constexpr std::array<int8_t, 256> kDecodeTable = makeDecodeTable();

bool isAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool isPad(char c) {
  return c == '=' || c == '.';
}

}  // namespace

bool base64UrlDecode(std::string_view in, std::string& out) {
  // Fast path: whole groups of 4 alphabet characters, 3 bytes each. The first group with
  // anything else (whitespace, padding, an invalid byte, the end) goes to the loop below.
  out.resize(in.size() / 4 * 3 + 2);
  char* write = out.data();
  size_t start = 0;
  for (; start + 4 <= in.size(); start += 4) {
    const int32_t a = kDecodeTable[static_cast<unsigned char>(in[start])];
    const int32_t b = kDecodeTable[static_cast<unsigned char>(in[start + 1])];
    const int32_t c = kDecodeTable[static_cast<unsigned char>(in[start + 2])];
    const int32_t d = kDecodeTable[static_cast<unsigned char>(in[start + 3])];
    if ((a | b | c | d) < 0) {
      break;
    }
    const uint32_t group = static_cast<uint32_t>(a << 18 | b << 12 | c << 6 | d);
    write[0] = static_cast<char>(group >> 16);
    write[1] = static_cast<char>(group >> 8);
    write[2] = static_cast<char>(group);
    write += 3;
  }
  out.resize(static_cast<size_t>(write - out.data()));

  uint32_t group = 0;           // bits of the current group of up to 4 characters
  size_t group_chars = 0;       // characters in `group`
  size_t data_chars = start;    // all data characters seen
  size_t pad_chars = 0;
  for (char c : in.substr(start)) {
    if (isAsciiSpace(c)) {
      continue;
    }
    if (isPad(c)) {
      ++pad_chars;
      continue;
    }
    const int8_t value = kDecodeTable[static_cast<unsigned char>(c)];
    if (value == kInvalid || pad_chars > 0) {
      out.clear();
      return false;
    }
    group = (group << 6) | static_cast<uint32_t>(value);
    ++data_chars;
    if (++group_chars == 4) {
      out.push_back(static_cast<char>(group >> 16));
      out.push_back(static_cast<char>(group >> 8));
      out.push_back(static_cast<char>(group));
      group = 0;
      group_chars = 0;
    }
  }

  // A trailing group of 2 or 3 characters carries 1 or 2 bytes; its padding, when written, must
  // be complete. The low bits that do not fill a byte are dropped unchecked.
  size_t expected_pads = 0;
  switch (data_chars % 4) {
    case 0:
      break;
    case 1:
      out.clear();
      return false;
    case 2:
      out.push_back(static_cast<char>(group >> 4));
      expected_pads = 2;
      break;
    case 3:
      out.push_back(static_cast<char>(group >> 10));
      out.push_back(static_cast<char>(group >> 2));
      expected_pads = 1;
      break;
  }
  if (pad_chars != 0 && pad_chars != expected_pads) {
    out.clear();
    return false;
  }
  return true;
}

std::string base64UrlEncode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t group = (static_cast<uint8_t>(in[i]) << 16) |
                           (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    out.push_back(kAlphabet[(group >> 18) & 0x3f]);
    out.push_back(kAlphabet[(group >> 12) & 0x3f]);
    out.push_back(kAlphabet[(group >> 6) & 0x3f]);
    out.push_back(kAlphabet[group & 0x3f]);
  }
  const size_t rest = in.size() - i;
  if (rest == 1) {
    const uint32_t group = static_cast<uint8_t>(in[i]) << 16;
    out.push_back(kAlphabet[(group >> 18) & 0x3f]);
    out.push_back(kAlphabet[(group >> 12) & 0x3f]);
  } else if (rest == 2) {
    const uint32_t group =
        (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8);
    out.push_back(kAlphabet[(group >> 18) & 0x3f]);
    out.push_back(kAlphabet[(group >> 12) & 0x3f]);
    out.push_back(kAlphabet[(group >> 6) & 0x3f]);
  }
  return out;
}

}  // namespace portcullis::jwt
