#include "jwks/key_source.h"

#include <spdlog/spdlog.h>

namespace portcullis::jwks {

InlineKeySource::InlineKeySource(std::string text, std::string origin)
    : text_(std::move(text)), origin_(std::move(origin)) {
  auto keys = jwt::Jwks::parse(text_);
  for (const auto& skipped : keys->skipped()) {
    spdlog::warn("{}: key kid=\"{}\" skipped: {}", describe(), skipped.kid,
                 jwt::statusMessage(skipped.status));
  }
  if (keys->status() != jwt::Status::Ok) {
    spdlog::warn("{} has no usable key: {}", describe(), jwt::statusMessage(keys->status()));
  }
  publish(std::move(keys));
}

}  // namespace portcullis::jwks
