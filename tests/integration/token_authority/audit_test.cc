// The audit trail against the real authority, PostgreSQL and Kafka broker:
// one record per action in the table and on the topic, with the right actor;
// no record for what did not happen; offboarding in one transaction; the
// table is append-only; retention; the outbox catches up after Kafka was down.
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>

#include "absl/strings/str_cat.h"
#include "common/pg/postgres.h"
#include "services/token_authority/audit/audit_retention.h"
#include "services/token_authority/tokens/token_store.h"
#include "simdjson.h"
#include "tests/integration/consumer/kafka_test_util.h"
#include "tests/integration/token_authority/authority_fixture.h"
#include "tests/support/status_matchers.h"

namespace tokengate::testing {
namespace {

using ::tokengate::testing::IsOk;

using namespace std::chrono_literals;

// The fields of a message on the audit topic that the tests look at.
struct PublishedEvent {
  std::string key;
  int64_t id = 0;
  std::string event;
  std::string actor_kind;
  std::string actor_name;
  std::string client_address;
};

PublishedEvent Parse(const ReadMessage& message) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  PublishedEvent out{.key = message.key};
  if (parser.parse(message.value).get(doc)) {
    ADD_FAILURE() << "not JSON: " << message.value;
    return out;
  }
  std::string_view text;
  out.id = doc["id"].get_int64().value_unsafe();
  if (!doc["event"].get_string().get(text)) out.event = text;
  if (!doc["actor"]["kind"].get_string().get(text)) out.actor_kind = text;
  if (!doc["actor"]["name"].get_string().get(text)) out.actor_name = text;
  if (!doc["actor"]["client_address"].get_string().get(text)) out.client_address = text;
  return out;
}

// How many messages the topic's only partition holds.
int64_t EndOffset(const std::string& bootstrap, const std::string& topic) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  conf->set("bootstrap.servers", bootstrap, error);
  std::unique_ptr<RdKafka::Producer> client(RdKafka::Producer::create(conf.get(), error));
  int64_t low = 0;
  int64_t high = -1;
  const auto code = client->query_watermark_offsets(topic, 0, &low, &high, 10000);
  EXPECT_EQ(code, RdKafka::ERR_NO_ERROR) << RdKafka::err2str(code);
  return high;
}

v1::Actor ActorNamed(const std::string& name, bool admin = false) {
  v1::Actor actor;
  actor.set_name(name);
  actor.set_admin(admin);
  actor.set_client_address("10.0.0.7");
  actor.set_user_agent("audit-test/1");
  actor.set_request_id(absl::StrCat("req-", name));
  return actor;
}

class AuditTest : public AuthorityTest {
 protected:
  void SetUp() override {
    kafka_ = RequiredEnv("TOKENGATE_TEST_KAFKA");
    topic_ = UniqueName("audit");
    authority_ = StartAuthority(PublishingTo(kafka_));
    ASSERT_NE(authority_, nullptr);
    stub_ = StubFor(authority_->port());
  }

  std::map<std::string, std::string> PublishingTo(const std::string& brokers) const {
    return {{"TOKENGATE_AUDIT_KAFKA_BROKERS", brokers}, {"TOKENGATE_AUDIT_TOPIC", topic_}};
  }

  std::string Count(const std::string& where) const {
    return db_.Query(absl::StrCat("SELECT count(*) FROM audit_event WHERE ", where));
  }

  // Waits until every record in the table is marked published, then reads
  // the topic: exactly as many messages as records, or a test failure.
  std::vector<PublishedEvent> Published() {
    const bool all = Eventually([&] { return Count("published_at IS NULL") == "0"; }, 15s);
    EXPECT_TRUE(all) << "unpublished: " << Count("published_at IS NULL") << "\n" << authority_->Log();
    const int64_t rows = std::stoll(Count("true"));
    EXPECT_EQ(EndOffset(kafka_, topic_), rows) << "the topic holds a different number of records";
    std::vector<PublishedEvent> events;
    for (const auto& message : ReadTopic(kafka_, topic_, rows, 10s)) events.push_back(Parse(message));
    EXPECT_EQ(static_cast<int64_t>(events.size()), rows);
    return events;
  }

