#include "common/verify/verify_client.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/base/field_error.h"
#include "common/base/files.h"
#include "common/base/log.h"

namespace tokengate {
namespace {

// With gRPC's ±20 % jitter: first retry ≤ 96 ms, later ones ≤ 840 ms apart.
constexpr int kInitialReconnectMs = 80;
constexpr int kMaxReconnectMs = 700;

// A factor in [0.5, 1): spreads the reconnects of many edges.
double Jitter() {
  thread_local std::mt19937 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.5, 1.0)(generator);
}

std::chrono::system_clock::time_point DeadlineIn(absl::Duration timeout) {
  return std::chrono::system_clock::now() + absl::ToChronoMicroseconds(timeout);
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeAuthorityChannel(const AuthorityChannelOptions& options) {
  const std::string& tls_cert_file = options.tls_cert_file;
  const std::string& tls_key_file = options.tls_key_file;
  const std::string& tls_ca_file = options.tls_ca_file;
  // gRPC's default reconnect back-off grows to 2 minutes, long enough to turn
  // an authority restart into minutes of 503s; ours stays under a second.
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kInitialReconnectMs);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectMs);
  if (tls_cert_file.empty() && tls_key_file.empty() && tls_ca_file.empty()) {
    return grpc::CreateCustomChannel(options.address, grpc::InsecureChannelCredentials(), arguments);
  }
  if (tls_cert_file.empty() || tls_key_file.empty() || tls_ca_file.empty()) {
    return absl::InvalidArgumentError(
        "mutual TLS to the authority needs all three of the certificate, key and CA files");
  }
  auto cert = ReadWholeFile(tls_cert_file);
  auto key = ReadWholeFile(tls_key_file);
  auto ca = ReadWholeFile(tls_ca_file);
  for (const auto* file : {&cert, &key, &ca}) {
    if (!file->ok()) return file->status();
  }
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = *std::move(ca);
  tls.pem_private_key = *std::move(key);
  tls.pem_cert_chain = *std::move(cert);
  return grpc::CreateCustomChannel(options.address, grpc::SslCredentials(tls), arguments);
}

GrpcVerifyBackend::GrpcVerifyBackend(std::shared_ptr<grpc::ChannelInterface> channel, absl::Duration deadline)
    : stub_(v1::TokenAuthority::NewStub(std::move(channel))), deadline_(deadline) {}

absl::StatusOr<v1::VerifyTokenResponse> GrpcVerifyBackend::Verify(const std::string& token,
                                                                  const VerifyOrigin& origin) {
  grpc::ClientContext context;
  context.set_deadline(DeadlineIn(deadline_));
  v1::VerifyTokenRequest request;
  request.set_token(token);
  request.set_client_address(origin.client_address);
  request.set_user_agent(origin.user_agent);
  v1::VerifyTokenResponse response;
  const grpc::Status status = stub_->VerifyToken(&context, request, &response);
  if (!status.ok()) {
    // gRPC and absl share code numbers; the message never holds the token.
    absl::Status error(static_cast<absl::StatusCode>(status.error_code()),
                       absl::StrCat("VerifyToken: ", status.error_message()));
    const auto& trailers = context.GetServerTrailingMetadata();
    if (auto code = trailers.find(kCodeMetadata); code != trailers.end()) {
      error.SetPayload(kCodePayload, absl::Cord(absl::string_view(code->second.data(), code->second.size())));
    }
    return error;
  }
  return response;
}

absl::Status GrpcVerifyBackend::ReportTokenUses(const v1::ReportTokenUsesRequest& request) {
  grpc::ClientContext context;
  context.set_deadline(DeadlineIn(deadline_));
  v1::ReportTokenUsesResponse response;
  const grpc::Status status = stub_->ReportTokenUses(&context, request, &response);
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat("ReportTokenUses: ", status.error_message()));
}

RevocationWatcher::RevocationWatcher(std::shared_ptr<grpc::ChannelInterface> channel, VerifyCache* cache,
                                     RevocationWatcherOptions options)
    : stub_(v1::TokenAuthority::NewStub(std::move(channel))), cache_(cache), options_(options) {}

RevocationWatcher::~RevocationWatcher() { Stop(); }

void RevocationWatcher::Start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
}

void RevocationWatcher::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
    if (open_context_ != nullptr) open_context_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

