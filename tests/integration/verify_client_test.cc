// The edges' verify client against the real token-authority binary:
// VerifyToken through the cache, revocations pushed by WatchRevocations,
// an authority that stops and comes back, and mutual TLS.
#include "common/verify/verify_client.h"

#include <stdlib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/base/clock.h"
#include "common/verify/verify_cache.h"
#include "tests/integration/token_authority/authority_fixture.h"
#include "tests/support/status_matchers.h"

namespace tokengate::testing {
namespace {

using ::tokengate::testing::IsOk;
using ::tokengate::testing::StatusIs;

using std::chrono::seconds;

std::shared_ptr<grpc::Channel> PlaintextChannel(int port) {
  auto channel = MakeAuthorityChannel({.address = absl::StrCat("127.0.0.1:", port)});
  EXPECT_THAT(channel, IsOk());
  return channel.ok() ? *channel : nullptr;
}

// An edge's verification stack: channel, backend, cache, revocation watcher.
struct Edge {
  explicit Edge(std::shared_ptr<grpc::Channel> channel)
      : backend(channel),
        cache(VerifyCacheOptions{}, &backend, &clock),
        watcher(channel, &cache, RevocationWatcherOptions{.idle_timeout = absl::Seconds(5)}) {
    watcher.Start();
  }

