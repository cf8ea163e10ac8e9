#include "services/token_authority/revocation/revocation_feed.h"

#include <poll.h>

#include <algorithm>
#include <chrono>

#include <libpq-fe.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/base/log.h"
#include "common/pg/postgres.h"

namespace tokengate {
namespace {

constexpr int kPollMs = 200;
constexpr int kMaxBackoffMs = 1000;

}  // namespace

bool RevocationSubscription::Wait(int timeout_ms, std::vector<Revocation>& out) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return closed_ || !queue_.empty(); });
  out.assign(queue_.begin(), queue_.end());
  queue_.clear();
  return !closed_;
}

void RevocationSubscription::Push(const Revocation& revocation) {
  std::lock_guard lock(mutex_);
  queue_.push_back(revocation);
  ready_.notify_all();
}

void RevocationSubscription::Close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  ready_.notify_all();
}

RevocationFeed::RevocationFeed(std::string database_url, std::function<void(const Revocation&)> on_revoked,
                               std::function<void()> on_gap)
    : database_url_(std::move(database_url)),
      on_revoked_(std::move(on_revoked)),
      on_gap_(std::move(on_gap)) {}

RevocationFeed::~RevocationFeed() { Stop(); }

void RevocationFeed::Start() {
  thread_ = std::thread([this] { Run(); });
}

void RevocationFeed::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  closed_ = true;
  for (auto& subscriber : subscribers_) subscriber->Close();
  subscribers_.clear();
}

std::shared_ptr<RevocationSubscription> RevocationFeed::Subscribe() {
  auto subscription = std::make_shared<RevocationSubscription>();
  std::lock_guard lock(mutex_);
  if (closed_) {
    subscription->Close();
  } else {
    subscribers_.push_back(subscription);
  }
  return subscription;
}

void RevocationFeed::Unsubscribe(const std::shared_ptr<RevocationSubscription>& subscription) {
  std::lock_guard lock(mutex_);
  std::erase(subscribers_, subscription);
}

void RevocationFeed::Publish(const Revocation& revocation) {
  on_revoked_(revocation);
  std::lock_guard lock(mutex_);
  for (auto& subscriber : subscribers_) subscriber->Push(revocation);
}

void RevocationFeed::WakeSubscribers() {
  std::lock_guard lock(mutex_);
  for (auto& subscriber : subscribers_) subscriber->Push(Revocation{});
}

void RevocationFeed::Run() {
  int backoff_ms = 100;
  while (!stopping_) {
    auto conn = PgConnection::Connect(database_url_);
    if (!conn.ok() || !(*conn)->Exec("LISTEN tokengate_revocations").ok()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms = std::min(backoff_ms * 2, kMaxBackoffMs);
      continue;
    }
    // Whatever happened while we were not listening is unknown: drop beliefs,
    // and have every stream look at the log again.
    on_gap_();
    listening_ = true;
    WakeSubscribers();
    backoff_ms = 100;
    TG_LOG(Info) << "listening for revocations";
    PGconn* raw = (*conn)->raw();
    while (!stopping_) {
      pollfd fd{PQsocket(raw), POLLIN, 0};
      if (poll(&fd, 1, kPollMs) < 0) continue;
      if (PQconsumeInput(raw) == 0 || PQstatus(raw) != CONNECTION_OK) break;
      while (PGnotify* notify = PQnotifies(raw)) {
        std::vector<std::string> parts = absl::StrSplit(notify->extra, ' ');
        Revocation revocation{parts[0], 0};
        if (parts.size() > 1) (void)absl::SimpleAtoi(parts[1], &revocation.revoked_at_unix);
        PQfreemem(notify);
        Publish(revocation);
      }
    }
    listening_ = false;
    if (!stopping_) {
      TG_LOG(Warning) << "revocation listener lost its connection; reconnecting";
      on_gap_();
    }
  }
}

}  // namespace tokengate
