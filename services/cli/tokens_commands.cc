#include "services/cli/tokens_commands.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/base/json_writer.h"
#include "common/token/audit_event_json.h"
#include "services/cli/output.h"

namespace tokengate::cli {

using Stub = v1::TokenAuthority::Stub;

namespace {

// The admin listing is the one that knows every user and revoked tokens;
// ListTokens shows one user's live tokens, as that user sees them (and
// refuses a service account's owner name, which is not a person's).
bool IsAdminListing(const CliConfig& config) {
  return config.all_users || config.active_only || config.command == Command::kServiceAccountsTokensList;
}

std::string PageLine(int shown, int64_t total, int page, absl::string_view what) {
  return absl::StrCat(shown, " of ", total, " ", what, " (page ", page, ")\n");
}

// The paging fields both JSON listings end with.
void WritePageJson(JsonWriter& json, const CliConfig& config, int64_t total) {
  json.Field("total_count", total);
  json.Field("page", config.page);
  json.Field("page_size", config.page_size);
}

std::string LastUse(const v1::PersonalToken& token) {
  if (token.last_used_at_unix() == 0) return "never";
  if (token.last_used_from().empty()) return FormatUnix(token.last_used_at_unix());
  return absl::StrCat(FormatUnix(token.last_used_at_unix()), " from ", token.last_used_from());
}

using Tokens = google::protobuf::RepeatedPtrField<v1::PersonalToken>;

std::string TokensOutput(const CliConfig& config, const Tokens& tokens, int64_t total) {
  const absl::Time now = absl::Now();
  if (config.json) {
    JsonWriter json;
    json.BeginObject();
    json.Key("tokens");
    json.BeginArray();
    for (const auto& token : tokens) WriteTokenJson(json, token, now);
    json.EndArray();
    WritePageJson(json, config, total);
    json.EndObject();
    return json.Take() + "\n";
  }
  const bool admin = IsAdminListing(config);
  std::vector<std::string> header = {"ID", "NAME"};
  if (admin) header.push_back("USER");
  header.insert(header.end(), {"SCOPES", "NAMESPACES", "NETWORKS", "SINCE", "UNTIL", "STATE", "LAST USED"});
  Table table(header);
  for (const auto& token : tokens) {
    std::vector<std::string> row = {token.id(), token.name()};
    if (admin) row.push_back(token.user_name());
    row.insert(row.end(), {absl::StrJoin(token.scopes(), " "), LimitText(token.namespaces()),
                           LimitText(token.networks()), token.since(), token.until(), TokenState(token, now),
                           LastUse(token)});
    table.AddRow(row);
  }
  return table.Render() + PageLine(tokens.size(), total, config.page, "tokens");
}

}  // namespace

absl::StatusOr<ExitCode> RunTokensList(const CliConfig& config, AuthorityClient& client, std::ostream& out) {
  if (IsAdminListing(config)) {
    v1::AdminListTokensRequest request;
    *request.mutable_actor() = client.Actor();
    request.set_user_name(config.user);
    request.set_active_only(config.active_only);
    request.set_page(config.page);
    request.set_page_size(config.page_size);
    v1::AdminListTokensResponse response;
    if (absl::Status status = client.Call(&Stub::AdminListTokens, request, &response); !status.ok()) {
      return status;
    }
    out << TokensOutput(config, response.tokens(), response.total_count());
    return kExitOk;
  }
  v1::ListTokensRequest request;
  *request.mutable_actor() = client.Actor();
  request.set_user_name(config.user);
  request.set_page(config.page);
  request.set_page_size(config.page_size);
  v1::ListTokensResponse response;
  if (absl::Status status = client.Call(&Stub::ListTokens, request, &response); !status.ok()) {
    return status;
  }
  out << TokensOutput(config, response.tokens(), response.total_count());
  return kExitOk;
}

absl::StatusOr<ExitCode> RunTokensRevoke(const CliConfig& config, AuthorityClient& client,
                                         std::ostream& out) {
  v1::RevokeTokenRequest request;
  *request.mutable_actor() = client.Actor();
  request.set_user_name(config.user);
  request.set_token_id(config.token_id);
  v1::RevokeTokenResponse response;
  if (absl::Status status = client.Call(&Stub::RevokeToken, request, &response); !status.ok()) {
    return status;
  }
  if (config.json) {
    JsonWriter json;
    json.BeginObject();
    json.Field("revoked", true);
    json.Field("token_id", config.token_id);
    json.Field("user_name", config.user);
    json.EndObject();
    out << json.Take() << "\n";
  } else {
    out << "revoked token " << config.token_id << " of " << config.user << "\n";
  }
  return kExitOk;
}

absl::StatusOr<ExitCode> RunTokensRotate(const CliConfig& config, AuthorityClient& client,
                                         std::ostream& out) {
  v1::RefreshTokenRequest request;
  *request.mutable_actor() = client.Actor();
  request.set_user_name(config.user);
  request.set_token_id(config.token_id);
  request.set_grace_seconds(static_cast<int32_t>(absl::ToInt64Seconds(config.grace)));
  v1::RefreshTokenResponse response;
  if (absl::Status status = client.Call(&Stub::RefreshToken, request, &response); !status.ok()) {
    return status;
  }
  // The content goes to `out` (stdout) and nowhere else: never to a log or stderr.
  const std::string old_until = config.grace > absl::ZeroDuration()
                                    ? FormatUnix(absl::ToUnixSeconds(absl::Now() + config.grace))
                                    : "now";
  if (config.json) {
    JsonWriter json;
    json.BeginObject();
    json.Field("token_id", response.token().id());
    json.Field("replaces", config.token_id);
    json.Field("old_works_until", old_until);
    json.Field("content", response.content());
    json.EndObject();
    out << json.Take() << "\n";
  } else {
    // Only the content, so `tokengate tokens rotate … > secret` stores just it (--json says more).
    out << response.content() << "\n";
  }
  return kExitOk;
}

absl::StatusOr<ExitCode> RunTokensEvents(const CliConfig& config, AuthorityClient& client,
                                         std::ostream& out) {
  v1::ListTokenEventsRequest request;
  request.set_user_name(config.user);
  request.set_token_id(config.token_id);
  request.set_page(config.page);
  request.set_page_size(config.page_size);
  v1::ListTokenEventsResponse response;
  if (absl::Status status = client.Call(&Stub::ListTokenEvents, request, &response); !status.ok()) {
    return status;
  }
  if (config.json) {
    JsonWriter json;
    json.BeginObject();
    json.Key("events");
    json.BeginArray();
    for (const auto& event : response.events()) WriteAuditEventJson(json, event);
    json.EndArray();
    WritePageJson(json, config, response.total_count());
    json.EndObject();
    out << json.Take() << "\n";
    return kExitOk;
  }
  Table table({"AT", "EVENT", "ACTOR", "FROM", "USER AGENT", "DETAIL"});
  for (const auto& event : response.events()) {
    table.AddRow({FormatUnixMs(event.at_unix_ms()), event.event(),
                  absl::StrCat(event.actor_kind(), ":", event.actor_name()), event.client_address(),
                  event.user_agent(), event.detail()});
  }
  out << table.Render() << PageLine(response.events_size(), response.total_count(), config.page, "events");
  return kExitOk;
}

}  // namespace tokengate::cli
