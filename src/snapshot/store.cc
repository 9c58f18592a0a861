#include "snapshot/store.h"

namespace portcullis::snapshot {

void Store::publish(std::shared_ptr<const Snapshot> snapshot) {
  {
    std::lock_guard lock(mutex_);
    snapshot_ = std::move(snapshot);
  }
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

std::shared_ptr<const Snapshot> Store::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

const authn::KeySets& View::keysFor(const Listener& listener) const {
  const size_t index = static_cast<size_t>(&listener - snapshot_->listeners.data());
  return keys_[index];
}

void View::reload() {
  // Read the generation first: a change that lands while reloading bumps it again, so the
  // next refresh() reloads once more instead of missing it.
  seen_ = store_.generation();
  if (pins_ > 0) {
    retired_.push_back(std::move(snapshot_));
    retired_keys_.push_back(std::move(keys_));
    retired_keys_.push_back(std::move(workload_keys_));
  }
  snapshot_ = store_.snapshot();
  keys_.clear();
  workload_keys_.clear();
  if (!snapshot_) {
    return;
  }
  auto current = [](const std::vector<std::shared_ptr<jwks::KeySource>>& sources) {
    authn::KeySets keys;
    keys.reserve(sources.size());
    for (const auto& source : sources) {
      keys.push_back(source ? source->current() : nullptr);
    }
    return keys;
  };
  for (const auto& listener : snapshot_->listeners) {
    keys_.push_back(current(listener.key_sources));
  }
  for (const auto& workload : snapshot_->workloads) {
    workload_keys_.push_back(current(workload.key_sources));
  }
}

}  // namespace portcullis::snapshot