  SystemClock clock;
  GrpcVerifyBackend backend;
  VerifyCache cache;
  RevocationWatcher watcher;
};

class VerifyClientTest : public AuthorityTest {
 protected:
  // The authority at `port` is killed; `while_down` runs; a new one starts on
  // the same port with `extra` settings. Returns once the edge has reconnected.
  void RestartAuthority(std::unique_ptr<ChildProcess>& authority, int port, Edge& edge,
                        const std::function<void()>& while_down,
                        std::map<std::string, std::string> extra = {}) {
    const uint64_t reconnects = edge.watcher.reconnects();
    authority->Kill();
    ASSERT_TRUE(Eventually([&] { return !edge.watcher.Connected(); }, seconds(5)));
    while_down();
    extra["TOKENGATE_GRPC_LISTEN"] = absl::StrCat("127.0.0.1:", port);
    authority = StartAuthority(extra);
    ASSERT_NE(authority, nullptr);
    ASSERT_TRUE(Eventually([&] { return edge.watcher.reconnects() > reconnects; }, seconds(5)));
  }
};

TEST_F(VerifyClientTest, GrpcBackendVerifiesARealToken) {
  const auto issued = Issue("alice", "etl");
  GrpcVerifyBackend backend(PlaintextChannel(authority_->port()));

  auto answer = backend.Verify(issued.content());

  ASSERT_THAT(answer, IsOk());
  EXPECT_TRUE(answer->valid());
  EXPECT_EQ(answer->token_id(), issued.token().id());
  EXPECT_EQ(answer->user_name(), "alice");
  EXPECT_GT(answer->cache_ttl_seconds(), 0);
}

TEST_F(VerifyClientTest, GrpcBackendReportsAForgedTokenAsAnAnswerNotAnError) {
  const auto issued = Issue("alice", "etl");
  GrpcVerifyBackend backend(PlaintextChannel(authority_->port()));

  auto answer = backend.Verify(issued.content() + "x");

  ASSERT_THAT(answer, IsOk());
  EXPECT_FALSE(answer->valid());
  EXPECT_FALSE(answer->reason().empty());
}

TEST_F(VerifyClientTest, RevocationReachesTheCacheWithinASecondAndIsAnsweredWithoutAnRpc) {
  const auto issued = Issue("alice", "etl");
  Edge edge(PlaintextChannel(authority_->port()));
  ASSERT_TRUE(Eventually([&] { return edge.watcher.Connected(); }, seconds(5)));
  ASSERT_EQ(edge.cache.Verify(issued.content()).outcome, VerifyOutcome::kValid);

  ASSERT_TRUE(Revoke("alice", issued.token().id()).ok());
  EXPECT_TRUE(Eventually([&] { return edge.watcher.revocations() == 1; }, seconds(1)));

  const VerifyResult after = edge.cache.Verify(issued.content());
  EXPECT_EQ(after.outcome, VerifyOutcome::kInvalid);
  EXPECT_THAT(after.reason, ::testing::HasSubstr(issued.token().id()));
  EXPECT_EQ(edge.cache.stats().rpcs, 1u);
}

TEST_F(VerifyClientTest, StoppedAuthorityKeepsCachedTokensAndFailsUnseenOnesAsUnavailable) {
  const auto seen = Issue("alice", "seen");
  const auto unseen = Issue("alice", "unseen");
  Edge edge(PlaintextChannel(authority_->port()));
  // The first stream event drops what was cached before it: wait for it.
  ASSERT_TRUE(Eventually([&] { return edge.watcher.Connected(); }, seconds(5)));
  ASSERT_EQ(edge.cache.Verify(seen.content()).outcome, VerifyOutcome::kValid);

  ASSERT_EQ(authority_->Terminate(), 0);

  const VerifyResult cached = edge.cache.Verify(seen.content());
  EXPECT_EQ(cached.outcome, VerifyOutcome::kValid);
  EXPECT_TRUE(cached.from_cache);
  EXPECT_EQ(edge.cache.Verify(unseen.content()).outcome, VerifyOutcome::kUnavailable);
  EXPECT_EQ(edge.cache.stats().rpc_errors, 1u);
}

TEST_F(VerifyClientTest, WatcherReconnectsToAnAuthorityRestartedOnTheSamePort) {
  const int port = FreePort();
  const std::map<std::string, std::string> same_port = {
      {"TOKENGATE_GRPC_LISTEN", absl::StrCat("127.0.0.1:", port)}};
  auto authority = StartAuthority(same_port);
  ASSERT_NE(authority, nullptr);
  Edge edge(PlaintextChannel(port));
  ASSERT_TRUE(Eventually([&] { return edge.watcher.Connected(); }, seconds(5)));

  ASSERT_EQ(authority->Terminate(), 0);
  ASSERT_TRUE(Eventually([&] { return !edge.watcher.Connected(); }, seconds(5)));
  authority = StartAuthority(same_port);
  ASSERT_NE(authority, nullptr);

  EXPECT_TRUE(Eventually([&] { return edge.watcher.Connected(); }, seconds(15)));
  EXPECT_GE(edge.watcher.reconnects(), 1u);
  // And the new stream carries revocations.
  const auto issued = Issue("alice", "etl");
  ASSERT_TRUE(Revoke("alice", issued.token().id()).ok());
  EXPECT_TRUE(Eventually([&] { return edge.watcher.revocations() == 1; }, seconds(2)));
}

TEST_F(VerifyClientTest, RevocationsMadeWhileTheStreamIsDownAreReplayedOnReconnect) {
  const auto kept = Issue("alice", "kept");
  const auto revoked = Issue("alice", "revoked");
  const int port = FreePort();
  auto authority = StartAuthority({{"TOKENGATE_GRPC_LISTEN", absl::StrCat("127.0.0.1:", port)}});
  ASSERT_NE(authority, nullptr);
  Edge edge(PlaintextChannel(port));
  ASSERT_TRUE(Eventually([&] { return edge.watcher.Connected(); }, seconds(5)));
  ASSERT_EQ(edge.cache.Verify(kept.content()).outcome, VerifyOutcome::kValid);
  ASSERT_EQ(edge.cache.Verify(revoked.content()).outcome, VerifyOutcome::kValid);

  // Revoked through the fixture's own authority while the edge's is gone.
  RestartAuthority(authority, port, edge, [&] { ASSERT_TRUE(Revoke("alice", revoked.token().id()).ok()); });

  EXPECT_TRUE(Eventually([&] { return edge.watcher.revocations() == 1; }, seconds(1)));
  EXPECT_EQ(edge.cache.Verify(revoked.content()).outcome, VerifyOutcome::kInvalid);
  // Resumed, not reset: the other token is still answered from the cache.
  EXPECT_TRUE(edge.cache.Verify(kept.content()).from_cache);
  EXPECT_EQ(edge.watcher.resets(), 0u);
  EXPECT_EQ(edge.cache.stats().rpcs, 2u);
}

TEST_F(VerifyClientTest, PositionOlderThanTheRetainedLogDropsEveryCachedValidAnswer) {
  const auto kept = Issue("alice", "kept");
  const auto revoked = Issue("alice", "revoked");
  const int port = FreePort();
  auto authority = StartAuthority({{"TOKENGATE_GRPC_LISTEN", absl::StrCat("127.0.0.1:", port)}});
  ASSERT_NE(authority, nullptr);
  Edge edge(PlaintextChannel(port));
  ASSERT_TRUE(Eventually([&] { return edge.watcher.Connected(); }, seconds(5)));
  ASSERT_EQ(edge.cache.Verify(kept.content()).outcome, VerifyOutcome::kValid);

  // The new authority keeps no history (retention 0), so the revocation made
  // meanwhile cannot be replayed: the edge must forget what it believed.
  RestartAuthority(authority, port, edge, [&] { ASSERT_TRUE(Revoke("alice", revoked.token().id()).ok()); },
                   {{"TOKENGATE_REVOCATION_LOG_RETENTION_HOURS", "0"}});

  EXPECT_TRUE(Eventually([&] { return edge.watcher.resets() == 1; }, seconds(1)));
  const VerifyResult again = edge.cache.Verify(kept.content());
  EXPECT_EQ(again.outcome, VerifyOutcome::kValid);
  EXPECT_FALSE(again.from_cache) << "a valid answer survived a stream that could not resume";
  EXPECT_EQ(edge.cache.Verify(revoked.content()).outcome, VerifyOutcome::kInvalid);
}

TEST_F(VerifyClientTest, UnavailableDatabaseIsNamedInTheAnswer) {
  const auto issued = Issue("alice", "etl");
  auto broken = StartAuthority();
  ASSERT_NE(broken, nullptr);
  Edge edge(PlaintextChannel(broken->port()));
  ASSERT_TRUE(Eventually([&] { return edge.watcher.Connected(); }, seconds(5)));
  // The database drops this authority's sessions and refuses new ones.
  db_.AdminExec("ALTER DATABASE " + db_.name() + " ALLOW_CONNECTIONS false");
  db_.AdminExec("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" +
                db_.name() + "'");

  const VerifyResult result = edge.cache.Verify(issued.content());
  db_.AdminExec("ALTER DATABASE " + db_.name() + " ALLOW_CONNECTIONS true");

  EXPECT_EQ(result.outcome, VerifyOutcome::kUnavailable);
  EXPECT_TRUE(result.database_down) << result.reason;
  EXPECT_EQ(UnavailableMessage(result), "The token database is unavailable, retry later");
}

TEST_F(VerifyClientTest, WatcherStopsPromptlyWhileTheStreamIsOpen) {
  Edge edge(PlaintextChannel(authority_->port()));
  ASSERT_TRUE(Eventually([&] { return edge.watcher.Connected(); }, seconds(5)));

  const auto started = std::chrono::steady_clock::now();
  edge.watcher.Stop();

  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(1));
  EXPECT_FALSE(edge.watcher.Connected());
}

// An authority that opens the watch stream, says hello once and then goes
// silent without closing it: a hung peer, which the real binary cannot play.
class SilentAuthority final : public v1::TokenAuthority::Service {
 public:
  grpc::Status WatchRevocations(grpc::ServerContext* context, const v1::WatchRevocationsRequest*,
                                grpc::ServerWriter<v1::RevocationEvent>* writer) override {
    streams_++;
    writer->Write(v1::RevocationEvent());
    while (!context->IsCancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return grpc::Status::OK;
  }
  int streams() const { return streams_.load(); }

 private:
  std::atomic<int> streams_{0};
};

TEST(RevocationWatcherTest, SilentStreamIsReopenedAfterTheIdleTimeout) {
  SilentAuthority service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  {
    auto channel = PlaintextChannel(port);
    SystemClock clock;
    GrpcVerifyBackend backend(channel);
    VerifyCache cache(VerifyCacheOptions{}, &backend, &clock);
    RevocationWatcher watcher(channel, &cache, {.idle_timeout = absl::Milliseconds(300)});
    watcher.Start();

    EXPECT_TRUE(Eventually([&] { return service.streams() >= 2; }, seconds(5)));
    EXPECT_TRUE(Eventually([&] { return watcher.reconnects() >= 1; }, seconds(5)));
  }
  server->Shutdown(std::chrono::system_clock::now() + seconds(2));
}

// A throw-away PKI per test (tests/support/make-test-pki.sh) and an
// authority that requires client certificates signed by its CA.
class VerifyClientTlsTest : public AuthorityTest {
 protected:
  void SetUp() override {
    AuthorityTest::SetUp();
    char dir[] = "/tmp/tokengate-pki-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    pki_ = dir;
    ASSERT_EQ(std::system(absl::StrCat(TG_MAKE_TEST_PKI, " ", pki_, " >/dev/null 2>&1").c_str()), 0);
    tls_authority_ = StartAuthority({{"TOKENGATE_TLS_CERT_FILE", Pki("server.crt")},
                                     {"TOKENGATE_TLS_KEY_FILE", Pki("server.key")},
                                     {"TOKENGATE_TLS_CA_FILE", Pki("ca.crt")}});
    ASSERT_NE(tls_authority_, nullptr);
  }
  void TearDown() override {
    if (!pki_.empty()) std::filesystem::remove_all(pki_);
  }