  std::string kafka_;
  std::string topic_;
};

TEST_F(AuditTest, EachActionIsOneRecordInPostgresAndOneOnKafkaWithItsActor) {
  v1::IssueTokenRequest issue;
  issue.set_user_name("alice");
  issue.set_name("etl");
  *issue.mutable_actor() = ActorNamed("alice");
  v1::IssueTokenResponse issued;
  ASSERT_TRUE(stub_->IssueToken(Context().get(), issue, &issued).ok());

  v1::VerifyTokenRequest verify;
  verify.set_token(issued.content());
  verify.set_client_address("192.0.2.10");
  verify.set_user_agent("spark/4");
  v1::VerifyTokenResponse verified;
  ASSERT_TRUE(stub_->VerifyToken(Context().get(), verify, &verified).ok());
  ASSERT_TRUE(Eventually([&] { return Count("event = 'token.first_used'") == "1"; }, 10s));

  v1::RefreshTokenRequest refresh;  // No actor: the calling service, anonymous on plaintext.
  refresh.set_user_name("alice");
  refresh.set_token_id(issued.token().id());
  v1::RefreshTokenResponse refreshed;
  ASSERT_TRUE(stub_->RefreshToken(Context().get(), refresh, &refreshed).ok());

  v1::RevokeTokenRequest revoke;  // An admin acting on alice's token.
  revoke.set_user_name("alice");
  revoke.set_token_id(refreshed.token().id());
  *revoke.mutable_actor() = ActorNamed("root", /*admin=*/true);
  v1::RevokeTokenResponse revoked;
  ASSERT_TRUE(stub_->RevokeToken(Context().get(), revoke, &revoked).ok());
  *revoke.mutable_actor() = ActorNamed("alice");  // Already revoked: NOT_FOUND.
  EXPECT_EQ(stub_->RevokeToken(Context().get(), revoke, &revoked).error_code(), grpc::StatusCode::NOT_FOUND);

  const std::vector<PublishedEvent> events = Published();
  ASSERT_EQ(events.size(), 5u);
  const std::vector<std::vector<std::string>> expected = {
      {"token.created", "user", "alice", "10.0.0.7"},
      {"token.first_used", "user", "alice", "192.0.2.10"},
      {"token.refreshed", "service", "anonymous", "127.0.0.1"},
      {"token.revoked", "admin", "root", "10.0.0.7"},
      {"management.failed", "user", "alice", "10.0.0.7"},
  };
  std::set<int64_t> ids;
  for (size_t i = 0; i < events.size(); ++i) {
    SCOPED_TRACE(expected[i][0]);
    EXPECT_EQ(events[i].key, "alice");
    EXPECT_EQ(events[i].event, expected[i][0]);
    EXPECT_EQ(events[i].actor_kind, expected[i][1]);
    EXPECT_EQ(events[i].actor_name, expected[i][2]);
    EXPECT_EQ(events[i].client_address.rfind(expected[i][3], 0), 0u) << events[i].client_address;
    ids.insert(events[i].id);
  }
  EXPECT_EQ(ids.size(), 5u) << "each record is on the topic once";
  EXPECT_EQ(db_.Query("SELECT detail FROM audit_event WHERE event = 'management.failed'"),
            absl::StrCat("RevokeToken: PersonalToken with id='", refreshed.token().id(), "' not found"));
}

