// Publication of snapshots and key sets to the workers. Writers (the control thread) replace
// whole immutable objects and bump a generation counter; each worker keeps a View that compares
// the counter once per request and copies the pointers only when it changed, so the request
// path takes no lock in the steady state.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "authn/authenticator.h"
#include "snapshot/snapshot.h"

namespace portcullis::snapshot {

class Store {
 public:
  void publish(std::shared_ptr<const Snapshot> snapshot);

  // Called when any key source published a new key set.
  void keysChanged() { generation_.fetch_add(1, std::memory_order_acq_rel); }

  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  std::shared_ptr<const Snapshot> snapshot() const;

 private:
  std::atomic<uint64_t> generation_{0};
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> snapshot_;
};

// A worker's cached copy of the Store's objects. Not thread-safe: one per worker thread.
//
// A request keeps pointers into the snapshot across suspension points, while other requests
// of the same worker may refresh the view. Each request holds a Pin for its duration; a
// replaced snapshot is kept until no pinned request remains, so no reference count is touched
// per request.
class View {
 public:
  explicit View(const Store& store) : store_(store) {}

  class Pin {
   public:
    explicit Pin(View& view) : view_(view) { ++view_.pins_; }
    Pin(const Pin&) = delete;
    Pin& operator=(const Pin&) = delete;
    ~Pin() {
      if (--view_.pins_ == 0) {
        view_.retired_.clear();
        view_.retired_keys_.clear();
      }
    }

   private:
    View& view_;
  };

  // Brings the view up to date; one atomic load when nothing changed.
  void refresh() {
    if (store_.generation() != seen_) {
      reload();
    }
  }

  const Snapshot* snapshot() const { return snapshot_.get(); }

  // Key sets of `listener`, which must belong to snapshot().
  const authn::KeySets& keysFor(const Listener& listener) const;

  // Key sets of snapshot()->workloads, by workload index.
  const std::vector<authn::KeySets>& workloadKeys() const { return workload_keys_; }

 private:
  void reload();

  const Store& store_;
  uint64_t seen_ = ~uint64_t{0};
  std::shared_ptr<const Snapshot> snapshot_;
  std::vector<authn::KeySets> keys_;  // parallel to snapshot_->listeners
  std::vector<authn::KeySets> workload_keys_;  // parallel to snapshot_->workloads
  size_t pins_ = 0;
  // Snapshots and key sets replaced while requests were pinned.
  std::vector<std::shared_ptr<const Snapshot>> retired_;
  std::vector<std::vector<authn::KeySets>> retired_keys_;  // listener and workload key sets
};

}  // namespace portcullis::snapshot
