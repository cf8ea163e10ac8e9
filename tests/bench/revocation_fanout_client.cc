// The watching side of the revocation fan-out bench (revocation_fanout.py):
// one process holding N WatchRevocations streams, as N edge replicas would,
// each resuming from its own position after a loss with an edge's jittered
// back-off. Prints "live" once every stream has had its first event and
// "done <token id>" once every stream has received that revocation; on EOF of
// stdin it stops and prints what each stream received, "<stream> <token id>
// <CLOCK_MONOTONIC ns>", then "duplicates <n>" and "resets <n>". C++, and
// nothing printed per event, so that 100,000 events do not measure the client.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "tokengate/v1/token_authority.grpc.pb.h"

namespace {

std::mutex g_out;

void Print(const std::string& line) {
  std::lock_guard lock(g_out);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Stream {
  std::mutex mutex;
  grpc::ClientContext* context = nullptr;  // The call in progress, to cancel on stop.
  // Only the stream's thread touches these until it has been joined.
  bool live = false;
  std::vector<std::pair<std::string, int64_t>> received;
  std::unordered_set<std::string> seen;
  int duplicates = 0;
  int resets = 0;
};

// How many streams are live and have each revocation: "live" once every stream
// has had its first event, "done <id>" once every stream has that revocation.
class Completion {
 public:
  explicit Completion(int streams) : streams_(streams) {}
  void Live() {
    std::lock_guard lock(mutex_);
    if (++live_ == streams_) Print("live\n");
  }
  void Received(const std::string& token_id) {
    std::lock_guard lock(mutex_);
    if (++counts_[token_id] == streams_) Print("done " + token_id + "\n");
  }

 private:
  const int streams_;
  std::mutex mutex_;
  int live_ = 0;
  std::unordered_map<std::string, int> counts_;
};

// Set once stdin ends; a stream's back-off waits on it instead of sleeping through it.
class Stopping {
 public:
  void Set() {
    std::lock_guard lock(mutex_);
    set_ = true;
    changed_.notify_all();
  }
  bool IsSet() {
    std::lock_guard lock(mutex_);
    return set_;
  }
  // Waits `pause` or until set; true when set.
  bool WaitFor(std::chrono::milliseconds pause) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, pause, [this] { return set_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool set_ = false;
};

void Watch(int index, std::shared_ptr<grpc::Channel> channel, Stream* stream, Completion* completion,
           Stopping* stopping) {
  auto stub = tokengate::v1::TokenAuthority::NewStub(channel);
  std::mt19937 random(index);
  int64_t position = 0;
  std::string log_id;
  int failures = 0;
  while (!stopping->IsSet()) {
    grpc::ClientContext context;
    {
      std::lock_guard lock(stream->mutex);
      if (stopping->IsSet()) break;
      stream->context = &context;
    }
    tokengate::v1::WatchRevocationsRequest request;
    request.set_after_position(position);
    request.set_log_id(log_id);
    auto reader = stub->WatchRevocations(&context, request);
    tokengate::v1::RevocationEvent event;
    while (reader->Read(&event)) {
      const int64_t now = NowNs();
      failures = 0;
      stream->resets += event.reset();
      if (!event.token_id().empty()) {
        if (stream->seen.insert(event.token_id()).second) {
          stream->received.emplace_back(event.token_id(), now);
          completion->Received(event.token_id());
        } else {
          ++stream->duplicates;
        }
      }
      position = event.position();
      log_id = event.log_id();
      if (!stream->live) {
        stream->live = true;
        completion->Live();
      }
    }
    reader->Finish();
    {
      std::lock_guard lock(stream->mutex);
      stream->context = nullptr;
    }
    // An edge's back-off, jittered, so the streams do not reconnect in step.
    std::uniform_int_distribution<int> jitter(50, 250);
    const int pause_ms = jitter(random) * (1 << std::min(failures++, 2));
    stopping->WaitFor(std::chrono::milliseconds(pause_ms));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s HOST:PORT STREAMS CONNECTIONS\n", argv[0]);
    return 2;
  }
  const std::string target = argv[1];
  const int count = std::stoi(argv[2]);
  const int connections = std::stoi(argv[3]);
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < connections; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // One connection each.
    // The edges' reconnect back-off (common/verify/verify_client.cc), not gRPC's 1 s and up;
    // and a connection attempt given 1 s, not gRPC's 20 s: one attempt made
    // while the authority restarted held every stream of its connection ~20 s.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 80);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 700);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 1000);
    channels.push_back(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  }
  Stopping stopping;
  std::vector<Stream> streams(count);
  Completion completion(count);
  std::vector<std::thread> threads;
  for (int i = 0; i < count; ++i) {
    threads.emplace_back(Watch, i, channels[i % connections], &streams[i], &completion, &stopping);
  }
  for (std::string line; std::getline(std::cin, line);) {
  }
  stopping.Set();
  for (Stream& stream : streams) {
    std::lock_guard lock(stream.mutex);
    if (stream.context != nullptr) stream.context->TryCancel();
  }
  for (auto& thread : threads) thread.join();
  int duplicates = 0;
  int resets = 0;
  std::string out;
  for (int i = 0; i < count; ++i) {
    for (const auto& [token_id, ns] : streams[i].received) {
      out += std::to_string(i) + " " + token_id + " " + std::to_string(ns) + "\n";
    }
    duplicates += streams[i].duplicates;
    resets += streams[i].resets;
  }
  Print(out + "duplicates " + std::to_string(duplicates) + "\nresets " + std::to_string(resets) + "\n");
  return 0;
}