TEST_F(AuditTest, FailedTransactionLeavesNoRecordOfTheChange) {
  Issue("alice", "etl");
  v1::IssueTokenRequest clash;
  clash.set_user_name("alice");
  clash.set_name("etl");
  *clash.mutable_actor() = ActorNamed("alice");
  v1::IssueTokenResponse response;
  EXPECT_EQ(stub_->IssueToken(Context().get(), clash, &response).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(db_.Query("SELECT count(*) FROM personal_token"), "1");
  EXPECT_EQ(Count("event = 'token.created'"), "1");
  EXPECT_EQ(Count("event = 'management.failed' AND detail LIKE 'IssueToken: %already exists'"), "1");
  EXPECT_EQ(Published().size(), 2u);
}

TEST_F(AuditTest, OffboardingRevokesFiftyTokensInOneTransactionAndStreamsEveryOne) {
  std::set<std::string> issued;
  for (int i = 0; i < 50; ++i) issued.insert(Issue("leaver", absl::StrCat("t", i)).token().id());
  Issue("stayer", "keep");

  auto watch_context = Context();
  auto stream = stub_->WatchRevocations(watch_context.get(), v1::WatchRevocationsRequest());
  v1::RevocationEvent event;
  ASSERT_TRUE(stream->Read(&event)) << "no opening heartbeat";

  v1::RevokeUserTokensRequest request;
  request.set_user_name("leaver");
  *request.mutable_actor() = ActorNamed("root", /*admin=*/true);
  v1::RevokeUserTokensResponse response;
  const grpc::Status status = stub_->RevokeUserTokens(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.revoked_count(), 50);
  EXPECT_EQ(std::set<std::string>(response.token_ids().begin(), response.token_ids().end()), issued);

  std::set<std::string> streamed;
  while (streamed.size() < 50 && stream->Read(&event)) {
    if (!event.token_id().empty()) streamed.insert(event.token_id());
  }
  EXPECT_EQ(streamed, issued);
  watch_context->TryCancel();

  // One transaction wrote every revocation (one xmin) and its 50 records.
  EXPECT_EQ(db_.Query("SELECT count(DISTINCT xmin::text) FROM personal_token WHERE revoked_at IS NOT NULL"),
            "1");
  EXPECT_EQ(Count("event = 'token.revoked' AND actor_kind = 'admin' AND actor_name = 'root' "
                  "AND user_name = 'leaver'"),
            "50");
  EXPECT_EQ(db_.Query("SELECT count(*) FROM personal_token WHERE revoked_at IS NULL"), "1");
  EXPECT_EQ(Published().size(), 50u + 51u);

  v1::RevokeUserTokensResponse again;
  ASSERT_TRUE(stub_->RevokeUserTokens(Context().get(), request, &again).ok());
  EXPECT_EQ(again.revoked_count(), 0);
  request.set_user_name("never-seen");
  EXPECT_EQ(stub_->RevokeUserTokens(Context().get(), request, &again).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AuditTest, APersonWithoutTheAdminRoleIsRefusedTheAdminRpcsAndTheAttemptIsRecorded) {
  Issue("leaver", "keep");
  v1::RevokeUserTokensRequest revoke;
  revoke.set_user_name("leaver");
  *revoke.mutable_actor() = ActorNamed("mallory");
  v1::RevokeUserTokensResponse revoked;
  const grpc::Status status = stub_->RevokeUserTokens(Context().get(), revoke, &revoked);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "User 'mallory' does not have the administrator role");
  v1::AdminListTokensRequest list;
  *list.mutable_actor() = ActorNamed("mallory");
  v1::AdminListTokensResponse listed;
  EXPECT_EQ(stub_->AdminListTokens(Context().get(), list, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  EXPECT_EQ(db_.Query("SELECT count(*) FROM personal_token WHERE revoked_at IS NULL"), "1");
  EXPECT_EQ(db_.Query("SELECT string_agg(actor_kind || ' ' || detail, '; ' ORDER BY id) FROM audit_event "
                      "WHERE event = 'management.failed' AND actor_name = 'mallory'"),
            "user RevokeUserTokens: User 'mallory' does not have the administrator role; "
            "user AdminListTokens: User 'mallory' does not have the administrator role");
}

TEST_F(AuditTest, PublisherCatchesUpAfterKafkaWasDown) {
  // A replica whose Kafka is unreachable keeps the records in the table.
  authority_->Kill();
  authority_ = StartAuthority(PublishingTo(absl::StrCat("127.0.0.1:", FreePort())));
  ASSERT_NE(authority_, nullptr);
  stub_ = StubFor(authority_->port());
  for (const char* name : {"a", "b", "c"}) Issue("alice", name);
  EXPECT_EQ(Count("published_at IS NULL"), "3");
  ASSERT_TRUE(authority_->WaitForLog("audit records wait for Kafka", 15s)) << authority_->Log();

  // It dies (its lock goes with its connection); two replicas with Kafka back
  // publish everything, once.
  authority_->Kill();
  authority_ = StartAuthority(PublishingTo(kafka_));
  ASSERT_NE(authority_, nullptr);
  auto second = StartAuthority(PublishingTo(kafka_));
  ASSERT_NE(second, nullptr);
  stub_ = StubFor(second->port());
  Issue("alice", "d");
  const auto events = Published();
  ASSERT_EQ(events.size(), 4u);
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].event, "token.created");
}

TEST_F(AuditTest, PublishesThroughASaslListener) {
  authority_->Kill();
  auto env = PublishingTo(RequiredEnv("TOKENGATE_TEST_KAFKA_SASL"));
  env.insert({{"TOKENGATE_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"},
              {"TOKENGATE_KAFKA_SASL_MECHANISM", "PLAIN"},
              {"TOKENGATE_KAFKA_SASL_USERNAME", RequiredEnv("TOKENGATE_TEST_KAFKA_SASL_USER")},
              {"TOKENGATE_KAFKA_SASL_PASSWORD", RequiredEnv("TOKENGATE_TEST_KAFKA_SASL_PASSWORD")}});
  authority_ = StartAuthority(env);
  ASSERT_NE(authority_, nullptr);
  stub_ = StubFor(authority_->port());
  Issue("alice", "etl");
  const auto events = Published();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "token.created");
}