  std::string Pki(const std::string& file) const { return pki_ + "/" + file; }
  std::string TlsAddress() const { return absl::StrCat("127.0.0.1:", tls_authority_->port()); }

  std::string pki_;
  std::unique_ptr<ChildProcess> tls_authority_;
};

TEST_F(VerifyClientTlsTest, MutualTlsChannelVerifiesAsTheEdgesIdentity) {
  const auto issued = Issue("alice", "etl");  // Same database, so the TLS authority knows it.
  auto channel = MakeAuthorityChannel({.address = TlsAddress(),
                                       .tls_cert_file = Pki("http2kafka.crt"),
                                       .tls_key_file = Pki("http2kafka.key"),
                                       .tls_ca_file = Pki("ca.crt")});
  ASSERT_THAT(channel, IsOk());

  auto answer = GrpcVerifyBackend(*channel).Verify(issued.content());

  ASSERT_THAT(answer, IsOk());
  EXPECT_TRUE(answer->valid());
}

TEST_F(VerifyClientTlsTest, ChannelRefusesAnAuthorityItsCaDidNotSign) {
  const auto issued = Issue("alice", "etl");
  auto channel = MakeAuthorityChannel({.address = TlsAddress(),
                                       .tls_cert_file = Pki("http2kafka.crt"),
                                       .tls_key_file = Pki("http2kafka.key"),
                                       .tls_ca_file = Pki("other-ca.crt")});
  ASSERT_THAT(channel, IsOk());

  auto answer = GrpcVerifyBackend(*channel).Verify(issued.content());

  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable) << answer.status();
}

TEST_F(VerifyClientTlsTest, PlaintextChannelCannotVerifyAgainstATlsAuthority) {
  const auto issued = Issue("alice", "etl");

  auto answer = GrpcVerifyBackend(PlaintextChannel(tls_authority_->port())).Verify(issued.content());

  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable) << answer.status();
}

TEST(MakeAuthorityChannelTest, RefusesTlsWithoutAllThreeFiles) {
  auto channel = MakeAuthorityChannel(
      {.address = "127.0.0.1:1", .tls_cert_file = "client.crt", .tls_ca_file = "ca.crt"});

  EXPECT_THAT(channel, StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MakeAuthorityChannelTest, NamesAnUnreadableFile) {
  auto channel = MakeAuthorityChannel({.address = "127.0.0.1:1",
                                       .tls_cert_file = "/nonexistent/client.crt",
                                       .tls_key_file = "/nonexistent/client.key",
                                       .tls_ca_file = "/nonexistent/ca.crt"});

  EXPECT_THAT(channel.status().message(), ::testing::HasSubstr("/nonexistent/client.crt"));
}

}  // namespace
}  // namespace tokengate::testing
