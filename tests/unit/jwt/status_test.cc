#include "jwt/status.h"

#include <cctype>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "test_util.h"

namespace portcullis::jwt {
namespace {

// The table in STATUS.md: "| # | `Name` | text |", one row per value in enum order.
struct StatusRow {
  int number;
  std::string name;
  std::string message;
};

std::vector<StatusRow> readStatusTable() {
  std::vector<StatusRow> rows;
  std::istringstream lines(testing::readFile(testing::vectorPath("jwt_verify_lib/STATUS.md")));
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("| ") || line.find(" | `") == std::string::npos) {
      continue;
    }
    const size_t name_start = line.find('`') + 1;
    const size_t name_end = line.find('`', name_start);
    const size_t message_start = line.find(" | ", name_end) + 3;
    const size_t message_end = line.rfind(" |");
    const std::string number = line.substr(2, line.find(' ', 2) - 2);
    if (number.empty() || !std::isdigit(static_cast<unsigned char>(number[0]))) {
      continue;
    }
    rows.push_back(StatusRow{std::stoi(number), line.substr(name_start, name_end - name_start),
                             line.substr(message_start, message_end - message_start)});
  }
  return rows;
}

// The enumerators keep jwt_verify_lib's names and texts but not its numbering (here
// JwtEd25519SignatureWrongLength follows JwtPayloadParseErrorBadBase64), so rows are matched
// by name.
TEST(StatusTest, TableHasEveryValue) {
  const std::vector<StatusRow> rows = readStatusTable();
  ASSERT_EQ(rows.size(), 73u);
  EXPECT_EQ(static_cast<int>(Status::JwksBioAllocError), 72);
  for (const StatusRow& row : rows) {
    EXPECT_NO_THROW(testing::statusFromName(row.name)) << row.name;
  }
}

TEST(StatusTest, MessagesMatchJwtVerifyLib) {
  for (const StatusRow& row : readStatusTable()) {
    EXPECT_EQ(statusMessage(testing::statusFromName(row.name)), row.message) << row.name;
  }
}

TEST(StatusTest, NamesAreUnique) {
  std::map<std::string_view, int> seen;
  for (int value = 0; value <= static_cast<int>(Status::JwksBioAllocError); ++value) {
    const std::string_view name = statusName(static_cast<Status>(value));
    EXPECT_TRUE(seen.emplace(name, value).second) << name;
  }
}

TEST(StatusTest, KnownTexts) {
  EXPECT_EQ(statusMessage(Status::Ok), "OK");
  EXPECT_EQ(statusMessage(Status::JwtNotYetValid), "Jwt not yet valid");
  EXPECT_EQ(statusMessage(Status::JwtAudienceNotAllowed), "Audiences in Jwt are not allowed");
  EXPECT_EQ(statusMessage(Status::JwksEcXorYBadBase64),
            "Jwks EC [x] or [y] field is an invalid Base64.");
}

TEST(StatusTest, OutOfRangeValue) {
  EXPECT_EQ(statusMessage(static_cast<Status>(200)), "Unknown status");
  EXPECT_EQ(statusName(static_cast<Status>(200)), "Unknown");
}

}  // namespace
}  // namespace portcullis::jwt