TEST_F(AuditTest, LastUseIsOnTheRowAndARecordOnlyWhenItsAddressChanges) {
  const auto issued = Issue("alice", "etl");
  const auto use_from = [&](const std::string& address) {
    v1::VerifyTokenRequest verify;
    verify.set_token(issued.content());
    verify.set_client_address(address);
    v1::VerifyTokenResponse verified;
    ASSERT_TRUE(stub_->VerifyToken(Context().get(), verify, &verified).ok());
    ASSERT_TRUE(verified.valid());
  };
  const auto last_from = [&] {
    return db_.Query(
        absl::StrCat("SELECT last_used_from FROM personal_token WHERE id = '", issued.token().id(), "'"));
  };
  use_from("192.0.2.1");
  use_from("192.0.2.1");
  ASSERT_TRUE(Eventually([&] { return last_from() == "192.0.2.1"; }, 10s));
  use_from("192.0.2.2");
  ASSERT_TRUE(Eventually([&] { return last_from() == "192.0.2.2"; }, 10s));
  use_from("192.0.2.2");
  ASSERT_TRUE(Eventually([&] { return Count("event LIKE 'token.%used'") == "2"; }, 10s));
  EXPECT_EQ(Count("event = 'token.first_used' AND client_address = '192.0.2.1'"), "1");
  EXPECT_EQ(Count("event = 'token.last_used' AND client_address = '192.0.2.2'"), "1");

  v1::GetTokenRequest get;
  get.set_user_name("alice");
  get.set_token_id(issued.token().id());
  v1::GetTokenResponse got;
  ASSERT_TRUE(stub_->GetToken(Context().get(), get, &got).ok());
  EXPECT_EQ(got.token().last_used_from(), "192.0.2.2");
  EXPECT_GT(got.token().last_used_at_unix(), 0);
}

// The rest needs no Kafka: the authority keeps records in PostgreSQL only.
class AuditStoreTest : public AuthorityTest {
 protected:
  std::string Count(const std::string& where) const {
    return db_.Query(absl::StrCat("SELECT count(*) FROM audit_event WHERE ", where));
  }
};

