#include "authn/token_cache.h"

#include <functional>

namespace portcullis::authn {

TokenCache::TokenCache(size_t capacity, size_t max_token_bytes, stats::Counters* counters)
    : max_token_bytes_(max_token_bytes), counters_(counters) {
  size_t size = 1;
  while (size < capacity) {
    size <<= 1;
  }
  slots_.resize(size);
  mask_ = size - 1;
}

CachedToken* TokenCache::slotFor(std::string_view token) {
  if (token.size() > max_token_bytes_ || token.empty()) {
    return nullptr;
  }
  // Direct-mapped: one slot per hash value, the newest token wins a collision. Eviction needs
  // no bookkeeping and the memory bound is fixed.
  Slot& slot = slots_[std::hash<std::string_view>{}(token) & mask_];
  if (slot.token == token) {
    ++hits_;
    if (counters_) {
      counters_->add(stats::Counter::TokenCacheHits);
    }
    return &slot.entry;
  }
  ++misses_;
  if (counters_) {
    counters_->add(stats::Counter::TokenCacheMisses);
  }
  slot.token.assign(token);
  slot.entry = CachedToken{};
  return &slot.entry;
}

}  // namespace portcullis::authn
