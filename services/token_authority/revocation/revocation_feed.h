// Revocations from every authority replica, learnt through PostgreSQL
// LISTEN/NOTIFY, fanned out to local subscribers (the verifier's row cache
// and each WatchRevocations stream). Owns one dedicated connection and thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tokengate {

struct Revocation {
  std::string token_id;
  int64_t revoked_at_unix = 0;
};

// A subscriber's queue; WatchRevocations waits on it. An entry with an empty
// token id only says that notifications may have been missed.
class RevocationSubscription {
 public:
  // Waits up to `timeout_ms` for events; returns them (maybe none). Returns
  // false once the feed is closed, so streams can end on shutdown.
  bool Wait(int timeout_ms, std::vector<Revocation>& out);

 private:
  friend class RevocationFeed;
  void Push(const Revocation& revocation);
  void Close();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Revocation> queue_;
  bool closed_ = false;
};

class RevocationFeed {
 public:
  // `on_revoked` runs on the listener thread for each revocation; `on_gap` runs
  // whenever notifications may have been missed (connection lost), so caches
  // can drop what they believe.
  RevocationFeed(std::string database_url, std::function<void(const Revocation&)> on_revoked,
                 std::function<void()> on_gap);
  ~RevocationFeed();

  void Start();
  // Ends the listener and closes every subscription.
  void Stop();
  // True while LISTEN is active (no notification can be missed).
  bool Listening() const { return listening_.load(); }

  std::shared_ptr<RevocationSubscription> Subscribe();
  void Unsubscribe(const std::shared_ptr<RevocationSubscription>& subscription);

 private:
  void Run();
  void Publish(const Revocation& revocation);
  // An empty revocation: "look again", after notifications may have been missed.
  void WakeSubscribers();

  const std::string database_url_;
  const std::function<void(const Revocation&)> on_revoked_;
  const std::function<void()> on_gap_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<RevocationSubscription>> subscribers_;
  bool closed_ = false;
};

}  // namespace tokengate