void RevocationWatcher::Run() {
  absl::Duration backoff = options_.initial_backoff;
  int failures_in_a_row = 0;
  while (true) {
    // While the authority stays away, only the first failed attempt is a warning.
    const bool heard = WatchOnce(/*quiet=*/failures_in_a_row > 0);
    failures_in_a_row = heard ? 0 : failures_in_a_row + 1;
    // A stream that worked resets the back-off; the short pause still keeps a
    // server that accepts and drops at once from spinning this loop.
    if (heard) backoff = options_.initial_backoff;
    absl::MutexLock lock(&mutex_);
    if (mutex_.AwaitWithTimeout(absl::Condition(&stopping_), backoff * Jitter())) return;
    if (!heard) backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

void RevocationWatcher::Apply(const v1::RevocationEvent& event, bool resumable) {
  if (event.reset() || !resumable) {
    // Revocations may have been missed: no valid answer held now can be trusted.
    cache_->DropValid();
    if (event.reset()) {
      resets_++;
      TG_LOG(Warning) << "the authority cannot replay revocations after position " << position_.load()
                      << ": dropped every cached valid answer";
    }
  }
  if (!event.token_id().empty()) {
    revocations_++;
    cache_->OnRevoked(event.token_id(), event.expires_at_unix());
  }
  if (!event.log_id().empty()) {
    log_id_ = event.log_id();
    position_ = event.position();
  }
}

bool RevocationWatcher::WatchOnce(bool quiet) {
  grpc::ClientContext context;
  // Waits for the channel to connect, so the stream opens as soon as the
  // authority listens again instead of at this loop's next attempt.
  context.set_wait_for_ready(true);
  grpc::CompletionQueue queue;
  {
    absl::MutexLock lock(&mutex_);
    if (stopping_) return false;
    open_context_ = &context;
  }
  // The stream is meant to stay open, so it has no overall deadline; instead
  // every wait on it is bounded by the idle timeout, which the authority's
  // heartbeats keep from firing while the stream is alive.
  bool silent = false;
  const auto next = [&] {
    void* tag = nullptr;
    bool ok = false;
    if (queue.AsyncNext(&tag, &ok, DeadlineIn(options_.idle_timeout)) == grpc::CompletionQueue::GOT_EVENT) {
      return ok;
    }
    silent = true;
    context.TryCancel();
    queue.Next(&tag, &ok);  // The pending operation completes, failed.
    return false;
  };
  int tag_start, tag_read, tag_finish;  // Only their addresses matter.

  v1::WatchRevocationsRequest request;
  request.set_log_id(log_id_);
  request.set_after_position(position_.load());
  // Without a position nothing can be replayed: what the cache holds from
  // before is dropped with the first event.
  bool resumable = !log_id_.empty();
  auto reader = stub_->PrepareAsyncWatchRevocations(&context, request, &queue);
  reader->StartCall(&tag_start);
  bool heard = false;
  v1::RevocationEvent event;
  if (next()) {
    reader->Read(&event, &tag_read);
    while (next()) {
      if (!heard) {
        heard = true;
        connected_ = true;
        if (streams_++ > 0) reconnects_++;
        TG_LOG(Info) << "revocation stream open";
      }
      Apply(event, resumable);
      resumable = true;
      reader->Read(&event, &tag_read);
    }
  }
  connected_ = false;

  grpc::Status status;
  reader->Finish(&status, &tag_finish);
  void* tag = nullptr;
  bool ok = false;
  queue.Next(&tag, &ok);
  bool stopping;
  {
    absl::MutexLock lock(&mutex_);
    open_context_ = nullptr;
    stopping = stopping_;
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  if (!stopping) {
    const std::string why = silent ? absl::StrCat("silent for ", absl::FormatDuration(options_.idle_timeout))
                            : status.ok()
                                ? "ended by the authority"
                                : absl::StrCat("code ", status.error_code(), ": ", status.error_message());
    if (heard) {
      TG_LOG(Warning) << "revocation stream lost (" << why << "); reconnecting";
    } else if (!quiet) {
      TG_LOG(Warning) << "revocation stream cannot open (" << why << "); retrying every "
                      << absl::FormatDuration(options_.max_backoff)
                      << " at most; revocations made meanwhile are replayed when it opens";
    }
  }
  return heard;
}

}  // namespace tokengate