TEST_F(AuditStoreTest, TokenHistoryIsTheOwnersNewestFirstAndPaged) {
  const auto issued = Issue("alice", "etl");
  ASSERT_TRUE(Revoke("alice", issued.token().id()).ok());

  v1::ListTokenEventsRequest request;
  request.set_user_name("alice");
  request.set_token_id(issued.token().id());
  request.set_page_size(1);
  request.set_page(2);
  v1::ListTokenEventsResponse page;
  ASSERT_TRUE(stub_->ListTokenEvents(Context().get(), request, &page).ok());
  EXPECT_EQ(page.total_count(), 2);
  ASSERT_EQ(page.events_size(), 1);
  EXPECT_EQ(page.events(0).event(), "token.created");
  EXPECT_EQ(page.events(0).token_name(), "etl");

  request.set_user_name("mallory");
  EXPECT_EQ(stub_->ListTokenEvents(Context().get(), request, &page).error_code(),
            grpc::StatusCode::NOT_FOUND);
  request.set_user_name("alice");
  request.set_page_size(51);
  EXPECT_EQ(stub_->ListTokenEvents(Context().get(), request, &page).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AuditStoreTest, AdminListingCrossesUsersAndFilters) {
  const auto first = Issue("alice", "one");
  Issue("alice", "two");
  const auto bobs = Issue("bob", "one");
  ASSERT_TRUE(Revoke("alice", first.token().id()).ok());

  v1::AdminListTokensRequest request;
  v1::AdminListTokensResponse all;
  ASSERT_TRUE(stub_->AdminListTokens(Context().get(), request, &all).ok());
  EXPECT_EQ(all.total_count(), 3);
  ASSERT_EQ(all.tokens_size(), 3);
  EXPECT_EQ(all.tokens(0).id(), bobs.token().id()) << "newest first";
  EXPECT_EQ(all.tokens(0).user_name(), "bob");

  request.set_user_name("alice");
  request.set_active_only(true);
  v1::AdminListTokensResponse active;
  ASSERT_TRUE(stub_->AdminListTokens(Context().get(), request, &active).ok());
  EXPECT_EQ(active.total_count(), 1);
  ASSERT_EQ(active.tokens_size(), 1);
  EXPECT_EQ(active.tokens(0).name(), "two");
}

TEST_F(AuditStoreTest, RecordsCannotBeChangedOrDeletedButByTheRetentionCleanup) {
  Issue("alice", "etl");
  auto conn = PgConnection::Connect(db_.url());
  ASSERT_THAT(conn, IsOk());
  for (const char* sql : {"UPDATE audit_event SET actor_name = 'someone else'",
                          "UPDATE audit_event SET published_at = now(), detail = 'x'",
                          "DELETE FROM audit_event", "TRUNCATE audit_event"}) {
    auto result = (*conn)->Exec(sql);
    EXPECT_FALSE(result.ok()) << sql;
    EXPECT_NE(result.status().message().find("append-only"), std::string::npos) << result.status();
  }
  EXPECT_EQ(db_.Query("SELECT actor_name || ' ' || count(*) FROM audit_event GROUP BY actor_name"),
            "anonymous 1");
  // The publisher's one change: published_at, once.
  EXPECT_TRUE((*conn)->Exec("UPDATE audit_event SET published_at = now()").ok());
  EXPECT_FALSE((*conn)->Exec("UPDATE audit_event SET published_at = now()").ok());
}

TEST_F(AuditStoreTest, RetentionDeletesOldRecordsKafkaAlreadyHas) {
  // The fixture's authority prunes once when it starts, possibly after the
  // rows below are in: it must not run beside the retention under test.
  authority_->Kill();
  auto conn = PgConnection::Connect(db_.url());
  ASSERT_THAT(conn, IsOk());
  ASSERT_TRUE((*conn)
                  ->Exec("INSERT INTO audit_event (at, event, actor_kind, detail, published_at) VALUES "
                         "(now() - interval '400 days', 'token.created', 'user', 'old published', now()), "
                         "(now() - interval '400 days', 'token.created', 'user', 'old unpublished', NULL), "
                         "(now() - interval '10 days', 'token.created', 'user', 'recent', now())")
                  .ok());
  auto pool = std::make_shared<PgPool>(db_.url(), 1);

  AuditRetention publishing(pool, absl::Hours(24 * 365), /*published_only=*/true);
  auto pruned = publishing.PruneOnce();
  ASSERT_THAT(pruned, IsOk());
  EXPECT_EQ(*pruned, 1);
  EXPECT_EQ(db_.Query("SELECT string_agg(detail, ',' ORDER BY id) FROM audit_event"),
            "old unpublished,recent");

  AuditRetention not_publishing(pool, absl::Hours(24 * 365), /*published_only=*/false);
  pruned = not_publishing.PruneOnce();
  ASSERT_THAT(pruned, IsOk());
  EXPECT_EQ(*pruned, 1);
  EXPECT_EQ(db_.Query("SELECT string_agg(detail, ',' ORDER BY id) FROM audit_event"), "recent");
}

TEST_F(AuditStoreTest, UsageFlushThatLosesADeadlockIsRetriedAtOnce) {
  std::string first = Issue("alice", "a").token().id();
  std::string second = Issue("alice", "b").token().id();
  if (second < first) std::swap(first, second);  // The flush locks rows in id order.
  // PostgreSQL checks for a deadlock once per wait, deadlock_timeout after it
  // began, and aborts the backend that finds the cycle. The flush's check must
  // come after the holder waits too (under load that can take a while), and
  // before the holder's own: so the flush's connections get 3 s, the holder 60 s.
  db_.AdminExec(absl::StrCat("ALTER DATABASE ", db_.name(), " SET deadlock_timeout = '3s'"));
  auto holder = PgConnection::Connect(db_.url());
  ASSERT_THAT(holder, IsOk());
  ASSERT_TRUE((*holder)->Exec("SET deadlock_timeout = '60s'").ok());
  ASSERT_TRUE((*holder)->Exec("BEGIN").ok());
  ASSERT_TRUE((*holder)->Exec("SELECT 1 FROM personal_token WHERE id = $1 FOR UPDATE", {second}).ok());
  const auto deadlocks = [&] {
    return db_.Query("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()");
  };
  const std::string deadlocks_before = deadlocks();

  PgTokenStore store(std::make_shared<PgPool>(db_.url(), 1));
  auto flush = std::async(std::launch::async, [&] {
    const absl::Time now = absl::Now();
    return store.RecordUsage(
        {TokenUse{first, now, "192.0.2.1", "ua"}, TokenUse{second, now, "192.0.2.1", "ua"}});
  });
  // The flush holds the first row and waits for the second ...
  ASSERT_TRUE(Eventually(
      [&] {
        return db_.Query(
                   "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND wait_event_type = 'Lock'") == "1";
      },
      10s));
  // ... and now the holder wants the first: a cycle. The flush's check finds
  // it and aborts the flush; the holder goes on and commits.
  ASSERT_TRUE((*holder)->Exec("SELECT 1 FROM personal_token WHERE id = $1 FOR UPDATE", {first}).ok());
  ASSERT_TRUE((*holder)->Exec("COMMIT").ok());

  const absl::Status flushed = flush.get();
  EXPECT_TRUE(flushed.ok()) << "the same flush should have run again: " << flushed;
  EXPECT_EQ(db_.Query("SELECT count(*) FROM personal_token WHERE last_used_from = '192.0.2.1'"), "2");
  EXPECT_EQ(Count("event = 'token.first_used'"), "2");
  EXPECT_TRUE(Eventually([&] { return deadlocks() != deadlocks_before; }, 5s)) << "no deadlock happened";
}

TEST_F(AuditStoreTest, TokenContentSentWhereAnIdBelongsIsNotRecorded) {
  const auto issued = Issue("alice", "etl");
  v1::RefreshTokenRequest request;
  request.set_user_name("alice");
  request.set_token_id(issued.content());
  v1::RefreshTokenResponse response;
  EXPECT_EQ(stub_->RefreshToken(Context().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Count("event = 'management.failed'"), "1");
  EXPECT_EQ(
      Count(absl::StrCat("strpos(to_jsonb(audit_event)::text, '", issued.content().substr(0, 40), "') > 0")),
      "0");
}

TEST_F(AuditStoreTest, BadAuditKafkaSettingStopsTheAuthorityWithOneLine) {
  ChildProcess bad(BinaryPath("token-authority"),
                   AuthorityEnv({{"TOKENGATE_AUDIT_KAFKA_BROKERS", "127.0.0.1:1"},
                                 {"TOKENGATE_KAFKA_SECURITY_PROTOCOL", "carrier-pigeon"}}));
  EXPECT_EQ(bad.StartAndWaitForPort(), -1);
  EXPECT_EQ(bad.WaitForExit(10s), 2);
  EXPECT_NE(bad.Log().find("invalid configuration: TOKENGATE_KAFKA_SECURITY_PROTOCOL: Invalid value"),
            std::string::npos)
      << bad.Log();
}

}  // namespace
}  // namespace tokengate::testing
