// Store and View: publication of snapshots and key sets to workers. A View changes only in
// refresh(), and refresh() reloads when a snapshot was published or keysChanged() was called.
#include "snapshot/store.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "snapshot_test_util.h"

namespace portcullis::snapshot::testing {
namespace {

std::shared_ptr<const jwt::Jwks> emptyKeySet() {
  return jwt::Jwks::parse(R"({"keys":[]})");
}

// A snapshot with one listener per entry of `sources`, each listener holding those key sources.
std::shared_ptr<Snapshot> snapshotWith(
    std::vector<std::vector<std::shared_ptr<jwks::KeySource>>> sources) {
  auto snapshot = std::make_shared<Snapshot>();
  uint16_t port = 8080;
  for (auto& listener_sources : sources) {
    Listener listener;
    listener.listen_port = port++;
    listener.key_sources = std::move(listener_sources);
    snapshot->listeners.push_back(std::move(listener));
  }
  return snapshot;
}

TEST(Store, StartsEmpty) {
  Store store;
  EXPECT_EQ(store.snapshot(), nullptr);
  EXPECT_EQ(store.generation(), 0u);
}

TEST(Store, PublishBumpsGeneration) {
  Store store;
  auto snapshot = snapshotWith({});
  store.publish(snapshot);
  EXPECT_EQ(store.snapshot(), snapshot);
  EXPECT_EQ(store.generation(), 1u);
}

TEST(Store, KeysChangedBumpsGeneration) {
  Store store;
  store.keysChanged();
  store.keysChanged();
  EXPECT_EQ(store.generation(), 2u);
}

TEST(View, EmptyStoreGivesNoSnapshot) {
  Store store;
  View view(store);
  view.refresh();
  EXPECT_EQ(view.snapshot(), nullptr);
}

TEST(View, SeesSnapshotAfterRefresh) {
  Store store;
  View view(store);
  auto snapshot = snapshotWith({{}});
  store.publish(snapshot);
  EXPECT_EQ(view.snapshot(), nullptr);
  view.refresh();
  EXPECT_EQ(view.snapshot(), snapshot.get());
}

TEST(View, KeepsSnapshotUntilRefresh) {
  Store store;
  View view(store);
  auto first = snapshotWith({{}});
  auto second = snapshotWith({{}});
  store.publish(first);
  view.refresh();
  store.publish(second);
  EXPECT_EQ(view.snapshot(), first.get());
  view.refresh();
  EXPECT_EQ(view.snapshot(), second.get());
}

TEST(View, KeepsPublishedSnapshotAlive) {
  Store store;
  View view(store);
  store.publish(snapshotWith({{}}));
  view.refresh();
  const Snapshot* seen = view.snapshot();
  store.publish(nullptr);
  EXPECT_EQ(view.snapshot(), seen);
  EXPECT_EQ(view.snapshot()->listeners.size(), 1u);
}

TEST(View, KeysFollowKeySources) {
  auto source = std::make_shared<ManualKeySource>();
  auto keys = emptyKeySet();
  source->set(keys);
  Store store;
  store.publish(snapshotWith({{source, nullptr}}));
  View view(store);
  view.refresh();
  const authn::KeySets& sets = view.keysFor(view.snapshot()->listeners[0]);
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0], keys);
  EXPECT_EQ(sets[1], nullptr);
}

TEST(View, SourceWithoutKeysGivesNull) {
  auto source = std::make_shared<ManualKeySource>();
  Store store;
  store.publish(snapshotWith({{source}}));
  View view(store);
  view.refresh();
  EXPECT_EQ(view.keysFor(view.snapshot()->listeners[0]).at(0), nullptr);
}

TEST(View, KeysPerListener) {
  auto first = std::make_shared<ManualKeySource>();
  auto second = std::make_shared<ManualKeySource>();
  auto first_keys = emptyKeySet();
  auto second_keys = emptyKeySet();
  first->set(first_keys);
  second->set(second_keys);
  Store store;
  store.publish(snapshotWith({{first}, {second, first}}));
  View view(store);
  view.refresh();
  const auto& listeners = view.snapshot()->listeners;
  EXPECT_EQ(view.keysFor(listeners[0]), authn::KeySets{first_keys});
  EXPECT_EQ(view.keysFor(listeners[1]), (authn::KeySets{second_keys, first_keys}));
}

TEST(View, KeysCachedUntilKeysChanged) {
  auto source = std::make_shared<ManualKeySource>();
  auto old_keys = emptyKeySet();
  auto new_keys = emptyKeySet();
  source->set(old_keys);
  Store store;
  store.publish(snapshotWith({{source}}));
  View view(store);
  view.refresh();

  source->set(new_keys);
  view.refresh();
  EXPECT_EQ(view.keysFor(view.snapshot()->listeners[0]).at(0), old_keys);

  store.keysChanged();
  view.refresh();
  EXPECT_EQ(view.keysFor(view.snapshot()->listeners[0]).at(0), new_keys);
}

TEST(View, RefreshWithoutChangeKeepsKeys) {
  auto source = std::make_shared<ManualKeySource>();
  source->set(emptyKeySet());
  Store store;
  store.publish(snapshotWith({{source}}));
  View view(store);
  view.refresh();
  const authn::KeySets* before = &view.keysFor(view.snapshot()->listeners[0]);
  view.refresh();
  EXPECT_EQ(&view.keysFor(view.snapshot()->listeners[0]), before);
}

TEST(View, ConcurrentPublishEndsOnLatest) {
  // A writer publishes while a reader refreshes. Once the writer stops, one more refresh shows
  // the last snapshot.
  Store store;
  constexpr int kSnapshots = 200;
  std::vector<std::shared_ptr<Snapshot>> snapshots;
  for (int i = 0; i < kSnapshots; ++i) {
    snapshots.push_back(snapshotWith({{}}));
  }
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (const auto& snapshot : snapshots) {
      store.publish(snapshot);
      store.keysChanged();
    }
    done = true;
  });
  View view(store);
  while (!done) {
    view.refresh();
    if (view.snapshot()) {
      EXPECT_EQ(view.snapshot()->listeners.size(), 1u);
    }
  }
  writer.join();
  view.refresh();
  EXPECT_EQ(view.snapshot(), snapshots.back().get());
}

}  // namespace
}  // namespace portcullis::snapshot::testing
